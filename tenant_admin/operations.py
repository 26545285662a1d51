"""The RBAC domain's protected operations: role definitions and role assignments.

Both belong to Intune's "Role-based access control" workload; every change passes the safety
rails (a change may not leave an active access policy unable to approve).
"""

from django.urls import reverse

from approvals.operations import Change, Operation, OperationError, Target, registry
from approvals.rails import rails_dry_run, rails_guard
from rbac.catalogue import Perm
from rbac.models import Role, RoleAssignment, ScopeTag, SecurityGroup
from rbac.services import (
    RbacError,
    assignment_create,
    assignment_delete,
    assignment_state,
    assignment_update,
    role_create,
    role_delete,
    role_state,
    role_update,
)

from .workload import RBAC

ROLE_OP = "rbac.role"
ASSIGNMENT_OP = "rbac.assignment"
VERBS = {"create": "Create", "update": "Edit", "delete": "Delete"}


class RbacChangeOperation(Operation):
    """Payload: {"action": "create"|"update"|"delete", "object_id": id or None, ...}."""

    workload = RBAC
    noun = ""

    def title(self, payload: dict) -> str:
        return f"{VERBS[payload['action']]} {self.noun}"

    def apply(self, payload: dict, actor, origin: str) -> str:
        raise NotImplementedError

    def validate(self, payload: dict, actor) -> None:
        if payload.get("action") not in ("create", "update", "delete"):
            raise OperationError("Unknown change.")
        try:
            with rails_dry_run():
                self.apply(payload, actor, origin="check")
        except RbacError as exc:
            raise OperationError(str(exc)) from exc

    def execute(self, payload: dict, actor, origin: str) -> str:
        try:
            with rails_guard():
                return self.apply(payload, actor, origin)
        except RbacError as exc:
            raise OperationError(str(exc)) from exc


def permission_lines(codes) -> str:
    return ", ".join(sorted(codes)) or "none"


def _role(payload: dict) -> Role:
    try:
        return Role.objects.get(pk=payload["object_id"])
    except Role.DoesNotExist:
        raise OperationError("The role no longer exists.") from None


class RoleDefinitionOperation(RbacChangeOperation):
    code = ROLE_OP
    label = "Role definition change"
    noun = "role"
    read_permission = Perm.ROLES_READ

    def start_permission(self, payload: dict) -> str:
        return {
            "create": Perm.ROLES_CREATE,
            "update": Perm.ROLES_UPDATE,
            "delete": Perm.ROLES_DELETE,
        }[payload["action"]]

    def target(self, payload: dict) -> Target:
        if payload["action"] == "create":
            return Target(
                key=f"role:new:{payload['name'].lower()}", label=f"New role {payload['name']}"
            )
        role = _role(payload)
        return Target(
            key=f"role:{role.pk}",
            label=role.name,
            url=reverse("tenant_admin:role_detail", args=[role.pk]),
        )

    def state(self, payload: dict) -> dict:
        if payload["action"] == "create":
            return {"name_taken": Role.objects.filter(name=payload["name"]).exists()}
        return role_state(_role(payload))

    def changes(self, payload: dict) -> list[Change]:
        action = payload["action"]
        before = role_state(_role(payload)) if action != "create" else {}
        after = {} if action == "delete" else payload
        added = set(after.get("permissions", [])) - set(before.get("permissions", []))
        removed = set(before.get("permissions", [])) - set(after.get("permissions", []))
        return [
            Change("Change", after=self.title(payload)),
            Change("Name", before.get("name", ""), after.get("name", "")),
            Change("Description", before.get("description", ""), after.get("description", "")),
            Change(
                "Permissions",
                permission_lines(before.get("permissions", [])),
                permission_lines(after.get("permissions", [])) if action != "delete" else "",
            ),
            Change("Permissions added", after=permission_lines(added)),
            Change("Permissions removed", after=permission_lines(removed)),
        ]

    def apply(self, payload: dict, actor, origin: str) -> str:
        action = payload["action"]
        if action == "create":
            role = role_create(
                actor=actor,
                name=payload["name"],
                description=payload.get("description", ""),
                permissions=payload["permissions"],
                duplicated_from_id=payload.get("duplicated_from_id"),
            )
            return f"Role {role.name} created"
        if action == "update":
            role = role_update(
                actor=actor,
                role_id=payload["object_id"],
                name=payload["name"],
                description=payload.get("description", ""),
                permissions=payload["permissions"],
            )
            return f"Role {role.name} updated"
        name = _role(payload).name
        role_delete(actor=actor, role_id=payload["object_id"])
        return f"Role {name} deleted"


registry.register(RoleDefinitionOperation)


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
    code = ASSIGNMENT_OP
    label = "Role assignment change"
    noun = "role assignment"
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
            url=reverse("tenant_admin:assignment_detail", args=[assignment.pk]),
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
        rows = [Change("Change", after=self.title(payload))]
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


registry.register(RoleAssignmentOperation)
