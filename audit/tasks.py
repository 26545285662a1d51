"""The audit log's periodic tasks: thin, found by Celery's autodiscovery."""

import smtplib

from celery import shared_task

from .chain import audit_seal
from .checkpoints import checkpoint_publish


@shared_task(ignore_result=True)
def seal_audit_chain() -> int:
    return audit_seal()


@shared_task(
    autoretry_for=(smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def publish_audit_checkpoint() -> int:
    return checkpoint_publish().seq
