"""The engine's own protected type: access policies protect themselves, so every create, edit
and delete is a request. The writes it runs are services (approvals.policy_services); this is
the plug-in, as a domain's operations.py is."""

from django.conf import settings
from django.db import IntegrityError

from rbac.catalogue import Perm
from rbac.models import SecurityGroup, User

from . import windows
from .models import MAX_STAGES, AccessPolicy, PolicyStatus, stages_of_state, strictest
from .operations import Change, ModelOperation, OperationError, registry
from .operations.model import PERMISSION_OF_ACTION, VERBS
from .policy_services import (
    policy_change_apply,
    policy_create_pending,
    policy_discard_pending,
    policy_state,
)
from .selectors import approver_setup_problems
from .workload import ACCESS_POLICIES


def _group_names(ids) -> str:
    return ", ".join(sorted(g.name for g in SecurityGroup.objects.filter(pk__in=ids)))


def _hours(hours, default) -> str:
    if hours:
        return f"{hours} hours"
    return f"{default.total_seconds() / 3600:g} hours (the portal's default)"


def _threshold(state: dict) -> str:
    if not state.get("bulk_threshold"):
        return "none"
    more = state.get("bulk_approvals_required")
    return f"above {state['bulk_threshold']} devices" + (f", {more} approval(s)" if more else "")


def _readable(state: dict) -> dict:
    if not state:
        return {}
    later = {
        f"Stage {stage.position}": f"{_group_names(stage.group_ids)} "
        f"({stage.approvals_required} approval(s))"
        + (", only above the bulk threshold" if stage.bulk_only else "")
        for stage in stages_of_state(state)[1:]
    }
    return {
        "Name": state["name"],
        "Description": state["description"],
        "Protected operations": registry.policy_type_label(state["policy_type"]),
        "Approver groups": _group_names(state["approver_groups"]),
        "Approvals required": str(state["approvals_required"]),
        **later,
        "Break-glass group": _group_names([state["break_glass_group"]])
        if state.get("break_glass_group")
        else "none",
        "Approval window": _hours(state.get("approval_hours"), settings.MAA_NEEDS_APPROVAL_TTL),
        "Execution window": _hours(state.get("execution_hours"), settings.MAA_APPROVED_TTL),
        "Change windows": windows.describe(state.get("change_windows") or {}),
        "Bulk threshold": _threshold(state),
        "Exclusions (API applications)": ", ".join(
            sorted(
                str(app)
                for app in User.objects.filter(pk__in=state.get("excluded_applications", []))
            )
        )
        or "none",
    }


def _check_threshold(state: dict) -> None:
    threshold, above = state.get("bulk_threshold"), state.get("bulk_approvals_required")
    bulk_stages = [s for s in stages_of_state(state) if s.bulk_only]
    if threshold is not None and threshold < 1:
        raise OperationError("The bulk threshold is a number of devices, 1 or more.")
    if above is not None and not 1 <= above <= 10:
        raise OperationError("The approvals above the bulk threshold are 1 to 10.")
    if threshold and not (above or bulk_stages):
        raise OperationError(
            "A bulk threshold needs what it requires: more approvals, or a stage only above it."
        )
    if (above or bulk_stages) and not threshold:
        raise OperationError("Approvals or a stage above the bulk threshold need a threshold.")


class AccessPolicyOperation(ModelOperation):
    """ "policy.create", "policy.edit" and "policy.delete". A create's request names the
    pending policy it made (prepare), so every request's target is a policy."""

    prefix, noun = "policy", "access policy"
    detail_url = "approvals:policy_detail"
    verbs = {**VERBS, "create": "Create"}
    workload = ACCESS_POLICIES
    read_permission = Perm.MAA_APPROVE
    needs_maa_approval_permission = True
    always_protected = True
    permissions = {
        "create": Perm.MAA_POLICY_CREATE,
        "update": Perm.MAA_POLICY_UPDATE,
        "delete": Perm.MAA_POLICY_DELETE,
    }

    def objects(self):
        return AccessPolicy.objects.all()

    def object_state(self, policy) -> dict:
        return policy_state(policy)

    def changes(self, payload: dict) -> list[Change]:
        before = {} if self.action == "create" else _readable(self.state(payload))
        after = {} if self.action == "delete" else _readable(payload["state"])
        rows = [Change("Change", after=self.label)]
        for label in [
            "Name",
            "Description",
            "Protected operations",
            "Approver groups",
            "Approvals required",
            *[f"Stage {position}" for position in range(2, MAX_STAGES + 1)],
            "Break-glass group",
            "Approval window",
            "Execution window",
            "Change windows",
            "Bulk threshold",
            "Exclusions (API applications)",
        ]:
            rows.append(Change(label, before.get(label, ""), after.get(label, "")))
        return rows

    def validate(self, payload: dict, actor) -> None:
        policy = self.get_object(payload) if "object_id" in payload else None
        if self.action == "delete":
            if policy.status != PolicyStatus.ACTIVE:
                raise OperationError("Only an active policy can be deleted.")
            return
        if self.action == "edit" and policy.status != PolicyStatus.ACTIVE:
            raise OperationError("Only an active policy can be edited.")
        state = payload["state"]
        excluded = set(state.get("excluded_applications", []))
        if User.objects.filter(pk__in=excluded, is_application=True).count() != len(excluded):
            raise OperationError("An excluded application does not exist.")
        group = state.get("break_glass_group")
        if group and not SecurityGroup.objects.filter(pk=group).exists():
            raise OperationError("The break-glass group does not exist.")
        _check_threshold(state)
        if state.get("change_windows"):
            try:
                windows.check(windows.from_state(state["change_windows"])[1])
            except (windows.WindowError, KeyError, TypeError, ValueError) as exc:
                raise OperationError(f"The change windows cannot be used: {exc}") from exc
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
        stages = stages_of_state(state)
        if len(stages) > MAX_STAGES:
            raise OperationError(f"A policy has at most {MAX_STAGES} stages.")
        for stage in stages:
            if not stage.group_ids:
                raise OperationError(f"Stage {stage.position} has no approver group: choose one.")
        problems = approver_setup_problems(
            policy_type=state["policy_type"],
            stages=strictest(stages, state.get("bulk_approvals_required")),
        )
        if problems:
            raise OperationError(" ".join(problems))

    def execute(self, payload: dict, actor, origin: str) -> str:
        return policy_change_apply(
            policy_id=payload["object_id"],
            action=PERMISSION_OF_ACTION[self.action],  # the audit's words: create, update, delete
            state=payload.get("state"),
            actor=actor,
            origin=origin,
        )


@registry.register
class AccessPolicyCreate(AccessPolicyOperation):
    action = "create"

    def prepare(self, payload: dict, actor) -> dict:
        try:
            policy = policy_create_pending(actor=actor, state=payload["state"])
        except IntegrityError:
            # A concurrent submission for the same type won the race: the same answer as if
            # it had come first.
            self.validate(payload, actor)
            raise
        return {**payload, "object_id": policy.pk}

    def closed_without_completion(self, payload: dict) -> None:
        policy_discard_pending(policy_id=payload["object_id"])


@registry.register
class AccessPolicyEdit(AccessPolicyOperation):
    action = "edit"


@registry.register
class AccessPolicyDelete(AccessPolicyOperation):
    action = "delete"


def policy_target_key(policy_id: int) -> str:
    """The target key of every request about this policy (ModelOperation.target_key)."""
    return f"{AccessPolicyOperation.prefix}:{policy_id}"
