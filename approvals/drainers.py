"""Wake-ups for the execution drainers: a burst of Completes publishes a few tasks, not one each.

A drainer (approvals.tasks.drain_executions) runs queued executions in batches until none is
left. While it works it holds one of MAA_EXECUTION_DRAINERS slots in the cache (Redis), which
all web and worker processes share. After its commit, a Complete publishes a drainer only if a
slot is free; otherwise it leaves its request to the drainers at work. Every Completed request
was a task of its own before this: at 2.5 ms of Celery's own work a task, that alone kept a
burst's executions from draining at more than a fraction of the no-op rate.

No request is forgotten: a drainer frees its slot and then looks for queued executions once
more, and a Complete looks at the slots only after its request is committed. So either the
Complete finds a slot free, or that last look finds its request. A drainer whose worker dies
keeps its slot for SLOT_SECONDS at most (its task is given back to the broker too); what it
left queued waits for the sweeper (executions_recover), as after any worker's death.

With MAA_EXECUTION_DRAINERS = 0 (the default without Redis: the demo's cache is per process)
every Complete publishes its own execute_request task.
"""

from celery import current_app
from django.conf import settings
from django.core.cache import cache

# A working drainer renews its slot before each batch; a dead one loses it after this.
SLOT_SECONDS = 30
# A drainer hands over to a fresh task after this long, so that its worker serves the periodic
# queue (the sweeper, the outbox relay) in between.
DRAIN_SECONDS = 10
# How long a drainer's batch in progress is kept for its redelivery or retry.
BATCH_SECONDS = 3600
DRAIN_TASK = "approvals.tasks.drain_executions"
EXECUTE_TASK = "approvals.tasks.execute_request"


def _key(slot: int) -> str:
    return f"executions:drainer:{slot}"


def drainer_keys() -> list[str]:
    return [_key(slot) for slot in range(settings.MAA_EXECUTION_DRAINERS)]


def drainers_wake(request_id: int) -> None:
    """Publish a drainer if a slot is free, or, with no drainers, request_id's own task.

    The outbox's publishing for an execution (approvals.outbox): if it raises, the relay
    publishes the request's own task later."""
    if settings.MAA_EXECUTION_DRAINERS:
        drainer_start()
    else:
        current_app.send_task(EXECUTE_TASK, args=[request_id])


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
    return f"executions:drainer-batch:{task_id}"


def drainer_batch(task_id: str) -> list[int]:
    """The batch the drainer task `task_id` was running when it last stopped."""
    return cache.get(_batch_key(task_id)) or []


def drainer_batch_keep(task_id: str, request_ids: list[int]) -> None:
    if request_ids:
        # Longer than a redelivery or a retry takes to come back; the lease and the sweeper
        # cover anything later.
        cache.set(_batch_key(task_id), request_ids, timeout=BATCH_SECONDS)
    else:
        cache.delete(_batch_key(task_id))
