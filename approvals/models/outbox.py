from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """Follow-up work of a state change (a notice to send, an execution to run).

    Written in the same transaction as the change, so it exists exactly when the change does;
    the relay (approvals.outbox) hands it to Celery and keeps trying until the broker answers.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Could not be sent"


class Notice(models.Model):
    """One email about one request event to one person, sent at most once.

    Written by a worker from the outbox message the event left in its own transaction (so an
    outage loses none); the send re-checks that it still applies (an approver is not asked to
    decide a request cancelled meanwhile).
    """

    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="notices"
    )
    event = models.CharField(max_length=32)
    # Which occurrence of the event: a redelivered outbox message writes its notices once.
    event_key = models.UUIDField(null=True, blank=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=400)
    headline = models.CharField(max_length=400)
    with_decision_link = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING, db_index=True
    )
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A pending notice must be handled by then; past it the sweeper publishes it again (its
    # task may have been lost after it was published: a broker restarted empty).
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["event_key", "user"], name="notice_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["lease_until"], condition=models.Q(status="pending"), name="notice_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.user_id} ({self.get_status_display()})"
