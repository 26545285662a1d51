"""Identity's tasks: thin, found by Celery's autodiscovery."""

from celery import shared_task

from utilities.mail import TRANSIENT_MAIL_ERRORS

from .services import lockout_mail_send


@shared_task(autoretry_for=TRANSIENT_MAIL_ERRORS, retry_backoff=True, max_retries=5)
def lockout_mail(user_id: int, ip_address: str) -> None:
    lockout_mail_send(user_id=user_id, ip_address=ip_address)
