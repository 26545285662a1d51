from django.apps import AppConfig


class TenantAdminConfig(AppConfig):
    name = "tenant_admin"
    verbose_name = "Tenant administration"
    url_prefix = "tenant/"

    def ready(self):
        from . import workload  # noqa: F401  (its workload and sidebar entries)
