from django.apps import AppConfig


class PrintersConfig(AppConfig):
    """A test-only workload (printers) that plugs in from this folder alone: its workload,
    permissions, built-in role grants, sidebar entry, pages and protected operation. Nothing
    outside tests/printers names it but the test settings' INSTALLED_APPS."""

    name = "tests.printers"
    label = "printers"
    url_prefix = "printers/"

    def ready(self):
        from . import workload  # noqa: F401
