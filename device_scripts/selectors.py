"""Reads for scripts and remediations: lists, reach, and what devices reported."""

from django.db.models import Count, Q, QuerySet

from assignments import assignable
from assignments.models import AssignmentMode
from devices.models import OperatingSystem
from rbac.selectors import user_has_perm

from .models import Platform, RunStatus, Script, ScriptRun
from .workload import ScriptPerm

# A Windows script runs on Windows devices only, a shell script on Macs only.
OPERATING_SYSTEM = {
    Platform.WINDOWS: OperatingSystem.WINDOWS,
    Platform.MACOS: OperatingSystem.MACOS,
}


def devices_reached(*, platform: str, include, exclude=()) -> QuerySet:
    """Devices of the platform whose primary user is in an included group and no excluded one."""
    return assignable.devices_reached(
        operating_systems=[OPERATING_SYSTEM[platform]], include=include, exclude=exclude
    )


def script_groups(script: Script) -> dict[str, list[int]]:
    """The assignment as {"include": [...], "exclude": [...]} group ids, sorted."""
    return assignable.groups_by_mode(script.assignments.all(), AssignmentMode.values)


def script_list() -> QuerySet:
    """The scripts page: one query whatever the number of scripts and devices."""
    qs = Script.objects.annotate(
        assigned_groups=Count(
            "assignments", filter=Q(assignments__mode=AssignmentMode.INCLUDE), distinct=True
        ),
        succeeded=Count("runs", filter=Q(runs__status=RunStatus.SUCCEEDED), distinct=True),
        failed=Count("runs", filter=Q(runs__status=RunStatus.FAILED), distinct=True),
        pending=Count("runs", filter=Q(runs__status=RunStatus.PENDING), distinct=True),
    )
    return qs.order_by("name")


def run_counts(script: Script) -> dict[str, int]:
    counts = dict(
        script.runs.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status.value: counts.get(status.value, 0) for status in RunStatus}


def script_runs(script: Script) -> QuerySet:
    return script.runs.select_related("device").order_by("status", "device__name")


def devices_with_pending_runs() -> QuerySet:
    return ScriptRun.objects.filter(status=RunStatus.PENDING).values("device_id")


def device_panel_context(device, user) -> dict | None:
    """The device page's "Scripts and remediations" panel, for those who may read scripts."""
    if not user_has_perm(user, ScriptPerm.READ):
        return None
    runs = ScriptRun.objects.filter(device=device).select_related("script").order_by("script")
    return {"script_runs": runs}
