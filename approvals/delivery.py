"""How work is delivered: the rows are the queues; Celery only wakes the workers.

An execution's queue is its request row (Queued, with a lease); an email's queue is its notice
row (Pending, with a lease), written by a worker from the NoticeBatch row its event left (why
that stage exists: its docstring); a request filed by a worker is its Filing row (Preparing,
with a lease). Request and batch rows are written in the transaction of
the change that causes them, so they exist exactly when the change does. After the commit a
task is published to wake a worker. If the broker does not answer, forgets the message (Redis
restarted empty), or the process dies before publishing, the lease runs out and a sweeper
publishes again (services.executions_recover, notifications.notices_recover,
filings.filings_recover; beat runs them). The batch, notice, chat post and filing rows share
one lease mechanism (models.queues.LeasedRow); a request's lease is part of its execution FSM.
A second wake-up is harmless: the worker locks the row and passes over one already done.

Drainers, the one mechanism kept beside the rows: a burst of Completes publishes a few tasks,
not one each. A drainer (tasks.drain_executions) runs queued executions in batches until none
is left, holding one of MAA_EXECUTION_DRAINERS slots in the cache (Redis), which all web and
worker processes share. After its commit, a Complete publishes a drainer only if a slot is free.
Measured in bench/: a task per Complete costs Celery's own 2.5 ms, more than half of what a
batched execution costs, and held a burst's drain below half the no-op task rate; with drainers
it drains above half.

No Complete is forgotten: a drainer frees its slot and then looks for queued executions once
more, and a Complete looks at the slots only after its request is committed, so one of them
sees the other. A drainer whose worker dies keeps its slot SLOT_SECONDS at most; what it left
queued waits for the sweeper, as after any worker's death. With MAA_EXECUTION_DRAINERS = 0 (the
default without Redis: the demo's cache is per process) every Complete publishes its own task.
"""

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

EXECUTE_TASK = "approvals.tasks.execute_request"
DRAIN_TASK = "approvals.tasks.drain_executions"
SEND_NOTICES_TASK = "approvals.tasks.send_notices"
WRITE_NOTICES_TASK = "approvals.tasks.write_notices"
SEND_CHAT_POST_TASK = "approvals.tasks.send_chat_post"
FILE_TASK = "approvals.tasks.file_request"
# A working drainer renews its slot before each batch; a dead one loses it after this.
SLOT_SECONDS = 30
# A drainer hands over to a fresh task after this long, so that its worker serves the periodic
# queue (the sweepers) in between.
DRAIN_SECONDS = 10
# Emails sent by one task. A worker process busy sending is not running executions: a task
# sending a batch of 50 executions' emails held a Complete behind it for half a second
# (bench/: complete-to-executed p99 528 ms in one run, 131 ms in others).
NOTICES_PER_TASK = 10
# How long an execution task's batch in progress is kept for its redelivery or retry.
BATCH_SECONDS = 3600


def _after_commit(publish, *args) -> None:
    def guarded():
        try:
            publish(*args)
        except Exception as exc:
            # The row is committed with its lease: the sweeper publishes it when that runs out.
            log.warning("Could not publish %s (the sweeper will): %s", args or publish, exc)

    transaction.on_commit(guarded)


def _publish(task: str, *args) -> None:
    current_app.send_task(task, args=list(args))


def execution_wake(request_id: int) -> None:
    """After the commit, wake a drainer for a Completed request (or, without drainers, publish
    its own task)."""
    if settings.MAA_EXECUTION_DRAINERS:
        _after_commit(drainer_start)
    else:
        _after_commit(_publish, EXECUTE_TASK, request_id)


def execution_requeue(request_id: int) -> None:
    """After the commit, publish a recovered request's own task: a recovered run may be what
    kills workers, so it runs alone, never in a drainer's batch."""
    _after_commit(_publish, EXECUTE_TASK, request_id)


def notices_wake(notice_ids: list[int]) -> None:
    """After the commit, publish tasks that send these notices, NOTICES_PER_TASK over one mail
    connection each."""
    for start in range(0, len(notice_ids), NOTICES_PER_TASK):
        _after_commit(_publish, SEND_NOTICES_TASK, notice_ids[start : start + NOTICES_PER_TASK])


def chat_posts_wake(post_ids: list[int]) -> None:
    """After the commit, publish a task for each chat post: each channel answers on its own."""
    for post_id in post_ids:
        _after_commit(_publish, SEND_CHAT_POST_TASK, post_id)


def filing_wake(filing_id: int) -> None:
    """After the commit, publish the task that files a Filing's request."""
    _after_commit(_publish, FILE_TASK, filing_id)


def notices_write_wake(batch_id: int) -> None:
    """After the commit, publish the task that writes a NoticeBatch's notices."""
    _after_commit(_publish, WRITE_NOTICES_TASK, batch_id)


def _key(slot: int) -> str:
    return f"executions:drainer:{slot}"


def drainer_keys() -> list[str]:
    return [_key(slot) for slot in range(settings.MAA_EXECUTION_DRAINERS)]


def drainer_start() -> None:
    """Publish a drainer on the first free slot; none if every slot is held."""
    # One read for all the slots: during a burst every slot is held, and trying each in turn
    # cost a Complete one round trip a slot.
    keys = drainer_keys()
    held = cache.get_many(keys)
    for slot, key in enumerate(keys):
        if key not in held and cache.add(key, 1, timeout=SLOT_SECONDS):
            try:
                current_app.send_task(DRAIN_TASK, args=[slot])
            except Exception:
                cache.delete(key)
                raise
            return


def drainer_hold(slot: int) -> None:
    cache.set(_key(slot), 1, timeout=SLOT_SECONDS)


def drainer_release(slot: int) -> None:
    cache.delete(_key(slot))


def _batch_key(task_id: str) -> str:
    return f"executions:batch:{task_id}"


def batch_kept(task_id: str) -> list[int]:
    """The batch the execution task `task_id` was running when it last stopped: a retry or a
    redelivery keeps the task's id, and runs that batch again first."""
    return cache.get(_batch_key(task_id)) or []


def batch_keep(task_id: str, request_ids: list[int]) -> None:
    if request_ids:
        # Longer than a redelivery or a retry takes to come back; the lease and the sweeper
        # cover anything later.
        cache.set(_batch_key(task_id), request_ids, timeout=BATCH_SECONDS)
    else:
        cache.delete(_batch_key(task_id))
