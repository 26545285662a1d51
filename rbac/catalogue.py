"""The Intune permission catalogue, the built-in roles and the protected workloads, as code.

RBAC owns the catalogue and its own categories (Roles, Multi Admin Approval, Organization,
Audit data); each workload app adds its workload, its permission categories and what the
built-in roles grant of them from its own `workload.py`, imported by its AppConfig. Adding a
workload therefore touches only its own folder.

The database copies (rbac.Permission, built-in rbac.Role rows) are kept in step with the
catalogue after every migrate, so a new permission or a corrected built-in role is one edit.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Workload:
    """What Intune's Multi Admin Approval protects: an access policy protects one workload
    (all its create, edit, delete and assign operations) or, for device actions, one action.

    `order` places it in the list Intune's policy wizard shows.
    """

    value: str
    label: str
    order: int

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PermissionSpec:
    code: str
    category: str
    name: str


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    description: str
    permissions: list[str] = field(default_factory=list)


class Codes:
    """A category's codes by name: `Codes("scripts", ["Read"]).READ == "scripts.read"`, so a
    typo fails at import, not at run time."""

    def __init__(self, specs: list[PermissionSpec]):
        self._codes = [spec.code for spec in specs]
        for spec in specs:
            setattr(self, spec.code.split(".", 1)[1].upper(), spec.code)

    def __iter__(self):
        return iter(self._codes)

    def by_action(self) -> dict[str, str]:
        """{"read": "scripts.read", "create": ..., "assign": ...}: what an Assignable's or a
        ModelOperation's `permissions` name."""
        return {code.split(".", 1)[1]: code for code in self._codes}


CRUD_ASSIGN = ["Read", "Create", "Update", "Delete", "Assign"]

# Intune's built-in roles; what each grants of a workload is added by that workload. None holds
# a Multi Admin Approval permission: approvers get one through a custom role (the article
# clones Read Only Operator and adds the approval permission).
READ_ONLY_OPERATOR = "Read Only Operator"
HELP_DESK_OPERATOR = "Help Desk Operator"
APPLICATION_MANAGER = "Application Manager"
ENDPOINT_SECURITY_MANAGER = "Endpoint Security Manager"
INTUNE_ROLE_ADMINISTRATOR = "Intune Role Administrator"
POLICY_AND_PROFILE_MANAGER = "Policy and Profile Manager"
SCHOOL_ADMINISTRATOR = "School Administrator"
_ROLE_DESCRIPTIONS = {
    APPLICATION_MANAGER: "Manages mobile and managed applications, app protection and policy "
    "sets; can read device information.",
    ENDPOINT_SECURITY_MANAGER: "Manages security baselines, compliance, antivirus, EDR and "
    "attack surface reduction policies.",
    HELP_DESK_OPERATOR: "Performs remote tasks on users and devices (wipe, retire, sync, ...) "
    "and can assign applications or policies to users or devices.",
    INTUNE_ROLE_ADMINISTRATOR: "Manages custom Intune roles and adds assignments for built-in "
    "roles; the only built-in role that can assign permissions to administrators.",
    POLICY_AND_PROFILE_MANAGER: "Manages compliance policies, configuration profiles, "
    "enrollment and corporate device identifiers.",
    READ_ONLY_OPERATOR: "Views user, device, enrollment, configuration and application "
    "information; cannot make changes.",
    SCHOOL_ADMINISTRATOR: "Manages apps and settings for groups in Intune for Education and "
    "can run remote device actions.",
}


class Catalogue:
    """What the apps registered: workloads, permission categories, built-in role grants."""

    def __init__(self):
        self._workloads: dict[str, Workload] = {}
        self._permissions: dict[str, PermissionSpec] = {}
        self._grants: dict[str, list[str]] = {name: [] for name in _ROLE_DESCRIPTIONS}

    def workload(self, value: str, label: str, *, order: int) -> Workload:
        """Register a workload (once; the same declaration again returns it)."""
        workload = Workload(value, label, order)
        if self._workloads.setdefault(value, workload) != workload:
            raise ValueError(f"Workload {value!r} is registered twice, differently.")
        return workload

    def workloads(self) -> list[Workload]:
        return sorted(self._workloads.values(), key=lambda w: w.order)

    def permissions(
        self, category: str, prefix: str, names: list[str], *, roles: dict | None = None
    ) -> Codes:
        """Register a category of permissions; `roles` says which of `names` each built-in
        role grants ({"Help Desk Operator": ["Read", "Assign"]})."""
        specs = [
            PermissionSpec(f"{prefix}.{name.lower().replace(' ', '_')}", category, name)
            for name in names
        ]
        for spec in specs:
            if self._permissions.setdefault(spec.code, spec) != spec:
                raise ValueError(f"Permission {spec.code!r} is registered twice, differently.")
        by_name = {spec.name: spec.code for spec in specs}
        for role, granted in (roles or {}).items():
            codes = [by_name[name] for name in granted]
            self._grants[role].extend(c for c in codes if c not in self._grants[role])
        return Codes(specs)

    def permission_specs(self) -> list[PermissionSpec]:
        return list(self._permissions.values())

    def codes(self) -> set[str]:
        return set(self._permissions)

    def knows(self, code: str) -> bool:
        return code in self._permissions

    def builtin_roles(self) -> list[BuiltinRole]:
        return [
            BuiltinRole(name, description, list(self._grants[name]))
            for name, description in _ROLE_DESCRIPTIONS.items()
        ]


catalogue = Catalogue()

_ADMINS_READ = [ENDPOINT_SECURITY_MANAGER, INTUNE_ROLE_ADMINISTRATOR, POLICY_AND_PROFILE_MANAGER]
_roles = catalogue.permissions(
    "Roles",
    "roles",
    CRUD_ASSIGN,
    roles={INTUNE_ROLE_ADMINISTRATOR: CRUD_ASSIGN, READ_ONLY_OPERATOR: ["Read"]},
)
_maa = catalogue.permissions(
    "Multi Admin Approval",
    "maa",
    [
        "Approval for Multi Admin Approval",
        "Read access policy",
        "Create access policy",
        "Update access policy",
        "Delete access policy",
    ],
)
_organization = catalogue.permissions(
    "Organization",
    "organization",
    ["Read", "Update"],
    roles={name: ["Read"] for name in _ROLE_DESCRIPTIONS},
)
_audit = catalogue.permissions(
    "Audit data",
    "audit_data",
    ["Read"],
    roles={name: ["Read"] for name in [*_ADMINS_READ, READ_ONLY_OPERATOR, HELP_DESK_OPERATOR]},
)


class Perm:
    """The codes RBAC and the engine check; each workload names its own in its workload.py."""

    ROLES_READ = _roles.READ
    ROLES_CREATE = _roles.CREATE
    ROLES_UPDATE = _roles.UPDATE
    ROLES_DELETE = _roles.DELETE
    ROLES_ASSIGN = _roles.ASSIGN
    MAA_APPROVE = _maa.APPROVAL_FOR_MULTI_ADMIN_APPROVAL
    MAA_POLICY_READ = _maa.READ_ACCESS_POLICY
    MAA_POLICY_CREATE = _maa.CREATE_ACCESS_POLICY
    MAA_POLICY_UPDATE = _maa.UPDATE_ACCESS_POLICY
    MAA_POLICY_DELETE = _maa.DELETE_ACCESS_POLICY
    ORGANIZATION_READ = _organization.READ
    ORGANIZATION_UPDATE = _organization.UPDATE
    AUDIT_READ = _audit.READ
