"""Every write to scripts and remediations, and what devices do with them at check-in.

Create, edit, delete and assign are protected operations (device_scripts.operations): pages go
through the approval engine, whose executor calls these functions.
"""

import re

from django.db import transaction
from django.utils import timezone

from assignments.assignable import AssignableError
from assignments.models import AssignmentMode
from assignments.services import assignment_replace
from audit.chain import audit_record

from .models import (
    MAX_SCRIPT_BYTES,
    RunStatus,
    Schedule,
    Script,
    ScriptKind,
    ScriptRun,
)
from .selectors import devices_reached, script_groups

# The settings a script has; what an edit may change and what the approver compares.
CONTENT_FIELDS = [
    "name",
    "description",
    "platform",
    "body",
    "remediation_body",
    "run_as",
    "enforce_signature_check",
    "run_64bit",
    "schedule",
]
OUTPUT_LIMIT = 500


class ScriptError(AssignableError):
    """A script change the portal refuses, with a message for people."""


def script_state(script: Script) -> dict:
    """Everything approved about a script: its content and its assignment."""
    return {
        **{field: getattr(script, field) for field in CONTENT_FIELDS},
        "kind": script.kind,
        "assignments": script_groups(script),
    }


def script_check(state: dict, *, kind: str, exclude_pk: int | None = None) -> None:
    """Refuse content that could not be saved or run, with the reason."""
    if Script.objects.filter(name__iexact=state["name"]).exclude(pk=exclude_pk).exists():
        raise ScriptError(f"A script named {state['name']!r} already exists.")
    texts = {"Script": state["body"]}
    if kind == ScriptKind.REMEDIATION:
        texts = {"Detection script": state["body"], "Remediation script": state["remediation_body"]}
        if state.get("schedule") not in Schedule.values:
            raise ScriptError("Choose when the remediation runs: once, hourly or daily.")
    for label, text in texts.items():
        if not text.strip():
            raise ScriptError(f"{label} is empty.")
        size = len(text.encode("utf-8"))
        if size > MAX_SCRIPT_BYTES:
            raise ScriptError(
                f"{label} is {size // 1024} KB; scripts are at most {MAX_SCRIPT_BYTES // 1024} KB."
            )


def _apply(script: Script, kind: str, state: dict) -> None:
    script.kind = kind
    for field in CONTENT_FIELDS:
        setattr(script, field, state.get(field, getattr(script, field)))
    if kind == ScriptKind.PLATFORM:
        script.remediation_body, script.schedule = "", ""


def deliveries_refresh(script: Script, *, rerun: bool) -> int:
    """Give the script to the devices it now reaches; forget devices it no longer reaches.

    `rerun`: its content changed, so devices that ran an older version run it again.
    Returns how many devices will receive it at their next check-in.
    """
    groups = script_groups(script)
    reached = set(
        devices_reached(
            platform=script.platform,
            include=groups[AssignmentMode.INCLUDE],
            exclude=groups[AssignmentMode.EXCLUDE],
        ).values_list("pk", flat=True)
    )
    runs = script.runs.all()
    runs.exclude(device_id__in=reached).delete()
    known = set(runs.values_list("device_id", flat=True))
    if rerun:
        runs.filter(device_id__in=known).exclude(script_version=script.version).update(
            script_version=script.version, status=RunStatus.PENDING, output="", reported_at=None
        )
    ScriptRun.objects.bulk_create(
        ScriptRun(script=script, device_id=device_id, script_version=script.version)
        for device_id in sorted(reached - known)
    )
    return script.runs.filter(status=RunStatus.PENDING).count()


def script_create(*, actor, kind: str, state: dict) -> Script:
    with transaction.atomic():
        script_check(state, kind=kind)
        script = Script()
        _apply(script, kind, state)
        script.save()
        audit_record(
            actor=actor,
            action=f"{kind}.create",
            target=script,
            data={k: v for k, v in script_state(script).items() if k != "body"},
        )
    return script


def script_update(*, actor, object_id: int, state: dict) -> Script:
    with transaction.atomic():
        script = Script.objects.select_for_update().get(pk=object_id)
        script_check(state, kind=script.kind, exclude_pk=script.pk)
        before = script_state(script)
        _apply(script, script.kind, state)
        changed = sorted(f for f in CONTENT_FIELDS if before[f] != getattr(script, f))
        if changed:
            script.version += 1
        script.save()
        pending = deliveries_refresh(script, rerun=bool(changed))
        audit_record(
            actor=actor,
            action=f"{script.kind}.update",
            target=script,
            note=f"Changed: {', '.join(changed) or 'nothing'}; version {script.version}",
            data={"changed": changed, "version": script.version, "devices_pending": pending},
        )
    return script


def script_assign(*, actor, object_id: int, groups: dict[str, list[int]]) -> Script:
    """`groups`: {"include": [group ids], "exclude": [...]}."""
    with transaction.atomic():
        script = Script.objects.select_for_update().get(pk=object_id)
        assignment_replace(
            script,
            groups,
            actor=actor,
            action=f"{script.kind}.assign",
            groups_of=script_groups,
            refresh=lambda script: deliveries_refresh(script, rerun=False),
        )
    return script


def script_delete(*, actor, object_id: int) -> str:
    with transaction.atomic():
        script = Script.objects.select_for_update().get(pk=object_id)
        name = script.name
        audit_record(
            actor=actor,
            action=f"{script.kind}.delete",
            target=script,
            data={"assignments": script_groups(script), "version": script.version},
        )
        # Assignments and results go with it; devices are no longer given it.
        script.delete()
    return name


_OUTPUT_LINE = re.compile(r"""^\s*(?:Write-(?:Output|Host)|echo|printf)\s+["']?(.*?)["']?\s*$""")


def _simulated_output(text: str) -> str:
    """What the script would print: the arguments of its output statements."""
    lines = [m.group(1) for m in map(_OUTPUT_LINE.match, text.splitlines()) if m]
    return "\n".join(lines)[:OUTPUT_LIMIT]


def _fails(text: str) -> bool:
    return re.search(r"^\s*exit\s+1\b", text, re.MULTILINE) is not None


def simulated_run(script: Script) -> tuple[str, str]:
    """Stands in for a device running the script: a script that exits 1 fails."""
    if script.kind == ScriptKind.PLATFORM:
        output = _simulated_output(script.body)
        if _fails(script.body):
            return RunStatus.FAILED, (output + "\nScript exited with code 1").strip()
        return RunStatus.SUCCEEDED, output
    # Remediation: a detection script that exits 1 found the issue; the remediation then runs.
    if not _fails(script.body):
        return RunStatus.SUCCEEDED, (_simulated_output(script.body) + "\nWithout issues").strip()
    output = _simulated_output(script.body + "\n" + script.remediation_body)
    if _fails(script.remediation_body):
        return RunStatus.FAILED, (output + "\nRemediation failed (exit code 1)").strip()
    return RunStatus.SUCCEEDED, (output + "\nIssue fixed").strip()


def scripts_check_in(device) -> int:
    """At check-in the device runs every script waiting for it and reports each result."""
    runs = (
        ScriptRun.objects.select_for_update()
        .filter(device=device, status=RunStatus.PENDING)
        .select_related("script")
    )
    count = 0
    for run in runs.order_by("pk"):
        run.status, run.output = simulated_run(run.script)
        run.script_version = run.script.version
        run.reported_at = timezone.now()
        run.save(update_fields=["status", "output", "script_version", "reported_at"])
        audit_record(
            actor="device",
            action=f"{run.script.kind}.run_{run.status}",
            target=device,
            note=f"{run.script.name} (version {run.script_version})",
            data={"script": run.script_id, "output": run.output[:200]},
        )
        count += 1
    return count
