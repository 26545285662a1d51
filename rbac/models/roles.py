from django.db import models

from .groups import SecurityGroup


class Permission(models.Model):
    """One entry of the Intune permission catalogue (rbac.catalogue keeps these rows in step)."""

    code = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=100)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return f"{self.category}: {self.name}"


class Role(models.Model):
    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True, max_length=1024)
    is_builtin = models.BooleanField(default=False, editable=False)
    permissions = models.ManyToManyField(Permission, blank=True, related_name="roles")
    duplicated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_builtin", "name"]

    def __str__(self) -> str:
        return self.name


class ScopeTag(models.Model):
    """Intune scope tag: an assignment with tags sees only objects carrying one of them."""

    name = models.CharField(max_length=128, unique=True)
    description = models.CharField(max_length=1024, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A role given to admin groups (Members), over Scope (Groups) and Scope (Tags)."""

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True, max_length=1024)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    members = models.ManyToManyField(SecurityGroup, related_name="role_assignments")
    scope_all_devices = models.BooleanField(
        default=True,
        help_text="All devices; otherwise only devices whose primary user is in a scope group.",
    )
    scope_groups = models.ManyToManyField(
        SecurityGroup, blank=True, related_name="scoped_by_assignments"
    )
    scope_tags = models.ManyToManyField(ScopeTag, blank=True, related_name="role_assignments")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
