from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices"
    url_prefix = "devices/"

    def ready(self):
        from . import workload  # noqa: F401  (its workloads, permissions and sidebar entries)
