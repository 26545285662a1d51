"""The transactional outbox: follow-up work is written with the change, then relayed to Celery.

Why not a library: django-celery-outbox needs SKIP LOCKED (the SQLite demo has none) and brings
Sentry, Datadog and structlog along; django-outbox-pattern speaks STOMP, not Celery. The relay
needed here is one table and one function.

Delivery is at least once (a relay that dies between publishing and marking may publish again);
the tasks it feeds are idempotent: executions under the request's row lock, notices by their
status.
"""

import logging
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)
BATCH = 500
# How long the periodic relay leaves a new message to the fast path of the process that wrote
# it (published right after its commit).
FAST_PATH_GRACE = timedelta(seconds=10)


def outbox_enqueue(task: str, *args) -> OutboxMessage:
    """Record `task(*args)` in the caller's transaction; it is relayed once that commits."""
    return outbox_enqueue_each(task, [args])[0]


def outbox_enqueue_each(task: str, args_list) -> list[OutboxMessage]:
    """Record one `task(*args)` per args in one INSERT (a decision's notices to a hundred
    approvers are a hundred messages); they are published together once the caller commits."""
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(task=task, args=list(args), available_at=timezone.now() + FAST_PATH_GRACE)
        for args in args_list
    )
    if messages:
        transaction.on_commit(lambda: _publish_committed(messages), robust=True)
    return messages


def _publish_committed(messages: list[OutboxMessage]) -> None:
    """The fast path, right after the commit: publish, then mark sent in one UPDATE.

    No transaction or row lock (they cost each write a third of its statements): the periodic
    relay leaves these messages alone for FAST_PATH_GRACE. What this does not publish, because
    the broker failed or the process died, the relay publishes after that.
    """
    now = timezone.now()
    published: list[int] = []
    for message in messages:
        try:
            current_app.send_task(message.task, args=message.args)
        except Exception as exc:
            log.warning("Outbox: could not publish %s: %s", message, exc)
            unpublished = [m.pk for m in messages if m.pk not in published]
            OutboxMessage.objects.filter(pk__in=unpublished).update(
                attempts=1, available_at=now + _backoff(1), last_error=str(exc)[:1000]
            )
            break
        published.append(message.pk)
    OutboxMessage.objects.filter(pk__in=published).update(sent_at=now)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2**attempts))


def outbox_relay(*, limit: int = BATCH) -> int:
    """Publish due messages to the broker, oldest first; returns how many were published.

    Stops at the first failure: the broker is down, and the rest would fail the same way.
    """
    now = timezone.now()
    published: list[int] = []
    with transaction.atomic():
        due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True, available_at__lte=now
        )
        for message in due.order_by("pk")[:limit]:
            try:
                current_app.send_task(message.task, args=message.args)
            except Exception as exc:
                log.warning("Outbox: could not publish %s: %s", message, exc)
                message.attempts += 1
                message.available_at = now + _backoff(message.attempts)
                message.last_error = str(exc)[:1000]
                message.save(update_fields=["attempts", "available_at", "last_error"])
                break
            published.append(message.pk)
        # One UPDATE for the batch, in the same transaction as the row locks.
        OutboxMessage.objects.filter(pk__in=published).update(sent_at=now)
    return len(published)
