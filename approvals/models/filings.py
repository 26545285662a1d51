from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from .queues import LeasedRow


class FilingStatus(models.TextChoices):
    PREPARING = "preparing", "Being prepared"
    FILED = "filed", "Filed"
    REFUSED = "refused", "Refused"


class Filing(LeasedRow, FSMModelMixin, models.Model):
    """A request that a worker files, for an operation whose preparation reads more than a
    page may: a bulk action over "all devices matching this filter" resolves, checks, counts
    and pins 10,000 devices (about 120 ms of SQL; a page's budget is 25). The page writes this
    row and answers at once; the worker files the request exactly as the page would have
    (approvals.filings), and the requestor's page follows it to the request, or back to the
    form with the refusal and what they typed.

    The row is its own queue (approvals.delivery): a worker takes it under a row lock, and past
    its lease the sweeper publishes it again.
    """

    operation_type = models.CharField(max_length=40)
    # What the page sent (a bulk action: its selection); the operation's prepare() resolves it.
    payload = models.JSONField()
    requestor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    justification = models.TextField(max_length=1024)
    run_at = models.DateTimeField(null=True, blank=True)
    # The page the request was filed from: a refusal is shown there, on the form.
    form_url = models.TextField()
    status = FSMField(
        max_length=16,
        choices=FilingStatus.choices,
        default=FilingStatus.PREPARING,
        protected=True,
    )
    request = models.OneToOneField(
        "approvals.ApprovalRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    refusal = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField()

    waiting = {"status": FilingStatus.PREPARING}

    class Meta:
        indexes = [
            models.Index(
                fields=["lease_until"],
                condition=models.Q(status="preparing"),
                name="filing_preparing",
            )
        ]

    def __str__(self) -> str:
        return f"Filing of {self.operation_type} by {self.requestor_id} ({self.status})"

    def typed(self) -> dict:
        """What the requestor typed, as the form's data: a refusal shows it again."""
        run_at = timezone.localtime(self.run_at).strftime("%Y-%m-%dT%H:%M") if self.run_at else ""
        return {"justification": self.justification, "run_at": run_at}

    @property
    def refused_url(self) -> str:
        """The form it came from, told to show this filing's refusal."""
        parts = urlsplit(self.form_url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        query = [(key, value) for key, value in query if key != "refused"]
        return urlunsplit(parts._replace(query=urlencode([*query, ("refused", self.pk)])))

    @transition(field=status, source=FilingStatus.PREPARING, target=FilingStatus.FILED)
    def file(self, request) -> None:
        self.request = request

    @transition(field=status, source=FilingStatus.PREPARING, target=FilingStatus.REFUSED)
    def refuse(self, reason: str) -> None:
        self.refusal = reason
