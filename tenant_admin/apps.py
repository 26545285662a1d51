from django.apps import AppConfig


class TenantAdminConfig(AppConfig):
    name = "tenant_admin"
    verbose_name = "Tenant administration"
