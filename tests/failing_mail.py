import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """A mail server that is down; counts how often it was tried."""

    attempts = 0

    def send_messages(self, email_messages):
        FailingBackend.attempts += 1
        raise smtplib.SMTPServerDisconnected("mail server unavailable")


class FlakyBackend(BaseEmailBackend):
    """A mail server down for the first try only; notes each try's pending notices' leases."""

    attempts = 0
    leases: list = []

    def send_messages(self, email_messages):
        from approvals.models import Notice, NoticeStatus

        FlakyBackend.attempts += 1
        pending = Notice.objects.filter(status=NoticeStatus.PENDING)
        FlakyBackend.leases.append(dict(pending.values_list("pk", "lease_until")))
        if FlakyBackend.attempts == 1:
            raise smtplib.SMTPServerDisconnected("mail server unavailable")
        return len(email_messages)
