"""Who is told what, and the emails that tell them.

A request event leaves one NoticeBatch row in its own transaction; a worker writes the notices
from it (one row per recipient) and queues them. The rows are the mail queue
(approvals.delivery). A worker sends each one at most once, after checking it still applies. A
notice that cannot be sent is kept as failed, shown on the request and audited.
"""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.chain import audit_record
from rbac.catalogue import Perm
from rbac.models import NotificationKind, User
from rbac.selectors import users_with_permission
from utilities.mail import TRANSIENT_MAIL_ERRORS

from .approvers import ApproverRule
from .chat import chat_posts_recover, chat_posts_write
from .delivery import notices_wake, notices_write_wake
from .links import decision_url
from .models import (
    ApprovalRequest,
    Decision,
    ExecutionStatus,
    Notice,
    NoticeBatch,
    NoticeStatus,
    RequestStatus,
    ReviewStatus,
)
from .selectors import request_approvers


@dataclass(frozen=True)
class NoticeSpec:
    user_id: int
    kind: str
    subject: str
    headline: str
    with_decision_link: bool = False


def _every_stage_approvers(request: ApprovalRequest):
    """Everyone who could approve at any of the request's stages, never its requestor."""
    users = User.objects.none()
    for stage in request.stage_plan:
        users = users | ApproverRule(request.operation, stage["approver_groups"]).users()
    return users.exclude(pk=request.requestor_id).distinct()


def _undecided_approvers(request: ApprovalRequest):
    decided = Decision.objects.filter(request=request).values("approver_id")
    return request_approvers(request).exclude(pk__in=decided)


# The events that ask the open stage's approvers to decide.
APPROVER_ASKED = ("submitted", "stage_opened", "remind_approvers")


def notices_for(request: ApprovalRequest, event: str) -> list[NoticeSpec]:
    """The emails one event of a request produces, one per recipient."""
    ref = f"Request #{request.pk}: {request.title} of {request.target_label}"
    requestor_notice = {
        "approved": (
            NotificationKind.DECIDED,
            "approved",
            "Your request was approved. Open it and Complete to run it.",
        ),
        "rejected": (NotificationKind.DECIDED, "rejected", "Your request was rejected."),
        "expired": (
            NotificationKind.EXPIRED,
            "expired",
            "Your request expired before it was completed.",
        ),
        "completed": (
            NotificationKind.COMPLETED,
            "completed",
            "Your request was completed and queued to run.",
        ),
        "execution_failed": (
            NotificationKind.EXECUTION_FAILED,
            "failed to run",
            "The operation failed to run. Open the request to see the error and retry.",
        ),
        "remind_requestor": (
            NotificationKind.REMINDER,
            "waits for Complete",
            "Your request is approved but not carried out yet: open it and press Complete.",
        ),
    }
    notices = []
    if event in requestor_notice:
        kind, word, headline = requestor_notice[event]
        notices.append(NoticeSpec(request.requestor_id, kind, f"{ref} {word}", headline))
    if event in APPROVER_ASKED:
        kind = (
            NotificationKind.REMINDER
            if event == "remind_approvers"
            else NotificationKind.NEW_REQUEST
        )
        headline = {
            "submitted": f"{request.requestor} asks for your approval.",
            "stage_opened": f"Stage {request.stage - 1} approved; {request.requestor} asks for "
            f"your approval at stage {request.stage} of {request.stage_count}.",
            "remind_approvers": "Reminder: this request still needs your decision.",
        }[event]
        for approver in _undecided_approvers(request):
            notices.append(NoticeSpec(approver.pk, kind, f"{ref} needs approval", headline, True))
    if event == "break_glass":
        headline = (
            f"Emergency: {request.requestor} broke the glass and ran this at once, without "
            "approval. Review it: was it justified?"
        )
        for approver in _every_stage_approvers(request):
            notices.append(
                NoticeSpec(
                    approver.pk, NotificationKind.BREAK_GLASS, f"{ref} ran by break-glass", headline
                )
            )
    if event == "break_glass_overdue":
        for admin in users_with_permission(Perm.MAA_POLICY_UPDATE).exclude(is_application=True):
            notices.append(
                NoticeSpec(
                    admin.pk,
                    NotificationKind.BREAK_GLASS,
                    f"{ref}: break-glass run not reviewed in time",
                    "Nobody reviewed this break-glass run in time. Make sure the approvers of "
                    f"the policy {request.policy.name} review it.",
                )
            )
    if event == "reviewed":
        review = request.review
        notices.append(
            NoticeSpec(
                request.requestor_id,
                NotificationKind.BREAK_GLASS,
                f"{ref}: break-glass run reviewed",
                f"Your break-glass run was reviewed by {review.reviewer}: "
                f"{review.get_status_display().lower()}. “{review.note}”",
            )
        )
    if event in ("approved", "rejected", "cancelled", "expired"):
        for approver in _undecided_approvers(request):
            notices.append(
                NoticeSpec(
                    approver.pk,
                    NotificationKind.NO_LONGER_NEEDED,
                    f"{ref} no longer needs you",
                    f"This request was {event}; it no longer needs your decision.",
                )
            )
    return notices


def safe_subject(text: str) -> str:
    """One line: a CR or LF (from a policy or device name) would make the mail unsendable."""
    return " ".join(text.split())[:300]


def notices_queue(request: ApprovalRequest, event: str) -> None:
    """Queue the event's notices; call inside the event's transaction."""
    notices_queue_each([(request, event)])


def notices_queue_each(events) -> None:
    """notices_queue for several (request, event) pairs (a batch of executions tells each
    requestor) in one NoticeBatch, which a worker turns into notices (notices_write)."""
    events = [[request.pk, str(event)] for request, event in events]
    if events:
        lease_until = timezone.now() + settings.MAA_NOTICE_LEASE
        notices_write_wake(NoticeBatch.objects.create(events=events, lease_until=lease_until).pk)


def notices_write(*, batch_id: int) -> list[int]:
    """Write the notices of a NoticeBatch and delete it, in one transaction: a redelivery finds
    it gone (or locked, by the delivery at work) and writes nothing. Queues the notices for
    sending; returns their ids."""
    with transaction.atomic():
        batch = NoticeBatch.objects.select_for_update(skip_locked=True).filter(pk=batch_id).first()
        if batch is None:
            return []
        requests = ApprovalRequest.objects.select_related("requestor", "policy").in_bulk(
            {request_id for request_id, _ in batch.events}
        )
        lease_until = timezone.now() + settings.MAA_NOTICE_LEASE
        notices = Notice.objects.bulk_create(
            Notice(
                lease_until=lease_until,
                request=requests[request_id],
                event=event,
                user_id=spec.user_id,
                kind=spec.kind,
                subject=safe_subject(f"[MAA Portal] {spec.subject}"),
                headline=spec.headline[:400],
                with_decision_link=spec.with_decision_link,
            )
            for request_id, event in batch.events
            if request_id in requests
            for spec in notices_for(requests[request_id], event)
        )
        chat_posts_write(
            [
                (requests[request_id], event)
                for request_id, event in batch.events
                if request_id in requests
            ],
            lease_until,
        )
        batch.delete()
        ids = [notice.pk for notice in notices]
        notices_wake(ids)
        return ids


def notices_lease(*, notice_ids, seconds: float = 0) -> None:
    """Leave these pending notices to the task that holds them for `seconds` (a retry's wait)
    more than the lease."""
    Notice.lease_extend(notice_ids, lease=settings.MAA_NOTICE_LEASE, seconds=seconds)


def notices_recover(*, now=None, batch: int = 100) -> int:
    """Publish again the notice batches and pending notices whose lease ran out: their task was
    lost after it was published, or never ran. Each batch is still written once, each notice
    sent at most once (both are locked and checked). Returns how many notices (and batches)."""
    now = now or timezone.now()
    with transaction.atomic():
        batch_ids = NoticeBatch.lease_renew_expired(
            now=now, lease=settings.MAA_NOTICE_LEASE, batch=batch
        )
        for batch_id in batch_ids:
            notices_write_wake(batch_id)
    recovered = len(batch_ids) + chat_posts_recover(now=now, batch=batch)
    while True:
        with transaction.atomic():
            ids = Notice.lease_renew_expired(now=now, lease=settings.MAA_NOTICE_LEASE, batch=batch)
            if not ids:
                return recovered
            notices_wake(ids)
        recovered += len(ids)


def _no_longer_applies(notice: Notice) -> str:
    """Why sending this notice now would mislead, or "" when it still applies."""
    request = notice.request
    if notice.event in APPROVER_ASKED:
        if request.status != RequestStatus.NEEDS_APPROVAL:
            return f"the request is {request.get_status_display().lower()}"
        if Decision.objects.filter(request=request, approver_id=notice.user_id).exists():
            return "the approver has decided"
    if notice.event == "break_glass_overdue" and request.review.status != ReviewStatus.OPEN:
        return "the run was reviewed"
    if notice.event == "remind_requestor" and (
        request.status != RequestStatus.APPROVED
        or request.execution_status != ExecutionStatus.NOT_STARTED
    ):
        return f"the request is {request.get_status_display().lower()}"
    return ""


def _finish(notice: Notice, status: str, detail: str = "") -> Notice:
    notice.finish(status, detail)
    if status == NoticeStatus.FAILED:
        audit_record(
            actor="worker",
            action="notice.failed",
            target=notice.request,
            note=f"Email to {notice.user} ({notice.subject}) could not be sent: {detail}",
            request_id=notice.request_id,
        )
    return notice


# The events that are not named after the status they leave: the rest are ("approved", ...).
EVENT_STATUS = {
    "submitted": RequestStatus.NEEDS_APPROVAL,
    "stage_opened": RequestStatus.NEEDS_APPROVAL,
    "execution_failed": RequestStatus.COMPLETED,
}


def _status_line(notice: Notice) -> str:
    """The status the notice's event left, and the current one beside it when they differ.

    An email is rendered when it is sent, which can be after the request moved on (the
    requestor completed before the "approved" email went). A reminder is about the request
    as it is.
    """
    request = notice.request
    now = request.get_status_display()
    event = notice.event
    at_event = RequestStatus(event) if event in RequestStatus.values else EVENT_STATUS.get(event)
    if at_event is None or at_event == request.status:
        return now
    return f"{at_event.label} (now {now})"


def _message(notice: Notice, connection=None) -> EmailMultiAlternatives:
    request, user = notice.request, notice.user
    context = {
        "user": user,
        "request": request,
        "status": _status_line(notice),
        "headline": notice.headline,
        "request_url": settings.PORTAL_BASE_URL
        + reverse("approvals:request_detail", args=[request.pk]),
        "decision_url": decision_url(request, user) if notice.with_decision_link else "",
        "preferences_url": settings.PORTAL_BASE_URL + reverse("rbac:profile"),
    }
    message = EmailMultiAlternatives(
        subject=notice.subject,  # made one line when the notice was written
        body=render_to_string("approvals/email/request_event.txt", context),
        to=[user.email],
        connection=connection,
    )
    message.attach_alternative(
        render_to_string("approvals/email/request_event.html", context), "text/html"
    )
    return message


def notice_deliver(*, notice_id: int, connection=None) -> Notice | None:
    """Send one notice, at most once, over `connection` (a mail backend, opened by the caller
    for several notices) or a connection of its own. Transient mail errors propagate for the
    task to retry. A notice that is gone (a broker message outliving its row) sends nothing."""
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("user", "request__requestor", "request__policy")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None or notice.status != NoticeStatus.PENDING:
            return notice
        user: User = notice.user
        if not user.email or not user.wants_notification(notice.kind):
            return _finish(notice, NoticeStatus.SKIPPED, "no address, or the user opted out")
        reason = _no_longer_applies(notice)
        if reason:
            return _finish(notice, NoticeStatus.SKIPPED, f"no longer applies: {reason}")
        try:
            _message(notice, connection).send()
        except TRANSIENT_MAIL_ERRORS:
            raise
        except (BadHeaderError, ValueError, smtplib.SMTPException) as exc:
            return _finish(notice, NoticeStatus.FAILED, str(exc) or type(exc).__name__)
        return _finish(notice, NoticeStatus.SENT)


def notice_failed(*, notice_id: int, error: str) -> Notice | None:
    """The mail server stayed unreachable through every retry."""
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update()
            .select_related("user", "request")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None or notice.status != NoticeStatus.PENDING:
            return notice
        return _finish(notice, NoticeStatus.FAILED, error)
