"""Reads for compliance and configuration policies: lists, counts, and device results."""

from django.db.models import Count, Q, QuerySet

from assignments.assignable import groups_by_mode
from assignments.models import AssignmentMode
from rbac.selectors import user_has_perm

from .models import DevicePolicy, DeviceStatus, Family, PolicyDeviceState
from .workload import CompliancePerm, ConfigurationPerm

STATUSES = {
    Family.COMPLIANCE: [
        DeviceStatus.COMPLIANT,
        DeviceStatus.IN_GRACE,
        DeviceStatus.NONCOMPLIANT,
        DeviceStatus.PENDING,
    ],
    Family.CONFIGURATION: [DeviceStatus.SUCCEEDED, DeviceStatus.CONFLICT, DeviceStatus.PENDING],
}
READ = {Family.COMPLIANCE: CompliancePerm.READ, Family.CONFIGURATION: ConfigurationPerm.READ}


def policy_groups(policy: DevicePolicy) -> dict[str, list[int]]:
    return groups_by_mode(policy.assignments.all(), AssignmentMode.values)


def policy_list(*, family: str) -> QuerySet:
    """A policies page: one query whatever the number of policies and devices."""
    counts = {
        status.value: Count("states", filter=Q(states__status=status), distinct=True)
        for status in STATUSES[family]
    }
    qs = DevicePolicy.objects.filter(family=family).annotate(
        assigned_groups=Count(
            "assignments", filter=Q(assignments__mode=AssignmentMode.INCLUDE), distinct=True
        ),
        **counts,
    )
    return qs.order_by("name")


def status_counts(policy: DevicePolicy) -> list[tuple[str, str, int]]:
    rows = policy.states.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    counts = dict(rows)
    return [(s.value, s.label, counts.get(s.value, 0)) for s in STATUSES[policy.family]]


def policy_device_states(policy: DevicePolicy, *, status: str = "") -> QuerySet:
    qs = policy.states.select_related("device")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "device__name")


def devices_with_pending_states() -> QuerySet:
    """Devices to check in: a policy waits for them, or a grace period is running out."""
    waiting = [DeviceStatus.PENDING, DeviceStatus.IN_GRACE]
    return PolicyDeviceState.objects.filter(status__in=waiting).values("device_id")


def device_panel_context(device, user) -> dict | None:
    """The device page's compliance and configuration panel, for what the user may read."""
    families = [family for family in Family if user_has_perm(user, READ[family])]
    if not families:
        return None
    states = (
        PolicyDeviceState.objects.filter(device=device, policy__family__in=families)
        .select_related("policy")
        .order_by("policy__family", "policy__name")
    )
    return {
        "compliance_states": [s for s in states if s.policy.family == Family.COMPLIANCE],
        "configuration_states": [s for s in states if s.policy.family == Family.CONFIGURATION],
        "families": families,
    }
