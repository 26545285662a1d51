"""Bulk device actions: one request for many devices (devices.operations.BulkDeviceAction).

The device set is pinned when the request is filed: a device that joins the filter later is not
included. Devices outside the requestor's scope are refused by name before filing; one that
leaves it before the run is skipped and named. The run goes in batches of BATCH devices, each
its own transaction (the engine queues the next, approvals.operations.Continues); each device
is acted on once per request (its DeviceAction carries the request as origin), and a device
that fails is recorded as a failed action, which Retry tries again, alone.
"""

from collections import Counter
from dataclasses import dataclass
from functools import cache

from django.db import transaction
from django.db.models import Count, Q
from django.http import QueryDict

from approvals.operations import read_once
from audit.chain import audit_record
from rbac.selectors import access_for, scope_filter
from utilities.digests import digest
from utilities.queries import among, plain_rows

from .filtersets import DeviceFilterSet
from .models import ActionStatus, Device, DeviceAction, ManagementState, Ownership
from .selectors import OPEN_ACTION, device_list
from .services import (
    DeviceActionError,
    device_action_check,
    device_action_possible,
    device_actions_run_many,
)

BATCH = 500
MAX_DEVICES = 50_000
NAMED = 10  # devices named in a message; the rest are counted


def named(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED])
    return shown if len(names) <= NAMED else f"{shown} and {len(names) - NAMED} more"


def bulk_key(device_ids: list[int]) -> str:
    return digest(sorted(device_ids))[:32]


# What a batch or a sync reads of a device (whole rows of 500 devices cost a batch a fifth).
FIELDS = ["name", "serial_number", "operating_system", "ownership", "management_state"]


# What in a bulk page's query string selects its devices: those ticked, or "all" matching the
# Devices list's filter.
SELECTION_KEYS = ("all", "device", *DeviceFilterSet.base_filters)


def selection_of(query: QueryDict) -> str:
    """The selecting part of a bulk page's query string (what a filing keeps, to resolve)."""
    kept = QueryDict(mutable=True)
    for key in SELECTION_KEYS:
        if key in query:
            kept.setlist(key, query.getlist(key))
    return kept.urlencode()


def selected_ids(actor, selection: str) -> list[int]:
    """The devices a selection names: those ticked, or all the actor sees that match the
    filter (at most MAX_DEVICES + 1, for the refusal to say too many)."""
    query = QueryDict(selection)
    if query.get("all"):
        matching = DeviceFilterSet(query, queryset=device_list(actor)).qs
        # Unordered: the request pins them sorted by id, and the list's order was a sort.
        pks = matching.order_by().values_list("pk")[: MAX_DEVICES + 1]
        return [pk for (pk,) in plain_rows(pks)]
    return sorted({int(v) for v in query.getlist("device") if v.isdigit()})


def _selected(device_ids):
    return Device.objects.filter(among("pk", device_ids))


def devices_of(device_ids) -> "list[Device]":
    return list(_selected(device_ids).only(*FIELDS).order_by("pk"))


def pinned_devices(device_ids):
    """A bulk request's devices, by name (its page lists them)."""
    return _selected(device_ids).order_by("name", "pk")


# Filing and Complete ask the hooks below about every pinned device (10,000 or more). They
# answer from one count per platform, ownership and state (the census), shared by the hooks
# of one service call, and read as models only the devices they refuse: building a model per
# device was most of filing's 336 ms for 10,000, and each query over the ids about 20 ms.


def _census(device_ids) -> dict[tuple[str, str, str], int]:
    """(operating system, ownership, management state) -> how many of the devices."""

    def count():
        rows = (
            _selected(device_ids)
            .values_list("operating_system", "ownership", "management_state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {(os, owner, state): n for os, owner, state, n in rows}

    # The set as the key: prepare() asks before it sorts the ids, the other hooks after.
    return read_once(("bulk-census", frozenset(device_ids)), count)


def live_count(device_ids) -> int:
    """The pinned devices still in management (a policy's threshold counts these)."""
    census = _census(device_ids)
    return sum(n for (_, _, state), n in census.items() if state != ManagementState.DELETED)


def _tally(rows) -> str:
    """Counts as "iOS 3, Windows 2": most first, then by name."""
    return ", ".join(f"{name} {n}" for name, n in sorted(rows.items(), key=lambda r: (-r[1], r[0])))


def breakdown(device_ids) -> dict[str, str]:
    """What the approver reads first: how many devices, by platform, ownership and scope tag."""
    owners = dict(Ownership.choices)
    by_os, by_owner = Counter(), Counter()
    for (operating_system, ownership, _), n in _census(device_ids).items():
        by_os[operating_system] += n
        by_owner[owners.get(ownership, ownership)] += n
    tags = (
        Device.scope_tags.through.objects.filter(among("device_id", device_ids))
        .values_list("scopetag__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "Devices": str(len(device_ids)),
        "By platform": _tally(by_os),
        "By ownership": _tally(by_owner),
        "By scope tag": _tally(dict(tags)) or "none",
    }


def _scoped(actor, permission: str, device_ids):
    """The devices among these the actor holds the permission on, or None when they hold it on
    every device (then no query over the ids)."""
    if access_for(actor).is_unscoped(permission):
        return None
    return _selected(device_ids).filter(scope_filter(actor, permission, Device))


def in_scope(actor, permission: str, device_ids) -> set[int]:
    allowed = _scoped(actor, permission, device_ids)
    return set(device_ids) if allowed is None else set(allowed.values_list("pk", flat=True))


def _busy(device_ids, kind: str) -> set[int]:
    """The devices with an action of this kind in progress."""
    return set(
        DeviceAction.objects.filter(
            among("device_id", device_ids), kind=kind, status__in=OPEN_ACTION
        ).values_list("device_id", flat=True)
    )


@cache
def able_states(kind: str) -> frozenset[str]:
    """The management states a device can take this action from (device_action_check's rule,
    asked of each state once)."""
    return frozenset(
        state
        for state in ManagementState.values
        if device_action_possible(Device(management_state=state), kind, in_progress=set())
    )


def _unable(device_ids, kind: str) -> list[str]:
    """The devices that cannot take the action now, each with device_action_check's reason.
    Only those are read as models."""
    busy = _busy(device_ids, kind) if kind != "delete" else set()
    able = able_states(kind)
    if not busy and all(state in able for (_, _, state) in _census(device_ids)):
        return []
    candidates = _selected(device_ids).filter(~Q(management_state__in=able) | Q(pk__in=busy))
    refused = []
    for device in candidates.only(*FIELDS).order_by("name", "pk"):
        try:
            device_action_check(device, kind, in_progress={kind} if device.pk in busy else set())
        except DeviceActionError as exc:
            refused.append(f"{device.name} ({exc})")
    return refused


def bulk_refusal(actor, permission: str, kind: str, device_ids: list[int]) -> str:
    """Why these devices cannot be filed together, naming them, or ""."""
    if not device_ids:
        return "Select at least one device."
    if len(device_ids) > MAX_DEVICES:
        return f"At most {MAX_DEVICES:,} devices in one request ({len(device_ids):,} selected)."
    if sum(_census(device_ids).values()) != len(set(device_ids)):
        return "Some selected devices no longer exist; select them again."
    allowed = _scoped(actor, permission, device_ids)
    if allowed is not None:
        outside = list(
            _selected(device_ids)
            .exclude(pk__in=allowed.values("pk"))
            .order_by("name", "pk")
            .values_list("name", flat=True)
        )
        if outside:
            return (
                f"You do not have the permission {permission} for {len(outside)} of the "
                f"selected devices (outside your scope): {named(outside)}. Remove them and "
                "try again."
            )
    refused = _unable(device_ids, kind)
    if refused:
        return f"{len(refused)} of the selected devices cannot be: {named(refused)}"
    return ""


SYNC_MAX = 5_000  # run at once, in the page's request: not a request to approve


@dataclass(frozen=True)
class SyncOutcome:
    sent: list[int]  # the devices asked to check in
    passed: list[int]  # those passed over (already syncing, deleted, ...)
    message: str


def devices_sync(*, actor, permission: str, device_ids: list[int]) -> SyncOutcome:
    """Sync many devices now (Sync is not a protected action): refused by name for devices out
    of scope; a device already syncing or deleted is passed over, named. One transaction."""
    if len(device_ids) > SYNC_MAX:
        raise DeviceActionError(
            f"At most {SYNC_MAX:,} devices at once ({len(device_ids):,} selected): narrow the "
            "filter."
        )
    devices = devices_of(device_ids)
    allowed = in_scope(actor, permission, device_ids)
    outside = [d.name for d in devices if d.pk not in allowed]
    if not devices or outside:
        raise DeviceActionError(
            f"You do not have the permission {permission} for {named(outside)}."
            if outside
            else "Select at least one device."
        )
    busy = _busy(device_ids, "sync")
    passed, able = [], []
    for device in devices:
        try:
            device_action_check(
                device, "sync", in_progress={"sync"} if device.pk in busy else set()
            )
        except DeviceActionError as exc:
            passed.append((device.pk, f"{device.name} ({exc})"))
            continue
        able.append(device)
    with transaction.atomic():
        device_actions_run_many(
            kind="sync", orders=[(device.pk, actor, "Bulk sync") for device in able]
        )
    message = f"Sync sent to {len(able)} of {len(devices)} devices" + (
        f"; passed over: {named([why for _, why in passed])}" if passed else ""
    )
    return SyncOutcome([d.pk for d in able], [pk for pk, _ in passed], message)


def identity_state(device_ids) -> dict:
    """What Complete compares: the same devices, still the same machines. Their state may move
    meanwhile (one wiped on its own fails alone, named, at the run)."""
    pinned = _selected(device_ids).order_by("pk").values_list("pk", "serial_number")
    return {"devices": digest(plain_rows(pinned))}


def _failed(*, actor, device: Device, kind: str, origin: str, error: str) -> None:
    action = DeviceAction(device=device, kind=kind, requested_by=actor, origin=origin)
    action.fail(error)
    action.save()
    audit_record(
        actor=actor,
        action=f"device.{kind}_failed",
        target=device,
        note=f"{origin}: {error}",
        data={"device_action": action.pk},
    )


def run_batch(*, actor, permission: str, kind: str, device_ids: list[int], origin: str):
    """Act on the next BATCH devices not reached yet; returns (reached, failed, skipped, left):
    counts over the whole set, and the names of this batch's failed and skipped devices."""
    reached = set(
        DeviceAction.objects.filter(among("device_id", device_ids), origin=origin)
        .exclude(status=ActionStatus.FAILED)
        .values_list("device_id", flat=True)
    )
    todo = [pk for pk in device_ids if pk not in reached]
    batch, left = todo[:BATCH], len(todo) - BATCH
    allowed = in_scope(actor, permission, batch)
    busy = _busy(batch, kind)
    failed, skipped, able = [], [], []
    for device in devices_of(batch):
        if device.pk not in allowed:
            skipped.append(device.name)
            continue
        # Checked before the run, not caught from it: the run has no savepoint of its own (a
        # savepoint a device was two round trips more), so a refusal there spoils the
        # transaction. Should a device change in between, the engine runs the batch again
        # isolated, and the refusal fails the run as a whole, retryable.
        try:
            device_action_check(device, kind, in_progress={kind} if device.pk in busy else set())
        except DeviceActionError as exc:
            _failed(actor=actor, device=device, kind=kind, origin=origin, error=str(exc))
            failed.append(f"{device.name}: {exc}")
            continue
        able.append(device)
    device_actions_run_many(kind=kind, orders=[(device.pk, actor, origin) for device in able])
    reached.update(device.pk for device in able)
    return reached, failed, skipped, max(left, 0)


def bulk_progress(device_ids, origin: str) -> dict[str, int]:
    """How many of the devices are at each step of their action (the request page)."""
    latest = (
        DeviceAction.objects.filter(among("device_id", device_ids), origin=origin)
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {row["status"]: row["n"] for row in latest}


def bulk_devices(device_ids, origin: str):
    """The pinned devices with the status of their action under this request (paged by the
    caller): the newest action of each, or none yet."""
    newest = DeviceAction.objects.filter(among("device_id", device_ids), origin=origin).order_by(
        "device_id", "-pk"
    )
    by_device = {}
    for action in newest:
        by_device.setdefault(action.device_id, action)
    return by_device
