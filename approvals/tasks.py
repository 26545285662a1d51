"""Celery tasks: thin wrappers that take ids, call a service and declare their retries."""

import logging
import time

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError

from utilities.mail import TRANSIENT_MAIL_ERRORS

from .drainers import (
    DRAIN_SECONDS,
    drainer_batch,
    drainer_batch_keep,
    drainer_hold,
    drainer_release,
    drainer_start,
)
from .notifications import (
    notice_deliver,
    notice_failed,
    notices_lease,
    notices_recover,
    notices_write,
)
from .outbox import outbox_relay
from .reminders import requests_due_reminder
from .services import (
    executions_claim,
    executions_recover,
    executions_run,
    request_execution_failed,
    requests_expire_due,
)

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)


def _batch_failed(claimed: list[int], exc: Exception) -> None:
    """Not an operation's own failure (executions_run records those): fail the batch visibly,
    with Retry, rather than leave it to the sweeper."""
    log.exception("Execution of requests %s failed", claimed)
    for pk in claimed:
        request_execution_failed(request_id=pk, error=f"Unexpected error: {exc}")


@shared_task(bind=True, acks_late=True, max_retries=5, ignore_result=True)
def execute_request(self, request_id: int, batch: list[int] | None = None) -> None:
    """Run a completed request, and with it up to MAA_EXECUTION_BATCH - 1 other queued ones:
    a burst of Completes runs in batches, one transaction each, and the tasks of requests
    already run find them done. The services make a redelivery or a duplicate a no-op; a
    retry runs the same batch again (`batch`)."""
    claimed = batch or [request_id]
    try:
        fill = 0 if batch else settings.MAA_EXECUTION_BATCH - 1
        claimed = executions_claim(request_ids=claimed, fill=fill)
        executions_run(request_ids=claimed)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            for pk in claimed:
                request_execution_failed(
                    request_id=pk, error=f"Gave up after {self.max_retries} retries: {exc}"
                )
            return
        raise self.retry(
            kwargs={"batch": claimed},
            exc=exc,
            countdown=min(300, 5 * 2**self.request.retries),
        ) from exc
    except Exception as exc:
        _batch_failed(claimed, exc)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=8,
    ignore_result=True,
)
def drain_executions(self, slot: int) -> None:
    """Run queued executions in batches until none is left, holding drainer slot `slot`
    (approvals.drainers).

    The batch in progress is kept under the task's id: run again first by a redelivery (its
    pool process died) or a retry (a database error), as execute_request runs its own."""
    deadline = time.monotonic() + DRAIN_SECONDS
    claimed = executions_claim(request_ids=drainer_batch(self.request.id))
    while True:
        if claimed:
            drainer_batch_keep(self.request.id, claimed)
            try:
                executions_run(request_ids=claimed)
            except TRANSIENT:
                raise
            except Exception as exc:
                _batch_failed(claimed, exc)
            if time.monotonic() > deadline:
                # A fresh task goes on, so that this worker serves its other queues meanwhile.
                drainer_batch_keep(self.request.id, [])
                drainer_release(slot)
                drainer_start()
                return
        drainer_hold(slot)
        claimed = executions_claim(request_ids=[], fill=settings.MAA_EXECUTION_BATCH)
        if not claimed:
            drainer_release(slot)
            # A Complete that found this slot held had committed before it looked: this last
            # look finds its request.
            claimed = executions_claim(request_ids=[], fill=settings.MAA_EXECUTION_BATCH)
            if not claimed:
                drainer_batch_keep(self.request.id, [])
                return


@shared_task(
    acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8, ignore_result=True
)
def write_notices(events: list[list]) -> None:
    """Write the notices of request events ([request id, event, event key] each) and queue
    them; a redelivery writes nothing twice."""
    notices_write(events=events)


class NoticeTask(Task):
    """What a retry and a give-up of send_notices mean for its notice rows; when to retry and
    when to give up is declared on the decorator."""

    def retry(self, *args, countdown=None, **kwargs):
        # The retry holds its notices: the lease sweeper leaves them alone until it is due.
        notices_lease(notice_ids=self.request.args[0], seconds=countdown or 0)
        return super().retry(*args, countdown=countdown, **kwargs)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Kept as failed, shown on the request page and audited; those sent stay sent.
        for notice_id in args[0]:
            notice_failed(
                notice_id=notice_id, error=f"Gave up after {self.request.retries + 1} tries: {exc}"
            )


@shared_task(
    base=NoticeTask,
    acks_late=True,
    autoretry_for=(*TRANSIENT_MAIL_ERRORS, *TRANSIENT),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=8,
    ignore_result=True,
)
def send_notices(notice_ids: list[int]) -> None:
    """Send one event's notices in turn over one mail connection, each at most once whatever
    the redeliveries and retries (the service locks each, and passes over those sent)."""
    with get_connection() as connection:
        for notice_id in notice_ids:
            notice_deliver(notice_id=notice_id, connection=connection)


@shared_task(ignore_result=True)
def relay_outbox() -> int:
    return outbox_relay()


@shared_task(ignore_result=True)
def recover_executions() -> int:
    return executions_recover()


@shared_task(ignore_result=True)
def recover_notices() -> int:
    return notices_recover()


@shared_task(ignore_result=True)
def expire_requests() -> int:
    return requests_expire_due()


@shared_task(ignore_result=True)
def send_reminders() -> int:
    return len(requests_due_reminder())
