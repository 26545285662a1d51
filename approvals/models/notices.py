from django.conf import settings
from django.db import models
from django.utils import timezone

from .queues import LeasedRow


class NoticeBatch(LeasedRow, models.Model):
    """Request events whose notices a worker has yet to write: the mail queue's first stage.

    Kept because writing the notices in the event's own transaction was measured too slow
    (bench/, same machine and run conditions): a decision that tells a hundred other approvers
    took p50 56 ms instead of 22, and a burst's executions, writing each batch's "completed"
    notices, drained at 0.44 of the no-op task rate instead of 0.59 (the goal is 0.5). So an
    event leaves this one row; a worker writes its notices and deletes it in one transaction
    (once, whatever the redeliveries). It has a lease like every queue row: past it, the
    sweeper publishes it again.
    """

    events = models.JSONField()  # [[request id, event], ...]
    lease_until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["lease_until"], name="notice_batch_lease")]

    def __str__(self) -> str:
        return f"Notices of {self.events}"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Could not be sent"


class Delivery(LeasedRow, models.Model):
    """A message about a request event, sent at most once: the row is its queue (a lease, a
    sweeper) and keeps how it ended. An email (Notice) and a chat post (ChatPost) are ones."""

    status = models.CharField(
        max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING, db_index=True
    )
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A pending message must be handled by then; past it the sweeper publishes it again (its
    # task may have been lost after it was published: a broker restarted empty).
    lease_until = models.DateTimeField(null=True, blank=True)

    waiting = {"status": NoticeStatus.PENDING}

    class Meta:
        abstract = True

    def finish(self, status: str, detail: str = "") -> None:
        self.status, self.detail = status, detail[:1000]
        self.sent_at = timezone.now() if status == NoticeStatus.SENT else None
        self.save(update_fields=["status", "detail", "sent_at"])


class Notice(Delivery):
    """One email about one request event to one person, sent at most once.

    Written by a worker from its event's NoticeBatch, so an outage loses none: the rows are the
    mail queue (approvals.delivery). The send re-checks that it still applies (an approver is not
    asked to decide a request cancelled meanwhile).
    """

    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="notices"
    )
    event = models.CharField(max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=400)
    headline = models.CharField(max_length=400)
    with_decision_link = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["lease_until"], condition=models.Q(status="pending"), name="notice_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.user_id} ({self.get_status_display()})"
