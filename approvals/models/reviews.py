from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    JUSTIFIED = "justified", "Justified"
    NOT_JUSTIFIED = "not_justified", "Not justified"


class BreakGlassReview(FSMModelMixin, models.Model):
    """The approvers' verdict on one break-glass run, due within MAA_BREAK_GLASS_REVIEW."""

    request = models.OneToOneField(
        "approvals.ApprovalRequest", on_delete=models.PROTECT, related_name="review"
    )
    status = FSMField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, protected=True
    )
    due_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(max_length=1024, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # When the policy admins were told it is overdue (once).
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["due_at", "id"], condition=models.Q(status="open"), name="review_due"
            )
        ]

    def __str__(self) -> str:
        return f"Review of break-glass request #{self.request_id}"

    @property
    def overdue(self) -> bool:
        return self.status == ReviewStatus.OPEN and self.due_at <= timezone.now()

    def _reviewed(self, reviewer, note: str):
        self.reviewer, self.note, self.reviewed_at = reviewer, note, timezone.now()

    @transition(field=status, source=ReviewStatus.OPEN, target=ReviewStatus.JUSTIFIED)
    def justify(self, reviewer, note: str):
        self._reviewed(reviewer, note)

    @transition(field=status, source=ReviewStatus.OPEN, target=ReviewStatus.NOT_JUSTIFIED)
    def condemn(self, reviewer, note: str):
        self._reviewed(reviewer, note)
