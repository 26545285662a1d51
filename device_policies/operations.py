"""Compliance and configuration policies as protected operations (Intune's "Compliance
policies" and "Configuration policies" workloads): create, edit, delete and assign.

The approver reads the change setting by setting: the setting's name, its old value and its
new value ("Not configured" when a setting is added or removed).
"""

from approvals.operations import Change
from assignments.assignable import Assignable, register_assignable
from assignments.models import AssignmentMode
from rbac.catalogue import Workload

from .models import DevicePolicy, Family
from .services import (
    CATALOGS,
    policy_assign,
    policy_check,
    policy_create,
    policy_delete,
    policy_state,
    policy_update,
)
from .settings import NOT_CONFIGURED, PolicyPlatform
from .workload import COMPLIANCE, CONFIGURATION, CompliancePerm, ConfigurationPerm


def _rows(family: str):
    catalog = CATALOGS[family]

    def setting_rows(before: dict, after: dict, only_changed: bool) -> list[Change]:
        rows = []
        simple = [
            ("Name", before.get("name", ""), after.get("name", "")),
            ("Description", before.get("description", ""), after.get("description", "")),
            (
                "Platform",
                PolicyPlatform.label(before.get("platform", "")),
                PolicyPlatform.label(after.get("platform", "")),
            ),
        ]
        old_settings, new_settings = before.get("settings", {}), after.get("settings", {})
        for key in sorted(set(old_settings) | set(new_settings), key=list(catalog).index):
            setting = catalog[key]
            simple.append(
                (
                    setting.name,
                    setting.shown(old_settings.get(key)),
                    setting.shown(new_settings.get(key)),
                )
            )
        if family == Family.COMPLIANCE:
            for field, label in [
                ("noncompliant_after_days", "Mark device noncompliant after (days)"),
                ("notify_user", "Send email to end user"),
            ]:
                old, new = before.get(field), after.get(field)
                shown = [
                    ("Yes" if v else "No") if isinstance(v, bool) else ("" if v is None else str(v))
                    for v in (old, new)
                ]
                simple.append((label, *shown))
        for label, old, new in simple:
            if only_changed and old == new:
                continue
            if not only_changed and old in ("", NOT_CONFIGURED) and new in ("", NOT_CONFIGURED):
                continue
            rows.append(Change(label, old, new))
        return rows

    return setting_rows


def _spec(family: str, prefix: str, workload: Workload, perms: dict) -> Assignable:
    return Assignable(
        prefix=prefix,
        noun=Family(family).label.lower(),
        workload=workload,
        permissions=perms,
        model=DevicePolicy,
        detail_url=f"device_policies:{prefix}_detail",
        list_url=f"device_policies:{prefix}_list",
        modes=list(AssignmentMode.choices),
        state=policy_state,
        check=policy_check,
        setting_rows=_rows(family),
        operating_systems=lambda state: [PolicyPlatform.OPERATING_SYSTEM[state["platform"]]],
        create=policy_create,
        update=policy_update,
        delete=policy_delete,
        assign=policy_assign,
        family=("family", family),
    )


COMPLIANCE = _spec(
    Family.COMPLIANCE,
    "compliance",
    COMPLIANCE,
    CompliancePerm.by_action(),
)
CONFIGURATION = _spec(
    Family.CONFIGURATION,
    "configuration",
    CONFIGURATION,
    ConfigurationPerm.by_action(),
)
SPECS = {Family.COMPLIANCE: COMPLIANCE, Family.CONFIGURATION: CONFIGURATION}
register_assignable(COMPLIANCE)
register_assignable(CONFIGURATION)
