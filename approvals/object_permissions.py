"""django-guardian rows on requests: who may view, decide, cancel and complete each one.

The lists (Received requests, Admin tasks) are built from these rows; the decision rules in
selectors.decision_refusal still apply on every decision.
"""

from guardian.shortcuts import assign_perm

from rbac.catalogue import Perm
from rbac.models import RoleAssignment, SecurityGroup
from rbac.selectors import users_with_permission

from .models import ApprovalRequest, RequestGroupPermission
from .models.requests import OPEN_STATUSES

APPROVER_PERMS = ("view_approvalrequest", "decide_approvalrequest")
REQUESTOR_PERMS = ("view_approvalrequest", "cancel_approvalrequest", "complete_approvalrequest")


def _approver_groups_and_users(request: ApprovalRequest):
    if request.policy_id:
        return request.policy.approver_groups.all(), []
    # No policy names the approvers (an access-policy change with no policy for that type):
    # everyone holding the approval permission receives it.
    holders = RoleAssignment.objects.filter(role__permissions__code=Perm.MAA_APPROVE).values(
        "members"
    )
    users = users_with_permission(Perm.MAA_APPROVE).exclude(directory_role="")
    return SecurityGroup.objects.filter(pk__in=holders), users


def _grant_approvers(request: ApprovalRequest) -> None:
    groups, users = _approver_groups_and_users(request)
    for group in groups.select_related("auth_group"):
        for perm in APPROVER_PERMS:
            assign_perm(f"approvals.{perm}", group.auth_group, request)
    for user in users:
        for perm in APPROVER_PERMS:
            assign_perm(f"approvals.{perm}", user, request)


def request_permissions_grant(request: ApprovalRequest) -> None:
    for perm in REQUESTOR_PERMS:
        assign_perm(f"approvals.{perm}", request.requestor, request)
    _grant_approvers(request)


def policy_requests_regrant(policy) -> None:
    """The policy's approver groups changed: its open requests go to the new groups."""
    for request in ApprovalRequest.objects.filter(policy=policy, status__in=OPEN_STATUSES):
        RequestGroupPermission.objects.filter(content_object=request).delete()
        _grant_approvers(request)
