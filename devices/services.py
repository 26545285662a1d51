"""Every write to the device registry.

Wipe, retire and delete are dangerous: pages reach them through approvals.services, which puts
them behind an access policy when one covers them. The functions here carry the action out.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from audit.chain import audit_event, audit_record, audit_record_all

from .extensions import CHECK_IN_STEPS
from .models import (
    ActionKind,
    ActionStatus,
    Device,
    DeviceAction,
    DeviceCategory,
    ManagementState,
)
from .selectors import OPEN_ACTION


class DeviceActionError(Exception):
    """A device action the registry refuses, with a message for people."""


class CategoryError(Exception):
    """A device-category change the registry refuses, with a message for people."""


_REQUEST_TRANSITION = {
    ActionKind.WIPE: "wipe_requested",
    ActionKind.RETIRE: "retire_requested",
}
_PAST = {"wipe": "wiped", "retire": "retired", "delete": "deleted", "sync": "synced"}
_ACK_TRANSITION = {ActionKind.WIPE: "wipe_acknowledged", ActionKind.RETIRE: "retire_acknowledged"}
_DONE_TRANSITION = {ActionKind.WIPE: "wipe_done", ActionKind.RETIRE: "retire_done"}


def _locked_device(device_id: int) -> Device:
    try:
        return Device.objects.select_for_update().get(pk=device_id)
    except Device.DoesNotExist:
        raise DeviceActionError("The device no longer exists.") from None


def device_action_check(device: Device, kind: str, *, in_progress: set[str] | None = None) -> None:
    """Raise DeviceActionError if `kind` cannot run on the device as it is now."""
    label = ActionKind(kind).label.lower()
    if device.is_deleted:
        raise DeviceActionError(f"{device.name} was deleted; it cannot be {_PAST[kind]}.")
    transition_name = _REQUEST_TRANSITION.get(kind)
    if transition_name and not can_proceed(getattr(device, transition_name)):
        raise DeviceActionError(
            f"{device.name} cannot be {_PAST[kind]} while it is "
            f"{device.get_management_state_display()}."
        )
    if kind == ActionKind.DELETE:
        return
    if in_progress is None:
        busy = device.actions.filter(kind=kind, status__in=OPEN_ACTION).exists()
    else:
        busy = kind in in_progress
    if busy:
        raise DeviceActionError(f"A {label} of {device.name} is already in progress.")


def device_action_possible(device: Device, kind: str, *, in_progress=None) -> bool:
    try:
        device_action_check(device, kind, in_progress=in_progress)
    except DeviceActionError:
        return False
    return True


def device_action_run(*, actor, device_id: int, kind: str, origin: str = "") -> DeviceAction:
    """Issue a remote action: record it, move the device, hand the command to the device."""
    # No savepoint of its own when called inside a transaction: a failure rolls back the
    # caller's, or the engine's savepoint around a failing execution. A burst of wipes runs in
    # batches, and the savepoint was two of each wipe's seven statements.
    with transaction.atomic(savepoint=False):
        device = _locked_device(device_id)
        device_action_check(device, kind)
        before, action = _issue(device, kind, actor, origin)
        # Only the state moved: a full save rewrote every column of the row, under its lock.
        device.save(update_fields=["management_state"])
        action.save()
        _issued_event(device, before, action).save()
    return action


def _issue(device: Device, kind: str, actor, origin: str) -> tuple[str, DeviceAction]:
    """Move the device (in memory) and build its action, Sent: saved by the caller, one INSERT
    rather than an INSERT then an UPDATE. Returns the state it left, and the action."""
    before = device.management_state
    try:
        if kind in _REQUEST_TRANSITION:
            getattr(device, _REQUEST_TRANSITION[kind])()
        elif kind == ActionKind.DELETE:
            device.delete_from_management()
    except TransitionNotAllowed as exc:
        raise DeviceActionError(str(exc)) from exc
    action = DeviceAction(device=device, kind=kind, requested_by=actor, origin=origin)
    action.send()
    if kind == ActionKind.DELETE:
        # Deleting removes the record from management at once; no device answer is awaited.
        action.finish()
    return before, action


def _issued_event(device: Device, before: str, action: DeviceAction):
    return audit_event(
        actor=action.requested_by,
        action=f"device.{action.kind}",
        target=device,
        from_state=before,
        to_state=device.management_state,
        note=action.origin,
        data={"device_action": action.pk, "serial_number": device.serial_number},
    )


def device_actions_run_many(
    *, kind: str, orders: list[tuple[int, object, str]]
) -> list[DeviceAction]:
    """device_action_run for many devices checked by the caller, each order (device id, actor,
    origin), in a few statements: the devices locked in one SELECT, their states in one UPDATE,
    the actions and their audit events in one INSERT each (a bulk run's batch, or a batch of
    executions of single-device requests; one at a time it was four statements a device and a
    bulk run drained at 0.30 of the no-op task rate). Returns the actions in the orders' order.
    Raises DeviceActionError, before writing, if a device is gone, ordered twice, or can no
    longer take the action."""
    if not orders:
        return []
    by_device = {device_id: (actor, origin) for device_id, actor, origin in orders}
    if len(by_device) != len(orders):
        raise DeviceActionError("A device has two actions ordered in one batch.")
    with transaction.atomic(savepoint=False):
        locked = list(
            Device.objects.select_for_update().filter(pk__in=list(by_device)).order_by("pk")
        )
        if len(locked) != len(by_device):
            raise DeviceActionError("The device no longer exists.")
        busy = set(
            DeviceAction.objects.filter(
                device__in=locked, kind=kind, status__in=OPEN_ACTION
            ).values_list("device_id", flat=True)
        )
        issued = []
        for device in locked:
            device_action_check(device, kind, in_progress={kind} if device.pk in busy else set())
            issued.append(_issue(device, kind, *by_device[device.pk]))
        Device.objects.bulk_update(locked, ["management_state"])
        DeviceAction.objects.bulk_create([action for _, action in issued])
        audit_record_all(
            [
                _issued_event(device, before, action)
                for device, (before, action) in zip(locked, issued, strict=True)
            ]
        )
    actions = {action.device_id: action for _, action in issued}
    return [actions[device_id] for device_id, _, _ in orders]


def device_check_in(*, device_id: int) -> Device:
    """The device contacts the service and moves each open command one step on.

    Stands in for a real device: a sent command is acknowledged (the reset starts), an
    acknowledged one is reported done.
    """
    with transaction.atomic():
        device = _locked_device(device_id)
        device.last_check_in = timezone.now()
        open_actions = device.actions.select_for_update().filter(
            status__in=[ActionStatus.SENT, ActionStatus.ACKNOWLEDGED]
        )
        for action in open_actions.order_by("pk"):
            before = device.management_state
            if action.kind == ActionKind.SYNC:
                action.finish()
            elif action.status == ActionStatus.SENT:
                action.acknowledge()
                getattr(device, _ACK_TRANSITION[action.kind])()
            else:
                action.finish()
                getattr(device, _DONE_TRANSITION[action.kind])()
            action.save()
            audit_record(
                actor="device",
                action=f"device.{action.kind}_{action.status}",
                target=device,
                from_state=before,
                to_state=device.management_state,
                data={"device_action": action.pk},
            )
        if not device.is_deleted:
            for step in CHECK_IN_STEPS:
                step.run(device)
        device.save()
    return device


def devices_with_open_commands() -> list[int]:
    """Devices with a command or other work (scripts, ...) waiting for their next check-in."""
    waiting = Q(actions__status__in=[ActionStatus.SENT, ActionStatus.ACKNOWLEDGED])
    for step in CHECK_IN_STEPS:
        waiting |= Q(pk__in=step.pending_device_ids())
    return list(
        Device.objects.filter(waiting)
        .exclude(management_state=ManagementState.DELETED)
        .values_list("pk", flat=True)
        .distinct()
    )


# Device categories: created, edited and deleted through the "Tenant configuration" operations
# (devices.operations), which call these once approved.


def category_state(category: DeviceCategory) -> dict:
    return {"name": category.name, "description": category.description}


def category_check(*, name: str, exclude_pk: int | None = None) -> None:
    if DeviceCategory.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise CategoryError(f"A device category named {name!r} already exists.")


def category_in_use_check(category: DeviceCategory) -> None:
    in_use = category.devices.exclude(management_state=ManagementState.DELETED).count()
    if in_use:
        raise CategoryError(
            f"The category {category.name} is used by {in_use} device(s); move them to another "
            "category before deleting it."
        )


def category_create(*, actor, name: str, description: str = "") -> DeviceCategory:
    with transaction.atomic():
        category_check(name=name)
        category = DeviceCategory.objects.create(name=name, description=description)
        audit_record(
            actor=actor, action="category.create", target=category, data=category_state(category)
        )
    return category


def category_update(*, actor, category_id: int, name: str, description: str) -> DeviceCategory:
    with transaction.atomic():
        category = DeviceCategory.objects.select_for_update().get(pk=category_id)
        category_check(name=name, exclude_pk=category.pk)
        before = category_state(category)
        category.name, category.description = name, description
        category.save()
        audit_record(
            actor=actor,
            action="category.update",
            target=category,
            data={"before": before, "after": category_state(category)},
        )
    return category


def category_delete(*, actor, category_id: int) -> str:
    with transaction.atomic():
        category = DeviceCategory.objects.select_for_update().get(pk=category_id)
        category_in_use_check(category)
        name = category.name
        audit_record(
            actor=actor, action="category.delete", target=category, data=category_state(category)
        )
        # Deleted devices keep no category: their history names it in the audit log.
        category.devices.update(category=None)
        category.delete()
    return name


def device_set_category(*, actor, device_id: int, category_id: int | None) -> Device:
    """Setting a device's category is an ordinary edit (Managed devices: Update), audited."""
    with transaction.atomic():
        device = _locked_device(device_id)
        before = device.category.name if device.category_id else ""
        device.category = DeviceCategory.objects.get(pk=category_id) if category_id else None
        device.save(update_fields=["category"])
        after = device.category.name if device.category_id else ""
        audit_record(
            actor=actor,
            action="device.category",
            target=device,
            note=f"Category: {before or 'none'} → {after or 'none'}",
        )
    return device
