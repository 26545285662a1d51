"""Reads with rules for the approval flow: who may approve, what each user sees."""

from datetime import timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from rbac.catalogue import Perm
from rbac.models import GroupType, SecurityGroup, User
from rbac.selectors import access_for, permission_holders

from .approvers import ApproverRule, counted_groups
from .models import (
    AWAITING_REQUESTOR,
    OPEN_STATUSES,
    AccessPolicy,
    ApprovalRequest,
    ChatWebhook,
    Decision,
    ExecutionStatus,
    Filing,
    FilingStatus,
    PolicyStatus,
    RequestGroupPermission,
    RequestStatus,
    RequestUserPermission,
    Stage,
    Verdict,
    request_permission_ids,
    strictest,
)
from .operations import registry


def covering_policy(operation_code: str) -> AccessPolicy | None:
    """The active policy protecting this operation (through its workload or its action)."""
    return AccessPolicy.objects.filter(
        policy_type=registry.get(operation_code).policy_type, status=PolicyStatus.ACTIVE
    ).first()


def chat_listens(policy_id: int | None) -> bool:
    """Whether a chat webhook hears of this policy's requests (its own, or the tenant's)."""
    return ChatWebhook.objects.filter(Q(policy__isnull=True) | Q(policy_id=policy_id)).exists()


def filing_of(user, filing_id: int) -> Filing:
    """The user's own filing (nobody else's: it holds what they typed), or 404."""
    return get_object_or_404(Filing, pk=filing_id, requestor_id=user.pk)


def refused_filing(user, filing_id: str) -> Filing | None:
    """The user's own refused filing with this id (a form shows its refusal), or None."""
    if not filing_id.isdigit():
        return None
    return Filing.objects.filter(
        pk=filing_id, requestor_id=user.pk, status=FilingStatus.REFUSED
    ).first()


def filings_unfinished(user) -> list[Filing]:
    """The user's filings of the last day still being prepared or refused (My requests lists
    them: a refusal must not be lost with the page that waited for it)."""
    since = timezone.now() - timedelta(days=1)
    return list(
        Filing.objects.filter(
            requestor_id=user.pk,
            status__in=[FilingStatus.PREPARING, FilingStatus.REFUSED],
            created_at__gte=since,
        )
        .only("operation_type", "status", "refusal", "form_url", "created_at")
        .order_by("-pk")[:5]
    )


def open_request_for(target_key: str) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(target_key=target_key, status__in=OPEN_STATUSES).first()


def open_requests_by_key(target_keys) -> dict[str, ApprovalRequest]:
    """The open request of each of these targets, in one query (badges on list pages: their
    title, status and link)."""
    return {
        request.target_key: request
        for request in ApprovalRequest.objects.filter(
            target_key__in=list(target_keys), status__in=OPEN_STATUSES
        ).only("operation_type", "target_key", "status")
    }


def requests_for_target(target_key: str) -> QuerySet:
    """A target's request history, newest first (device page, policy page, ...)."""
    return ApprovalRequest.objects.filter(target_key=target_key).select_related("requestor")


def request_approvers(request: ApprovalRequest) -> QuerySet:
    """Everyone who may decide this request now; never its requestor."""
    return ApproverRule.of_request(request).users().exclude(pk=request.requestor_id)


def decision_refusal(request: ApprovalRequest, user, decisions=None) -> str | None:
    """Why `user` may not approve or reject `request` now, or None if they may. `decisions`:
    the request's decisions, when the caller has read them already (the request page)."""
    if user.pk == request.requestor_id:
        return "You cannot approve or reject your own request."
    if request.status != RequestStatus.NEEDS_APPROVAL:
        return f"This request is {request.get_status_display()}; there is nothing to decide."
    if decisions is not None:
        decided = any(d.approver_id == user.pk for d in decisions)
    else:
        decided = request.decisions.filter(approver=user).exists()
    if decided:
        return "You have already decided on this request."
    policy_name = request.policy.name if request.policy_id else ""
    return ApproverRule.of_request(request).refusal(user, policy_name)


def approvals_count(request: ApprovalRequest) -> int:
    """Approvals at the open stage."""
    return request.decisions.filter(verdict=Verdict.APPROVE, stage=request.stage).count()


def approver_setup_problems(*, policy_type: str, stages: list[Stage]) -> list[str]:
    """What would stop a policy with these stages from ever being satisfied."""
    return policies_setup_problems([(policy_type, stages)])[0]


def policies_setup_problems(policies) -> list[list[str]]:
    """`approver_setup_problems` for many (policy type, stages) at once, in four queries
    whatever their number: the Access policies page checks every policy.

    Every stage must be able to reach its quorum. Nobody approves at two stages of one request,
    so the stages together also need as many different eligible people as their quorums add up
    to.
    """
    policies = [(policy_type, list(stages)) for policy_type, stages in policies]
    checked = iter(
        _setups_problems(
            (policy_type, list(stage.group_ids), stage.approvals_required)
            for policy_type, stages in policies
            for stage in stages
        )
    )
    answers = []
    for _, stages in policies:
        problems, everyone = [], set()
        for stage in stages:
            stage_problems, eligible = next(checked)
            prefix = f"Stage {stage.position}: " if len(stages) > 1 else ""
            problems += [prefix + problem for problem in stage_problems]
            everyone |= eligible
        needed = sum(stage.approvals_required for stage in stages)
        if len(stages) > 1 and len(everyone) < needed:
            problems.append(
                f"The {len(stages)} stages need {needed} different approvers in all (nobody "
                f"approves at two stages of one request), but their groups hold only "
                f"{len(everyone)} eligible approver(s)."
            )
        answers.append(problems)
    return answers


def _setups_problems(setups) -> list[tuple[list[str], set[int]]]:
    """The problems and the eligible approvers of many (policy_type, group ids, approvals
    required), in four queries.

    Eligible approvers are found by the same ApproverRule that picks who is asked to decide,
    from the counted groups' members and the permission holders read once for all setups.
    """
    setups = list(setups)
    groups = {
        g.pk: g
        for g in SecurityGroup.objects.filter(
            pk__in={pk for _, group_ids, _ in setups for pk in group_ids}
        ).annotate(
            has_role_assignment=Exists(
                SecurityGroup.role_assignments.through.objects.filter(securitygroup=OuterRef("pk"))
            ),
            has_members=Exists(User.groups.through.objects.filter(group=OuterRef("auth_group"))),
        )
    }
    members: dict[int, set[int]] = {}
    for group_id, user_id in User.groups.through.objects.filter(
        group__security_group__in=counted_groups(list(groups)), user__is_application=False
    ).values_list("group__security_group", "user_id"):
        members.setdefault(group_id, set()).add(user_id)
    # The operations of one policy type share what approving them needs; any one tells.
    rules = [
        ApproverRule(registry.of_policy_type(policy_type)[0], group_ids)
        for policy_type, group_ids, _ in setups
    ]
    holders = permission_holders({code for rule in rules for code in rule.permissions})
    answers = []
    for rule, (_, _, approvals_required) in zip(rules, setups, strict=True):
        eligible = rule.eligible(members, holders)
        problems = _problems(
            rule,
            [groups[pk] for pk in rule.group_ids if pk in groups],
            approvals_required,
            len(eligible),
        )
        answers.append((problems, eligible))
    return answers


def _problems(rule: ApproverRule, groups, approvals_required: int, eligible: int) -> list[str]:
    problems = []
    if not groups:
        problems.append("Choose at least one approver group.")
    for group in groups:
        if group.group_type != GroupType.SECURITY:
            problems.append(
                f"{group.name} is a {group.get_group_type_display()} group; only security "
                "groups can approve."
            )
        if not group.has_role_assignment:
            problems.append(
                f"{group.name} has no role assignment. Intune cleans up the members of such "
                "groups and approvals silently stop: assign it a role first."
            )
        if not group.has_members:
            problems.append(f"{group.name} has no members.")
    if groups and eligible < approvals_required:
        problems.append(
            f"Only {eligible} eligible approver(s) for {approvals_required} approval(s) "
            f"required: approvers need {rule.needs()} through a role assignment."
        )
    return problems


def policy_problems(policy: AccessPolicy) -> list[str]:
    return approver_setup_problems(
        policy_type=policy.policy_type,
        stages=strictest(policy.stages(), policy.bulk_approvals_required),
    )


def request_approver_of_any(user) -> bool:
    """Could any request be sent to this user to decide?"""
    if access_for(user).has(Perm.MAA_APPROVE):
        return True
    return AccessPolicy.objects.filter(
        Q(approver_groups__auth_group__user=user)
        | Q(later_stages__approver_groups__auth_group__user=user),
        status__in=[PolicyStatus.ACTIVE, PolicyStatus.PENDING],
    ).exists()


def policies_health(policies=None) -> list[tuple[AccessPolicy, list[str]]]:
    """Every active policy with what is wrong with it (an empty list when healthy). `policies`:
    every active policy, read already with their stages (policy_list's), to read none again."""
    if policies is None:
        policies = list(
            AccessPolicy.objects.filter(status=PolicyStatus.ACTIVE).prefetch_related(
                "approver_groups", "later_stages__approver_groups"
            )
        )
    problems = policies_setup_problems(
        (p.policy_type, strictest(p.stages(), p.bulk_approvals_required)) for p in policies
    )
    return list(zip(policies, problems, strict=True))


def policy_list(status: str = "") -> QuerySet:
    qs = AccessPolicy.objects.prefetch_related(
        "approver_groups", "later_stages__approver_groups"
    ).select_related("created_by")
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status__in=[PolicyStatus.DISCARDED, PolicyStatus.DELETED])
    return qs


# How many approvals each listed request has at its current stage: a correlated subquery, not a
# join with GROUP BY, so the list's COUNT can skip it. Built once: the expression is the same for
# every list and user, and building it was a tenth of Admin tasks' queryset work.
_APPROVALS = Coalesce(
    Subquery(
        Decision.objects.filter(
            request=OuterRef("pk"), verdict=Verdict.APPROVE, stage=OuterRef("stage")
        )
        .order_by()
        .values("request")
        .annotate(n=Count("pk"))
        .values("n")
    ),
    0,
)


def _with_list_relations(qs: QuerySet) -> QuerySet:
    return (
        # Not the policy: no list shows it (25 policy models a page, about a twentieth of it).
        qs.select_related("requestor")
        # A row of a list shows neither: a bulk request pins its 10,000 devices in the payload
        # (60 kB of JSON), 50 of them on a page.
        .defer("payload", "summary")
        .annotate(approvals=_APPROVALS)
        .order_by("-created_at", "-pk")
    )


# What a row of the request tables reads (templates/jinja2/approvals/request_table.html and the
# pages' keyset cursors). A page builds 25 to 50 requests and their requestors: their whole rows
# (33 columns, and the requestor's 17 with their SCIM document) cost a tenth of Admin tasks. The
# FSM fields are among them, so no row ever loads one afterwards (a deferred field loads through
# refresh_from_db, which django-fsm-2 makes unsafe across threads); the lists' query-count test
# fails if a row reads anything else.
TABLE_FIELDS = [
    "operation_type",
    "target_label",
    "created_at",
    "expires_at",
    "status",
    "execution_status",
    "stage",
    "approvals_required",
    "requestor__username",
    "requestor__display_name",
    "requestor__first_name",
    "requestor__last_name",
]


def request_table(qs: QuerySet) -> QuerySet:
    """A request list's rows as the pages' tables show them (the API reads whole rows)."""
    return qs.only(*TABLE_FIELDS)


def undecided_by(qs: QuerySet, user) -> QuerySet:
    """Requests still waiting for this user's decision.

    NOT EXISTS, probed per open request by the one-decision-per-approver index: `pk NOT IN`
    hashed every decision the user ever gave first (500,000 for a busy approver at a million).
    """
    decided = Decision.objects.filter(request=OuterRef("pk"), approver=user)
    return qs.filter(~Exists(decided), status=RequestStatus.NEEDS_APPROVAL)


def _granted(user, codename: str) -> Q:
    """The request's django-guardian rows give `user` `codename`, through a group or directly.

    Built on guardian's direct foreign-key tables as one EXISTS, so PostgreSQL walks requests
    newest first probing the grants by index and stops at a page, instead of hashing every
    grant the user has (get_objects_for_user's `id IN (...) OR id IN (...)`). The user's groups
    come with their cached access; the direct-to-user arm is added only for a user who has such
    grants.
    """
    groups = sorted(access_for(user).group_ids)
    # The permission's id, not a join on its codename: PostgreSQL then knows how many grants
    # match and plans the probe instead of hashing them all.
    (permission,) = request_permission_ids([codename])
    condition = Exists(
        RequestGroupPermission.objects.filter(
            content_object=OuterRef("pk"), permission_id=permission, group__in=groups
        )
    )
    if user.directory_role:
        condition |= Exists(
            RequestUserPermission.objects.filter(
                content_object=OuterRef("pk"), permission_id=permission, user=user
            )
        )
    return condition


def requests_received_by(user) -> QuerySet:
    """Requests sent to this user to decide (django-guardian object permissions), not their own."""
    qs = ApprovalRequest.objects.filter(_granted(user, "decide_approvalrequest"))
    return _with_list_relations(qs.exclude(requestor=user))


def requests_visible_to(user) -> QuerySet:
    """Every request this user may read: their own and those sent to them (the API's list)."""
    own_or_granted = Q(requestor=user) | _granted(user, "decide_approvalrequest")
    return _with_list_relations(ApprovalRequest.objects.filter(own_or_granted))


def requests_of(user) -> QuerySet:
    return _with_list_relations(ApprovalRequest.objects.filter(requestor=user))


def _may_see(user, request_id: int, requestor_id: int) -> bool:
    """Their own request, or one sent to them: the request's own grants, probed by index
    (cheaper for one request than the list filter)."""
    if requestor_id == user.pk:
        return True
    # The user's groups and the permission's id as the lists read them (_granted): no join.
    (permission,) = request_permission_ids(["view_approvalrequest"])
    grants = {"content_object_id": request_id, "permission_id": permission}
    groups = access_for(user).group_ids
    return (
        RequestGroupPermission.objects.filter(group_id__in=groups, **grants).exists()
        or RequestUserPermission.objects.filter(user=user, **grants).exists()
    )


def _visible(user, queryset: QuerySet, request_id: int) -> ApprovalRequest:
    request = get_object_or_404(queryset.select_related("requestor", "policy"), pk=request_id)
    if not _may_see(user, request.pk, request.requestor_id):
        raise Http404("No such request.")
    return request


def request_visible_to(user, request_id: int) -> ApprovalRequest:
    """One request this user may open, or Http404."""
    return _visible(user, ApprovalRequest.objects.all(), request_id)


def request_page(user, request_id: int) -> ApprovalRequest:
    """request_visible_to for the request page: the payload is read only where the page shows
    something of it (Operation.page_reads_payload), or for the progress after the run. A bulk
    request's 10,000 device ids were an eighth of its page."""
    unread = [op.code for op in registry.all() if not op.page_reads_payload]
    page_payload = Case(
        When(
            Q(operation_type__in=unread) & ~Q(execution_status=ExecutionStatus.SUCCEEDED),
            then=Value(None),
        ),
        default=F("payload"),
        output_field=JSONField(),
    )
    queryset = ApprovalRequest.objects.defer("payload").annotate(page_payload=page_payload)
    request = _visible(user, queryset, request_id)
    if request.page_payload is not None:
        request.payload = request.page_payload
    return request


def request_ensure_visible(user, request_id: int) -> None:
    """request_visible_to's check alone, for a caller that reads the request itself: a bulk
    request's row carries 10,000 device ids, and reading them twice was a sixth of an
    approval."""
    requestor_id = (
        ApprovalRequest.objects.filter(pk=request_id).values_list("requestor_id", flat=True).first()
    )
    if requestor_id is None or not _may_see(user, request_id, requestor_id):
        raise Http404("No such request.")


def admin_tasks_for(user) -> QuerySet:
    """Admin tasks' main list: requests waiting for this user's decision, soonest due first.

    The user's own requests waiting for them are a separate, short list (`awaiting_requestor`):
    in one query, the OR of the two made PostgreSQL hash every grant the user holds on each
    page (70 ms at 100,000 requests) instead of probing the grants of the rows it shows.
    """
    granted = ApprovalRequest.objects.filter(_granted(user, "decide_approvalrequest"))
    to_decide = undecided_by(granted.exclude(requestor=user), user)
    return _with_list_relations(to_decide).order_by("expires_at", "pk")


def awaiting_requestor(user) -> QuerySet:
    """The user's own requests waiting for them: approved ones to Complete, failed executions
    to retry; soonest due first. A partial index holds only these rows."""
    qs = ApprovalRequest.objects.filter(AWAITING_REQUESTOR, requestor=user)
    return _with_list_relations(qs).order_by("expires_at", "pk")
