from django.db import models

from assignments.models import DeviceReport, GroupAssignment

from .settings import PolicyPlatform


class Family(models.TextChoices):
    COMPLIANCE = "compliance", "Compliance policy"
    CONFIGURATION = "configuration", "Configuration policy"


class DevicePolicy(models.Model):
    """A compliance policy or a configuration (settings catalog) policy.

    `settings` holds {setting key: value} for the configured settings only; the catalogs
    (compliance_rules.py, settings_catalog.py) say what each key means.
    """

    family = models.CharField(max_length=16, choices=Family.choices, db_index=True)
    name = models.CharField(max_length=128)
    description = models.TextField(max_length=1024, blank=True)
    platform = models.CharField(max_length=16, choices=PolicyPlatform.CHOICES)
    settings = models.JSONField(default=dict)
    # Compliance only: actions for noncompliance.
    noncompliant_after_days = models.PositiveIntegerField(
        "mark device noncompliant after (days)", default=0
    )
    notify_user = models.BooleanField("send email to end user", default=False)
    # Bumped on every edit: devices evaluate or apply the new version at check-in.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "device policies"
        constraints = [
            models.UniqueConstraint(fields=["family", "name"], name="one_policy_name_per_family")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_compliance(self) -> bool:
        return self.family == Family.COMPLIANCE


class PolicyAssignment(GroupAssignment):
    object_field = "policy"
    policy = models.ForeignKey(DevicePolicy, on_delete=models.CASCADE, related_name="assignments")

    class Meta(GroupAssignment.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "group"], name="one_policy_assignment_per_group"
            )
        ]


class DeviceStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLIANT = "compliant", "Compliant"
    IN_GRACE = "in_grace", "In grace period"
    NONCOMPLIANT = "noncompliant", "Not compliant"
    SUCCEEDED = "succeeded", "Succeeded"
    CONFLICT = "conflict", "Conflict"


class PolicyDeviceState(DeviceReport):
    """What one device last reported for one policy.

    details: compliance {"failed": [{"rule", "required", "actual"}]}; configuration
    {"settings": [{"key", "name", "value", "status", "conflicts_with": [policy names]}]}.
    """

    object_field = "policy"
    policy = models.ForeignKey(DevicePolicy, on_delete=models.CASCADE, related_name="states")
    policy_version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=DeviceStatus.choices, default=DeviceStatus.PENDING, db_index=True
    )
    details = models.JSONField(default=dict)
    # Compliance: when the device first failed a rule of this policy (grace period start).
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta(DeviceReport.Meta):
        constraints = [
            models.UniqueConstraint(fields=["policy", "device"], name="one_state_per_device")
        ]
