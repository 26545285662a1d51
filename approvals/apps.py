from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Multi Admin Approval"

    def ready(self):
        # The engine's own protected type; every domain's types come from its `operations`
        # module, the way Celery finds `tasks` modules.
        from rbac.signin import sign_in_hint_register

        from .links import link_sign_in_hint
        from .operations import access_policies  # noqa: F401

        autodiscover_modules("operations")
        sign_in_hint_register(link_sign_in_hint)
