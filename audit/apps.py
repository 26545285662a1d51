from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"
    url_prefix = "tenant/"

    def ready(self):
        from utilities.navigation import ADMIN, NavItem, nav_register

        from . import signals  # noqa: F401
        from .access import audit_may_read

        nav_register(NavItem("Audit logs", "audit:index", ADMIN, 70, visible=audit_may_read))
