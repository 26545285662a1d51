from django.urls import reverse

from devices.models import ActionKind, Device
from devices.services import DeviceActionError, device_action_check, device_action_run
from rbac.catalogue import Perm

from .base import Change, Operation, OperationError, Target
from .registry import registry


def _device(payload: dict) -> Device:
    try:
        return Device.objects.select_related("primary_user").get(pk=payload["device_id"])
    except Device.DoesNotExist:
        raise OperationError("The device no longer exists.") from None


class DeviceActionOperation(Operation):
    read_permission = Perm.DEVICES_READ

    def __init__(self, kind: str, label: str, permission: str):
        self.kind, self.code, self.label, self.permission = (
            kind,
            f"device.{kind}",
            label,
            permission,
        )

    def start_permission(self, payload: dict) -> str:
        return self.permission

    def permission_object(self, payload: dict):
        return _device(payload)

    def target(self, payload: dict) -> Target:
        device = _device(payload)
        return Target(
            key=f"device:{device.pk}",
            label=f"{device.name} ({device.serial_number})",
            url=reverse("devices:detail", args=[device.pk]),
        )

    def state(self, payload: dict) -> dict:
        device = _device(payload)
        return {
            "name": device.name,
            "serial_number": device.serial_number,
            "primary_user": device.primary_user_id,
            "management_state": device.management_state,
        }

    def changes(self, payload: dict) -> list[Change]:
        device = _device(payload)
        return [
            Change("Device", device.name),
            Change("Serial number", device.serial_number),
            Change("Operating system", f"{device.operating_system} {device.os_version}"),
            Change("Primary user", str(device.primary_user or "None")),
            Change("Ownership", device.get_ownership_display()),
            Change("Action", after=self.label),
        ]

    def validate(self, payload: dict, actor) -> None:
        try:
            device_action_check(_device(payload), self.kind)
        except DeviceActionError as exc:
            raise OperationError(str(exc)) from exc

    def execute(self, payload: dict, actor, origin: str) -> str:
        try:
            action = device_action_run(
                actor=actor, device_id=payload["device_id"], kind=self.kind, origin=origin
            )
        except DeviceActionError as exc:
            raise OperationError(str(exc)) from exc
        return f"{action.get_kind_display()} sent to {action.device.name}"


for _kind, _label, _perm in [
    (ActionKind.WIPE, "Device wipe", Perm.WIPE),
    (ActionKind.RETIRE, "Device retire", Perm.RETIRE),
    (ActionKind.DELETE, "Device delete", Perm.DEVICES_DELETE),
]:
    registry.register(DeviceActionOperation(_kind, _label, _perm))
