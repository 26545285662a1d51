"""The plumbing's periodic task (found by Celery's autodiscovery)."""

from celery import shared_task

from .api.idempotency import idempotency_purge


@shared_task(ignore_result=True)
def purge_idempotency_keys() -> int:
    return idempotency_purge()
