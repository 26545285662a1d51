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


def outbox_enqueue(task: str, *args) -> OutboxMessage:
    """Record `task(*args)` in the caller's transaction; it is relayed once that commits."""
    return outbox_enqueue_each(task, [args])[0]


def outbox_enqueue_each(task: str, args_list) -> list[OutboxMessage]:
    """Record one `task(*args)` per args in one INSERT (a decision's notices to a hundred
    approvers are a hundred messages); they are relayed together once the caller commits."""
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(task=task, args=list(args)) for args in args_list
    )
    ids = [message.pk for message in messages]
    # The fast path: publish right after commit. If the broker is down, the periodic relay
    # (approvals.tasks.relay_outbox) publishes them later.
    if ids:
        transaction.on_commit(lambda: outbox_relay(message_ids=ids, limit=len(ids)), robust=True)
    return messages


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2**attempts))


def outbox_relay(*, message_ids=None, limit: int = BATCH) -> int:
    """Publish due messages to the broker, oldest first; returns how many were published.

    Stops at the first failure: the broker is down, and the rest would fail the same way.
    """
    now = timezone.now()
    published: list[int] = []
    with transaction.atomic():
        due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True, available_at__lte=now
        )
        if message_ids is not None:
            due = due.filter(pk__in=message_ids)
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
