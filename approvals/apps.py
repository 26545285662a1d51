from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Multi Admin Approval"

    def ready(self):
        from . import signals  # noqa: F401
