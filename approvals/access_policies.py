"""The engine's own protected type: access policies protect themselves, so every create, edit
and delete is a request. The writes it runs are services (approvals.policy_services); this is
the plug-in, as a domain's operations.py is."""

from django.db import IntegrityError
from django.urls import reverse

from rbac.catalogue import Perm
from rbac.models import SecurityGroup, User

from .models import AccessPolicy, PolicyStatus
from .operations import Change, Operation, OperationError, Target, registry
from .policy_services import (
    policy_change_apply,
    policy_create_pending,
    policy_discard_pending,
    policy_get,
    policy_state,
)
from .selectors import approver_setup_problems
from .workload import ACCESS_POLICIES

CODE = "maa.policy"
VERBS = {"create": "Create", "update": "Edit", "delete": "Delete"}


def policy_target_key(policy_id: int) -> str:
    return f"policy:{policy_id}"


def _policy(payload: dict) -> AccessPolicy:
    return policy_get(payload["object_id"])


def _readable(state: dict) -> dict:
    if not state:
        return {}
    groups = SecurityGroup.objects.filter(pk__in=state["approver_groups"])
    return {
        "Name": state["name"],
        "Description": state["description"],
        "Protected operations": registry.policy_type_label(state["policy_type"]),
        "Approver groups": ", ".join(sorted(g.name for g in groups)),
        "Approvals required": str(state["approvals_required"]),
        "Exclusions (API applications)": ", ".join(
            sorted(
                str(app)
                for app in User.objects.filter(pk__in=state.get("excluded_applications", []))
            )
        )
        or "none",
    }


class AccessPolicyOperation(Operation):
    code = CODE
    label = "Access policy change"
    workload = ACCESS_POLICIES
    read_permission = Perm.MAA_APPROVE
    needs_maa_approval_permission = True
    always_protected = True

    def start_permission(self, payload: dict) -> str:
        return {
            "create": Perm.MAA_POLICY_CREATE,
            "update": Perm.MAA_POLICY_UPDATE,
            "delete": Perm.MAA_POLICY_DELETE,
        }[payload["action"]]

    def title(self, payload: dict) -> str:
        return f"{VERBS[payload['action']]} access policy"

    def target(self, payload: dict) -> Target:
        policy = _policy(payload)
        return Target(
            key=policy_target_key(policy.pk),
            label=f"Access policy {policy.name}",
            url=reverse("approvals:policy_detail", args=[policy.pk]),
        )

    def state(self, payload: dict) -> dict:
        return policy_state(_policy(payload))

    def changes(self, payload: dict) -> list[Change]:
        action = payload["action"]
        before = {} if action == "create" else _readable(policy_state(_policy(payload)))
        after = {} if action == "delete" else _readable(payload["state"])
        rows = [Change("Change", after=self.title(payload))]
        for label in [
            "Name",
            "Description",
            "Protected operations",
            "Approver groups",
            "Approvals required",
            "Exclusions (API applications)",
        ]:
            rows.append(Change(label, before.get(label, ""), after.get(label, "")))
        return rows

    def validate(self, payload: dict, actor) -> None:
        action = payload.get("action")
        if action not in ("create", "update", "delete"):
            raise OperationError("Unknown change.")
        policy = _policy(payload) if payload.get("object_id") else None
        if action == "delete":
            if policy.status != PolicyStatus.ACTIVE:
                raise OperationError("Only an active policy can be deleted.")
            return
        if action == "update" and policy.status != PolicyStatus.ACTIVE:
            raise OperationError("Only an active policy can be edited.")
        state = payload["state"]
        excluded = set(state.get("excluded_applications", []))
        if User.objects.filter(pk__in=excluded, is_application=True).count() != len(excluded):
            raise OperationError("An excluded application does not exist.")
        protects = registry.policy_type_label(state["policy_type"])
        registry.of_policy_type(state["policy_type"])
        others = AccessPolicy.objects.filter(
            policy_type=state["policy_type"],
            status__in=[PolicyStatus.PENDING, PolicyStatus.ACTIVE],
        )
        if policy:
            others = others.exclude(pk=policy.pk)
        if others.exists():
            raise OperationError(
                f"The policy {others.first().name} already protects {protects}; edit it instead."
            )
        problems = approver_setup_problems(
            policy_type=state["policy_type"],
            groups=SecurityGroup.objects.filter(pk__in=state["approver_groups"]),
            approvals_required=state["approvals_required"],
        )
        if problems:
            raise OperationError(" ".join(problems))

    def prepare(self, payload: dict, actor) -> dict:
        if payload["action"] != "create":
            return payload
        try:
            policy = policy_create_pending(actor=actor, state=payload["state"])
        except IntegrityError:
            # A concurrent submission for the same type won the race: the same answer as if
            # it had come first.
            self.validate(payload, actor)
            raise
        return {**payload, "object_id": policy.pk}

    def execute(self, payload: dict, actor, origin: str) -> str:
        return policy_change_apply(
            policy_id=payload["object_id"],
            action=payload["action"],
            state=payload.get("state"),
            actor=actor,
            origin=origin,
        )

    def closed_without_completion(self, payload: dict) -> None:
        if payload["action"] == "create":
            policy_discard_pending(policy_id=payload["object_id"])


registry.register(AccessPolicyOperation())
