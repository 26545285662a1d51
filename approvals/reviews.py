"""The review of break-glass runs: the policy's approvers say whether each emergency was
justified, within MAA_BREAK_GLASS_REVIEW; past it the policy admins are told.

A break-glass run is filed by services.operation_break_glass, which opens its review.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.chain import audit_record

from .approvers import ApproverRule
from .models import BreakGlassReview, ReviewStatus
from .notifications import notices_queue
from .services import ApprovalDenied, ApprovalError, check_text


def review_refusal(review: BreakGlassReview, user) -> str | None:
    """Why `user` may not review this run now, or None: an approver of any of the policy's
    stages (as the request pinned them), never the person who broke the glass."""
    request = review.request
    if user.pk == request.requestor_id:
        return "You cannot review your own break-glass run."
    if review.status != ReviewStatus.OPEN:
        return f"This run was already reviewed: {review.get_status_display().lower()}."
    refusals = [
        ApproverRule(request.operation, stage["approver_groups"]).refusal(user, request.policy.name)
        for stage in request.stage_plan
    ]
    if all(refusals):
        return refusals[0]
    return None


def break_glass_review(*, request_id: int, reviewer, justified: bool, note: str):
    """Close the review of a break-glass run as justified or not, with a note (required)."""
    note = check_text(note, "Review note", required=True)
    with transaction.atomic():
        review = (
            BreakGlassReview.objects.select_for_update(of=("self",))
            .select_related("request__requestor", "request__policy")
            .filter(request_id=request_id)
            .first()
        )
        if review is None:
            raise ApprovalError(f"Request #{request_id} was not a break-glass run.")
        refusal = review_refusal(review, reviewer)
        if refusal:
            if review.status != ReviewStatus.OPEN and review.request.requestor_id != reviewer.pk:
                raise ApprovalError(refusal)
            raise ApprovalDenied(refusal)
        before = review.status
        if justified:
            review.justify(reviewer, note)
        else:
            review.condemn(reviewer, note)
        review.save()
        request = review.request
        audit_record(
            actor=reviewer,
            action="break_glass.review",
            target=request,
            from_state=before,
            to_state=review.status,
            note=note,
            request_id=request.pk,
            data={"verdict": review.status, "requestor": request.requestor_id},
        )
        if not justified:
            # On the requestor's own record too: their profile and the audit export show it.
            audit_record(
                actor=reviewer,
                action="break_glass.not_justified",
                target=request.requestor,
                note=f"Break-glass request #{request.pk} ({request.title} of "
                f"{request.target_label}) was not justified: {note}",
                request_id=request.pk,
            )
        notices_queue(request, "reviewed")
    return review


def reviews_overdue() -> QuerySet:
    """Open reviews past their time, oldest first (the health panel shows them red)."""
    return (
        BreakGlassReview.objects.filter(status=ReviewStatus.OPEN, due_at__lte=timezone.now())
        .select_related("request__requestor", "request__policy")
        .order_by("due_at", "pk")
    )


def reviews_escalate_due(*, now=None) -> int:
    """Tell the policy admins of each overdue review, once; returns how many."""
    now = now or timezone.now()
    escalated = 0
    due = BreakGlassReview.objects.filter(
        status=ReviewStatus.OPEN, due_at__lte=now, escalated_at__isnull=True
    )
    for review_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            review = (
                BreakGlassReview.objects.select_for_update(of=("self",))
                .select_related("request")
                .get(pk=review_id)
            )
            if review.status != ReviewStatus.OPEN or review.escalated_at:
                continue
            BreakGlassReview.objects.filter(pk=review_id).update(escalated_at=now)
            audit_record(
                actor="scheduler",
                action="break_glass.overdue",
                target=review.request,
                note=f"Not reviewed by {review.due_at:%Y-%m-%d %H:%M} UTC; policy admins told",
                request_id=review.request_id,
            )
            notices_queue(review.request, "break_glass_overdue")
            escalated += 1
    return escalated
