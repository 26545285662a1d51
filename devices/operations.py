"""The device domain's protected operations: wipe, retire and delete (device actions), and
device categories (Intune's "Tenant configuration" workload)."""

from django.urls import reverse

from approvals.operations import (
    Change,
    Operation,
    OperationError,
    Step,
    Target,
    read_once,
    registry,
)
from rbac.catalogue import Perm

from .models import ActionKind, ActionStatus, Device, DeviceAction, DeviceCategory
from .services import (
    CategoryError,
    DeviceActionError,
    category_check,
    category_create,
    category_delete,
    category_in_use_check,
    category_state,
    category_update,
    device_action_check,
    device_action_run,
)
from .workload import DEVICE_ACTIONS, TENANT_CONFIGURATION, DevicePerm


def device_target_key(device_id: int) -> str:
    """The one spelling of a device as a request target (one open request per device)."""
    return f"device:{device_id}"


def _device(payload: dict) -> Device:
    def read() -> Device:
        try:
            return Device.objects.select_related("primary_user").get(pk=payload["device_id"])
        except Device.DoesNotExist:
            raise OperationError("The device no longer exists.") from None

    return read_once(("device", payload["device_id"]), read)


class DeviceActionOperation(Operation):
    workload = DEVICE_ACTIONS
    read_permission = DevicePerm.READ

    def __init__(self, kind: str, permission: str, intro: str):
        self.kind = kind
        self.code = f"device.{kind}"
        self.verb = ActionKind(kind).label
        self.label = f"Device {self.verb.lower()}"
        self.permission = permission
        self.intro = intro

    @property
    def policy_type(self) -> str:
        # Intune protects each device action on its own: a wipe policy leaves Retire alone.
        return self.code

    @property
    def policy_type_label(self) -> str:
        return f"{self.workload.label}: {self.verb}"

    @staticmethod
    def payload_for(device: Device) -> dict:
        return {"device_id": device.pk}

    def start_permission(self, payload: dict) -> str:
        return self.permission

    def permission_object(self, payload: dict):
        return _device(payload)

    def target(self, payload: dict) -> Target:
        device = _device(payload)
        return Target(
            key=device_target_key(device.pk),
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

    def progress(self, payload: dict, origin: str) -> list[Step]:
        action = (
            DeviceAction.objects.filter(device_id=payload["device_id"], origin=origin)
            .order_by("-pk")
            .first()
        )
        if action is None:
            return []
        reached = {
            ActionStatus.SENT: 1,
            ActionStatus.ACKNOWLEDGED: 2,
            ActionStatus.DONE: 3,
        }.get(action.status, 0)
        steps = [Step("Command sent to the device", reached >= 1)]
        if self.kind != ActionKind.DELETE:
            steps.append(Step("Acknowledged by the device", reached >= 2))
        steps.append(Step(f"Done: {self.verb.lower()} finished", reached >= 3))
        if action.status == ActionStatus.FAILED:
            steps.append(Step(f"Failed: {action.error}", True))
        return steps

    def execute(self, payload: dict, actor, origin: str) -> str:
        try:
            action = device_action_run(
                actor=actor, device_id=payload["device_id"], kind=self.kind, origin=origin
            )
        except DeviceActionError as exc:
            raise OperationError(str(exc)) from exc
        return f"{action.get_kind_display()} sent to {action.device.name}"


# The device page's buttons and the Django admin's actions come from this list, in this order.
DEVICE_ACTIONS = [
    DeviceActionOperation(
        ActionKind.WIPE,
        DevicePerm.WIPE,
        "Wipe restores the device to its factory settings and removes all data.",
    ),
    DeviceActionOperation(
        ActionKind.RETIRE,
        DevicePerm.RETIRE,
        "Retire removes company data and apps and takes the device out of management.",
    ),
    DeviceActionOperation(
        ActionKind.DELETE,
        DevicePerm.DELETE,
        "Delete removes the device from management; its history is kept.",
    ),
]
for _operation in DEVICE_ACTIONS:
    registry.register(_operation)
DEVICE_ACTION_BY_KIND = {op.kind: op for op in DEVICE_ACTIONS}


def category_target_key(category_id: int) -> str:
    return f"category:{category_id}"


def _category(payload: dict) -> DeviceCategory:
    try:
        return DeviceCategory.objects.get(pk=payload["category_id"])
    except DeviceCategory.DoesNotExist:
        raise OperationError("The device category no longer exists.") from None


class CategoryOperation(Operation):
    """Create, edit or delete a device category (Intune's "Tenant configuration" workload).

    Payloads: create {"state": {...}}; edit {"category_id", "state"}; delete {"category_id"}.
    """

    workload = TENANT_CONFIGURATION
    read_permission = Perm.ORGANIZATION_READ

    def start_permission(self, payload: dict) -> str:
        return Perm.ORGANIZATION_UPDATE

    def target(self, payload: dict) -> Target:
        if "category_id" not in payload:
            name = payload["state"]["name"]
            return Target(key=f"category:new:{name.lower()}", label=f"New category {name}")
        category = _category(payload)
        return Target(
            key=category_target_key(category.pk),
            label=f"Device category {category.name}",
            url=reverse("devices:categories"),
        )

    def state(self, payload: dict) -> dict:
        if "category_id" not in payload:
            name = payload["state"]["name"]
            return {"name_taken": DeviceCategory.objects.filter(name__iexact=name).exists()}
        return category_state(_category(payload))

    def changes(self, payload: dict) -> list[Change]:
        before = category_state(_category(payload)) if "category_id" in payload else {}
        after = payload.get("state", {})
        return [
            Change("Change", after=self.label),
            Change("Name", before.get("name", ""), after.get("name", "")),
            Change("Description", before.get("description", ""), after.get("description", "")),
        ]

    def _refusal(self, call, **kwargs):
        try:
            return call(**kwargs)
        except CategoryError as exc:
            raise OperationError(str(exc)) from exc


@registry.register
class CategoryCreate(CategoryOperation):
    code, label = "category.create", "Create device category"

    def validate(self, payload: dict, actor) -> None:
        self._refusal(category_check, name=payload["state"]["name"])

    def execute(self, payload: dict, actor, origin: str) -> str:
        category = self._refusal(category_create, actor=actor, **payload["state"])
        return f"Device category {category.name} created"


@registry.register
class CategoryEdit(CategoryOperation):
    code, label = "category.edit", "Edit device category"

    def validate(self, payload: dict, actor) -> None:
        category = _category(payload)
        self._refusal(category_check, name=payload["state"]["name"], exclude_pk=category.pk)

    def execute(self, payload: dict, actor, origin: str) -> str:
        category = self._refusal(
            category_update, actor=actor, category_id=payload["category_id"], **payload["state"]
        )
        return f"Device category {category.name} updated"


@registry.register
class CategoryDelete(CategoryOperation):
    code, label = "category.delete", "Delete device category"

    def validate(self, payload: dict, actor) -> None:
        self._refusal(category_in_use_check, category=_category(payload))

    def execute(self, payload: dict, actor, origin: str) -> str:
        name = self._refusal(category_delete, actor=actor, category_id=payload["category_id"])
        return f"Device category {name} deleted"
