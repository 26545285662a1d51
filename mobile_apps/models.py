from django.db import models

from assignments.models import DeviceReport, GroupAssignment
from devices.models import OperatingSystem


class AppType(models.TextChoices):
    """Intune's app types (Apps > All apps > Add), the ones the portal manages."""

    WIN32 = "win32", "Windows app (Win32)"
    MICROSOFT_STORE = "microsoft_store", "Microsoft Store app"
    IOS_STORE = "ios_store", "iOS store app"
    ANDROID_PLAY = "android_play", "Android managed Google Play app"
    WEB_LINK = "web_link", "Web link"


# The systems each type installs on; a web link is a shortcut on any of them.
APP_TYPE_SYSTEMS = {
    AppType.WIN32: [OperatingSystem.WINDOWS],
    AppType.MICROSOFT_STORE: [OperatingSystem.WINDOWS],
    AppType.IOS_STORE: [OperatingSystem.IOS],
    AppType.ANDROID_PLAY: [OperatingSystem.ANDROID],
    AppType.WEB_LINK: [
        OperatingSystem.WINDOWS,
        OperatingSystem.MACOS,
        OperatingSystem.IOS,
        OperatingSystem.ANDROID,
    ],
}


class DetectionType(models.TextChoices):
    MSI = "msi", "MSI product code"
    FILE = "file", "File or folder exists"
    REGISTRY = "registry", "Registry key exists"


class MobileApp(models.Model):
    app_type = models.CharField(max_length=20, choices=AppType.choices, db_index=True)
    name = models.CharField(max_length=128, unique=True)
    publisher = models.CharField(max_length=128)
    app_version = models.CharField("version", max_length=64, blank=True)
    description = models.TextField(max_length=2048, blank=True)
    # Windows app (Win32)
    install_command = models.CharField(max_length=1024, blank=True)
    uninstall_command = models.CharField(max_length=1024, blank=True)
    detection_type = models.CharField(max_length=16, choices=DetectionType.choices, blank=True)
    detection_value = models.CharField(max_length=1024, blank=True)
    # Microsoft Store app: the package identifier (e.g. 9WZDNCRFJ3PZ)
    package_identifier = models.CharField(max_length=64, blank=True)
    # iOS store app
    app_store_url = models.URLField(max_length=512, blank=True)
    bundle_id = models.CharField(max_length=255, blank=True)
    # Android managed Google Play app
    package_name = models.CharField(max_length=255, blank=True)
    # Web link
    app_url = models.URLField("app URL", max_length=512, blank=True)
    # Bumped on every edit: devices with an older revision install again at check-in.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "app"

    def __str__(self) -> str:
        return self.name

    @property
    def operating_systems(self) -> list[str]:
        return APP_TYPE_SYSTEMS[AppType(self.app_type)]


class Intent(models.TextChoices):
    REQUIRED = "required", "Required"
    AVAILABLE = "available", "Available for enrolled devices"
    UNINSTALL = "uninstall", "Uninstall"
    EXCLUDE = "exclude", "Excluded"


# When groups disagree on one device, Intune's order: excluded, then required, uninstall,
# available.
INTENT_PRECEDENCE = [Intent.EXCLUDE, Intent.REQUIRED, Intent.UNINSTALL, Intent.AVAILABLE]


class AppAssignment(GroupAssignment):
    object_field = "app"
    app = models.ForeignKey(MobileApp, on_delete=models.CASCADE, related_name="assignments")
    mode = models.CharField("intent", max_length=12, choices=Intent.choices)

    class Meta(GroupAssignment.Meta):
        constraints = [
            models.UniqueConstraint(fields=["app", "group"], name="one_app_assignment_per_group")
        ]


class InstallStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    INSTALLED = "installed", "Installed"
    FAILED = "failed", "Failed"
    NOT_INSTALLED = "not_installed", "Not installed"
    AVAILABLE = "available", "Available"


class AppInstall(DeviceReport):
    """One app on one device: what its intent asks and what the device last reported."""

    object_field = "app"
    app = models.ForeignKey(MobileApp, on_delete=models.CASCADE, related_name="installs")
    intent = models.CharField(max_length=12, choices=Intent.choices)
    revision = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=InstallStatus.choices, default=InstallStatus.PENDING, db_index=True
    )
    detail = models.CharField(max_length=512, blank=True)

    class Meta(DeviceReport.Meta):
        constraints = [
            models.UniqueConstraint(fields=["app", "device"], name="one_install_per_device")
        ]
