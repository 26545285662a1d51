from django.contrib import admin

from approvals.admin_actions import protected_admin_action
from audit.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import AppAssignment, AppInstall, MobileApp


class AssignmentInline(ReadOnlyInline):
    model = AppAssignment
    readonly_fields = ["group", "mode"]


@admin.register(MobileApp)
class MobileAppAdmin(ReadOnlyAdmin):
    """Readable here; every change goes through the portal's protected operations."""

    list_display = ["name", "app_type", "publisher", "app_version", "revision", "updated_at"]
    list_filter = ["app_type"]
    search_fields = ["name", "publisher"]
    inlines = [AssignmentInline]
    actions = [
        protected_admin_action(
            "app.delete",
            payload_for=lambda app: {"object_id": app.pk},
            name="delete_apps",
            label="Delete",
        )
    ]


@admin.register(AppInstall)
class AppInstallAdmin(ReadOnlyAdmin):
    list_display = ["app", "device", "intent", "status", "reported_at"]
    list_filter = ["status", "intent"]
    search_fields = ["app__name", "device__name"]
    list_select_related = ["app", "device"]
