from django.contrib import admin

from approvals.admin_actions import protected_admin_action
from audit.admin import ReadOnlyAdmin
from rbac.models import ScopeTag

from .models import Device, DeviceAction, DeviceCategory
from .operations import DEVICE_ACTIONS
from .selectors import with_scope_tag


class ScopeTagFilter(admin.SimpleListFilter):
    """By scope tag as the Devices page filters: the admin's own filter on a many-to-many
    field joins it and adds DISTINCT over the whole list (a million devices)."""

    title = "scope tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [(tag.pk, tag.name) for tag in ScopeTag.objects.order_by("name")]

    def queryset(self, request, queryset):
        return with_scope_tag(queryset, self.value()) if self.value() else queryset


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "serial_number",
        "operating_system",
        "compliance_state",
        "ownership",
        "primary_user",
        "management_state",
    ]
    list_filter = [
        "operating_system",
        "compliance_state",
        "ownership",
        "management_state",
        ScopeTagFilter,
    ]
    search_fields = ["name", "serial_number", "primary_user__username"]
    list_select_related = ["primary_user"]
    # The same protected operations as the device page's buttons, one request per device.
    actions = [
        protected_admin_action(
            op.code, payload_for=op.payload_for, name=f"{op.kind}_devices", label=op.verb
        )
        for op in DEVICE_ACTIONS
    ]


@admin.register(DeviceAction)
class DeviceActionAdmin(ReadOnlyAdmin):
    list_display = ["device", "kind", "status", "requested_by", "requested_at", "origin"]
    list_filter = ["kind", "status"]
    search_fields = ["device__name", "origin"]
    list_select_related = ["device", "requested_by"]


@admin.register(DeviceCategory)
class DeviceCategoryAdmin(ReadOnlyAdmin):
    list_display = ["name", "description", "updated_at"]
    search_fields = ["name", "description"]
    actions = [
        protected_admin_action(
            "category.delete",
            payload_for=lambda category: {"object_id": category.pk},
            name="delete_categories",
            label="Delete",
        )
    ]
