from django.db import models

from assignments.models import DeviceReport, GroupAssignment

MAX_SCRIPT_BYTES = 200 * 1024  # Intune's limit for a platform script


class ScriptKind(models.TextChoices):
    PLATFORM = "script", "Platform script"
    REMEDIATION = "remediation", "Remediation"


class Platform(models.TextChoices):
    WINDOWS = "windows", "Windows (PowerShell)"
    MACOS = "macos", "macOS (shell)"


class RunAs(models.TextChoices):
    SYSTEM = "system", "System"
    USER = "user", "Signed-in user"


class Schedule(models.TextChoices):
    ONCE = "once", "Once"
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"


class Script(models.Model):
    """A platform script, or a remediation (a detection script paired with a remediation script).

    The portal stores and shows script text; it never runs it. Devices run it at check-in.
    """

    kind = models.CharField(max_length=16, choices=ScriptKind.choices, db_index=True)
    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(max_length=1024, blank=True)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    # The platform script, or a remediation's detection script.
    body = models.TextField()
    # A remediation's remediation script; empty for a platform script.
    remediation_body = models.TextField(blank=True)
    run_as = models.CharField(max_length=16, choices=RunAs.choices, default=RunAs.SYSTEM)
    enforce_signature_check = models.BooleanField(default=False)
    run_64bit = models.BooleanField(default=True)
    schedule = models.CharField(max_length=16, choices=Schedule.choices, blank=True)
    # Bumped when the text or settings change: devices run the new version at check-in.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_remediation(self) -> bool:
        return self.kind == ScriptKind.REMEDIATION


class ScriptAssignment(GroupAssignment):
    """A group a script is assigned to, or excluded from (exclusion wins)."""

    object_field = "script"
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="assignments")

    class Meta(GroupAssignment.Meta):
        constraints = [
            models.UniqueConstraint(fields=["script", "group"], name="one_assignment_per_group")
        ]


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ScriptRun(DeviceReport):
    """What one device reported for one script: the latest version it was given."""

    object_field = "script"
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="runs")
    script_version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING, db_index=True
    )
    output = models.TextField(blank=True)

    class Meta(DeviceReport.Meta):
        constraints = [
            models.UniqueConstraint(fields=["script", "device"], name="one_run_per_device")
        ]
