"""Who reads the audit log. Decided above this app (by RBAC, the permission Audit data: Read)
and named in settings, so that `audit` imports nothing above it."""

from django.conf import settings
from django.utils.module_loading import import_string


def audit_may_read(user) -> bool:
    """settings.AUDIT_MAY_READ(user): may this user read the audit log and export it?"""
    return import_string(settings.AUDIT_MAY_READ)(user)


def audit_reader_emails() -> list[str]:
    """settings.AUDIT_READERS(): the users who get each checkpoint; their addresses."""
    readers = import_string(settings.AUDIT_READERS)()
    return list(readers.exclude(email="").values_list("email", flat=True))
