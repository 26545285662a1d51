from django.db.models import Count, Q, QuerySet

from rbac.models import User
from rbac.selectors import scope_filter

from .models import ActionStatus, Device, DeviceAction, DeviceCategory, ManagementState
from .workload import DevicePerm

OPEN_ACTION = [ActionStatus.PENDING, ActionStatus.SENT, ActionStatus.ACKNOWLEDGED]

# A search matching more users than this is too broad to narrow devices by user anyway.
USER_MATCHES = 500


def devices_visible_to(user, code: str = DevicePerm.READ) -> QuerySet:
    """The only way a page gets devices: the rows this user may `code`, in scope."""
    return Device.objects.filter(scope_filter(user, code, Device)).select_related("primary_user")


def device_list(user, *, search: str = "", filters: dict | None = None) -> QuerySet:
    qs = devices_visible_to(user).exclude(management_state=ManagementState.DELETED)
    filters = filters or {}
    if search:
        # Each arm can use its trigram index (devices migration 0004); the matching users are
        # looked up first, so no arm needs a join.
        users = list(
            User.objects.filter(
                Q(username__icontains=search) | Q(display_name__icontains=search)
            ).values_list("pk", flat=True)[:USER_MATCHES]
        )
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(serial_number__icontains=search)
            | Q(primary_user_id__in=users)
        )
    for field in ("operating_system", "compliance_state", "ownership", "management_state"):
        if filters.get(field):
            qs = qs.filter(**{field: filters[field]})
    if filters.get("tag"):
        qs = qs.filter(
            pk__in=Device.scope_tags.through.objects.filter(scopetag_id=filters["tag"]).values(
                "device_id"
            )
        )
    return qs.prefetch_related("scope_tags")


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
