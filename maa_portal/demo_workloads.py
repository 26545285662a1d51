"""The demo tenant's apps, compliance policies and configuration policies (seed_demo)."""

from device_policies.models import DevicePolicy
from device_policies.services import policy_assign, policy_create
from mobile_apps.models import MobileApp
from mobile_apps.services import app_assign, app_create

EVERYONE = ["Milan employees", "London employees"]

APPS = [
    # state, {intent: [group names]}
    (
        {
            "app_type": "win32",
            "name": "7-Zip",
            "publisher": "Igor Pavlov",
            "app_version": "24.09",
            "description": "File archiver, required on every Windows device.",
            "install_command": 'msiexec /i "7z2409-x64.msi" /qn',
            "uninstall_command": "msiexec /x {23170F69-40C1-2702-2409-000001000000} /qn",
            "detection_type": "msi",
            "detection_value": "{23170F69-40C1-2702-2409-000001000000}",
        },
        {"required": EVERYONE},
    ),
    (
        {
            "app_type": "win32",
            "name": "Zoom Workplace",
            "publisher": "Zoom Video Communications",
            "app_version": "6.3.0",
            "description": "Meetings client for the Milan office.",
            "install_command": "ZoomInstallerFull.exe /quiet /norestart",
            "uninstall_command": "ZoomInstallerFull.exe /uninstall /quiet",
            "detection_type": "file",
            "detection_value": r"C:\Program Files\Zoom\bin\Zoom.exe",
        },
        {"available": ["Milan employees"]},
    ),
    (
        {
            "app_type": "microsoft_store",
            "name": "Company Portal",
            "publisher": "Microsoft Corporation",
            "app_version": "",
            "description": "Self-service app catalogue and device enrolment.",
            "package_identifier": "9WZDNCRFJ3PZ",
        },
        {"required": EVERYONE},
    ),
    (
        {
            "app_type": "ios_store",
            "name": "Microsoft Teams for iOS",
            "publisher": "Microsoft Corporation",
            "app_version": "7.1",
            "description": "",
            "app_store_url": "https://apps.apple.com/app/microsoft-teams/id1113153706",
            "bundle_id": "com.microsoft.skype.teams",
        },
        {"required": EVERYONE},
    ),
    (
        {
            "app_type": "android_play",
            "name": "Microsoft Outlook for Android",
            "publisher": "Microsoft Corporation",
            "app_version": "",
            "description": "",
            "package_name": "com.microsoft.office.outlook",
        },
        {"available": EVERYONE},
    ),
    (
        {
            "app_type": "web_link",
            "name": "Contoso intranet",
            "publisher": "Contoso IT",
            "app_version": "",
            "description": "Shortcut to the intranet home page.",
            "app_url": "https://intranet.contoso.example",
        },
        {"required": ["London employees"]},
    ),
]

POLICIES = [
    # state, included groups
    (
        {
            "family": "compliance",
            "name": "Windows 11 baseline",
            "description": "BitLocker, firewall and antivirus on; Windows 11 23H2 or later.",
            "platform": "windows",
            "settings": {
                "os.minimum_version": "10.0.22631",
                "encryption.required": True,
                "windows.firewall_required": True,
                "windows.antivirus_required": True,
            },
            "noncompliant_after_days": 0,
            "notify_user": False,
        },
        EVERYONE,
    ),
    (
        {
            "family": "compliance",
            "name": "iOS baseline",
            "description": "A passcode of 6 or more and no jailbreak.",
            "platform": "ios",
            "settings": {
                "password.required": True,
                "password.minimum_length": 6,
                "device.block_jailbroken": True,
                "os.minimum_version": "17.0",
            },
            "noncompliant_after_days": 3,
            "notify_user": True,
        },
        EVERYONE,
    ),
    (
        {
            "family": "compliance",
            "name": "Android Enterprise baseline",
            "description": "Encrypted, with a password, not rooted.",
            "platform": "android",
            "settings": {
                "encryption.required": True,
                "password.required": True,
                "device.block_jailbroken": True,
            },
            "noncompliant_after_days": 1,
            "notify_user": True,
        },
        EVERYONE,
    ),
    (
        {
            "family": "configuration",
            "name": "Windows security baseline",
            "description": "Defender, BitLocker and firewall settings for every Windows PC.",
            "platform": "windows",
            "settings": {
                "defender.allow_realtime_monitoring": True,
                "defender.allow_cloud_protection": True,
                "defender.pua_protection": "1",
                "bitlocker.require_device_encryption": True,
                "firewall.public_enable": True,
                "camera.allow_camera": True,
                "update.defer_quality_updates_days": 7,
            },
        },
        EVERYONE,
    ),
    (
        {
            "family": "configuration",
            "name": "Milan secure area",
            "description": "No camera and no USB storage in the Milan lab; conflicts with the "
            "baseline's camera setting on Milan PCs.",
            "platform": "windows",
            "settings": {"camera.allow_camera": False, "storage.removable_deny_all": True},
        },
        ["Milan employees"],
    ),
    (
        {
            "family": "configuration",
            "name": "iOS restrictions",
            "description": "Encrypted backups, no iCloud backup.",
            "platform": "ios",
            "settings": {
                "ios.force_encrypted_backup": True,
                "ios.allow_cloud_backup": False,
                "ios.passcode_min_length": 6,
            },
        },
        EVERYONE,
    ),
]


def seed_workloads(groups: dict) -> None:
    """Create the demo apps and policies once, assigned to the demo groups."""
    for state, intents in APPS:
        if MobileApp.objects.filter(name=state["name"]).exists():
            continue
        app = app_create(actor=None, state=state)
        ids = {intent: [groups[name].pk for name in names] for intent, names in intents.items()}
        app_assign(actor=None, object_id=app.pk, groups=ids)
    for state, included in POLICIES:
        if DevicePolicy.objects.filter(family=state["family"], name=state["name"]).exists():
            continue
        policy = policy_create(actor=None, state=state)
        ids = [groups[name].pk for name in included]
        policy_assign(actor=None, object_id=policy.pk, groups={"include": ids, "exclude": []})
