"""The RBAC domain's protected operations: role definitions and role assignments.

Both belong to Intune's "Role-based access control" workload; every change passes the safety
rails (a change may not leave an active access policy unable to approve). Each is a
ModelOperation: "role.create", "role.edit", "role.delete" and the same for "assignment", with
the engine's payload convention ({"object_id": id, "state": {...}}).
"""

from approvals.operations import (
    Change,
    ModelOperation,
    Operation,
    OperationError,
    Target,
    registry,
)
from approvals.rails import rails_dry_run, rails_guard
from rbac.catalogue import Perm
from rbac.models import Role, RoleAssignment, ScopeTag, SecurityGroup, User
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
from rbac.stepup import second_factors, second_factors_reset

from .workload import RBAC


class RbacOperation(ModelOperation):
    """A change checked by the rails twice: dry-run when it is filed, for real when it runs."""

    workload = RBAC
    read_permission = Perm.ROLES_READ
    refusals = (RbacError,)

    def validate(self, payload: dict, actor) -> None:
        super().validate(payload, actor)
        with rails_dry_run(), self.refused():
            self.apply(payload, actor)

    def execute(self, payload: dict, actor, origin: str) -> str:
        with rails_guard():
            return super().execute(payload, actor, origin)

    def before_after(self, payload: dict) -> tuple[dict, dict]:
        before = self.object_state(self.get_object(payload)) if self.action != "create" else {}
        after = payload["state"] if self.action != "delete" else {}
        return before, after


def permission_lines(codes) -> str:
    return ", ".join(sorted(codes)) or "none"


class RoleOperation(RbacOperation):
    prefix, noun = "role", "role"
    detail_url = "tenant_admin:role_detail"
    permissions = {
        "create": Perm.ROLES_CREATE,
        "update": Perm.ROLES_UPDATE,
        "delete": Perm.ROLES_DELETE,
    }

    def objects(self):
        return Role.objects.all()

    def object_state(self, role) -> dict:
        return role_state(role)

    def changes(self, payload: dict) -> list[Change]:
        before, after = self.before_after(payload)
        added = set(after.get("permissions", [])) - set(before.get("permissions", []))
        removed = set(before.get("permissions", [])) - set(after.get("permissions", []))
        return [
            Change("Change", after=self.label),
            Change("Name", before.get("name", ""), after.get("name", "")),
            Change("Description", before.get("description", ""), after.get("description", "")),
            Change(
                "Permissions",
                permission_lines(before.get("permissions", [])),
                permission_lines(after.get("permissions", [])) if after else "",
            ),
            Change("Permissions added", after=permission_lines(added)),
            Change("Permissions removed", after=permission_lines(removed)),
        ]


@registry.register
class RoleCreate(RoleOperation):
    action = "create"

    def apply(self, payload: dict, actor) -> str:
        role = role_create(actor=actor, **payload["state"])
        return f"Role {role.name} created"


@registry.register
class RoleEdit(RoleOperation):
    action = "edit"

    def apply(self, payload: dict, actor) -> str:
        role = role_update(actor=actor, role_id=payload["object_id"], **payload["state"])
        return f"Role {role.name} updated"


@registry.register
class RoleDelete(RoleOperation):
    action = "delete"

    def apply(self, payload: dict, actor) -> str:
        name = self.get_object(payload).name
        role_delete(actor=actor, role_id=payload["object_id"])
        return f"Role {name} deleted"


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


class AssignmentOperation(RbacOperation):
    prefix, noun = "assignment", "role assignment"
    detail_url = "tenant_admin:assignment_detail"
    permissions = dict.fromkeys(("create", "update", "delete"), Perm.ROLES_ASSIGN)

    def objects(self):
        return RoleAssignment.objects.all()

    def object_state(self, assignment) -> dict:
        return assignment_state(assignment)

    def changes(self, payload: dict) -> list[Change]:
        before, after = (_readable(state) for state in self.before_after(payload))
        rows = [Change("Change", after=self.label)]
        for label in ["Name", "Role", "Members (groups)", "Scope (Groups)", "Scope (Tags)"]:
            if label in before or label in after:
                rows.append(Change(label, before.get(label, ""), after.get(label, "")))
        return rows


@registry.register
class AssignmentCreate(AssignmentOperation):
    action = "create"

    def apply(self, payload: dict, actor) -> str:
        assignment = assignment_create(actor=actor, state=payload["state"])
        return f"Role assignment {assignment.name} created"


@registry.register
class AssignmentEdit(AssignmentOperation):
    action = "edit"

    def apply(self, payload: dict, actor) -> str:
        assignment = assignment_update(
            actor=actor, assignment_id=payload["object_id"], state=payload["state"]
        )
        return f"Role assignment {assignment.name} updated"


@registry.register
class AssignmentDelete(AssignmentOperation):
    action = "delete"

    def apply(self, payload: dict, actor) -> str:
        name = self.get_object(payload).name
        assignment_delete(actor=actor, assignment_id=payload["object_id"])
        return f"Role assignment {name} deleted"


@registry.register
class SecondFactorsReset(Operation):
    """An administrator removes a person's second factors (a lost phone, a lost passkey): that
    is how someone would get past step-up, so it always needs another admin's approval."""

    code, label = "user.mfa_reset", "Reset second factors"
    workload = RBAC
    read_permission = Perm.ROLES_READ
    always_protected = True

    def start_permission(self, payload: dict) -> str:
        return Perm.ROLES_ASSIGN

    def _user(self, payload: dict) -> User:
        try:
            return User.objects.get(pk=payload["user_id"], is_application=False)
        except (KeyError, User.DoesNotExist) as exc:
            raise OperationError("That person does not exist.") from exc

    def target(self, payload: dict) -> Target:
        user = self._user(payload)
        return Target(key=f"user:{user.pk}:factors", label=f"Second factors of {user}")

    def state(self, payload: dict) -> dict:
        return {"factors": second_factors(self._user(payload))}

    def changes(self, payload: dict) -> list[Change]:
        factors = second_factors(self._user(payload))
        return [
            Change("Change", after=self.label),
            Change("Person", after=str(self._user(payload))),
            Change(
                "Second factors",
                ", ".join(f"{kind} (added {added})" for _, kind, added in factors) or "none",
                "none: they enrol again before their next decision",
            ),
        ]

    def validate(self, payload: dict, actor) -> None:
        if not second_factors(self._user(payload)):
            raise OperationError(f"{self._user(payload)} has no second factor to reset.")

    def execute(self, payload: dict, actor, origin: str) -> str:
        user = self._user(payload)
        removed = second_factors_reset(user=user, actor=actor)
        return f"{removed} second factor(s) of {user} removed; they enrol again."
