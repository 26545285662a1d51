"""Every write to apps, and what devices do with them at check-in.

Add, edit, delete and assign are protected operations (mobile_apps.operations): pages go
through the approval engine, whose executor calls these functions.
"""

from django.db import transaction
from django.utils import timezone

from assignments.assignable import AssignableError, devices_reached
from assignments.services import assignment_replace
from audit.chain import audit_record

from .models import (
    INTENT_PRECEDENCE,
    AppInstall,
    AppType,
    DetectionType,
    InstallStatus,
    Intent,
    MobileApp,
)
from .selectors import app_groups

COMMON_FIELDS = ["name", "publisher", "app_version", "description"]
# What each type needs besides the common fields, all required.
TYPE_FIELDS = {
    AppType.WIN32: ["install_command", "uninstall_command", "detection_type", "detection_value"],
    AppType.MICROSOFT_STORE: ["package_identifier"],
    AppType.IOS_STORE: ["app_store_url", "bundle_id"],
    AppType.ANDROID_PLAY: ["package_name"],
    AppType.WEB_LINK: ["app_url"],
}
CONTENT_FIELDS = COMMON_FIELDS + sorted({f for fields in TYPE_FIELDS.values() for f in fields})
FIELD_LABELS = {
    "name": "Name",
    "publisher": "Publisher",
    "app_version": "Version",
    "description": "Description",
    "install_command": "Install command",
    "uninstall_command": "Uninstall command",
    "detection_type": "Detection rule type",
    "detection_value": "Detection rule",
    "package_identifier": "Package identifier",
    "app_store_url": "App Store URL",
    "bundle_id": "Bundle ID",
    "package_name": "Package name",
    "app_url": "App URL",
}


def field_shown(field: str, value) -> str:
    """A field's value as people read it (the detection rule type by its label)."""
    if field == "detection_type" and value:
        return DetectionType(value).label
    return str(value or "")


def app_fields(app_type: str) -> list[str]:
    return COMMON_FIELDS + TYPE_FIELDS[AppType(app_type)]


def app_state(app: MobileApp) -> dict:
    """Everything approved about an app: its type, its content and its assignment."""
    return {
        "app_type": app.app_type,
        **{field: getattr(app, field) for field in app_fields(app.app_type)},
        "assignments": app_groups(app),
    }


def app_check(state: dict, *, exclude_pk: int | None = None) -> None:
    """Refuse an app that could not be saved or installed, with the reason."""
    if state.get("app_type") not in AppType.values:
        raise AssignableError("Choose an app type.")
    name = (state.get("name") or "").strip()
    if not name:
        raise AssignableError("The app needs a name.")
    if MobileApp.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise AssignableError(f"An app named {name!r} already exists.")
    for field in ["publisher", *TYPE_FIELDS[AppType(state["app_type"])]]:
        if not str(state.get(field) or "").strip():
            raise AssignableError(f"{FIELD_LABELS[field]} is required for this app type.")


def _apply(app: MobileApp, state: dict) -> list[str]:
    """Copy the state onto the app; the fields that changed."""
    changed = []
    for field in app_fields(state["app_type"]):
        if getattr(app, field) != state[field]:
            setattr(app, field, state[field])
            changed.append(field)
    return changed


def _intents(app: MobileApp) -> dict[int, str]:
    """Device id -> the intent that wins for it (exclusion wins, then required, ...)."""
    groups = app_groups(app)
    reached: dict[int, str] = {}
    for intent in INTENT_PRECEDENCE[1:]:
        devices = devices_reached(
            operating_systems=app.operating_systems,
            include=groups[intent],
            exclude=groups[Intent.EXCLUDE],
        )
        for device_id in devices.values_list("pk", flat=True):
            reached.setdefault(device_id, intent)
    return reached


def _first_status(intent: str) -> str:
    return InstallStatus.AVAILABLE if intent == Intent.AVAILABLE else InstallStatus.PENDING


def installs_refresh(app: MobileApp, *, reinstall: bool) -> int:
    """Bring the app's install rows in line with its assignment; returns how many wait.

    A device no longer reached forgets the app; a changed intent, or a new revision of a
    required app (`reinstall`), makes it pending for the next check-in.
    """
    intents = _intents(app)
    installs = app.installs.all()
    installs.exclude(device_id__in=intents).delete()
    for install in installs.select_for_update():
        intent = intents[install.device_id]
        stale = reinstall and intent == Intent.REQUIRED and install.revision != app.revision
        if install.intent != intent or stale:
            install.intent, install.revision = intent, app.revision
            install.status, install.detail, install.reported_at = _first_status(intent), "", None
            install.save()
    known = set(app.installs.values_list("device_id", flat=True))
    AppInstall.objects.bulk_create(
        AppInstall(
            app=app,
            device_id=device_id,
            intent=intents[device_id],
            revision=app.revision,
            status=_first_status(intents[device_id]),
        )
        for device_id in sorted(set(intents) - known)
    )
    return app.installs.filter(status=InstallStatus.PENDING).count()


def app_create(*, actor, state: dict) -> MobileApp:
    with transaction.atomic():
        app_check(state)
        app = MobileApp(app_type=state["app_type"])
        _apply(app, state)
        app.save()
        audit_record(actor=actor, action="app.create", target=app, data=app_state(app))
    return app


def app_update(*, actor, object_id: int, state: dict) -> MobileApp:
    with transaction.atomic():
        app = MobileApp.objects.select_for_update().get(pk=object_id)
        app_check({**state, "app_type": app.app_type}, exclude_pk=app.pk)
        changed = _apply(app, {**state, "app_type": app.app_type})
        if changed:
            app.revision += 1
        app.save()
        pending = installs_refresh(app, reinstall=bool(changed))
        audit_record(
            actor=actor,
            action="app.update",
            target=app,
            note=f"Changed: {', '.join(changed) or 'nothing'}; revision {app.revision}",
            data={"changed": changed, "revision": app.revision, "devices_pending": pending},
        )
    return app


def app_assign(*, actor, object_id: int, groups: dict[str, list[int]]) -> MobileApp:
    """`groups`: {intent: [group ids]}."""
    with transaction.atomic():
        app = MobileApp.objects.select_for_update().get(pk=object_id)
        assignment_replace(
            app,
            groups,
            actor=actor,
            action="app.assign",
            groups_of=app_groups,
            refresh=lambda app: installs_refresh(app, reinstall=False),
        )
    return app


def app_delete(*, actor, object_id: int) -> str:
    with transaction.atomic():
        app = MobileApp.objects.select_for_update().get(pk=object_id)
        name = app.name
        audit_record(actor=actor, action="app.delete", target=app, data=app_state(app))
        # Assignments and install results go with it.
        app.delete()
    return name


def simulated_install(app: MobileApp, intent: str) -> tuple[str, str]:
    """Stands in for the device's agent: a Win32 install command that exits 1 fails."""
    if intent == Intent.UNINSTALL:
        return InstallStatus.NOT_INSTALLED, "Uninstalled"
    if app.app_type == AppType.WIN32 and "exit 1" in app.install_command:
        return (
            InstallStatus.FAILED,
            "0x87D1041C: the app was not detected after the installation completed.",
        )
    return InstallStatus.INSTALLED, f"Version {app.app_version or app.revision} installed"


def apps_check_in(device) -> int:
    """At check-in the device installs or removes every app waiting for it and reports."""
    installs = (
        AppInstall.objects.select_for_update()
        .filter(device=device, status=InstallStatus.PENDING)
        .select_related("app")
    )
    count = 0
    for install in installs.order_by("pk"):
        install.status, install.detail = simulated_install(install.app, install.intent)
        install.revision = install.app.revision
        install.reported_at = timezone.now()
        install.save(update_fields=["status", "detail", "revision", "reported_at"])
        audit_record(
            actor="device",
            action=f"app.install_{install.status}",
            target=device,
            note=f"{install.app.name} ({install.get_intent_display()})",
            data={"app": install.app_id, "detail": install.detail},
        )
        count += 1
    return count
