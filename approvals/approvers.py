"""Who may approve: the one statement of the rule that every approver check reads.

A person may decide a request when they are a member of one of its open stage's *counted* approver
groups (security groups with a role assignment: Intune empties the others) and hold every
permission approving its operation needs: Read on the kind of object, plus Approval for Multi
Admin Approval for access-policy changes. When no policy names approvers (an access-policy
change while no policy protects access policies), holding the permissions is enough.

Four readers ask it four ways, and each asks here: the users a request is sent to
(`ApproverRule.users`), why one person is refused (`refusal`), how many could approve a policy's
setup, for many policies at once (`eligible`), and which groups receive a request's view and
decide rows (`receiving_groups`). People only: an application (service principal) never
decides, as in Intune. Never the requestor, never twice: those are facts of one request, checked
by the flow (selectors.decision_refusal).
"""

from django.db.models import QuerySet

from rbac.catalogue import Perm
from rbac.models import GroupType, RoleAssignment, SecurityGroup, User
from rbac.selectors import user_has_perm, users_with_permission


def counted_groups(group_ids) -> QuerySet:
    """Approver groups whose membership counts: security groups with a role assignment.

    Intune cleans up the members of an approver group without a role assignment, so such a
    group is never relied on here.
    """
    return SecurityGroup.objects.filter(
        pk__in=group_ids, group_type=GroupType.SECURITY, role_assignments__isnull=False
    ).distinct()


class ApproverRule:
    def __init__(self, operation, group_ids=None):
        """`group_ids`: the policy's approver groups (ids or a values queryset), or None when
        no policy names approvers."""
        self.operation = operation
        self.group_ids = group_ids
        self.permissions = [operation.read_permission]
        if operation.needs_maa_approval_permission and Perm.MAA_APPROVE not in self.permissions:
            self.permissions.append(Perm.MAA_APPROVE)

    @classmethod
    def of_request(cls, request) -> "ApproverRule":
        """The rule of the request's open stage."""
        return cls(request.operation, request.stage_group_ids())

    def users(self) -> QuerySet:
        """Everyone the rule lets approve (the requestor included: the flow excludes them)."""
        qs = users_with_permission(self.permissions[0]).filter(is_application=False)
        for code in self.permissions[1:]:
            qs = qs.filter(pk__in=users_with_permission(code).values("pk"))
        if self.group_ids is not None:
            members = User.objects.filter(
                groups__security_group__in=counted_groups(self.group_ids)
            ).values("pk")
            qs = qs.filter(pk__in=members)
        return qs

    def refusal(self, user, policy_name: str = "") -> str | None:
        """Why the rule does not let `user` approve, or None if it does."""
        if user.is_application:
            return "Applications never approve or reject: an administrator decides, signed in."
        if self.group_ids is not None:
            # One query: the policy's groups the user is in, and whether any of them counts.
            member_of = SecurityGroup.objects.filter(
                pk__in=self.group_ids, auth_group__user=user
            ).values_list("pk", flat=True)
            counted = set(counted_groups(member_of).values_list("pk", flat=True))
            if not counted and not member_of.exists():
                return f"You are not a member of the approver groups of policy {policy_name}."
            if not counted:
                return (
                    "Your approver group has no role assignment (or is not a security group), "
                    "so its membership does not count for approvals."
                )
        for code in self.permissions:
            if not user_has_perm(user, code):
                if code == self.operation.read_permission:
                    return f"You need the permission {code} to approve this request."
                return "You need the permission Approval for Multi Admin Approval."
        return None

    def eligible(self, members: dict[int, set[int]], holders: dict[str, set[int]]) -> set[int]:
        """Who could approve, from the counted groups' members ({group id: user ids}, only
        counted groups) and the permission holders ({code: user ids}) read for many rules at
        once (selectors.policies_setup_problems)."""
        eligible = set().union(*(members.get(pk, set()) for pk in self.group_ids or ()))
        for code in self.permissions:
            eligible &= holders[code]
        return eligible

    def receiving_groups(self) -> QuerySet:
        """The groups a request is shown to: the policy's approver groups (a member of one that
        does not count sees the request and is told why they cannot decide), or, with no
        policy, the groups whose roles grant the permissions."""
        if self.group_ids is not None:
            return SecurityGroup.objects.filter(pk__in=self.group_ids)
        assignments = RoleAssignment.objects.all()
        for code in self.permissions:
            assignments = assignments.filter(role__permissions__code=code)
        return SecurityGroup.objects.filter(pk__in=assignments.values("members"))

    def needs(self) -> str:
        """The permissions, for a message: "managed_devices.read and maa.approval_..."."""
        return " and ".join(self.permissions)
