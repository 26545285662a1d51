from django.db.models import Count, Q, QuerySet

from rbac.catalogue import Perm
from rbac.models import User
from rbac.selectors import scope_filter

from .models import Device, DeviceAction, DeviceCategory, ManagementState

# A search matching more users than this is too broad to narrow devices by user anyway.
USER_MATCHES = 500


def devices_visible_to(user, code: str = Perm.DEVICES_READ) -> QuerySet:
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


def categories_with_counts() -> QuerySet:
    return DeviceCategory.objects.annotate(
        device_count=Count("devices", filter=~Q(devices__management_state=ManagementState.DELETED))
    )
