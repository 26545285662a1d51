from django.db.models import Count, Q, QuerySet

from rbac.selectors import scope_filter

from .models import ActionStatus, Device, DeviceAction, DeviceCategory, ManagementState
from .workload import DevicePerm

OPEN_ACTION = [ActionStatus.PENDING, ActionStatus.SENT, ActionStatus.ACKNOWLEDGED]


def devices_visible_to(user, code: str = DevicePerm.READ) -> QuerySet:
    """The only way a page gets devices: the rows this user may `code`, in scope."""
    return Device.objects.filter(scope_filter(user, code, Device)).select_related("primary_user")


def device_list(user) -> QuerySet:
    """The Devices list before its filters (devices.filtersets): visible, not deleted."""
    return (
        devices_visible_to(user)
        .exclude(management_state=ManagementState.DELETED)
        .prefetch_related("scope_tags")
    )


def device_actions(device: Device) -> QuerySet:
    return DeviceAction.objects.filter(device=device).select_related("requested_by")


def device_page_actions(device: Device, *, newest: int) -> tuple[list, set[str]]:
    """The device page's newest actions and the kinds in progress, in one query.

    An action still open is fetched even when older than the newest ones, so the buttons know
    about it; only the newest are shown.
    """
    recent = device_actions(device).order_by("-requested_at", "-pk").values("pk")[:newest]
    actions = list(
        device_actions(device)
        .filter(Q(pk__in=recent) | Q(status__in=OPEN_ACTION))
        .order_by("-requested_at", "-pk")
    )
    return actions[:newest], {a.kind for a in actions if a.status in OPEN_ACTION}


def categories_with_counts() -> QuerySet:
    return DeviceCategory.objects.annotate(
        device_count=Count("devices", filter=~Q(devices__management_state=ManagementState.DELETED))
    )
