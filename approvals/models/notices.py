from django.conf import settings
from django.db import models
from django.utils import timezone


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Could not be sent"


class Notice(models.Model):
    """One email about one request event to one person, sent at most once.

    Written in the transaction of its event, so an outage loses none: the rows are the mail
    queue (approvals.delivery). The send re-checks that it still applies (an approver is not
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
        indexes = [
            models.Index(
                fields=["lease_until"], condition=models.Q(status="pending"), name="notice_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.user_id} ({self.get_status_display()})"
