"""Access policies protect themselves: every create, edit and delete is a request."""

from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.chain import audit_record
from rbac.catalogue import Perm, Workload
from rbac.models import SecurityGroup, User

from ..models import AccessPolicy, PolicyStatus
from ..object_permissions import policy_requests_regrant
from ..selectors import approver_setup_problems
from .base import Change, Operation, OperationError, Target
from .registry import registry

CODE = "maa.policy"
VERBS = {"create": "Create", "update": "Edit", "delete": "Delete"}


def policy_target_key(policy_id: int) -> str:
    return f"policy:{policy_id}"


def _policy(payload: dict, *, lock: bool = False) -> AccessPolicy:
    qs = AccessPolicy.objects.select_for_update() if lock else AccessPolicy.objects
    try:
        return qs.get(pk=payload["object_id"])
    except AccessPolicy.DoesNotExist:
        raise OperationError("The access policy no longer exists.") from None


def policy_state(policy: AccessPolicy) -> dict:
    return {
        "name": policy.name,
        "description": policy.description,
        "policy_type": policy.policy_type,
        "approver_groups": sorted(policy.approver_groups.values_list("pk", flat=True)),
        "approvals_required": policy.approvals_required,
        "status": policy.status,
        # Listed only when there are some, so policies without exclusions keep the state
        # (and open requests the fingerprint) they had before exclusions existed.
        **exclusions_state(sorted(policy.excluded_applications.values_list("pk", flat=True))),
    }


def exclusions_state(ids) -> dict:
    return {"excluded_applications": list(ids)} if ids else {}


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


def _apply(policy: AccessPolicy, state: dict) -> None:
    policy.name = state["name"]
    policy.description = state["description"]
    policy.policy_type = state["policy_type"]
    policy.approvals_required = state["approvals_required"]
    policy.save()
    policy.approver_groups.set(SecurityGroup.objects.filter(pk__in=state["approver_groups"]))
    policy.excluded_applications.set(
        User.objects.filter(pk__in=state.get("excluded_applications", []), is_application=True)
    )


class AccessPolicyOperation(Operation):
    code = CODE
    label = "Access policy change"
    workload = Workload.ACCESS_POLICIES
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
        policy = AccessPolicy(created_by=actor)
        try:
            with transaction.atomic():
                _apply(policy, payload["state"])
        except IntegrityError:
            # A concurrent submission for the same type won the race: the same answer as if
            # it had come first.
            self.validate(payload, actor)
            raise
        audit_record(actor=actor, action="policy.pending", target=policy, to_state=policy.status)
        return {**payload, "object_id": policy.pk}

    def execute(self, payload: dict, actor, origin: str) -> str:
        policy = _policy(payload, lock=True)
        before = policy.status
        action = payload["action"]
        if action == "create":
            policy.activate()
            policy.save()
        elif action == "update":
            _apply(policy, payload["state"])
            policy_requests_regrant(policy)
        else:
            policy.remove()
            policy.save()
        audit_record(
            actor=actor,
            action=f"policy.{action}",
            target=policy,
            from_state=before,
            to_state=policy.status,
            note=origin,
            data=policy_state(policy),
        )
        return (
            f"Access policy {policy.name} {action}d"
            if action != "create"
            else (f"Access policy {policy.name} is active")
        )

    def closed_without_completion(self, payload: dict) -> None:
        if payload["action"] == "create":
            policy = _policy(payload, lock=True)
            if policy.status == PolicyStatus.PENDING:
                policy.discard()
                policy.save()
                audit_record(
                    actor=None,
                    action="policy.discard",
                    target=policy,
                    from_state="pending",
                    to_state=policy.status,
                )


registry.register(AccessPolicyOperation())
