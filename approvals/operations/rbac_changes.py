"""Shared shape of the RBAC operations: create, update or delete one object, behind the rails."""

from rbac.services import RbacError

from ..rails import rails_dry_run, rails_guard
from .base import Operation, OperationError


class RbacChangeOperation(Operation):
    """Payload: {"action": "create"|"update"|"delete", "object_id": id or None, ...}."""

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
