"""Scripts and remediations as protected operations (Intune's "Scripts" workload).

Create, edit, delete and assign, for platform scripts and for remediations: eight types. The
approver reads exactly what will run: every changed setting, and the script text line by line.
"""

import difflib

from django.urls import reverse

from approvals.operations import Change, Operation, OperationError, Target, registry
from assignments.assignable import group_names
from assignments.models import AssignmentMode
from rbac.models import SecurityGroup

from .models import Platform, RunAs, Schedule, Script, ScriptKind
from .selectors import devices_reached
from .services import (
    ScriptError,
    script_assign,
    script_check,
    script_create,
    script_delete,
    script_state,
    script_update,
)
from .workload import SCRIPTS, ScriptPerm

INCLUDE, EXCLUDE = AssignmentMode.INCLUDE.value, AssignmentMode.EXCLUDE.value
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


def script_target_key(script_id: int) -> str:
    return f"script:{script_id}"


def _script(payload: dict) -> Script:
    try:
        return Script.objects.get(pk=payload["script_id"])
    except Script.DoesNotExist:
        raise OperationError("The script no longer exists.") from None


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


def _reach(platform: str, groups: dict) -> int:
    return devices_reached(
        platform=platform, include=groups.get(INCLUDE, []), exclude=groups.get(EXCLUDE, [])
    ).count()


class ScriptOperation(Operation):
    workload = SCRIPTS
    read_permission = ScriptPerm.READ
    action = ""
    verb = ""
    permission = ""

    def __init__(self, kind: str):
        self.kind = kind
        self.noun = ScriptKind(kind).label.lower()
        self.code = self.code_for(kind)
        self.label = f"{self.verb} {self.noun}"

    @classmethod
    def code_for(cls, kind: str) -> str:
        """The operation's code for a platform script or a remediation."""
        return f"{kind}.{cls.action}"

    def start_permission(self, payload: dict) -> str:
        return self.permission

    def target(self, payload: dict) -> Target:
        script = _script(payload)
        return Target(
            key=script_target_key(script.pk),
            label=f"{ScriptKind(script.kind).label} {script.name}",
            url=reverse("device_scripts:detail", args=[script.pk]),
        )

    def state(self, payload: dict) -> dict:
        return script_state(_script(payload))

    def _own(self, payload: dict) -> Script:
        script = _script(payload)
        if script.kind != self.kind:
            raise OperationError(f"{script.name} is not a {self.noun}.")
        return script

    def _setting_rows(self, before: dict, after: dict, *, only_changed: bool) -> list[Change]:
        rows = []
        for field, label in SETTING_LABELS.items():
            if field == "schedule" and self.kind != ScriptKind.REMEDIATION:
                continue
            if field == "run_64bit" and after.get("platform", before.get("platform")) != "windows":
                continue
            old, new = _shown(field, before.get(field)), _shown(field, after.get(field))
            if only_changed and old == new:
                continue
            rows.append(Change(label, old, new))
        for field, label in TEXT_LABELS[self.kind].items():
            old, new = before.get(field, ""), after.get(field, "")
            if only_changed and old == new:
                rows.append(Change(label, "Unchanged", "Unchanged"))
                continue
            rows.append(Change(label, diff=text_diff(old, new)))
        return rows

    def execute(self, payload: dict, actor, origin: str) -> str:
        try:
            return self.apply(payload, actor)
        except ScriptError as exc:
            raise OperationError(str(exc)) from exc

    def apply(self, payload: dict, actor) -> str:
        raise NotImplementedError


class ScriptCreate(ScriptOperation):
    action, verb, permission = "create", "Create", ScriptPerm.CREATE

    def target(self, payload: dict) -> Target:
        name = payload["state"]["name"]
        return Target(key=f"script:new:{name.lower()}", label=f"New {self.noun} {name}")

    def state(self, payload: dict) -> dict:
        name = payload["state"]["name"]
        return {"name_taken": Script.objects.filter(name__iexact=name).exists()}

    def changes(self, payload: dict) -> list[Change]:
        return [Change("Change", after=self.label)] + self._setting_rows(
            {}, payload["state"], only_changed=False
        )

    def validate(self, payload: dict, actor) -> None:
        try:
            script_check(kind=self.kind, state=payload["state"])
        except ScriptError as exc:
            raise OperationError(str(exc)) from exc

    def apply(self, payload: dict, actor) -> str:
        script = script_create(actor=actor, kind=self.kind, state=payload["state"])
        return f"{ScriptKind(self.kind).label} {script.name} created"


class ScriptEdit(ScriptOperation):
    action, verb, permission = "edit", "Edit", ScriptPerm.UPDATE

    def changes(self, payload: dict) -> list[Change]:
        script = self._own(payload)
        rows = [Change("Change", after=self.label)]
        rows += self._setting_rows(script_state(script), payload["state"], only_changed=True)
        reached = _reach(payload["state"]["platform"], script_state(script)["assignments"])
        rows.append(Change("Devices that run the new version", after=str(reached)))
        return rows

    def validate(self, payload: dict, actor) -> None:
        script = self._own(payload)
        try:
            script_check(kind=self.kind, state=payload["state"], exclude_pk=script.pk)
        except ScriptError as exc:
            raise OperationError(str(exc)) from exc

    def apply(self, payload: dict, actor) -> str:
        script = script_update(actor=actor, script_id=payload["script_id"], state=payload["state"])
        return f"{ScriptKind(self.kind).label} {script.name} updated to version {script.version}"


class ScriptDelete(ScriptOperation):
    action, verb, permission = "delete", "Delete", ScriptPerm.DELETE

    def changes(self, payload: dict) -> list[Change]:
        script = self._own(payload)
        state = script_state(script)
        groups = state["assignments"]
        rows = [Change("Change", after=self.label)]
        rows += self._setting_rows(state, {}, only_changed=False)
        rows += [
            Change("Assigned to (included groups)", group_names(groups[INCLUDE]), "none"),
            Change("Excluded groups", group_names(groups[EXCLUDE]), "none"),
            Change("Devices reached", str(_reach(script.platform, groups)), "0"),
        ]
        return rows

    def validate(self, payload: dict, actor) -> None:
        self._own(payload)

    def apply(self, payload: dict, actor) -> str:
        name = script_delete(actor=actor, script_id=payload["script_id"])
        return f"{ScriptKind(self.kind).label} {name} deleted"


class ScriptAssign(ScriptOperation):
    action, verb, permission = "assign", "Assign", ScriptPerm.ASSIGN

    def changes(self, payload: dict) -> list[Change]:
        script = self._own(payload)
        before = script_state(script)["assignments"]
        after = {INCLUDE: payload["include"], EXCLUDE: payload["exclude"]}
        rows = [Change("Change", after=self.label)]
        for mode, label in [(INCLUDE, "Included groups"), (EXCLUDE, "Excluded groups")]:
            old, new = set(before[mode]), set(after[mode])
            rows.append(Change(label, group_names(old), group_names(new)))
            if new - old:
                rows.append(Change(f"{label}: added", after=group_names(new - old)))
            if old - new:
                rows.append(Change(f"{label}: removed", after=group_names(old - new)))
        reached = [_reach(script.platform, before), _reach(script.platform, after)]
        rows.append(Change("Devices reached", str(reached[0]), str(reached[1])))
        return rows

    def validate(self, payload: dict, actor) -> None:
        self._own(payload)
        include, exclude = set(payload["include"]), set(payload["exclude"])
        if include & exclude:
            raise OperationError("A group cannot be both included and excluded.")
        if SecurityGroup.objects.filter(pk__in=include | exclude).count() != len(include | exclude):
            raise OperationError("One of the chosen groups no longer exists.")

    def apply(self, payload: dict, actor) -> str:
        script = script_assign(
            actor=actor,
            script_id=payload["script_id"],
            include=payload["include"],
            exclude=payload["exclude"],
        )
        return f"{ScriptKind(self.kind).label} {script.name} assigned"


for _kind in ScriptKind.values:
    for _operation in (ScriptCreate, ScriptEdit, ScriptDelete, ScriptAssign):
        registry.register(_operation(_kind))
