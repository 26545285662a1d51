"""Every write to compliance and configuration policies, and what devices do at check-in.

Create, edit, delete and assign are protected operations (device_policies.operations): pages go
through the approval engine, whose executor calls these functions.
"""

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from assignments.assignable import AssignableError, devices_reached
from assignments.models import AssignmentMode
from assignments.services import assignment_replace
from audit.chain import audit_record
from devices.models import Compliance, Device

from . import compliance_rules, settings_catalog
from .models import (
    DevicePolicy,
    DeviceStatus,
    Family,
    PolicyDeviceState,
)
from .selectors import policy_groups
from .settings import PolicyPlatform, settings_check

CATALOGS = {
    Family.COMPLIANCE: compliance_rules.CATALOG,
    Family.CONFIGURATION: settings_catalog.CATALOG,
}
CONTENT_FIELDS = ["name", "description", "platform", "settings"]
ACTION_FIELDS = ["noncompliant_after_days", "notify_user"]
MAX_GRACE_DAYS = 365


def content_fields(family: str) -> list[str]:
    return CONTENT_FIELDS + (ACTION_FIELDS if family == Family.COMPLIANCE else [])


def policy_state(policy: DevicePolicy) -> dict:
    """Everything approved about a policy: family, content, settings and assignment."""
    return {
        "family": policy.family,
        **{field: getattr(policy, field) for field in content_fields(policy.family)},
        "assignments": policy_groups(policy),
    }


def policy_check(state: dict, *, exclude_pk: int | None = None) -> None:
    """Refuse a policy that could not be saved or applied, with the reason."""
    family = state.get("family")
    if family not in Family.values:
        raise AssignableError("Unknown policy family.")
    name = (state.get("name") or "").strip()
    if not name:
        raise AssignableError("The policy needs a name.")
    same_name = DevicePolicy.objects.filter(family=family, name__iexact=name).exclude(pk=exclude_pk)
    if same_name.exists():
        raise AssignableError(f"A {Family(family).label.lower()} named {name!r} already exists.")
    if state.get("platform") not in PolicyPlatform.OPERATING_SYSTEM:
        raise AssignableError("Choose a platform.")
    if not state.get("settings"):
        raise AssignableError("Configure at least one setting.")
    problem = settings_check(CATALOGS[family], state["platform"], state["settings"])
    if problem:
        raise AssignableError(problem)
    if family == Family.COMPLIANCE:
        days = state.get("noncompliant_after_days")
        if not isinstance(days, int) or not 0 <= days <= MAX_GRACE_DAYS:
            raise AssignableError(f"Mark noncompliant after 0 to {MAX_GRACE_DAYS} days.")


def _apply(policy: DevicePolicy, state: dict) -> list[str]:
    changed = []
    for field in content_fields(policy.family):
        if getattr(policy, field) != state[field]:
            setattr(policy, field, state[field])
            changed.append(field)
    return changed


def states_refresh(policy: DevicePolicy, *, reapply: bool) -> int:
    """Bring the policy's device rows in line with its assignment; returns how many wait.

    Devices it no longer reaches drop it, and their other policies of the family are
    evaluated again (a conflict may be gone, a compliance state may change). With `reapply`
    (its settings changed) every device it reaches evaluates it again.
    """
    groups = policy_groups(policy)
    reached = set(
        devices_reached(
            operating_systems=[PolicyPlatform.OPERATING_SYSTEM[policy.platform]],
            include=groups[AssignmentMode.INCLUDE],
            exclude=groups[AssignmentMode.EXCLUDE],
        ).values_list("pk", flat=True)
    )
    states = policy.states.all()
    dropped = list(states.exclude(device_id__in=reached).values_list("device_id", flat=True))
    states.exclude(device_id__in=reached).delete()
    family_states = PolicyDeviceState.objects.filter(policy__family=policy.family)
    family_states.filter(device_id__in=dropped).update(status=DeviceStatus.PENDING)
    if policy.family == Family.COMPLIANCE:
        # A device left with no compliance policy is compliant (Intune's default).
        alone = Device.objects.filter(pk__in=dropped).exclude(
            pk__in=family_states.values("device_id")
        )
        alone.update(compliance_state=Compliance.COMPLIANT)
    known = set(states.values_list("device_id", flat=True))
    if reapply:
        states.update(status=DeviceStatus.PENDING, policy_version=policy.version)
    PolicyDeviceState.objects.bulk_create(
        PolicyDeviceState(policy=policy, device_id=device_id, policy_version=policy.version)
        for device_id in sorted(reached - known)
    )
    if policy.family == Family.CONFIGURATION:
        # Another policy on the same devices may now conflict with this one, or stop to.
        family_states.filter(device_id__in=reached).update(status=DeviceStatus.PENDING)
    return policy.states.filter(status=DeviceStatus.PENDING).count()


def policy_create(*, actor, state: dict) -> DevicePolicy:
    with transaction.atomic():
        policy_check(state)
        policy = DevicePolicy(family=state["family"])
        _apply(policy, state)
        policy.save()
        audit_record(
            actor=actor, action=f"{policy.family}.create", target=policy, data=policy_state(policy)
        )
    return policy


def policy_update(*, actor, object_id: int, state: dict) -> DevicePolicy:
    with transaction.atomic():
        policy = DevicePolicy.objects.select_for_update().get(pk=object_id)
        state = {**state, "family": policy.family}
        policy_check(state, exclude_pk=policy.pk)
        before = policy.settings
        changed = _apply(policy, state)
        if changed:
            policy.version += 1
        policy.save()
        pending = states_refresh(policy, reapply=bool(changed))
        audit_record(
            actor=actor,
            action=f"{policy.family}.update",
            target=policy,
            note=f"Changed: {', '.join(changed) or 'nothing'}; version {policy.version}",
            data={
                "changed": changed,
                "settings_before": before,
                "settings_after": policy.settings,
                "devices_pending": pending,
            },
        )
    return policy


def policy_assign(*, actor, object_id: int, groups: dict[str, list[int]]) -> DevicePolicy:
    """`groups`: {"include": [group ids], "exclude": [...]}."""
    with transaction.atomic():
        policy = DevicePolicy.objects.select_for_update().get(pk=object_id)
        assignment_replace(
            policy,
            groups,
            actor=actor,
            action=f"{policy.family}.assign",
            groups_of=policy_groups,
            refresh=lambda policy: states_refresh(policy, reapply=False),
        )
    return policy


def policy_delete(*, actor, object_id: int) -> str:
    with transaction.atomic():
        policy = DevicePolicy.objects.select_for_update().get(pk=object_id)
        name = policy.name
        audit_record(
            actor=actor, action=f"{policy.family}.delete", target=policy, data=policy_state(policy)
        )
        # Its devices evaluate their remaining policies again.
        policy.assignments.all().delete()
        states_refresh(policy, reapply=False)
        policy.delete()
    return name


# Check-in: a device evaluates its compliance policies and applies its configuration policies.

WORST_FIRST = [DeviceStatus.NONCOMPLIANT, DeviceStatus.IN_GRACE, DeviceStatus.COMPLIANT]
DEVICE_COMPLIANCE = {
    DeviceStatus.NONCOMPLIANT: Compliance.NONCOMPLIANT,
    DeviceStatus.IN_GRACE: Compliance.IN_GRACE,
    DeviceStatus.COMPLIANT: Compliance.COMPLIANT,
}


def _notify_user(device, state: PolicyDeviceState) -> None:
    user = device.primary_user
    if not (user and user.email):
        return
    rules = "\n".join(
        f"- {f['rule']}: needs {f['required']}, has {f['actual']}" for f in state.details["failed"]
    )
    transaction.on_commit(
        lambda: send_mail(
            f"{device.name} is not compliant with {state.policy.name}",
            f"Your device {device.name} does not meet your organization's policy "
            f"{state.policy.name}:\n{rules}\n\nFix these settings to keep access to work "
            "resources.",
            django_settings.DEFAULT_FROM_EMAIL,
            [user.email],
        ),
        robust=True,
    )


def _evaluate_compliance(device, states: list[PolicyDeviceState], now) -> None:
    for state in states:
        policy = state.policy
        failures = compliance_rules.failed_rules(device, policy.settings)
        was = state.status
        if not failures:
            state.status, state.failing_since = DeviceStatus.COMPLIANT, None
        else:
            state.failing_since = state.failing_since or now
            overdue = (now - state.failing_since).days >= policy.noncompliant_after_days
            state.status = DeviceStatus.NONCOMPLIANT if overdue else DeviceStatus.IN_GRACE
        state.details = {"failed": failures}
        if state.status == DeviceStatus.NONCOMPLIANT and was != state.status and policy.notify_user:
            _notify_user(device, state)
    statuses = {state.status for state in states}
    worst = next((s for s in WORST_FIRST if s in statuses), DeviceStatus.COMPLIANT)
    device.compliance_state = DEVICE_COMPLIANCE[worst]


def _apply_configuration(states: list[PolicyDeviceState]) -> None:
    values: dict[str, dict[str, object]] = {}
    for state in states:
        for key, value in state.policy.settings.items():
            values.setdefault(key, {})[state.policy.name] = value
    for state in states:
        rows = []
        for key, value in state.policy.settings.items():
            setting = settings_catalog.CATALOG[key]
            others = sorted(
                name for name, v in values[key].items() if name != state.policy.name and v != value
            )
            rows.append(
                {
                    "key": key,
                    "name": setting.name,
                    "value": setting.shown(value),
                    "status": DeviceStatus.CONFLICT if others else DeviceStatus.SUCCEEDED,
                    "conflicts_with": others,
                }
            )
        conflicted = any(row["conflicts_with"] for row in rows)
        state.status = DeviceStatus.CONFLICT if conflicted else DeviceStatus.SUCCEEDED
        state.details = {"settings": rows}


def policies_check_in(device) -> int:
    """Evaluate every compliance policy and apply every configuration policy of the device."""
    now = timezone.now()
    states = list(
        PolicyDeviceState.objects.select_for_update()
        .filter(device=device)
        .select_related("policy")
        .order_by("pk")
    )
    before = {state.pk: state.status for state in states}
    compliance = [s for s in states if s.policy.family == Family.COMPLIANCE]
    _evaluate_compliance(device, compliance, now)
    _apply_configuration([s for s in states if s.policy.family == Family.CONFIGURATION])
    for state in states:
        state.policy_version, state.reported_at = state.policy.version, now
        state.save(
            update_fields=["status", "details", "failing_since", "policy_version", "reported_at"]
        )
        if before[state.pk] != state.status:
            audit_record(
                actor="device",
                action=f"{state.policy.family}.{state.status}",
                target=device,
                note=state.policy.name,
                data=state.details,
            )
    return len(states)
