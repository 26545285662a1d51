from django.conf import settings
from django.db import models
from django.utils import timezone

from .notices import Delivery


class ChatKind(models.TextChoices):
    TEAMS = "teams", "Microsoft Teams (Workflows incoming webhook)"
    SLACK = "slack", "Slack incoming webhook"


class ChatWebhook(models.Model):
    """A channel told of requests: for one policy's requests, or (no policy) for every request.

    The URL is a secret (anyone holding it posts to the channel): it is stored encrypted
    (approvals.chat.seal) and shown only as a hint once saved.
    """

    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=8, choices=ChatKind.choices)
    policy = models.ForeignKey(
        "approvals.AccessPolicy",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_webhooks",
    )
    url_sealed = models.TextField()
    url_hint = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ChatPost(Delivery):
    """One request event posted to one channel, at most once; the rows are the queue, as the
    emails' are (a lease, a sweeper, a visible failure)."""

    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="chat_posts"
    )
    webhook = models.ForeignKey(ChatWebhook, on_delete=models.CASCADE, related_name="posts")
    event = models.CharField(max_length=32)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["lease_until"], condition=models.Q(status="pending"), name="chat_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} of #{self.request_id} to {self.webhook} ({self.get_status_display()})"
