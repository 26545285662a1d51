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


def outbox_enqueue(task: str, *args, publish=None) -> OutboxMessage:
    """Record `task(*args)` in the caller's transaction; it is published once that commits,
    by `publish(*args)` when given (which may publish something else in its place: see
    approvals.drainers), and by the relay as `task(*args)` if that fails."""
    message = OutboxMessage.objects.create(
        task=task, args=list(args), available_at=timezone.now() + FAST_PATH_GRACE
    )
    transaction.on_commit(lambda: _publish_committed(message, publish), robust=True)
    return message


def _publish_committed(message: OutboxMessage, publish=None) -> None:
    """The fast path, right after the commit: publish, then mark sent in one UPDATE.

    No transaction or row lock (they cost each write a third of its statements): the periodic
    relay leaves the message alone for FAST_PATH_GRACE. If the broker fails, or the process
    dies first, the relay publishes it after that.
    """
    try:
        if publish is None:
            current_app.send_task(message.task, args=message.args)
        else:
            publish(*message.args)
    except Exception as exc:
        log.warning("Outbox: could not publish %s: %s", message, exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=1, available_at=timezone.now() + _backoff(1), last_error=str(exc)[:1000]
        )
        return
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())


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
