from django.urls import reverse

from rbac.catalogue import Perm
from rbac.models import Role
from rbac.services import role_create, role_delete, role_state, role_update

from .base import Change, OperationError, Target
from .rbac_changes import RbacChangeOperation, permission_lines
from .registry import registry


def _role(payload: dict) -> Role:
    try:
        return Role.objects.get(pk=payload["object_id"])
    except Role.DoesNotExist:
        raise OperationError("The role no longer exists.") from None


class RoleDefinitionOperation(RbacChangeOperation):
    code = "rbac.role"
    label = "Role definition change"
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
            key=f"role:{role.pk}", label=role.name, url=reverse("rbac:role_detail", args=[role.pk])
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
            Change("Change", after=action.capitalize() + " role"),
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


registry.register(RoleDefinitionOperation())
