from django.contrib import admin

from approvals.admin_actions import protected_admin_action
from audit.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Script, ScriptAssignment, ScriptRun


class AssignmentInline(ReadOnlyInline):
    model = ScriptAssignment
    readonly_fields = ["group", "mode"]


@admin.register(Script)
class ScriptAdmin(ReadOnlyAdmin):
    """Readable here; every change goes through the portal's protected operations."""

    list_display = ["name", "kind", "platform", "version", "updated_at"]
    list_filter = ["kind", "platform"]
    search_fields = ["name", "description"]
    inlines = [AssignmentInline]
    actions = [
        protected_admin_action(
            lambda script: f"{script.kind}.delete",
            payload_for=lambda script: {"object_id": script.pk},
            name="delete_scripts",
            label="Delete",
        )
    ]


@admin.register(ScriptRun)
class ScriptRunAdmin(ReadOnlyAdmin):
    list_display = ["script", "device", "script_version", "status", "reported_at"]
    list_filter = ["status"]
    search_fields = ["script__name", "device__name"]
    list_select_related = ["script", "device"]
