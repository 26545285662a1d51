"""Builders for the tenant a test needs; each returns real rows made through the services."""

import itertools

from devices.models import Compliance, Device, OperatingSystem, Ownership
from rbac.catalogue import Perm
from rbac.models import DirectoryRole, Role, ScopeTag, SecurityGroup, User
from rbac.services import assignment_create, group_create, role_create

_seq = itertools.count(1)


def user(username: str = "", *, directory_role: str = "", email: bool = True) -> User:
    username = username or f"user{next(_seq)}"
    person = User.objects.create_user(
        username=username,
        password="pw",
        display_name=username.capitalize(),
        email=f"{username}@example.test" if email else "",
        directory_role=directory_role,
    )
    return person


def global_admin(username: str = "globaladmin") -> User:
    return user(username, directory_role=DirectoryRole.GLOBAL_ADMINISTRATOR)


def intune_admin(username: str = "intuneadmin") -> User:
    return user(username, directory_role=DirectoryRole.INTUNE_ADMINISTRATOR)


def group(name: str = "", members=(), *, group_type: str = "security") -> SecurityGroup:
    return group_create(
        actor=None, name=name or f"group{next(_seq)}", members=members, group_type=group_type
    )


def role(name: str, permissions) -> Role:
    return role_create(actor=None, name=name, description="", permissions=list(permissions))


def builtin(name: str) -> Role:
    return Role.objects.get(name=name, is_builtin=True)


def assign(role_obj: Role, groups, *, scope_groups=(), tags=(), name: str = ""):
    return assignment_create(
        actor=None,
        state={
            "name": name or f"assignment{next(_seq)}",
            "description": "",
            "role": role_obj.pk,
            "members": [g.pk for g in groups],
            "scope_all_devices": not scope_groups,
            "scope_groups": [g.pk for g in scope_groups],
            "scope_tags": [t.pk for t in tags],
        },
    )


def approver_role() -> Role:
    """The article's approver role: Read Only Operator plus Approval for Multi Admin Approval."""
    existing = Role.objects.filter(name="MAA Approver").first()
    if existing:
        return existing
    read_only = builtin("Read Only Operator")
    return role(
        "MAA Approver", [*read_only.permissions.values_list("code", flat=True), Perm.MAA_APPROVE]
    )


def tag(name: str) -> ScopeTag:
    return ScopeTag.objects.get_or_create(name=name)[0]


def device(name: str = "", *, primary_user=None, tags=(), **fields) -> Device:
    n = next(_seq)
    created = Device.objects.create(
        name=name or f"DESKTOP-{n:04d}",
        serial_number=fields.pop("serial_number", f"SN-TEST-{n:06d}"),
        operating_system=fields.pop("operating_system", OperatingSystem.WINDOWS),
        os_version=fields.pop("os_version", "10.0.26100.2605"),
        model=fields.pop("model", "Latitude 7450"),
        manufacturer=fields.pop("manufacturer", "Dell"),
        ownership=fields.pop("ownership", Ownership.CORPORATE),
        compliance_state=fields.pop("compliance_state", Compliance.COMPLIANT),
        primary_user=primary_user,
        **fields,
    )
    if tags:
        created.scope_tags.set(tags)
    return created


def script(name: str = "", *, kind: str = "script", body: str = 'Write-Output "hello"\n', **state):
    from device_scripts.services import script_create

    return script_create(
        actor=None,
        kind=kind,
        state={
            "name": name or f"Script {next(_seq)}",
            "description": "",
            "platform": state.pop("platform", "windows"),
            "body": body,
            "remediation_body": state.pop("remediation_body", ""),
            "run_as": "system",
            "enforce_signature_check": False,
            "run_64bit": True,
            "schedule": state.pop("schedule", ""),
        },
    )


def app(name: str = "", *, app_type: str = "win32", **fields):
    from mobile_apps.services import app_create, app_fields

    defaults = {
        "name": name or f"App {next(_seq)}",
        "publisher": "Contoso",
        "app_version": "1.0",
        "description": "",
        "install_command": 'msiexec /i "app.msi" /qn',
        "uninstall_command": 'msiexec /x "app.msi" /qn',
        "detection_type": "file",
        "detection_value": r"C:\Program Files\App\app.exe",
        "package_identifier": "9WZDNCRFJ3PZ",
        "app_store_url": "https://apps.apple.com/app/id123",
        "bundle_id": "com.contoso.app",
        "package_name": "com.contoso.app",
        "app_url": "https://intranet.contoso.example",
    }
    state = {"app_type": app_type}
    for field in app_fields(app_type):
        state[field] = fields.pop(field, defaults[field])
    return app_create(actor=None, state=state)


def device_policy(
    name: str = "", *, family: str, platform: str = "windows", settings: dict, **fields
):
    from device_policies.services import policy_create

    state = {
        "family": family,
        "name": name or f"Policy {next(_seq)}",
        "description": "",
        "platform": platform,
        "settings": settings,
    }
    if family == "compliance":
        state["noncompliant_after_days"] = fields.pop("noncompliant_after_days", 0)
        state["notify_user"] = fields.pop("notify_user", False)
    return policy_create(actor=None, state=state)
