from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from audit.admin import ReadOnlyAdmin
from audit.chain import audit_record

from .models import Permission, Role, RoleAssignment, ScopeTag, SecurityGroup, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "display_name", "email", "directory_role", "is_active"]
    list_filter = ["directory_role", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Directory", {"fields": ["display_name", "directory_role", "muted_notifications"]}),
    ]

    def save_model(self, request, obj, form, change):
        # A directory role grants every permission: who gave it to whom must be on the chain.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = sorted(set(form.changed_data) - {"password"})
            audit_record(
                actor=request.user,
                action="user.update" if change else "user.create",
                target=obj,
                data={"changed": changed, "directory_role": obj.directory_role},
            )


@admin.register(SecurityGroup)
class SecurityGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "group_type", "created_at"]
    list_filter = ["group_type"]
    search_fields = ["name", "description"]


@admin.register(Permission)
class PermissionAdmin(ReadOnlyAdmin):
    list_display = ["code", "category", "name"]
    list_filter = ["category"]
    search_fields = ["code", "name"]


@admin.register(Role)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ["name", "is_builtin", "updated_at"]
    list_filter = ["is_builtin"]
    search_fields = ["name", "description"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "role", "scope_all_devices"]
    list_filter = ["role", "scope_all_devices"]
    search_fields = ["name"]


@admin.register(ScopeTag)
class ScopeTagAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]
