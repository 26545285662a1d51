"""What apps, compliance policies and configuration policies have in common.

Each is an object with settings, assigned to security groups (with an intent, or excluded), that
reaches the devices of those groups' members. Adding, editing, deleting and assigning one are
protected operations of its workload. A domain describes its object once (an `Assignable`) and
registers the four operations with `register_assignable`; the flow, the approver's reach figures
and the assignment form are the same for all of them.

Written here rather than generalised from scripts' operations because scripts carry a line diff
of their text and two kinds per workload; the shape below is the one the three newer workloads
share.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django import forms
from django.db.models import Model, QuerySet

from approvals.forms import JustificationMixin
from approvals.operations import Change, ModelOperation, OperationError, registry
from devices.models import Device, ManagementState
from rbac.catalogue import Workload
from rbac.models import SecurityGroup, User

EXCLUDE = "exclude"


def devices_reached(*, operating_systems: Sequence[str], include, exclude=()) -> QuerySet:
    """Managed devices of the systems whose primary user is in an included group and no
    excluded one (exclusion wins, as in Intune)."""
    members = User.groups.through.objects.filter
    included = members(group__security_group__in=list(include)).values("user_id")
    excluded = members(group__security_group__in=list(exclude)).values("user_id")
    return (
        Device.objects.exclude(management_state=ManagementState.DELETED)
        .filter(operating_system__in=list(operating_systems), primary_user_id__in=included)
        .exclude(primary_user_id__in=excluded)
    )


def group_names(ids) -> str:
    names = SecurityGroup.objects.filter(pk__in=list(ids)).values_list("name", flat=True)
    return ", ".join(sorted(names)) or "none"


def groups_by_mode(assignments: QuerySet, modes: Sequence[str]) -> dict[str, list[int]]:
    """An assignment as {mode: [group ids, sorted]}, every mode present."""
    groups: dict[str, list[int]] = {mode: [] for mode in modes}
    for group_id, mode in assignments.order_by("group_id").values_list("group_id", "mode"):
        groups[mode].append(group_id)
    return groups


def groups_check(groups: dict[str, list[int]]) -> None:
    """A group has one intent at most, and every group still exists."""
    seen: set[int] = set()
    for ids in groups.values():
        if seen & set(ids):
            raise OperationError("A group can have only one assignment: choose one intent.")
        seen |= set(ids)
    if SecurityGroup.objects.filter(pk__in=seen).count() != len(seen):
        raise OperationError("One of the chosen groups no longer exists.")


class GroupAssignmentForm(JustificationMixin):
    """One list of group check boxes per intent (Required, Available, ..., Excluded)."""

    def __init__(self, *args, modes: Sequence[tuple[str, str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.modes = modes
        fields = {}
        for mode, label, help_text in modes:
            fields[mode] = forms.ModelMultipleChoiceField(
                label=label,
                queryset=SecurityGroup.objects.order_by("name"),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                help_text=help_text,
            )
        # The intents first, the justification last.
        fields.update(self.fields)
        self.fields = fields

    def clean(self):
        data = super().clean()
        seen: dict = {}
        for mode, label, _help in self.modes:
            for group in data.get(mode) or []:
                if group in seen:
                    self.add_error(
                        mode, f"{group.name} is already chosen under {seen[group]}: pick one."
                    )
                seen.setdefault(group, label)
        return data

    def groups(self) -> dict[str, list[int]]:
        return {mode: sorted(g.pk for g in self.cleaned_data[mode]) for mode, _l, _h in self.modes}

    @staticmethod
    def initial_for(assignments: QuerySet) -> dict:
        initial: dict[str, list] = {}
        for assignment in assignments.select_related("group"):
            initial.setdefault(assignment.mode, []).append(assignment.group)
        return initial


class AssignableError(Exception):
    """A change to an app or policy that the portal refuses, with a message for people."""


@dataclass(frozen=True)
class Assignable:
    """How one kind of assignable object plugs into the four protected operations."""

    prefix: str  # operation codes are "<prefix>.create", ...
    noun: str  # "app", "compliance policy"
    workload: Workload
    permissions: dict[str, str]  # "read", "create", "update", "delete", "assign" -> Perm
    model: type[Model]
    detail_url: str  # URL name taking the object's pk
    list_url: str
    # (mode, label) in the order shown; "exclude" last.
    modes: Sequence[tuple[str, str]]
    state: Callable[[Model], dict]  # content plus {"assignments": groups_by_mode(...)}
    check: Callable[..., None]  # (state, exclude_pk=None); raises AssignableError
    setting_rows: Callable[[dict, dict, bool], list[Change]]  # (before, after, only_changed)
    operating_systems: Callable[[dict], Sequence[str]]  # of a state
    create: Callable[..., Model]  # (actor=, state=)
    update: Callable[..., Model]  # (actor=, object_id=, state=)
    delete: Callable[..., str]  # (actor=, object_id=) -> name
    assign: Callable[..., Model]  # (actor=, object_id=, groups=)
    # Only objects of this family (a field value) belong to this Assignable, if set.
    family: tuple[str, str] | None = None

    def target_key(self, pk: int) -> str:
        return f"{self.prefix}:{pk}"

    def reach(self, state: dict, groups: dict[str, list[int]]) -> int:
        included = [g for mode, ids in groups.items() if mode != EXCLUDE for g in ids]
        return devices_reached(
            operating_systems=self.operating_systems(state),
            include=included,
            exclude=groups.get(EXCLUDE, []),
        ).count()

    def objects(self) -> QuerySet:
        qs = self.model.objects.all()
        return qs.filter(**{self.family[0]: self.family[1]}) if self.family else qs


class AssignableOperation(ModelOperation):
    """The engine's ModelOperation for an Assignable: what it adds is the spec, the reach
    figures and the assignment's groups."""

    refusals = (AssignableError,)

    def __init__(self, spec: Assignable):
        self.spec = spec
        self.prefix, self.noun, self.detail_url = spec.prefix, spec.noun, spec.detail_url
        self.workload = spec.workload
        self.permissions = spec.permissions
        self.read_permission = spec.permissions["read"]
        super().__init__()

    def objects(self) -> QuerySet:
        return self.spec.objects()

    def object_state(self, obj) -> dict:
        return self.spec.state(obj)

    def _checked(self, state: dict, exclude_pk=None) -> None:
        with self.refused():
            self.spec.check(state, exclude_pk=exclude_pk)


class AssignableCreate(AssignableOperation):
    action = "create"

    def changes(self, payload: dict) -> list[Change]:
        rows = [Change("Change", after=self.label)]
        return rows + self.spec.setting_rows({}, payload["state"], False)

    def validate(self, payload: dict, actor) -> None:
        self._checked(payload["state"])

    def apply(self, payload: dict, actor) -> str:
        obj = self.spec.create(actor=actor, state=payload["state"])
        return f"{self.spec.noun.capitalize()} {obj} added"


class AssignableEdit(AssignableOperation):
    action = "edit"

    def changes(self, payload: dict) -> list[Change]:
        before = self.spec.state(self.get_object(payload))
        rows = [Change("Change", after=self.label)]
        rows += self.spec.setting_rows(before, payload["state"], True)
        reached = self.spec.reach(payload["state"], before["assignments"])
        rows.append(Change("Devices that receive the change", after=str(reached)))
        return rows

    def validate(self, payload: dict, actor) -> None:
        self._checked(payload["state"], exclude_pk=self.get_object(payload).pk)

    def apply(self, payload: dict, actor) -> str:
        obj = self.spec.update(actor=actor, object_id=payload["object_id"], state=payload["state"])
        return f"{self.spec.noun.capitalize()} {obj} updated"


class AssignableDelete(AssignableOperation):
    action = "delete"

    def changes(self, payload: dict) -> list[Change]:
        state = self.spec.state(self.get_object(payload))
        groups = state["assignments"]
        rows = [Change("Change", after=self.label)]
        rows += self.spec.setting_rows(state, {}, False)
        for mode, label in self.spec.modes:
            if groups[mode]:
                rows.append(Change(label, group_names(groups[mode]), "none"))
        rows.append(Change("Devices reached", str(self.spec.reach(state, groups)), "0"))
        return rows

    def apply(self, payload: dict, actor) -> str:
        name = self.spec.delete(actor=actor, object_id=payload["object_id"])
        return f"{self.spec.noun.capitalize()} {name} deleted"


class AssignableAssign(AssignableOperation):
    action = "assign"

    def changes(self, payload: dict) -> list[Change]:
        state = self.spec.state(self.get_object(payload))
        before, after = state["assignments"], payload["groups"]
        rows = [Change("Change", after=self.label)]
        for mode, label in self.spec.modes:
            old, new = set(before.get(mode, [])), set(after.get(mode, []))
            if old == new:
                continue
            rows.append(Change(label, group_names(old), group_names(new)))
            if new - old:
                rows.append(Change(f"{label}: groups added", after=group_names(new - old)))
            if old - new:
                rows.append(Change(f"{label}: groups removed", after=group_names(old - new)))
        reached = [self.spec.reach(state, before), self.spec.reach(state, after)]
        rows.append(Change("Devices reached", str(reached[0]), str(reached[1])))
        return rows

    def validate(self, payload: dict, actor) -> None:
        self.get_object(payload)
        unknown = set(payload["groups"]) - {mode for mode, _label in self.spec.modes}
        if unknown:
            raise OperationError(f"Unknown assignment intent: {', '.join(sorted(unknown))}.")
        groups_check(payload["groups"])

    def apply(self, payload: dict, actor) -> str:
        obj = self.spec.assign(
            actor=actor, object_id=payload["object_id"], groups=payload["groups"]
        )
        return f"{self.spec.noun.capitalize()} {obj} assigned"


OPERATIONS = (AssignableCreate, AssignableEdit, AssignableDelete, AssignableAssign)


def register_assignable(spec: Assignable) -> None:
    for operation in OPERATIONS:
        registry.register(operation(spec))
