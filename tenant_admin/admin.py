"""The directory in the Django admin: readable; a change that widens or narrows access goes
through the same rails and audit as the portal's pages, or is not offered here at all.

Groups, roles, assignments and scope tags are read-only here (their pages put them through the
rails and, where a policy covers them, approval). On a user, a directory-role or active-status
change passes the rails (an approver group may not be left unable to approve) and is audited;
group membership is edited on the Groups page; users are deactivated, never deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from approvals.admin_actions import protected_admin_action
from approvals.operations import OperationError
from approvals.rails import rails_dry_run, rails_guard
from audit.admin import ReadOnlyAdmin
from audit.chain import audit_record
from rbac.models import Permission, Role, RoleAssignment, ScopeTag, SecurityGroup, User
from rbac.services import signin_unlock, user_set_active

# The fields whose change alters what a user may do, checked against the rails.
ACCESS_FIELDS = {"directory_role", "is_active"}


class UserChangeForm(UserAdmin.form):
    def clean(self):
        data = super().clean()
        changed = ACCESS_FIELDS & set(self.changed_data)
        if changed and self.instance.pk:
            try:
                with rails_dry_run():
                    User.objects.filter(pk=self.instance.pk).update(
                        **{field: data.get(field) for field in changed}
                    )
            except OperationError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    form = UserChangeForm
    list_display = ["username", "display_name", "email", "directory_role", "is_active"]
    list_filter = ["directory_role", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email", "display_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "directory_role", "groups"]}),
        ("Notifications", {"fields": ["muted_notifications"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    # Membership is edited on the Groups page (rails, one audit event per member); Django's own
    # superuser flag and permissions are not the portal's access model.
    readonly_fields = ["groups", "last_login", "date_joined"]
    actions = ["deactivate_users", "unlock_sign_in", "reset_second_factors"]

    def has_delete_permission(self, request, obj=None):
        # Deleting a user would orphan their history; deactivating keeps it.
        return False

    def save_model(self, request, obj, form, change):
        # A directory role grants every permission: who gave it to whom must be on the chain.
        with transaction.atomic(), rails_guard():
            super().save_model(request, obj, form, change)
            changed = sorted(set(form.changed_data) - {"password"})
            audit_record(
                actor=request.user,
                action="user.update" if change else "user.create",
                target=obj,
                data={"changed": changed, "directory_role": obj.directory_role},
            )

    reset_second_factors = protected_admin_action(
        "user.mfa_reset",
        payload_for=lambda user: {"user_id": user.pk},
        name="reset_second_factors",
        label="Reset second factors (needs approval) of",
    )

    @admin.action(description="Unlock sign-in (after too many failed attempts)")
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            cleared = signin_unlock(actor=request.user, username=user.username)
            self.message_user(request, f"{user}: sign-in unlocked ({cleared} failures cleared).")

    @admin.action(description="Deactivate selected users")
    def deactivate_users(self, request, queryset):
        for user in queryset:
            try:
                with rails_guard():
                    user_set_active(actor=request.user, user_id=user.pk, active=False)
            except OperationError as exc:
                self.message_user(request, f"{user}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{user} deactivated.")


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
class ScopeTagAdmin(ReadOnlyAdmin):
    """Read-only: deleting or editing a tag changes which devices scoped admins see."""

    list_display = ["name", "description"]
    search_fields = ["name"]
