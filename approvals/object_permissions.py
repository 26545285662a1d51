"""django-guardian rows on requests: who may view, decide, cancel and complete each one.

The lists (Received requests, Admin tasks) are built from these rows; the decision rules in
selectors.decision_refusal still apply on every decision; both read approvals.approvers.
"""

from rbac.models import SecurityGroup

from .approvers import ApproverRule
from .models import (
    ApprovalRequest,
    RequestGroupPermission,
    RequestStatus,
    RequestUserPermission,
    request_permission_ids,
)
from .models.requests import OPEN_STATUSES

APPROVER_PERMS = ("view_approvalrequest", "decide_approvalrequest")
REQUESTOR_PERMS = ("view_approvalrequest", "cancel_approvalrequest", "complete_approvalrequest")


def _approver_groups_and_users(request: ApprovalRequest):
    rule = ApproverRule.of_request(request)
    if request.policy_id:
        return rule.receiving_groups(), []
    # No policy names the approvers (an access-policy change with no policy for that type):
    # the groups whose roles let them approve, and the directory's administrators.
    return rule.receiving_groups(), rule.users().exclude(directory_role="")


def _grant(request: ApprovalRequest, codenames, *, users=(), groups=()) -> None:
    """Give these users and auth groups the permissions on the request: the rows guardian's
    assign_perm writes, in two INSERTs. assign_perm took four or five statements a row (its
    permission, get_or_create in a savepoint), 30 of the 49 statements of a filing."""
    permissions = request_permission_ids(codenames)
    RequestUserPermission.objects.bulk_create(
        [
            RequestUserPermission(user_id=user, permission_id=perm, content_object=request)
            for user in users
            for perm in permissions
        ],
        ignore_conflicts=True,  # granted already: as assign_perm, nothing changes
    )
    RequestGroupPermission.objects.bulk_create(
        [
            RequestGroupPermission(group_id=group, permission_id=perm, content_object=request)
            for group in groups
            for perm in permissions
        ],
        ignore_conflicts=True,
    )


def _grant_approvers(request: ApprovalRequest) -> None:
    groups, users = _approver_groups_and_users(request)
    _grant(
        request,
        APPROVER_PERMS,
        users=[user.pk for user in users],
        groups=list(groups.values_list("auth_group_id", flat=True)),
    )


def request_permissions_grant(request: ApprovalRequest) -> None:
    _grant(request, REQUESTOR_PERMS, users=[request.requestor_id])
    _grant_approvers(request)


def request_stage_regrant(request: ApprovalRequest) -> None:
    """A later stage opened: its groups may see and decide the request. The earlier stages'
    groups keep seeing it but no longer have it to decide."""
    RequestGroupPermission.objects.filter(
        content_object=request, permission__codename="decide_approvalrequest"
    ).delete()
    _grant_approvers(request)


def request_reviewers_grant(request: ApprovalRequest) -> None:
    """A break-glass run: every stage's approver groups see it, to review it."""
    groups = SecurityGroup.objects.filter(
        pk__in={pk for stage in request.stage_plan for pk in stage["approver_groups"]}
    )
    _grant(request, ["view_approvalrequest"], groups=groups.values_list("auth_group_id", flat=True))


def policy_requests_regrant(policy) -> None:
    """The policy's stages changed: its open requests take the new stages (each keeps the stage
    it reached, or the last one there is now) and go to the new groups."""
    for request in ApprovalRequest.objects.filter(policy=policy, status__in=OPEN_STATUSES):
        if request.status == RequestStatus.NEEDS_APPROVAL:
            # An approved one keeps the plan it was approved under: Complete compares it with
            # the policy's (services._ensure_plan_still_met).
            plan = policy.plan_for(request.operation.size(request.payload))
            request.stage_plan = plan
            request.stage = min(request.stage, len(plan))
            request.approvals_required = plan[request.stage - 1]["approvals_required"]
            request.save(update_fields=["stage_plan", "stage", "approvals_required"])
        RequestGroupPermission.objects.filter(content_object=request).delete()
        _grant_approvers(request)
