"""The audit log's periodic tasks: thin, found by Celery's autodiscovery."""

from celery import shared_task

from utilities.mail import TRANSIENT_MAIL_ERRORS

from .chain import audit_seal
from .checkpoints import checkpoint_publish


@shared_task(ignore_result=True)
def seal_audit_chain() -> int:
    return audit_seal()


@shared_task(
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def publish_audit_checkpoint() -> int:
    return checkpoint_publish().seq
