from django.urls import reverse

from rbac.catalogue import Perm
from rbac.models import Role, RoleAssignment, ScopeTag, SecurityGroup
from rbac.services import assignment_create, assignment_delete, assignment_state, assignment_update

from .base import Change, OperationError, Target
from .rbac_changes import RbacChangeOperation
from .registry import registry


def _assignment(payload: dict) -> RoleAssignment:
    try:
        return RoleAssignment.objects.get(pk=payload["object_id"])
    except RoleAssignment.DoesNotExist:
        raise OperationError("The role assignment no longer exists.") from None


def _names(model, ids) -> str:
    return ", ".join(sorted(str(o) for o in model.objects.filter(pk__in=ids or []))) or "none"


def _readable(state: dict) -> dict:
    if not state:
        return {}
    role = Role.objects.filter(pk=state["role"]).first()
    return {
        "Name": state["name"],
        "Role": str(role or ""),
        "Members (groups)": _names(SecurityGroup, state["members"]),
        "Scope (Groups)": "All devices"
        if state["scope_all_devices"]
        else _names(SecurityGroup, state["scope_groups"]),
        "Scope (Tags)": _names(ScopeTag, state["scope_tags"])
        if state["scope_tags"]
        else "Default (all)",
    }


class RoleAssignmentOperation(RbacChangeOperation):
    code = "rbac.assignment"
    label = "Role assignment change"
    read_permission = Perm.ROLES_READ

    def start_permission(self, payload: dict) -> str:
        return Perm.ROLES_ASSIGN

    def target(self, payload: dict) -> Target:
        if payload["action"] == "create":
            name = payload["state"]["name"]
            return Target(key=f"assignment:new:{name.lower()}", label=f"New assignment {name}")
        assignment = _assignment(payload)
        return Target(
            key=f"assignment:{assignment.pk}",
            label=assignment.name,
            url=reverse("rbac:assignment_detail", args=[assignment.pk]),
        )

    def state(self, payload: dict) -> dict:
        if payload["action"] == "create":
            return {
                "name_taken": RoleAssignment.objects.filter(name=payload["state"]["name"]).exists()
            }
        return assignment_state(_assignment(payload))

    def changes(self, payload: dict) -> list[Change]:
        action = payload["action"]
        before = _readable(assignment_state(_assignment(payload)) if action != "create" else {})
        after = _readable(payload.get("state") if action != "delete" else {})
        rows = [Change("Change", after=f"{action.capitalize()} role assignment")]
        for label in before.keys() | after.keys():
            rows.append(Change(label, before.get(label, ""), after.get(label, "")))
        order = ["Change", "Name", "Role", "Members (groups)", "Scope (Groups)", "Scope (Tags)"]
        return sorted(rows, key=lambda c: order.index(c.label))

    def apply(self, payload: dict, actor, origin: str) -> str:
        action = payload["action"]
        if action == "create":
            assignment = assignment_create(actor=actor, state=payload["state"])
            return f"Role assignment {assignment.name} created"
        if action == "update":
            assignment = assignment_update(
                actor=actor, assignment_id=payload["object_id"], state=payload["state"]
            )
            return f"Role assignment {assignment.name} updated"
        name = _assignment(payload).name
        assignment_delete(actor=actor, assignment_id=payload["object_id"])
        return f"Role assignment {name} deleted"


registry.register(RoleAssignmentOperation())
