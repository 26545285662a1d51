from django.contrib import admin

from approvals.admin_actions import protected_admin_action
from audit.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import DevicePolicy, PolicyAssignment, PolicyDeviceState


class AssignmentInline(ReadOnlyInline):
    model = PolicyAssignment
    readonly_fields = ["group", "mode"]


@admin.register(DevicePolicy)
class DevicePolicyAdmin(ReadOnlyAdmin):
    """Readable here; every change goes through the portal's protected operations."""

    list_display = ["name", "family", "platform", "version", "updated_at"]
    list_filter = ["family", "platform"]
    search_fields = ["name", "description"]
    inlines = [AssignmentInline]
    actions = [
        protected_admin_action(
            lambda policy: f"{policy.family}.delete",
            payload_for=lambda policy: {"object_id": policy.pk},
            name="delete_policies",
            label="Delete",
        )
    ]


@admin.register(PolicyDeviceState)
class PolicyDeviceStateAdmin(ReadOnlyAdmin):
    list_display = ["policy", "device", "status", "policy_version", "reported_at"]
    list_filter = ["status", "policy__family"]
    search_fields = ["policy__name", "device__name"]
    list_select_related = ["policy", "device"]
