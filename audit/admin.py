from django.contrib import admin

from utilities.admin import LargeTableAdmin

from .models import AuditEvent


class ReadOnlyAdmin(LargeTableAdmin):
    """Visible in the admin; changed only through the portal's services (audit, approval).

    It lives in the bottom app so every app's admin can use it.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "actor_label", "action", "target_label", "to_state"]
    # No list filter on the action: Django's lists a column's values with SELECT DISTINCT over
    # every event (two thirds of the changelist's time at 2 million). The portal's audit page
    # filters by action.
    # The columns with trigram indexes (audit migration 0006); a note is read on the event.
    search_fields = ["actor_label", "target_label"]
