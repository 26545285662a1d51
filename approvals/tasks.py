"""Celery tasks: thin wrappers that take ids, call a service and declare their retries."""

import logging
import smtplib
from dataclasses import asdict

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .models import ApprovalRequest
from .notifications import Notice, notice_send, notices_for
from .reminders import requests_due_reminder
from .services import request_execute, request_execution_failed, requests_expire_due

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(bind=True, acks_late=True, max_retries=5, ignore_result=True)
def execute_request(self, request_id: int) -> None:
    """Run a completed request. The service makes a redelivery or a duplicate a no-op."""
    try:
        request_execute(request_id=request_id)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            request_execution_failed(
                request_id=request_id, error=f"Gave up after {self.max_retries} retries: {exc}"
            )
            return
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc
    except Exception as exc:
        log.exception("Execution of request %s failed", request_id)
        request_execution_failed(request_id=request_id, error=f"Unexpected error: {exc}")


@shared_task(ignore_result=True)
def send_request_notifications(request_id: int, event: str) -> int:
    request = ApprovalRequest.objects.get(pk=request_id)
    notices = notices_for(request, event)
    for notice in notices:
        send_notice.delay(request_id, asdict(notice))
    return len(notices)


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError, *TRANSIENT),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
    ignore_result=True,
)
def send_notice(request_id: int, notice: dict) -> bool:
    return notice_send(request_id=request_id, notice=Notice(**notice))


@shared_task(ignore_result=True)
def expire_requests() -> int:
    return requests_expire_due()


@shared_task(ignore_result=True)
def send_reminders() -> int:
    due = requests_due_reminder()
    for request_id, event in due:
        send_request_notifications.delay(request_id, event)
    return len(due)
