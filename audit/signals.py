from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .chain import audit_record


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", target=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The password never reaches the log, only the name that was tried.
    audit_record(actor=None, action="auth.login_failed", note=str(credentials.get("username", "")))
