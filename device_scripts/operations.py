"""Scripts and remediations as protected operations (Intune's "Scripts" workload).

Create, edit, delete and assign, for platform scripts and for remediations: two Assignables of
the shared machinery (assignments.assignable), eight types. The approver reads exactly what
will run: every changed setting, and the script text line by line.
"""

import difflib
from functools import partial

from approvals.operations import Change
from assignments.assignable import Assignable, register_assignable
from assignments.models import AssignmentMode

from .models import Platform, RunAs, Schedule, Script, ScriptKind
from .selectors import OPERATING_SYSTEM
from .services import (
    script_assign,
    script_check,
    script_create,
    script_delete,
    script_state,
    script_update,
)
from .workload import SCRIPTS, ScriptPerm

_CHOICES = {"platform": Platform, "run_as": RunAs, "schedule": Schedule}
SETTING_LABELS = {
    "name": "Name",
    "description": "Description",
    "platform": "Platform",
    "run_as": "Run this script using",
    "enforce_signature_check": "Enforce script signature check",
    "run_64bit": "Run script in 64-bit PowerShell host",
    "schedule": "Schedule",
}
TEXT_LABELS = {
    ScriptKind.PLATFORM: {"body": "Script"},
    ScriptKind.REMEDIATION: {
        "body": "Detection script",
        "remediation_body": "Remediation script",
    },
}


def _shown(field: str, value) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field in _CHOICES and value:
        return _CHOICES[field](value).label
    return str(value or "")


def text_diff(before: str, after: str) -> list[list[str]]:
    """The lines of `before` against `after`: ["-", line], ["+", line] or [" ", line]."""
    rows = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        mark, text = line[0], line[2:]
        if mark in "+- ":
            rows.append([mark, text])
    return rows


def _setting_rows(kind: str, before: dict, after: dict, only_changed: bool) -> list[Change]:
    rows = []
    for field, label in SETTING_LABELS.items():
        if field == "schedule" and kind != ScriptKind.REMEDIATION:
            continue
        if field == "run_64bit" and after.get("platform", before.get("platform")) != "windows":
            continue
        old, new = _shown(field, before.get(field)), _shown(field, after.get(field))
        if only_changed and old == new:
            continue
        rows.append(Change(label, old, new))
    for field, label in TEXT_LABELS[kind].items():
        old, new = before.get(field, ""), after.get(field, "")
        if only_changed and old == new:
            rows.append(Change(label, "Unchanged", "Unchanged"))
            continue
        rows.append(Change(label, diff=text_diff(old, new)))
    return rows


def _spec(kind: str) -> Assignable:
    return Assignable(
        prefix=kind,  # "script.create", "remediation.assign", ...
        noun=ScriptKind(kind).label.lower(),
        workload=SCRIPTS,
        permissions=ScriptPerm.by_action(),
        model=Script,
        detail_url="device_scripts:detail",
        list_url="device_scripts:list",
        modes=[(mode.value, mode.label) for mode in AssignmentMode],
        state=script_state,
        check=partial(script_check, kind=kind),
        setting_rows=partial(_setting_rows, kind),
        operating_systems=lambda state: [OPERATING_SYSTEM[state["platform"]]],
        create=partial(script_create, kind=kind),
        update=script_update,
        delete=script_delete,
        assign=script_assign,
        family=("kind", kind),
    )


PLATFORM_SCRIPTS = _spec(ScriptKind.PLATFORM)
REMEDIATIONS = _spec(ScriptKind.REMEDIATION)
SPECS = {ScriptKind.PLATFORM.value: PLATFORM_SCRIPTS, ScriptKind.REMEDIATION.value: REMEDIATIONS}
register_assignable(PLATFORM_SCRIPTS)
register_assignable(REMEDIATIONS)
