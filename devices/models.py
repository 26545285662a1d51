from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition


class Ownership(models.TextChoices):
    CORPORATE = "corporate", "Corporate"
    PERSONAL = "personal", "Personal"


class Compliance(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    NONCOMPLIANT = "noncompliant", "Not compliant"
    IN_GRACE = "in_grace", "In grace period"
    UNKNOWN = "unknown", "Not evaluated"


class OperatingSystem(models.TextChoices):
    WINDOWS = "Windows", "Windows"
    MACOS = "macOS", "macOS"
    IOS = "iOS", "iOS/iPadOS"
    ANDROID = "Android", "Android"
    LINUX = "Linux", "Linux"


class ManagementState(models.TextChoices):
    MANAGED = "managed", "Managed"
    WIPE_PENDING = "wipe_pending", "Wipe pending"
    WIPING = "wiping", "Wiping"
    WIPED = "wiped", "Wiped"
    RETIRE_PENDING = "retire_pending", "Retire pending"
    RETIRING = "retiring", "Retiring"
    RETIRED = "retired", "Retired"
    DELETED = "deleted", "Deleted"


S = ManagementState


class DeviceCategory(models.Model):
    """Intune's device categories (Tenant administration): how devices are grouped for people."""

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(max_length=1024, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "device categories"

    def __str__(self) -> str:
        return self.name


class Device(FSMModelMixin, models.Model):
    # Indexed with the id (Meta.indexes): many devices share a name ("iPhone" is iOS's own).
    name = models.CharField(max_length=128)
    serial_number = models.CharField(max_length=64, unique=True)
    operating_system = models.CharField(
        max_length=16, choices=OperatingSystem.choices, db_index=True
    )
    os_version = models.CharField(max_length=32)
    model = models.CharField(max_length=128, blank=True)
    manufacturer = models.CharField(max_length=128, blank=True)
    ownership = models.CharField(max_length=16, choices=Ownership.choices, db_index=True)
    primary_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    # What compliance rules measure; devices report them at check-in (simulated here).
    encrypted = models.BooleanField(default=True)
    password_length = models.PositiveSmallIntegerField(default=8, help_text="0: no password")
    jailbroken = models.BooleanField("jailbroken or rooted", default=False)
    firewall_enabled = models.BooleanField(default=True)
    antivirus_enabled = models.BooleanField(default=True)
    # Computed from the assigned compliance policies at each check-in (device_policies).
    compliance_state = models.CharField(
        max_length=16, choices=Compliance.choices, default=Compliance.UNKNOWN, db_index=True
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    last_check_in = models.DateTimeField(null=True, blank=True)
    scope_tags = models.ManyToManyField("rbac.ScopeTag", blank=True, related_name="devices")
    # PROTECT: a category in use cannot be deleted (the delete operation says how many use it).
    category = models.ForeignKey(
        DeviceCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    management_state = FSMField(
        max_length=20, choices=ManagementState.choices, default=S.MANAGED, protected=True
    )

    class Meta:
        ordering = ["name", "pk"]
        # The list's order, ties included: with the name alone, PostgreSQL sorted every device
        # of the shared name to draw a page (30,000 named "Android": 56 ms a page, 18 without).
        indexes = [
            models.Index(fields=["name", "id"], name="device_by_name"),
            models.Index(fields=["management_state", "name", "id"], name="device_by_state"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleted(self) -> bool:
        return self.management_state == S.DELETED

    @transition(field=management_state, source=S.MANAGED, target=S.WIPE_PENDING)
    def wipe_requested(self):
        """The wipe command was issued; the device has not received it yet."""

    @transition(field=management_state, source=S.WIPE_PENDING, target=S.WIPING)
    def wipe_acknowledged(self):
        """The device received the command and started its reset."""

    @transition(field=management_state, source=S.WIPING, target=S.WIPED)
    def wipe_done(self):
        """The device reported the reset finished."""

    @transition(field=management_state, source=S.MANAGED, target=S.RETIRE_PENDING)
    def retire_requested(self):
        """Company data removal was issued."""

    @transition(field=management_state, source=S.RETIRE_PENDING, target=S.RETIRING)
    def retire_acknowledged(self):
        """The device received the retire command."""

    @transition(field=management_state, source=S.RETIRING, target=S.RETIRED)
    def retire_done(self):
        """Company data is gone; the device left management."""

    @transition(field=management_state, source="*", target=S.DELETED)
    def delete_from_management(self):
        """The record leaves the active registry; its history is kept."""


class ActionKind(models.TextChoices):
    WIPE = "wipe", "Wipe"
    RETIRE = "retire", "Retire"
    DELETE = "delete", "Delete"
    SYNC = "sync", "Sync"


class ActionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


A = ActionStatus


class DeviceAction(FSMModelMixin, models.Model):
    """One remote action on a device, from request to the device's answer."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=16, choices=ActionKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    origin = models.CharField(
        max_length=200, blank=True, help_text="What started it, e.g. an approval request."
    )
    status = FSMField(
        max_length=16, choices=ActionStatus.choices, default=A.PENDING, protected=True
    )
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "device"]),
            # A bulk run finds the devices its request reached (devices.bulk.run_batch).
            models.Index(fields=["origin", "device"], name="action_origin"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.device}"

    @property
    def is_open(self) -> bool:
        return self.status in (A.PENDING, A.SENT, A.ACKNOWLEDGED)

    @transition(field=status, source=A.PENDING, target=A.SENT)
    def send(self):
        """Handed to the device channel."""

    @transition(field=status, source=A.SENT, target=A.ACKNOWLEDGED)
    def acknowledge(self):
        """The device answered that it received the command."""

    @transition(field=status, source=[A.SENT, A.ACKNOWLEDGED], target=A.DONE)
    def finish(self):
        """The device reported the command carried out."""

    @transition(field=status, source=[A.PENDING, A.SENT, A.ACKNOWLEDGED], target=A.FAILED)
    def fail(self, error: str):
        self.error = error
