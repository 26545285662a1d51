from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from rbac.models import SecurityGroup
from rbac.stepup import fresh_factor_required
from utilities.paginator import paginate

from ..filtersets import TO_DECIDE, RequestFilterSet
from ..forms import DecisionForm, ReviewForm
from ..models import ExecutionStatus, NoticeStatus, RequestStatus, Verdict
from ..reviews import break_glass_review, review_refusal
from ..selectors import (
    admin_tasks_for,
    awaiting_requestor,
    decision_refusal,
    filings_unfinished,
    request_approver_of_any,
    request_ensure_visible,
    request_page,
    request_table,
    requests_of,
    requests_received_by,
)
from ..services import (
    ApprovalDenied,
    ApprovalError,
    ApprovalInputError,
    request_approve,
    request_cancel,
    request_complete,
    request_reject,
    request_retry,
)

PAGE_SIZE = 25
AWAITING_SHOWN = 25


def _request_list(
    request, qs, *, tab: str, title: str, empty: str, default_status: str = "", **extra
):
    data = request.GET.copy()
    # Received requests opens on what needs my decision; "All statuses" is one click away.
    data.setdefault("status", default_status)
    filterset = RequestFilterSet(
        data, queryset=request_table(qs), request=request, to_decide=bool(default_status)
    )
    return render(
        request,
        "approvals/request_list.html",
        {
            "tab": tab,
            "title": title,
            "empty": empty,
            "form": filterset.form,
            **paginate(request, filterset.qs, PAGE_SIZE),
            "showing_to_decide": filterset.to_decide,
            **extra,
        },
    )


@login_required
def received_requests(request):
    empty = "No request waits for your decision."
    if not request_approver_of_any(request.user):
        empty = (
            "No request is sent to you: you are not in the approver group of any access policy, "
            "and you do not hold Approval for Multi Admin Approval. Your own requests are under "
            "My requests."
        )
    return _request_list(
        request,
        requests_received_by(request.user),
        tab="received",
        title="Received requests",
        empty=empty,
        default_status=TO_DECIDE,
    )


@login_required
def my_requests(request):
    return _request_list(
        request,
        requests_of(request.user),
        tab="mine",
        title="My requests",
        empty="You have not asked for any protected operation.",
        filings=filings_unfinished(request.user),
    )


@login_required
def admin_tasks(request):
    listing = paginate(request, request_table(admin_tasks_for(request.user)), PAGE_SIZE)
    # One row past the page says whether My requests holds more.
    awaiting = list(request_table(awaiting_requestor(request.user))[: AWAITING_SHOWN + 1])
    return render(
        request,
        "approvals/admin_tasks.html",
        {
            **listing,
            "awaiting": awaiting[:AWAITING_SHOWN],
            "awaiting_more": len(awaiting) > AWAITING_SHOWN,
        },
    )


def execution_context(approval_request) -> dict:
    steps = approval_request.progress
    in_flight = approval_request.execution_status in (
        ExecutionStatus.QUEUED,
        ExecutionStatus.RUNNING,
    )
    return {
        "req": approval_request,
        "steps": steps,
        # Poll while the run or the target's steps are not over; a final state stops it.
        "polling": in_flight or any(not step.done for step in steps),
    }


def stages_context(approval_request, decisions) -> list[dict]:
    """Every stage of a multi-stage request: its groups, who approved at it and when, and what
    is missing. Empty for one stage, which the Approvals line says all about."""
    plan = approval_request.stage_plan
    if len(plan) < 2:
        return []
    names = dict(
        SecurityGroup.objects.filter(
            pk__in={pk for stage in plan for pk in stage["approver_groups"]}
        ).values_list("pk", "name")
    )
    rows = []
    for position, stage in enumerate(plan, start=1):
        approved = [d for d in decisions if d.stage == position and d.verdict == Verdict.APPROVE]
        if position < approval_request.stage:
            state = "Approved"
        elif position > approval_request.stage:
            state = "Not open yet"
        elif approval_request.status == RequestStatus.NEEDS_APPROVAL:
            state = "Waiting for approvals"
        else:
            state = approval_request.get_status_display()
        rows.append(
            {
                "position": position,
                "groups": sorted(names.get(pk, f"#{pk}") for pk in stage["approver_groups"]),
                "required": stage["approvals_required"],
                "approved": approved,
                "missing": max(stage["approvals_required"] - len(approved), 0),
                "state": state,
            }
        )
    return rows


def review_context(approval_request, user) -> dict:
    if not approval_request.break_glass:
        return {}
    review = approval_request.review
    refusal = review_refusal(review, user)
    return {"review": review, "may_review": refusal is None, "review_form": ReviewForm()}


def request_context(request, approval_request, *, link_claim=None) -> dict:
    user = request.user
    is_requestor = user.pk == approval_request.requestor_id
    decisions = list(approval_request.decisions.select_related("approver"))
    refusal = decision_refusal(approval_request, user, decisions)
    return {
        "req": approval_request,
        "tab": "mine" if is_requestor else "received",
        # The decisions are listed anyway: the approvals are counted from them.
        "approvals": sum(
            d.verdict == Verdict.APPROVE and d.stage == approval_request.stage for d in decisions
        ),
        "decisions": decisions,
        "stages": stages_context(approval_request, decisions),
        **review_context(approval_request, user),
        "timeline": AuditEvent.objects.for_request(approval_request.pk),
        "decision_form": DecisionForm(),
        "may_decide": refusal is None,
        "refusal": refusal,
        "may_complete": is_requestor and approval_request.status == RequestStatus.APPROVED,
        "may_cancel": is_requestor
        and (
            approval_request.is_open
            or approval_request.execution_status == ExecutionStatus.SCHEDULED
        ),
        "may_retry": is_requestor and approval_request.execution_status == ExecutionStatus.FAILED,
        "link_claim": link_claim,
        **execution_context(approval_request),
        # The channels a post about the request could not reach, for whoever reads it.
        "failed_chat_posts": approval_request.chat_posts.filter(
            status=NoticeStatus.FAILED
        ).select_related("webhook"),
        # Never silent: the requestor sees every email about the request that could not go out.
        "failed_notices": approval_request.notices.filter(
            status=NoticeStatus.FAILED
        ).select_related("user")
        if is_requestor
        else [],
    }


@require_POST
@login_required
@fresh_factor_required("review a break-glass run")
def request_review(request, pk):
    """An approver's verdict on a break-glass run: justified or not, with a note."""
    request_ensure_visible(request.user, pk)
    note = request.POST.get("note", "")
    verdict = request.POST.get("verdict")
    try:
        if verdict not in ("justified", "not_justified"):
            raise ApprovalInputError("Choose Justified or Not justified.")
        break_glass_review(
            request_id=pk, reviewer=request.user, justified=verdict == "justified", note=note
        )
    except ApprovalDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except ApprovalError as exc:
        messages.error(request, str(exc))
        context = request_context(request, request_page(request.user, pk))
        context["review_form"] = ReviewForm(initial={"note": note})
        status = 400 if isinstance(exc, ApprovalInputError) else 409
        return render(request, "approvals/request_detail.html", context, status=status)
    messages.success(request, "Your review was recorded.")
    return redirect("approvals:request_detail", pk)


@login_required
def request_execution(request, pk):
    """The execution section alone, for the request page's live updates."""
    if not request.htmx:
        return redirect("approvals:request_detail", pk)
    approval_request = request_page(request.user, pk)
    return render(request, "approvals/execution.html", execution_context(approval_request))


@login_required
def request_detail(request, pk):
    approval_request = request_page(request.user, pk)
    return render(
        request, "approvals/request_detail.html", request_context(request, approval_request)
    )


ACTIONS = {
    "approve": lambda req_id, user, note: request_approve(
        request_id=req_id, approver=user, note=note
    ),
    "reject": lambda req_id, user, note: request_reject(
        request_id=req_id, approver=user, note=note
    ),
    "complete": lambda req_id, user, note: request_complete(request_id=req_id, actor=user),
    "cancel": lambda req_id, user, note: request_cancel(request_id=req_id, actor=user, note=note),
    "retry": lambda req_id, user, note: request_retry(request_id=req_id, actor=user),
}
# The service refuses these to anyone but the request's requestor, so the view need not read
# the request before calling it: one query less on Complete, the busiest of them.
REQUESTOR_ONLY = {"complete", "cancel", "retry"}
DONE = {
    "approve": "Your approval was recorded.",
    "reject": "The request was rejected.",
    "complete": "Completed: the operation is queued to run.",
    "cancel": "The request was cancelled.",
    "retry": "The execution was queued again.",
}


# What asks for a fresh second factor (rbac.stepup): the decisions, and Complete, which runs the
# operation; cancelling and retrying change nothing that was decided.
STEPUP = {
    "approve": "approve this request",
    "reject": "reject this request",
    "complete": "complete this request",
}


@require_POST
@login_required
@fresh_factor_required(lambda kwargs: STEPUP.get(kwargs["action"]))
def request_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    if action not in REQUESTOR_ONLY:
        # A decision is checked against the policy's approver groups as they are now; the
        # request's own grants decide who may see it, and so who may act on it at all.
        request_ensure_visible(request.user, pk)
    note = request.POST.get("note", "")
    try:
        acted_on = ACTIONS[action](pk, request.user, note)
    except ApprovalDenied as exc:
        if action in REQUESTOR_ONLY:
            # Only the requestor acts on their own request, and they always see it: the service
            # refused anyone else. A stranger learns nothing, not even that the request exists.
            request_ensure_visible(request.user, pk)
        raise PermissionDenied(str(exc)) from exc
    except ApprovalError as exc:
        # Read before the message is stored: a stranger gets a 404 and no message.
        # Fetched again, not refresh_from_db(): that is not thread-safe on django-fsm-2 models.
        approval_request = request_page(request.user, pk)
        # Render the page again so the approver notes typed are not lost.
        messages.error(request, str(exc))
        context = request_context(request, approval_request)
        context["decision_form"] = DecisionForm(initial={"note": note})
        # One refusal, one answer: what was typed is 400, the request's state 409, as the
        # links and the API answer.
        status = 400 if isinstance(exc, ApprovalInputError) else 409
        return render(request, "approvals/request_detail.html", context, status=status)
    done = DONE[action]
    if acted_on.execution_status == ExecutionStatus.SCHEDULED:
        done = (
            f"Completed: it is scheduled to run at {acted_on.scheduled_for:%Y-%m-%d %H:%M} UTC "
            "(its run at, or its policy's next change window)."
        )
    messages.success(request, done)
    return redirect("approvals:request_detail", pk)
