"""Celery tasks: thin wrappers that take ids, call a service and declare their retries.

What a task is woken for lives in a row with a lease (approvals.delivery): a task lost with the
broker is published again by a sweeper, so a task only has to be safe to run twice.
"""

import logging
import time

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError

from utilities.mail import TRANSIENT_MAIL_ERRORS

from .chat import ChatTransient, post_deliver, post_failed, post_lease
from .delivery import (
    DRAIN_SECONDS,
    batch_keep,
    batch_kept,
    drainer_hold,
    drainer_release,
    drainer_start,
)
from .filings import filing_failed, filing_run, filings_recover
from .notifications import (
    notice_deliver,
    notice_failed,
    notices_lease,
    notices_recover,
    notices_write,
)
from .policy_alerts import policies_check, policy_alert_send
from .reminders import requests_due_reminder
from .reviews import reviews_escalate_due
from .services import (
    executions_claim,
    executions_recover,
    executions_release_due,
    executions_run,
    request_execution_failed,
    requests_expire_due,
)

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)
# Declared once for both execution tasks: a database that went away is waited for, 5 s doubling
# to 5 minutes, eight times.
EXECUTION_RETRIES = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": False,
    "max_retries": 8,
}


def _batch_failed(claimed: list[int], error: str) -> None:
    """Not an operation's own failure (executions_run records those): fail the batch visibly,
    with Retry, rather than leave it to the sweeper."""
    for pk in claimed:
        request_execution_failed(request_id=pk, error=error)


class ExecutionTask(Task):
    """A give-up fails the batch the task was running (kept under its id), with the reason."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        batch = batch_kept(task_id)
        batch_keep(task_id, [])
        _batch_failed(batch, f"Gave up after {self.max_retries} retries: {exc}")


def _run_batch(task_id: str, claimed: list[int]) -> None:
    """Run a claimed batch, kept under the task's id until it is done: a retry (a database
    error, raised on) or a redelivery (the pool process died) runs it again first."""
    batch_keep(task_id, claimed)
    try:
        executions_run(request_ids=claimed)
    except TRANSIENT:
        raise
    except Exception as exc:
        log.exception("Execution of requests %s failed", claimed)
        _batch_failed(claimed, f"Unexpected error: {exc}")
    batch_keep(task_id, [])


@shared_task(bind=True, base=ExecutionTask, acks_late=True, ignore_result=True, **EXECUTION_RETRIES)
def execute_request(self, request_id: int) -> None:
    """Run a completed request, and with it up to MAA_EXECUTION_BATCH - 1 other queued ones:
    a burst of Completes runs in batches, one transaction each, and the tasks of requests
    already run find them done. The services make a redelivery or a duplicate a no-op."""
    kept = batch_kept(self.request.id)
    if kept:
        claimed = executions_claim(request_ids=kept)
    else:
        claimed = executions_claim(request_ids=[request_id], fill=settings.MAA_EXECUTION_BATCH - 1)
    _run_batch(self.request.id, claimed)


@shared_task(bind=True, base=ExecutionTask, acks_late=True, ignore_result=True, **EXECUTION_RETRIES)
def drain_executions(self, slot: int) -> None:
    """Run queued executions in batches until none is left, holding drainer slot `slot`
    (approvals.delivery)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    claimed = executions_claim(request_ids=batch_kept(self.request.id))
    while True:
        if claimed:
            _run_batch(self.request.id, claimed)
            if time.monotonic() > deadline:
                # A fresh task goes on, so that this worker serves its other queues meanwhile.
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
                return


class FilingTask(Task):
    """A give-up says so on the filing, for the requestor's page (the sweeper would otherwise
    publish it again, forever, while the database stays away)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        filing_failed(filing_id=args[0], error=str(exc))


# The requestor's page waits: retried soon (1 s doubling to 16 s), and not for long.
@shared_task(
    base=FilingTask,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=1,
    retry_backoff_max=16,
    retry_jitter=False,
    max_retries=5,
    ignore_result=True,
)
def file_request(filing_id: int) -> None:
    """File a Filing's request; a redelivery finds it filed and does nothing."""
    filing_run(filing_id=filing_id)


@shared_task(ignore_result=True)
def recover_filings() -> int:
    return filings_recover()


@shared_task(
    acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8, ignore_result=True
)
def write_notices(batch_id: int) -> None:
    """Write the notices of one NoticeBatch and queue them; a redelivery writes nothing twice."""
    notices_write(batch_id=batch_id)


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


class ChatPostTask(Task):
    """What a retry and a give-up of send_chat_post mean for its row, as NoticeTask's."""

    def retry(self, *args, countdown=None, **kwargs):
        post_lease(post_id=self.request.args[0], seconds=countdown or 0)
        return super().retry(*args, countdown=countdown, **kwargs)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        post_failed(post_id=args[0], error=f"Gave up after {self.request.retries + 1} tries: {exc}")


@shared_task(
    base=ChatPostTask,
    acks_late=True,
    autoretry_for=(ChatTransient, *TRANSIENT),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=8,
    ignore_result=True,
)
def send_chat_post(post_id: int) -> None:
    """Post one request event to one channel, at most once whatever the redeliveries."""
    post_deliver(post_id=post_id)


@shared_task(ignore_result=True)
def recover_executions() -> int:
    return executions_recover()


@shared_task(ignore_result=True)
def release_scheduled_executions() -> int:
    return executions_release_due()


@shared_task(ignore_result=True)
def recover_notices() -> int:
    return notices_recover()


@shared_task(ignore_result=True)
def expire_requests() -> int:
    return requests_expire_due()


@shared_task(ignore_result=True)
def send_reminders() -> int:
    return len(requests_due_reminder())


@shared_task(ignore_result=True)
def escalate_break_glass_reviews() -> int:
    return reviews_escalate_due()


def policy_alerts_after(reason: str) -> None:
    """rbac.directory's change hook (after its commit): audit each policy left short, and mail
    its admins from a worker."""
    for policy_id, problems in policies_check(reason):
        policy_alert_mail.delay(policy_id, reason, problems)


@shared_task(autoretry_for=TRANSIENT_MAIL_ERRORS, retry_backoff=True, max_retries=5)
def policy_alert_mail(policy_id: int, change: str, problems: list[str]) -> None:
    policy_alert_send(policy_id=policy_id, change=change, problems=problems)
