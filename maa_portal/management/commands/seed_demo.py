"""A demo tenant in the shape of the article: a policy admin, approvers, Hazel, devices, scripts,
device categories, apps, compliance and configuration policies."""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from device_scripts.models import Platform, RunAs, Schedule, Script, ScriptKind
from device_scripts.services import script_assign, script_create
from devices.models import Device, DeviceCategory, OperatingSystem, Ownership
from devices.services import category_create, device_check_in
from rbac.applications import application_create
from rbac.catalogue import Perm
from rbac.models import DirectoryRole, Role, RoleAssignment, ScopeTag, SecurityGroup, User
from rbac.services import assignment_create, catalogue_sync, group_create, role_create

from ...demo_workloads import seed_workloads

DEMO_PASSWORD = "maa-demo-2026"

ADMINS = [
    # username, display name, directory role, groups
    ("policyadmin", "Pat Morgan (policy admin)", DirectoryRole.INTUNE_ADMINISTRATOR, []),
    ("approver", "Alex Rossi (approver)", "", ["Intune MAA Approvers"]),
    ("approver2", "Jordan Lee (approver)", "", ["Intune MAA Approvers"]),
    ("hazel", "Hazel Bianchi (help desk)", "", ["Help Desk"]),
    ("helpdesk2", "Marco Verdi (help desk, Milan only)", "", ["Help Desk Milan"]),
    ("roleadmin", "Riley Chen (role admin)", "", ["Intune Role Admins"]),
    ("profilemanager", "Sam Ortiz (scripts and profiles)", "", ["Endpoint Admins"]),
    ("appmanager", "Kim Park (apps)", "", ["App Admins"]),
    ("auditor", "Casey Novak (auditor)", "", ["Auditors"]),
    ("globaladmin", "Gale Fischer (global admin)", DirectoryRole.GLOBAL_ADMINISTRATOR, []),
]
EMPLOYEES = [
    ("Giulia", "Conti", "Milan"),
    ("Luca", "Romano", "Milan"),
    ("Sofia", "Greco", "Milan"),
    ("Matteo", "Ferrari", "Milan"),
    ("Emma", "Clarke", "London"),
    ("Oliver", "Hughes", "London"),
    ("Amelia", "Wright", "London"),
    ("Noah", "Turner", "London"),
    ("Chiara", "Marino", "Milan"),
    ("Harry", "Walker", "London"),
    ("Elena", "Costa", "Milan"),
    ("Jack", "Evans", "London"),
]
MODELS = {
    OperatingSystem.WINDOWS: [
        ("Dell", "Latitude 7450", "10.0.26100.2605"),
        ("Lenovo", "ThinkPad T14", "10.0.22631.4602"),
        ("HP", "EliteBook 840 G11", "10.0.26100.2605"),
        ("Microsoft", "Surface Laptop 7", "10.0.26100.2605"),
        ("Dell", "OptiPlex 7010", "10.0.19045.5247"),
    ],
    OperatingSystem.MACOS: [
        ("Apple", "MacBook Air M3", "15.1"),
        ("Apple", "MacBook Pro 14 M4", "15.2"),
    ],
    OperatingSystem.IOS: [("Apple", "iPhone 16", "18.2"), ("Apple", "iPad Air M2", "18.1")],
    OperatingSystem.ANDROID: [("Samsung", "Galaxy S24", "15"), ("Google", "Pixel 9", "15")],
}
CATEGORIES = [
    ("Corporate laptops", "Windows laptops owned by the company.", OperatingSystem.WINDOWS),
    ("Mac workstations", "Design and engineering Macs.", OperatingSystem.MACOS),
    ("Shared iPads", "iPads shared on the shop floor.", OperatingSystem.IOS),
    ("Android phones", "Company Android phones.", OperatingSystem.ANDROID),
]
SCRIPTS = [
    (
        ScriptKind.PLATFORM,
        {
            "name": "Set time zone to W. Europe",
            "description": "Sets the Windows time zone for the Milan office.",
            "platform": Platform.WINDOWS,
            "body": 'Set-TimeZone -Id "W. Europe Standard Time"\n'
            'Write-Output "Time zone set to W. Europe Standard Time"\n',
            "remediation_body": "",
            "run_as": RunAs.SYSTEM,
            "enforce_signature_check": False,
            "run_64bit": True,
            "schedule": "",
        },
        ["Milan employees"],
    ),
    (
        ScriptKind.PLATFORM,
        {
            "name": "Enable macOS firewall",
            "description": "Turns on the application firewall.",
            "platform": Platform.MACOS,
            "body": "#!/bin/zsh\n/usr/libexec/ApplicationFirewall/socketfilterfw "
            '--setglobalstate on\necho "Firewall enabled"\n',
            "remediation_body": "",
            "run_as": RunAs.SYSTEM,
            "enforce_signature_check": False,
            "run_64bit": False,
            "schedule": "",
        },
        [],
    ),
    (
        ScriptKind.REMEDIATION,
        {
            "name": "Restart stopped Print Spooler",
            "description": "Detects a stopped Print Spooler service and starts it.",
            "platform": Platform.WINDOWS,
            "body": "$s = Get-Service -Name Spooler\n"
            'if ($s.Status -ne "Running") {\n    Write-Output "Spooler stopped"\n    exit 1\n}\n'
            'Write-Output "Spooler running"\nexit 0\n',
            "remediation_body": 'Start-Service -Name Spooler\nWrite-Output "Spooler started"\n',
            "run_as": RunAs.SYSTEM,
            "enforce_signature_check": False,
            "run_64bit": True,
            "schedule": Schedule.DAILY,
        },
        ["London employees"],
    ),
]


class Command(BaseCommand):
    help = "Create the demo tenant (idempotent) and print its logins."

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=60)

    @transaction.atomic
    def handle(self, *args, devices: int, **options):
        catalogue_sync()
        tags = {name: ScopeTag.objects.get_or_create(name=name)[0] for name in ("Milan", "London")}
        users = {}
        for username, display, directory_role, _groups in ADMINS:
            users[username] = self._user(username, display, directory_role)
        employees = []
        for first, last, city in EMPLOYEES:
            user = self._user(f"{first.lower()}.{last.lower()}", f"{first} {last}", "")
            employees.append((user, city))
        group_members = {
            "Intune MAA Approvers": [users["approver"], users["approver2"]],
            "Help Desk": [users["hazel"]],
            "Help Desk Milan": [users["helpdesk2"]],
            "Intune Role Admins": [users["roleadmin"]],
            "Endpoint Admins": [users["profilemanager"]],
            "App Admins": [users["appmanager"]],
            "Automation": [],
            "Auditors": [users["auditor"]],
            "Milan employees": [u for u, city in employees if city == "Milan"],
            "London employees": [u for u, city in employees if city == "London"],
        }
        groups = {}
        for name, members in group_members.items():
            group = SecurityGroup.objects.filter(name=name).first()
            groups[name] = group or group_create(actor=None, name=name, members=members)
        approver_role = Role.objects.filter(name="MAA Approver").first()
        if approver_role is None:
            read_only = Role.objects.get(name="Read Only Operator")
            approver_role = role_create(
                actor=None,
                name="MAA Approver",
                description="Read Only Operator plus Approval for Multi Admin Approval: the "
                "approver role of the article.",
                permissions=[
                    *read_only.permissions.values_list("code", flat=True),
                    Perm.MAA_APPROVE,
                ],
                duplicated_from_id=read_only.pk,
            )
        assignments = [
            ("MAA approvers", approver_role, ["Intune MAA Approvers"], True, [], []),
            ("Help desk", Role.objects.get(name="Help Desk Operator"), ["Help Desk"], True, [], []),
            (
                "Help desk Milan",
                Role.objects.get(name="Help Desk Operator"),
                ["Help Desk Milan"],
                False,
                ["Milan employees"],
                ["Milan"],
            ),
            (
                "Role administrators",
                Role.objects.get(name="Intune Role Administrator"),
                ["Intune Role Admins"],
                True,
                [],
                [],
            ),
            ("Auditors", Role.objects.get(name="Read Only Operator"), ["Auditors"], True, [], []),
            (
                "Automation",
                Role.objects.get(name="Help Desk Operator"),
                ["Automation"],
                True,
                [],
                [],
            ),
            (
                "App managers",
                Role.objects.get(name="Application Manager"),
                ["App Admins"],
                True,
                [],
                [],
            ),
            (
                "Endpoint admins",
                Role.objects.get(name="Policy and Profile Manager"),
                ["Endpoint Admins"],
                True,
                [],
                [],
            ),
        ]
        for name, role, members, all_devices, scope_groups, scope_tags in assignments:
            if not RoleAssignment.objects.filter(name=name).exists():
                assignment_create(
                    actor=None,
                    state={
                        "name": name,
                        "description": "",
                        "role": role.pk,
                        "members": [groups[g].pk for g in members],
                        "scope_all_devices": all_devices,
                        "scope_groups": [groups[g].pk for g in scope_groups],
                        "scope_tags": [tags[t].pk for t in scope_tags],
                    },
                )
        created = self._devices(devices, employees, tags)
        self._categories()
        self._scripts(groups)
        seed_workloads(groups)
        # Each device checks in once: apps install, compliance is computed, settings apply.
        for device_id in Device.objects.values_list("pk", flat=True):
            device_check_in(device_id=device_id)
        api_client = self._api_application(groups["Automation"])
        self.stdout.write(self.style.SUCCESS(f"Demo tenant ready ({created} new devices)."))
        if api_client:
            self.stdout.write(
                "API application Patch bot (Help Desk Operator through the Automation group):\n"
                f"  client id     {api_client[0]}\n  client secret {api_client[1]}\n"
                "  (shown once; reset it under Tenant administration > API applications)"
            )
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for username, display, directory_role, _groups in ADMINS:
            role = DirectoryRole(directory_role).label if directory_role else ""
            self.stdout.write(f"  {username:<12} {display}{' · ' + role if role else ''}")

    def _categories(self) -> None:
        for name, description, os_name in CATEGORIES:
            category = DeviceCategory.objects.filter(name=name).first()
            if category is None:
                category = category_create(actor=None, name=name, description=description)
                Device.objects.filter(operating_system=os_name, category=None).update(
                    category=category
                )

    def _scripts(self, groups) -> None:
        for kind, state, assigned_to in SCRIPTS:
            if Script.objects.filter(name=state["name"]).exists():
                continue
            script = script_create(actor=None, kind=kind, state=state)
            if assigned_to:
                include = [groups[name].pk for name in assigned_to]
                script_assign(actor=None, object_id=script.pk, groups={"include": include})

    def _api_application(self, group) -> tuple[str, str] | None:
        """The demo's API client, created once: (client id, secret), or None if it exists."""
        if User.objects.filter(is_application=True, display_name="Patch bot").exists():
            return None
        _principal, application, secret = application_create(
            actor=None, name="Patch bot", group_ids=[group.pk]
        )
        return application.client_id, secret

    def _user(self, username: str, display: str, directory_role: str) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": display,
                "email": f"{username}@contoso.example",
                "directory_role": directory_role,
                "is_staff": bool(directory_role),
                "is_superuser": directory_role == DirectoryRole.GLOBAL_ADMINISTRATOR,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _devices(self, count: int, employees, tags) -> int:
        rng = random.Random(20261127)
        now = timezone.now()
        created = 0
        for i in range(count):
            os_name = rng.choice(list(MODELS))
            maker, model, version = rng.choice(MODELS[os_name])
            user, city = employees[i % len(employees)]
            prefix = {"Windows": "DESKTOP", "macOS": "MAC", "iOS": "IPHONE", "Android": "ANDROID"}[
                os_name
            ]
            if model.startswith("iPad"):
                prefix = "IPAD"
            serial = f"SN{rng.randrange(10**9, 10**10)}"
            device, was_created = Device.objects.get_or_create(
                serial_number=serial,
                defaults={
                    "name": f"{prefix}-{city[:3].upper()}-{i + 1:03d}",
                    "operating_system": os_name,
                    "os_version": version,
                    "model": model,
                    "manufacturer": maker,
                    "ownership": Ownership.PERSONAL if rng.random() < 0.2 else Ownership.CORPORATE,
                    "primary_user": user,
                    # What compliance rules measure; a few devices break one.
                    "encrypted": rng.random() < 0.9,
                    "password_length": rng.choice([0, 6, 8, 8, 8, 12, 12, 14]),
                    "jailbroken": os_name in ("iOS", "Android") and rng.random() < 0.05,
                    "firewall_enabled": rng.random() < 0.95,
                    "antivirus_enabled": rng.random() < 0.95,
                    "enrolled_at": now - timedelta(days=rng.randrange(20, 700)),
                    "last_check_in": now - timedelta(minutes=rng.randrange(5, 60 * 48)),
                },
            )
            if was_created:
                device.scope_tags.set([tags[city]])
                created += 1
        return created
