from django import forms

from approvals.forms import JustificationMixin
from rbac.models import GroupType, Permission, Role, RoleAssignment, ScopeTag, SecurityGroup, User
from rbac.models.groups import GROUP_NAME_MAX


class GroupForm(forms.Form):
    name = forms.CharField(max_length=GROUP_NAME_MAX)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    group_type = forms.ChoiceField(choices=GroupType.choices, initial=GroupType.SECURITY)
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.category}: {obj.name}"


class RoleForm(JustificationMixin):
    name = forms.CharField(max_length=128)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=1024, required=False
    )
    permissions = PermissionChoiceField(
        queryset=Permission.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, instance: Role | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance

    @staticmethod
    def initial_for(role: Role, *, name: str = "") -> dict:
        return {
            "name": name or role.name,
            "description": role.description,
            "permissions": list(role.permissions.all()),
        }

    def state(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "permissions": sorted(p.code for p in data["permissions"]),
        }


class AssignmentForm(JustificationMixin):
    name = forms.CharField(max_length=128)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=1024, required=False
    )
    role = forms.ModelChoiceField(queryset=Role.objects.all())
    members = forms.ModelMultipleChoiceField(
        label="Members (admin groups)",
        queryset=SecurityGroup.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    scope_all_devices = forms.BooleanField(
        label="Scope (Groups): all devices", required=False, initial=True
    )
    scope_groups = forms.ModelMultipleChoiceField(
        label="Scope (Groups)",
        queryset=SecurityGroup.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Devices whose primary user is in one of these groups.",
    )
    scope_tags = forms.ModelMultipleChoiceField(
        label="Scope (Tags)",
        queryset=ScopeTag.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None selected: every object, whatever its tags.",
    )

    def clean(self):
        data = super().clean()
        if not data.get("scope_all_devices") and not data.get("scope_groups"):
            self.add_error(
                "scope_groups", "Choose scope groups, or scope the assignment to all devices."
            )
        return data

    def state(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "description": data["description"],
            "role": data["role"].pk,
            "members": sorted(g.pk for g in data["members"]),
            "scope_all_devices": data["scope_all_devices"],
            "scope_groups": []
            if data["scope_all_devices"]
            else sorted(g.pk for g in data["scope_groups"]),
            "scope_tags": sorted(t.pk for t in data["scope_tags"]),
        }

    @staticmethod
    def initial_for(assignment: RoleAssignment) -> dict:
        return {
            "name": assignment.name,
            "description": assignment.description,
            "role": assignment.role,
            "members": list(assignment.members.all()),
            "scope_all_devices": assignment.scope_all_devices,
            "scope_groups": list(assignment.scope_groups.all()),
            "scope_tags": list(assignment.scope_tags.all()),
        }
