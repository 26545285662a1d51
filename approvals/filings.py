"""Requests filed by a worker (models.Filing): the page answers at once, the worker files.

`filing_start` checks what the requestor typed and whether they may start the operation at all
(cheap, so the form shows those refusals at once), writes the Filing row and wakes a worker.
`filing_run` files the request through `operation_start`, the same service a page calls, so
every rule holds alike (scope, one open request per target, thresholds, notifications); its
refusal is kept on the row for the requestor's page. `filings_recover` publishes again the
filings whose worker was never woken or died.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .delivery import filing_wake
from .models import Filing, FilingStatus
from .operations import OperationError, registry
from .services import ApprovalError, check_filing_input, ensure_may_start, operation_start

# A filing not done by then is published again: filing 10,000 devices takes well under a second.
LEASE = timedelta(seconds=30)


def filing_start(
    *,
    actor,
    operation_code: str,
    payload: dict,
    justification: str,
    form_url: str,
    run_at=None,
) -> Filing:
    """The Filing row of a request a worker will file; refusals of what was typed, or of the
    actor's permission, are raised here as operation_start raises them."""
    operation = registry.get(operation_code)
    if not operation.always_protected:
        # A filing ends as a request: an operation that may run unprotected is started by the
        # page itself, which shows its result.
        raise ValueError(f"{operation_code} may run without approval; start it directly.")
    now = timezone.now()
    justification = check_filing_input(justification, run_at, now)
    ensure_may_start(operation, payload, actor)
    operation.validate(payload, actor)
    with transaction.atomic():
        filing = Filing.objects.create(
            operation_type=operation_code,
            payload=payload,
            requestor=actor,
            justification=justification,
            run_at=run_at,
            form_url=form_url,
            created_at=now,
            lease_until=now + LEASE,
        )
        filing_wake(filing.pk)
    return filing


def filing_run(*, filing_id: int) -> Filing:
    """File the request (once: a filing already ended is returned as it is)."""
    with transaction.atomic():
        filing = (
            Filing.objects.select_for_update(of=("self",))
            .select_related("requestor")
            .get(pk=filing_id)
        )
        if filing.status != FilingStatus.PREPARING:
            return filing
        try:
            # Its own savepoint: a refusal undoes what the filing wrote, not the refusal.
            outcome = operation_start(
                actor=filing.requestor,
                operation_code=filing.operation_type,
                payload=filing.payload,
                justification=filing.justification,
                run_at=filing.run_at,
            )
        except (OperationError, ApprovalError) as exc:
            filing.refuse(str(exc))
        else:
            filing.file(outcome.request)
        filing.save(update_fields=["status", "request", "refusal"])
    return filing


def filing_failed(*, filing_id: int, error: str) -> None:
    """A worker gave up (the database stayed away): the requestor's page says so."""
    with transaction.atomic():
        filing = Filing.objects.select_for_update().get(pk=filing_id)
        if filing.status == FilingStatus.PREPARING:
            filing.refuse(f"The request could not be filed: {error}. Try again.")
            filing.save(update_fields=["status", "refusal"])


def filings_recover(*, now=None) -> int:
    """Publish again the filings whose lease ran out (a lost publish, a worker that died)."""
    with transaction.atomic():
        ids = Filing.lease_renew_expired(now=now or timezone.now(), lease=LEASE)
        for filing_id in ids:
            filing_wake(filing_id)
    return len(ids)
