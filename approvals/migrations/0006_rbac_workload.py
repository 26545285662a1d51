"""Policies protect a policy type: a workload, or one device action.

Role definitions and role assignments were protected separately; both now belong to the
"Role-based access control" workload. Where both had a live policy, the role-assignment one is
folded into the role-definition one (approver groups joined, the stricter quorum kept), so no
operation loses its protection. Access-policy changes are the "access_policies" type.
"""

from django.db import migrations

RBAC_TYPES = ["rbac.role", "rbac.assignment"]
LIVE = ["pending", "active"]


def to_policy_types(apps, schema_editor):
    AccessPolicy = apps.get_model("approvals", "AccessPolicy")
    live = sorted(
        AccessPolicy.objects.filter(policy_type__in=RBAC_TYPES, status__in=LIVE),
        key=lambda p: (p.status != "active", p.policy_type != "rbac.role", p.pk),
    )
    keeper = live[0] if live else None
    for policy in live:
        if policy is keeper:
            continue
        keeper.approver_groups.add(*policy.approver_groups.all())
        keeper.approvals_required = max(keeper.approvals_required, policy.approvals_required)
        keeper.save(update_fields=["approvals_required"])
        # Direct update: the historical model has no FSM transitions.
        AccessPolicy.objects.filter(pk=policy.pk).update(status="deleted")
    AccessPolicy.objects.filter(policy_type__in=RBAC_TYPES).update(policy_type="rbac")
    AccessPolicy.objects.filter(policy_type="maa.policy").update(policy_type="access_policies")


class Migration(migrations.Migration):
    dependencies = [("approvals", "0005_policy_type")]

    operations = [migrations.RunPython(to_policy_types, migrations.RunPython.noop)]
