from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Multi Admin Approval"
    url_prefix = "tenant/"

    def ready(self):
        from rbac.directory import on_deprovision, on_directory_change
        from rbac.signin import sign_in_hint_register

        # The engine's own protected type; every domain's types come from its `operations`
        # module, the way Celery finds `tasks` modules.
        from . import access_policies, workload  # noqa: F401
        from .links import link_sign_in_hint
        from .models import AccessPolicy, ApprovalRequest
        from .operations import registry

        autodiscover_modules("operations")
        # The models reach the registry through this, and never import the operations.
        ApprovalRequest.registry = AccessPolicy.registry = registry
        sign_in_hint_register(link_sign_in_hint)
        # The identity provider changed the directory: a deprovisioned person's requests are
        # cancelled, and a policy left without enough approvers is reported.
        from .services import requests_cancel_of_deprovisioned
        from .tasks import policy_alerts_after

        on_deprovision(requests_cancel_of_deprovisioned)
        on_directory_change(policy_alerts_after)
