from django.contrib.auth.models import AbstractUser
from django.db import models


class DirectoryRole(models.TextChoices):
    """Entra directory roles that grant every Intune permission, as in Entra ID."""

    NONE = "", "None"
    GLOBAL_ADMINISTRATOR = "global_admin", "Global Administrator"
    INTUNE_ADMINISTRATOR = "intune_admin", "Intune Administrator"


class NotificationKind(models.TextChoices):
    NEW_REQUEST = "new_request", "A request needs my approval"
    DECIDED = "decided", "My request was approved or rejected"
    NO_LONGER_NEEDED = "no_longer_needed", "A request I could decide was decided by others"
    EXPIRED = "expired", "My request expired"
    COMPLETED = "completed", "My request was completed"
    EXECUTION_FAILED = "execution_failed", "The execution of my request failed"
    REMINDER = "reminder", "Reminders"
    # Emergencies cannot be muted: every approver hears of a break-glass run at once.
    BREAK_GLASS = "break_glass", "Break-glass runs and overdue reviews"


# Kinds nobody can switch off.
ALWAYS_SENT = {NotificationKind.BREAK_GLASS}


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)
    directory_role = models.CharField(
        max_length=20, choices=DirectoryRole.choices, default=DirectoryRole.NONE, blank=True
    )
    # Kinds the user switched off; every kind is on by default so nobody misses a request.
    muted_notifications = models.JSONField(default=list, blank=True)
    # An API application (service principal): signs in only with its OAuth client credentials,
    # never with a password, and gets permissions through its groups like a user.
    is_application = models.BooleanField(default=False, db_index=True)
    # Provisioned over SCIM (rbac.scim): the identity provider's id of the person (Entra's
    # externalId), and the SCIM resource as last written, for the attributes the portal does not
    # model (title, phone numbers, the enterprise extension) that a GET must give back.
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    scim_document = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["display_name", "username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def wants_notification(self, kind: str) -> bool:
        return kind in ALWAYS_SENT or kind not in self.muted_notifications
