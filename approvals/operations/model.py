"""The common case of a protected operation: create, edit, delete or assign one model object.

One operation code per action ("<prefix>.create", ".edit", ".delete", ".assign") and one
payload convention for all of them:

    create  {"state": {...}}
    edit    {"object_id": id, "state": {...}}
    delete  {"object_id": id}
    assign  {"object_id": id, "groups": {mode: [group ids]}}

A subclass names the object (`prefix`, `noun`, `objects()`, `detail_url`), the permission each
action needs (`permissions`, by "create", "update", "delete", "assign"), the errors of its
services that are refusals for people (`refusals`), what an object's state is, and `apply`. The
target, the "no longer exists" refusal, the name-taken fingerprint of a create and the
translation of refusals are here once.
"""

from contextlib import contextmanager

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.urls import reverse

from .base import Operation, OperationError, Target

VERBS = {"create": "Add", "edit": "Edit", "delete": "Delete", "assign": "Assign"}
# The permission each action needs, by the catalogue's names (Intune's "Update" for an edit).
PERMISSION_OF_ACTION = {
    "create": "create",
    "edit": "update",
    "delete": "delete",
    "assign": "assign",
}


class ModelOperation(Operation):
    action = ""  # "create", "edit", "delete" or "assign"
    prefix = ""  # the codes' prefix and the target keys' ("category" -> "category:7")
    noun = ""  # "device category"
    detail_url = ""  # a URL name taking the object's pk, or "" (target_url may say otherwise)
    permissions: dict[str, str] = {}
    refusals: tuple[type[Exception], ...] = ()
    verbs = VERBS  # the words of the domain's own pages ("Create access policy")

    def __init__(self):
        self.code = f"{self.prefix}.{self.action}"
        self.label = f"{self.verbs[self.action]} {self.noun}"

    def objects(self) -> QuerySet:
        raise NotImplementedError

    def object_state(self, obj) -> dict:
        """Everything approved about the object; Complete refuses if it changed meanwhile."""
        raise NotImplementedError

    def apply(self, payload: dict, actor) -> str:
        """Carry the change out through the domain's service; return a result line."""
        raise NotImplementedError

    def target_key(self, pk: int) -> str:
        return f"{self.prefix}:{pk}"

    def target_url(self, obj) -> str:
        return reverse(self.detail_url, args=[obj.pk]) if self.detail_url else ""

    def start_permission(self, payload: dict) -> str:
        return self.permissions[PERMISSION_OF_ACTION[self.action]]

    def get_object(self, payload: dict):
        try:
            return self.objects().get(pk=payload["object_id"])
        except ObjectDoesNotExist:
            raise OperationError(f"The {self.noun} no longer exists.") from None

    def target(self, payload: dict) -> Target:
        # A create names no object, unless its prepare() made one (a pending access policy).
        if "object_id" not in payload:
            name = payload["state"]["name"]
            return Target(key=f"{self.prefix}:new:{name.lower()}", label=f"New {self.noun} {name}")
        obj = self.get_object(payload)
        return Target(
            key=self.target_key(obj.pk),
            label=f"{self.noun[:1].upper()}{self.noun[1:]} {obj}",
            url=self.target_url(obj),
        )

    def state(self, payload: dict) -> dict:
        if "object_id" not in payload:
            # Two requests may create the same name; the second Complete finds it taken.
            name = payload["state"]["name"]
            return {"name_taken": self.objects().filter(name__iexact=name).exists()}
        return self.object_state(self.get_object(payload))

    def validate(self, payload: dict, actor) -> None:
        if self.action != "create":
            self.get_object(payload)

    @contextmanager
    def refused(self):
        """The domain's refusals, as the engine's: `with self.refused(): service(...)`."""
        try:
            yield
        except self.refusals as exc:
            raise OperationError(str(exc)) from exc

    def execute(self, payload: dict, actor, origin: str) -> str:
        with self.refused():
            return self.apply(payload, actor)
