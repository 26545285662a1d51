"""The Intune permission catalogue and the built-in roles, as code.

The database copies (rbac.Permission, built-in rbac.Role rows) are kept in step with this module
after every migrate, so a new permission or a corrected built-in role is one edit here.
"""

from dataclasses import dataclass

from django.db import models


class Workload(models.TextChoices):
    """What Intune's Multi Admin Approval protects, in the order its policy wizard lists them.

    An access policy protects one workload (all its create, edit, delete and assign operations),
    or, for device actions, one action.
    """

    APPS = "apps", "Apps"
    COMPLIANCE = "compliance", "Compliance policies"
    CONFIGURATION = "configuration", "Configuration policies"
    DEVICE_ACTIONS = "device_actions", "Device actions"
    RBAC = "rbac", "Role-based access control"
    SCRIPTS = "scripts", "Scripts"
    TENANT_CONFIGURATION = "tenant_configuration", "Tenant configuration"
    ACCESS_POLICIES = "access_policies", "Access policies"


@dataclass(frozen=True)
class PermissionSpec:
    code: str
    category: str
    name: str


def _category(category: str, prefix: str, names: list[str]) -> list[PermissionSpec]:
    return [
        PermissionSpec(f"{prefix}.{name.lower().replace(' ', '_')}", category, name)
        for name in names
    ]


CRUD_ASSIGN = ["Read", "Create", "Update", "Delete", "Assign"]

PERMISSIONS: list[PermissionSpec] = [
    *_category("Managed devices", "managed_devices", ["Read", "Update", "Delete"]),
    *_category("Remote tasks", "remote_tasks", ["Wipe", "Retire", "Sync devices"]),
    *_category("Device management scripts", "scripts", CRUD_ASSIGN),
    *_category("Mobile apps", "mobile_apps", CRUD_ASSIGN),
    *_category("Device compliance policies", "compliance", CRUD_ASSIGN),
    *_category("Device configurations", "configurations", CRUD_ASSIGN),
    *_category("Roles", "roles", CRUD_ASSIGN),
    *_category(
        "Multi Admin Approval",
        "maa",
        [
            "Approval for Multi Admin Approval",
            "Read access policy",
            "Create access policy",
            "Update access policy",
            "Delete access policy",
        ],
    ),
    *_category("Organization", "organization", ["Read", "Update"]),
    *_category("Audit data", "audit_data", ["Read"]),
]
PERMISSION_CODES = {spec.code for spec in PERMISSIONS}


class Perm:
    """Names for the codes the portal checks, so a typo fails at import, not at run time."""

    DEVICES_READ = "managed_devices.read"
    DEVICES_UPDATE = "managed_devices.update"
    DEVICES_DELETE = "managed_devices.delete"
    WIPE = "remote_tasks.wipe"
    RETIRE = "remote_tasks.retire"
    SYNC = "remote_tasks.sync_devices"
    ROLES_READ = "roles.read"
    ROLES_CREATE = "roles.create"
    ROLES_UPDATE = "roles.update"
    ROLES_DELETE = "roles.delete"
    ROLES_ASSIGN = "roles.assign"
    MAA_APPROVE = "maa.approval_for_multi_admin_approval"
    MAA_POLICY_READ = "maa.read_access_policy"
    MAA_POLICY_CREATE = "maa.create_access_policy"
    MAA_POLICY_UPDATE = "maa.update_access_policy"
    MAA_POLICY_DELETE = "maa.delete_access_policy"
    ORGANIZATION_READ = "organization.read"
    ORGANIZATION_UPDATE = "organization.update"
    SCRIPTS_READ = "scripts.read"
    SCRIPTS_CREATE = "scripts.create"
    SCRIPTS_UPDATE = "scripts.update"
    SCRIPTS_DELETE = "scripts.delete"
    SCRIPTS_ASSIGN = "scripts.assign"
    APPS_READ = "mobile_apps.read"
    APPS_CREATE = "mobile_apps.create"
    APPS_UPDATE = "mobile_apps.update"
    APPS_DELETE = "mobile_apps.delete"
    APPS_ASSIGN = "mobile_apps.assign"
    COMPLIANCE_READ = "compliance.read"
    COMPLIANCE_CREATE = "compliance.create"
    COMPLIANCE_UPDATE = "compliance.update"
    COMPLIANCE_DELETE = "compliance.delete"
    COMPLIANCE_ASSIGN = "compliance.assign"
    CONFIGURATION_READ = "configurations.read"
    CONFIGURATION_CREATE = "configurations.create"
    CONFIGURATION_UPDATE = "configurations.update"
    CONFIGURATION_DELETE = "configurations.delete"
    CONFIGURATION_ASSIGN = "configurations.assign"
    AUDIT_READ = "audit_data.read"


def _codes(prefix: str, names: list[str]) -> list[str]:
    return [f"{prefix}.{name.lower()}" for name in names]


READS = [spec.code for spec in PERMISSIONS if spec.name == "Read" and spec.category != "Roles"]
POLICY_CRUD_ASSIGN = _codes("compliance", CRUD_ASSIGN) + _codes("configurations", CRUD_ASSIGN)
SCRIPTS_CRUD_ASSIGN = _codes("scripts", CRUD_ASSIGN)
APPS_CRUD_ASSIGN = _codes("mobile_apps", CRUD_ASSIGN)


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    description: str
    permissions: list[str]


# None of Intune's built-in roles holds a Multi Admin Approval permission; approvers get one
# through a custom role (the article clones Read Only Operator and adds the approval permission).
BUILTIN_ROLES: list[BuiltinRole] = [
    BuiltinRole(
        "Application Manager",
        "Manages mobile and managed applications, app protection and policy sets; "
        "can read device information.",
        [Perm.DEVICES_READ, Perm.ORGANIZATION_READ, *APPS_CRUD_ASSIGN],
    ),
    BuiltinRole(
        "Endpoint Security Manager",
        "Manages security baselines, compliance, antivirus, EDR and attack surface reduction "
        "policies.",
        [
            Perm.DEVICES_READ,
            Perm.DEVICES_UPDATE,
            Perm.DEVICES_DELETE,
            Perm.SYNC,
            Perm.ORGANIZATION_READ,
            Perm.AUDIT_READ,
            *POLICY_CRUD_ASSIGN,
        ],
    ),
    BuiltinRole(
        "Help Desk Operator",
        "Performs remote tasks on users and devices (wipe, retire, sync, ...) and can assign "
        "applications or policies to users or devices.",
        [
            *READS,
            Perm.DEVICES_UPDATE,
            Perm.DEVICES_DELETE,
            Perm.WIPE,
            Perm.RETIRE,
            Perm.SYNC,
            "mobile_apps.assign",
            "compliance.assign",
            "configurations.assign",
            Perm.SCRIPTS_ASSIGN,
        ],
    ),
    BuiltinRole(
        "Intune Role Administrator",
        "Manages custom Intune roles and adds assignments for built-in roles; the only built-in "
        "role that can assign permissions to administrators.",
        [*_codes("roles", CRUD_ASSIGN), Perm.ORGANIZATION_READ, Perm.AUDIT_READ],
    ),
    BuiltinRole(
        "Policy and Profile Manager",
        "Manages compliance policies, configuration profiles, enrollment and corporate device "
        "identifiers.",
        [
            Perm.DEVICES_READ,
            Perm.ORGANIZATION_READ,
            Perm.AUDIT_READ,
            *POLICY_CRUD_ASSIGN,
            *SCRIPTS_CRUD_ASSIGN,
        ],
    ),
    BuiltinRole(
        "Read Only Operator",
        "Views user, device, enrollment, configuration and application information; cannot make "
        "changes.",
        [*READS, Perm.ROLES_READ],
    ),
    BuiltinRole(
        "School Administrator",
        "Manages apps and settings for groups in Intune for Education and can run remote device "
        "actions.",
        [
            Perm.DEVICES_READ,
            Perm.DEVICES_UPDATE,
            Perm.DEVICES_DELETE,
            Perm.WIPE,
            Perm.RETIRE,
            Perm.SYNC,
            Perm.ORGANIZATION_READ,
            *APPS_CRUD_ASSIGN,
            *_codes("configurations", CRUD_ASSIGN),
        ],
    ),
]
