"""The device domain's protected operations: wipe, retire and delete (device actions), and
device categories (Intune's "Tenant configuration" workload)."""

from django.urls import reverse

from approvals.operations import (
    Change,
    Continues,
    ModelOperation,
    Operation,
    OperationError,
    PartlyDone,
    Step,
    Target,
    read_once,
    registry,
)
from rbac.catalogue import Perm

from . import bulk
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
    device_actions_run_many,
)
from .workload import DEVICE_ACTIONS, TENANT_CONFIGURATION, DevicePerm

DEVICE_TARGET_PREFIX = "device:"


def device_target_key(device_id: int) -> str:
    """The one spelling of a device as a request target (one open request per device)."""
    return f"{DEVICE_TARGET_PREFIX}{device_id}"


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

    def filed_target_url(self, payload: dict | None, target_key: str) -> str:
        # From the pinned key: reading the device for its link was a tenth of the request
        # page. Devices are never deleted, only marked so (ManagementState.DELETED): the link
        # always finds its page.
        device_id = int(target_key.removeprefix(DEVICE_TARGET_PREFIX))
        return reverse("devices:detail", args=[device_id])

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
        return self._sent(action)

    def execute_many(self, runs: list[tuple[dict, object, str]]) -> list[str]:
        """A batch of executions of this action, in a few statements for all its devices."""
        orders = [(payload["device_id"], actor, origin) for payload, actor, origin in runs]
        try:
            actions = device_actions_run_many(kind=self.kind, orders=orders)
        except DeviceActionError as exc:
            raise OperationError(str(exc)) from exc
        return [self._sent(action) for action in actions]

    @staticmethod
    def _sent(action) -> str:
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


BULK_TARGET_PREFIX = "devices:bulk:"


def bulk_target_key_of(key: str) -> str:
    """The target of a bulk request: its device set (one open request per set)."""
    return BULK_TARGET_PREFIX + key


class BulkDeviceAction(Operation):
    """Wipe, retire or delete many devices in one request ("device.bulk_wipe", ...), protected
    by the same policy as the single action (devices.bulk has the rules)."""

    workload = DeviceActionOperation.workload  # DEVICE_ACTIONS names the list by now
    read_permission = DevicePerm.READ
    # Always one request, even with no policy for the action: its run goes in batches that
    # the engine queues, each device once per request.
    always_protected = True
    # Its link comes from the pinned key: the request page need not read 10,000 ids.
    page_reads_payload = False

    def __init__(self, single: DeviceActionOperation):
        self.single = single
        self.kind = single.kind
        self.code = f"device.bulk_{single.kind}"
        self.label = f"Bulk device {single.verb.lower()}"
        self.permission = single.permission

    @property
    def policy_type(self) -> str:
        return self.single.policy_type

    @property
    def policy_type_label(self) -> str:
        return self.single.policy_type_label

    def start_permission(self, payload: dict) -> str:
        return self.permission

    def size(self, payload: dict) -> int:
        return bulk.live_count(payload["device_ids"])

    def target(self, payload: dict) -> Target:
        # The digest of 10,000 ids costs 2 ms: taken once for the key and the page's address.
        key = bulk.bulk_key(payload["device_ids"])
        return Target(
            key=bulk_target_key_of(key),
            label=f"{len(payload['device_ids'])} devices",
            url=reverse("devices:bulk_detail", args=[key]),
        )

    def filed_target_url(self, payload: dict | None, target_key: str) -> str:
        # From the pinned key: every request page would take the digest of the ids again.
        key = target_key.removeprefix(BULK_TARGET_PREFIX)
        return reverse("devices:bulk_detail", args=[key])

    def state(self, payload: dict) -> dict:
        return bulk.identity_state(payload["device_ids"])

    def changes(self, payload: dict) -> list[Change]:
        rows = [
            Change(label, after=value)
            for label, value in bulk.breakdown(payload["device_ids"]).items()
        ]
        return [*rows, Change("Action", after=self.label)]

    def prepare(self, payload: dict, actor) -> dict:
        """Filing only: the selection resolved to its devices, sorted; every device must be in
        the requestor's scope and able to take the action now, or the request is refused naming
        them."""
        pinned = {**payload}
        selection = pinned.pop("selection", None)
        ids = pinned.get("device_ids")
        if ids is None:
            ids = bulk.selected_ids(actor, selection or "")
        ids = sorted(set(ids))
        refusal = bulk.bulk_refusal(actor, self.permission, self.kind, ids)
        if refusal:
            raise OperationError(refusal)
        return {**pinned, "device_ids": ids}

    def validate(self, payload: dict, actor) -> None:
        # A page's selection ("selection", a query string) is resolved by prepare().
        if not payload.get("device_ids") and not payload.get("selection"):
            raise OperationError("Select at least one device.")

    def execute(self, payload: dict, actor, origin: str) -> str:
        ids = payload["device_ids"]
        reached, failed, skipped, left = bulk.run_batch(
            actor=actor, permission=self.permission, kind=self.kind, device_ids=ids, origin=origin
        )
        done = f"{self.single.verb} sent to {len(reached)} of {len(ids)} devices"
        if skipped:
            done += f"; skipped, no longer in your scope: {bulk.named(skipped)}"
        if left:
            return Continues(f"{done}; {left} to go")
        if failed:
            return PartlyDone(
                f"{done}. {len(failed)} failed: {bulk.named(failed)}. Retry runs only the failed "
                "ones."
            )
        return done

    def progress(self, payload: dict, origin: str) -> list[Step]:
        counts = bulk.bulk_progress(payload["device_ids"], origin)
        total = len(payload["device_ids"])
        sent = sum(n for status, n in counts.items() if status != ActionStatus.FAILED)
        done = counts.get(ActionStatus.DONE, 0)
        steps = [
            Step(f"Command sent to {sent} of {total} devices", sent >= total),
            Step(f"Done on {done} of {total} devices", done >= total),
        ]
        if counts.get(ActionStatus.FAILED):
            steps.append(Step(f"Failed attempts: {counts[ActionStatus.FAILED]}", True))
        return steps


BULK_ACTIONS = [BulkDeviceAction(single) for single in DEVICE_ACTIONS]
for _operation in BULK_ACTIONS:
    registry.register(_operation)
BULK_ACTION_BY_KIND = {op.kind: op for op in BULK_ACTIONS}


class CategoryOperation(ModelOperation):
    """Create, edit or delete a device category (Intune's "Tenant configuration" workload)."""

    prefix, noun = "category", "device category"
    workload = TENANT_CONFIGURATION
    read_permission = Perm.ORGANIZATION_READ
    permissions = {
        "create": Perm.ORGANIZATION_UPDATE,
        "update": Perm.ORGANIZATION_UPDATE,
        "delete": Perm.ORGANIZATION_UPDATE,
    }
    refusals = (CategoryError,)

    def objects(self):
        return DeviceCategory.objects.all()

    def object_state(self, category) -> dict:
        return category_state(category)

    def target_url(self, category) -> str:
        return reverse("devices:categories")

    def changes(self, payload: dict) -> list[Change]:
        before = category_state(self.get_object(payload)) if "object_id" in payload else {}
        after = payload.get("state", {})
        return [
            Change("Change", after=self.label),
            Change("Name", before.get("name", ""), after.get("name", "")),
            Change("Description", before.get("description", ""), after.get("description", "")),
        ]


@registry.register
class CategoryCreate(CategoryOperation):
    action = "create"

    def validate(self, payload: dict, actor) -> None:
        with self.refused():
            category_check(name=payload["state"]["name"])

    def apply(self, payload: dict, actor) -> str:
        category = category_create(actor=actor, **payload["state"])
        return f"Device category {category.name} created"


@registry.register
class CategoryEdit(CategoryOperation):
    action = "edit"

    def validate(self, payload: dict, actor) -> None:
        category = self.get_object(payload)
        with self.refused():
            category_check(name=payload["state"]["name"], exclude_pk=category.pk)

    def apply(self, payload: dict, actor) -> str:
        category = category_update(
            actor=actor, category_id=payload["object_id"], **payload["state"]
        )
        return f"Device category {category.name} updated"


@registry.register
class CategoryDelete(CategoryOperation):
    action = "delete"

    def validate(self, payload: dict, actor) -> None:
        with self.refused():
            category_in_use_check(self.get_object(payload))

    def apply(self, payload: dict, actor) -> str:
        name = category_delete(actor=actor, category_id=payload["object_id"])
        return f"Device category {name} deleted"


def category_target_key(category_id: int) -> str:
    return registry.get("category.edit").target_key(category_id)
