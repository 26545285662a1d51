"""The abstract models scripts, apps and policies share: a group assignment, and what one device
last reported for one object. Each workload subclasses them with its object's foreign key."""

from django.db import models


class AssignmentMode(models.TextChoices):
    """Included or excluded (exclusion wins, as in Intune); apps add their intents."""

    INCLUDE = "include", "Included groups"
    EXCLUDE = "exclude", "Excluded groups"


class GroupAssignment(models.Model):
    """A group an object is assigned to, or excluded from. A subclass adds the object's
    foreign key, named by `object_field`, and its unique constraint (object, group)."""

    object_field = ""
    group = models.ForeignKey(
        "rbac.SecurityGroup",
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_set",
    )
    mode = models.CharField(max_length=8, choices=AssignmentMode.choices)

    class Meta:
        abstract = True
        ordering = ["mode", "group__name"]

    def __str__(self) -> str:
        return f"{getattr(self, self.object_field)} → {self.group} ({self.get_mode_display()})"


class DeviceReport(models.Model):
    """What one device last reported for one object. A subclass adds the object's foreign key
    (`object_field`), its `status` with its own choices, and the unique (object, device)."""

    object_field = ""
    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["device__name"]
        indexes = [models.Index(fields=["device", "status"])]

    def __str__(self) -> str:
        return f"{getattr(self, self.object_field)} on {self.device}: {self.get_status_display()}"
