"""The approver-group trap, made loud. The portal cannot refuse the identity provider: when a
directory change (SCIM, a deprovisioning) leaves an active policy with fewer eligible approvers
than it needs, its requests can never be approved. The health panel shows it red (selectors);
this records it in the audit log and mails every policy admin, naming the policy and the change.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from audit.chain import audit_record
from rbac.catalogue import Perm
from rbac.selectors import users_with_permission

from .models import AccessPolicy
from .selectors import policies_health


def policies_check(reason: str) -> list[tuple[int, list[str]]]:
    """After a directory change: every active policy left unsatisfiable, audited; returns them
    with their problems, for the mail (approvals.tasks.policy_alerts_after)."""
    short = []
    with transaction.atomic():
        for policy, problems in policies_health():
            if not problems:
                continue
            short.append((policy.pk, problems))
            audit_record(
                actor=None,
                action="policy.approvers_short",
                target=policy,
                note=f"{reason}. " + " ".join(problems),
                data={"change": reason, "problems": problems},
            )
    return short


def policy_alert_send(*, policy_id: int, change: str, problems: list[str]) -> int:
    policy = AccessPolicy.objects.get(pk=policy_id)
    recipients = sorted({u.email for u in users_with_permission(Perm.MAA_POLICY_UPDATE) if u.email})
    if not recipients:
        return 0
    return send_mail(
        f"MAA Portal: the access policy {policy.name} can no longer be approved",
        f"A change from your identity provider left the access policy {policy.name} with too "
        f"few eligible approvers:\n\n  {change}\n\n"
        + "\n".join(f"- {p}" for p in problems)
        + "\n\nRequests it protects cannot be approved until this is fixed: add members to "
        f"its approver groups, or change the policy.\n{settings.PORTAL_BASE_URL}"
        f"/tenant/maa/policies/{policy.pk}/\n",
        None,
        recipients,
    )
