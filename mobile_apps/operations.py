"""Apps as protected operations (Intune's "Apps" workload): add, edit, delete and assign.

The approver reads every changed field, and for an assignment which groups gain or lose which
intent and how many devices that reaches.
"""

from approvals.operations import Change
from assignments.assignable import Assignable, register_assignable

from .models import APP_TYPE_SYSTEMS, AppType, Intent, MobileApp
from .services import (
    FIELD_LABELS,
    app_assign,
    app_check,
    app_create,
    app_delete,
    app_fields,
    app_state,
    app_update,
    field_shown,
)
from .workload import APPS, AppPerm


def setting_rows(before: dict, after: dict, only_changed: bool) -> list[Change]:
    app_type = after.get("app_type") or before["app_type"]
    rows = [] if only_changed else [Change("App type", after=AppType(app_type).label)]
    for field in app_fields(app_type):
        old, new = field_shown(field, before.get(field)), field_shown(field, after.get(field))
        if not (only_changed and old == new):
            rows.append(Change(FIELD_LABELS[field], old, new))
    return rows


APPS = Assignable(
    prefix="app",
    noun="app",
    workload=APPS,
    permissions=AppPerm.by_action(),
    model=MobileApp,
    detail_url="mobile_apps:detail",
    list_url="mobile_apps:list",
    modes=[(intent.value, intent.label) for intent in Intent],
    state=app_state,
    check=app_check,
    setting_rows=setting_rows,
    operating_systems=lambda state: APP_TYPE_SYSTEMS[AppType(state["app_type"])],
    create=app_create,
    update=app_update,
    delete=app_delete,
    assign=app_assign,
)
register_assignable(APPS)
