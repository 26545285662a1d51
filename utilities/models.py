from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to an API POST carrying an Idempotency-Key, replayed to repeats.

    The row is written before the call runs (the unique key makes a concurrent repeat wait for
    nothing and answer "in progress"), and completed with the answer afterwards.
    """

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    # The call's method, path, body and approval headers: a key names one call, not a URL.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    # The answer's own x- headers (x-msft-approval-code on a 412), replayed with the body.
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Moved here from approvals with its rows: the table keeps its name.
        db_table = "approvals_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="one_answer_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
