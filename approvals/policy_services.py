"""Every write of an access policy. The access-policy operation (approvals.access_policies)
calls these when its request is filed, completed or closed; nothing else writes a policy."""

from django.db import transaction

from audit.chain import audit_record
from rbac.models import SecurityGroup, User

from .models import AccessPolicy, PolicyStage, PolicyStatus, stages_of_state
from .object_permissions import policy_requests_regrant
from .operations import OperationError


def exclusions_state(ids) -> dict:
    return {"excluded_applications": list(ids)} if ids else {}


def options_state(**values) -> dict:
    """The optional settings that are set: a policy without them keeps the state (and its open
    requests the fingerprint) it had before they existed."""
    return {name: value for name, value in values.items() if value}


def later_stages_state(stages) -> dict:
    """Stages after the first, listed only when there are some: a single-stage policy keeps the
    state (and its open requests the fingerprint) it had before stages existed."""
    return {"later_stages": [stage.state() for stage in stages]} if stages else {}


def policy_state(policy: AccessPolicy) -> dict:
    first, *later = policy.stages()
    return {
        "name": policy.name,
        "description": policy.description,
        "policy_type": policy.policy_type,
        **first.state(),
        **later_stages_state(later),
        **options_state(
            break_glass_group=policy.break_glass_group_id,
            approval_hours=policy.approval_hours,
            execution_hours=policy.execution_hours,
            change_windows=policy.change_windows,
            bulk_threshold=policy.bulk_threshold,
            bulk_approvals_required=policy.bulk_approvals_required,
        ),
        "status": policy.status,
        # Listed only when there are some, so policies without exclusions keep the state
        # (and open requests the fingerprint) they had before exclusions existed.
        **exclusions_state(sorted(policy.excluded_applications.values_list("pk", flat=True))),
    }


def policy_get(policy_id: int, *, lock: bool = False) -> AccessPolicy:
    qs = AccessPolicy.objects.select_for_update() if lock else AccessPolicy.objects
    try:
        return qs.get(pk=policy_id)
    except AccessPolicy.DoesNotExist:
        raise OperationError("The access policy no longer exists.") from None


def _apply(policy: AccessPolicy, state: dict) -> None:
    policy.name = state["name"]
    policy.description = state["description"]
    policy.policy_type = state["policy_type"]
    policy.approvals_required = state["approvals_required"]
    policy.break_glass_group_id = state.get("break_glass_group")
    policy.approval_hours = state.get("approval_hours")
    policy.execution_hours = state.get("execution_hours")
    policy.change_windows = state.get("change_windows") or {}
    policy.bulk_threshold = state.get("bulk_threshold")
    policy.bulk_approvals_required = state.get("bulk_approvals_required")
    policy.save()
    policy.approver_groups.set(SecurityGroup.objects.filter(pk__in=state["approver_groups"]))
    policy.later_stages.all().delete()
    for stage in stages_of_state(state)[1:]:
        row = PolicyStage.objects.create(
            policy=policy,
            position=stage.position,
            approvals_required=stage.approvals_required,
            bulk_only=stage.bulk_only,
        )
        row.approver_groups.set(SecurityGroup.objects.filter(pk__in=stage.group_ids))
    policy.excluded_applications.set(
        User.objects.filter(pk__in=state.get("excluded_applications", []), is_application=True)
    )


def policy_create_pending(*, actor, state: dict) -> AccessPolicy:
    """The policy a creation request is filed for: Pending, protecting nothing until the
    request completes. Raises IntegrityError when a policy for the same type won a race."""
    policy = AccessPolicy(created_by=actor)
    with transaction.atomic():
        _apply(policy, state)
        audit_record(actor=actor, action="policy.pending", target=policy, to_state=policy.status)
    return policy


def policy_change_apply(*, policy_id: int, action: str, state: dict | None, actor, origin: str):
    """A completed request's change: activate a created policy, apply an edit, or delete."""
    with transaction.atomic():
        policy = policy_get(policy_id, lock=True)
        before = policy.status
        if action == "create":
            policy.activate()
            policy.save()
        elif action == "update":
            _apply(policy, state)
            policy_requests_regrant(policy)
        else:
            policy.remove()
            policy.save()
        audit_record(
            actor=actor,
            action=f"policy.{action}",
            target=policy,
            from_state=before,
            to_state=policy.status,
            note=origin,
            data=policy_state(policy),
        )
    if action == "create":
        return f"Access policy {policy.name} is active"
    return f"Access policy {policy.name} {action}d"


def policy_discard_pending(*, policy_id: int) -> None:
    """A creation request ended without completion: its pending policy is discarded."""
    with transaction.atomic():
        policy = policy_get(policy_id, lock=True)
        if policy.status != PolicyStatus.PENDING:
            return
        policy.discard()
        policy.save()
        audit_record(
            actor=None,
            action="policy.discard",
            target=policy,
            from_state="pending",
            to_state=policy.status,
        )
