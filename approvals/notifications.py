"""Who is told what, and the emails that tell them. Sent by Celery after the change commits."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from rbac.models import NotificationKind, User

from .links import decision_url
from .models import ApprovalRequest, Decision
from .selectors import request_approvers


@dataclass(frozen=True)
class Notice:
    user_id: int
    kind: str
    subject: str
    headline: str
    with_decision_link: bool = False


def _undecided_approvers(request: ApprovalRequest):
    decided = Decision.objects.filter(request=request).values("approver_id")
    return request_approvers(request).exclude(pk__in=decided)


def notices_for(request: ApprovalRequest, event: str) -> list[Notice]:
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
        notices.append(Notice(request.requestor_id, kind, f"{ref} {word}", headline))
    if event in ("submitted", "remind_approvers"):
        kind = NotificationKind.NEW_REQUEST if event == "submitted" else NotificationKind.REMINDER
        headline = (
            f"{request.requestor} asks for your approval."
            if event == "submitted"
            else "Reminder: this request still needs your decision."
        )
        for approver in _undecided_approvers(request):
            notices.append(Notice(approver.pk, kind, f"{ref} needs approval", headline, True))
    if event in ("approved", "rejected", "cancelled", "expired"):
        for approver in _undecided_approvers(request):
            notices.append(
                Notice(
                    approver.pk,
                    NotificationKind.NO_LONGER_NEEDED,
                    f"{ref} no longer needs you",
                    f"This request was {event}; it no longer needs your decision.",
                )
            )
    return notices


def notice_send(*, request_id: int, notice: Notice) -> bool:
    """Render and send one notice; False when the user opted out or has no address."""
    user = User.objects.get(pk=notice.user_id)
    if not user.email or not user.wants_notification(notice.kind):
        return False
    request = ApprovalRequest.objects.select_related("requestor", "policy").get(pk=request_id)
    context = {
        "user": user,
        "request": request,
        "headline": notice.headline,
        "request_url": settings.PORTAL_BASE_URL
        + reverse("approvals:request_detail", args=[request.pk]),
        "decision_url": decision_url(request, user) if notice.with_decision_link else "",
        "preferences_url": settings.PORTAL_BASE_URL + reverse("rbac:profile"),
    }
    message = EmailMultiAlternatives(
        subject=f"[MAA Portal] {notice.subject}",
        body=render_to_string("approvals/email/request_event.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("approvals/email/request_event.html", context), "text/html"
    )
    message.send()
    return True
