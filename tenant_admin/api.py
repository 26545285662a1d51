"""API: groups (read), role definitions and role assignments (the RBAC workload)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers

from approvals.api.base import ProtectedViewSet
from rbac.catalogue import Perm, catalogue
from rbac.models import GroupType
from rbac.selectors import assignment_list, group_list, role_list, user_has_perm
from utilities.api.errors import ApiError
from utilities.api.fields import IdListField
from utilities.api.odata import Prop
from utilities.api.routes import router


class _ReadGuarded(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Readable with `read_permission`; subclasses give the rows in `rows()`."""

    read_permission = ""

    def rows(self):
        raise NotImplementedError

    def get_queryset(self):
        if not user_has_perm(self.request.user, self.read_permission):
            raise PermissionDenied(f"You need the permission {self.read_permission}.")
        return self.rows()


class GroupSerializer(serializers.Serializer):
    """Graph's group (a security group: securityEnabled, not mail-enabled), with its members'
    user names."""

    id = serializers.CharField()
    display_name = serializers.CharField(source="name")
    description = serializers.CharField()
    security_enabled = serializers.SerializerMethodField()
    mail_enabled = serializers.BooleanField(default=False)
    group_types = serializers.ListField(default=list)
    members = serializers.SerializerMethodField()

    def get_security_enabled(self, group) -> bool:
        return group.group_type == GroupType.SECURITY

    def get_members(self, group) -> list[str]:
        return sorted(u.username for u in group.auth_group.user_set.all())


class GroupViewSet(_ReadGuarded):
    """Security groups and their members (read only)."""

    serializer_class = GroupSerializer
    read_permission = Perm.ORGANIZATION_READ
    odata_filter = {"displayName": Prop("name")}
    odata_orderby = {"displayName": "name"}

    def rows(self):
        return group_list().prefetch_related("auth_group__user_set")


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "resourceActions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "allowedResourceActions": {"type": "array", "items": {"type": "string"}}
                        },
                    },
                }
            },
        },
    }
)
class RolePermissionsField(serializers.Field):
    """Graph's rolePermissions: [{"resourceActions": [{"allowedResourceActions": [...]}]}],
    the actions being the portal's permission codes."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, role):
        codes = sorted(p.code for p in role.permissions.all())
        actions = {"allowed_resource_actions": codes, "not_allowed_resource_actions": []}
        return [{"resource_actions": [actions]}]

    def to_internal_value(self, data):
        try:
            codes = {
                code
                for permission in data
                for action in permission["resource_actions"]
                for code in action.get("allowed_resource_actions", [])
            }
        except (TypeError, KeyError, AttributeError):
            raise serializers.ValidationError(
                'rolePermissions is [{"resourceActions": [{"allowedResourceActions": [...]}]}].'
            ) from None
        unknown = sorted(codes - catalogue.codes())
        if unknown:
            raise serializers.ValidationError(f"Unknown permissions: {', '.join(unknown)}.")
        return {"permissions": sorted(codes)}


class RoleSerializer(serializers.Serializer):
    """Graph's deviceAndAppManagementRoleDefinition."""

    id = serializers.CharField(read_only=True)
    display_name = serializers.CharField(source="name", max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    is_built_in = serializers.BooleanField(source="is_builtin", read_only=True)
    role_permissions = RolePermissionsField()

    def to_representation(self, role):
        data = super().to_representation(role)
        return {"@odata.type": "#microsoft.graph.deviceAndAppManagementRoleDefinition", **data}


class RoleViewSet(_ReadGuarded):
    """Role definitions; built-in roles are read-only (duplicate one by creating a copy)."""

    serializer_class = RoleSerializer
    read_permission = Perm.ROLES_READ
    odata_filter = {"displayName": Prop("name")}

    def rows(self):
        return role_list()

    def _payload(self, role=None) -> dict:
        if role is not None and role.is_builtin:
            raise ApiError(403, "Forbidden", f"{role.name} is a built-in role: duplicate it.")
        current = {}
        if role is not None:
            current = RoleSerializer(role).data
        serializer = RoleSerializer(data={**current, **self.request.data})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        state = {key: data[key] for key in ("name", "description", "permissions")}
        return {"object_id": role.pk, "state": state} if role else {"state": state}

    @extend_schema(request=RoleSerializer, responses=dict)
    def create(self, request):
        return self.protected("role.create", self._payload())

    @extend_schema(request=RoleSerializer, responses=dict)
    def partial_update(self, request, pk=None):
        return self.protected("role.edit", self._payload(self.get_object()))

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        role = self.get_object()
        if role.is_builtin:
            raise ApiError(403, "Forbidden", f"{role.name} is a built-in role.")
        return self.protected("role.delete", {"object_id": role.pk})


def _ids(many) -> list[str]:
    return [str(pk) for pk in sorted(obj.pk for obj in many.all())]


SCOPE_TYPES = {"allDevices": True, "resourceScope": False}


class ScopeTypeField(serializers.ChoiceField):
    """Graph's scopeType: allDevices, or resourceScope (the groups in resourceScopes)."""

    def __init__(self, **kwargs):
        super().__init__(choices=list(SCOPE_TYPES), source="*", **kwargs)

    def to_internal_value(self, data):
        return {"scope_all_devices": SCOPE_TYPES[super().to_internal_value(data)]}


class AssignmentSerializer(serializers.Serializer):
    """Graph's deviceAndAppManagementRoleAssignment: the role is `roleDefinition` ({"id"}, or
    `roleDefinition@odata.bind` with its URL), members are group ids."""

    id = serializers.CharField(read_only=True)
    display_name = serializers.CharField(source="name", max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    role_definition = serializers.DictField(source="role")
    members = IdListField(allow_empty=False)
    scope_type = ScopeTypeField(required=False)
    resource_scopes = IdListField(source="scope_groups", default=list)
    role_scope_tag_ids = IdListField(source="scope_tags", default=list)

    def validate_role_definition(self, value) -> int:
        role_id = str(value.get("id", ""))
        if not role_id.isdigit():
            raise serializers.ValidationError('The role: {"id": "<role definition id>"}.')
        return int(role_id)

    def to_representation(self, assignment):
        return {
            "@odata.type": "#microsoft.graph.deviceAndAppManagementRoleAssignment",
            "id": str(assignment.pk),
            "display_name": assignment.name,
            "description": assignment.description,
            "role_definition": {
                "id": str(assignment.role_id),
                "display_name": assignment.role.name,
            },
            "members": _ids(assignment.members),
            "scope_type": "allDevices" if assignment.scope_all_devices else "resourceScope",
            "resource_scopes": _ids(assignment.scope_groups),
            "role_scope_tag_ids": _ids(assignment.scope_tags),
        }


class AssignmentViewSet(_ReadGuarded):
    """Role assignments: a role, member groups and a scope. Writes are protected by the
    Role-based access control workload."""

    serializer_class = AssignmentSerializer
    read_permission = Perm.ROLES_READ
    odata_filter = {"displayName": Prop("name")}

    def rows(self):
        return assignment_list()

    def _payload(self, assignment=None) -> dict:
        current = AssignmentSerializer(assignment).data if assignment is not None else {}
        data = {**current, **self.request.data}
        bound = data.pop("role_definition@odata.bind", None)
        if bound:
            data["role_definition"] = {"id": str(bound).rstrip("/").rsplit("/", 1)[-1]}
        serializer = AssignmentSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        state = {"scope_all_devices": True, **serializer.validated_data}
        if state["scope_all_devices"]:
            state["scope_groups"] = []
        return {"object_id": assignment.pk, "state": state} if assignment else {"state": state}

    @extend_schema(request=AssignmentSerializer, responses=dict)
    def create(self, request):
        return self.protected("assignment.create", self._payload())

    @extend_schema(request=AssignmentSerializer, responses=dict)
    def partial_update(self, request, pk=None):
        return self.protected("assignment.edit", self._payload(self.get_object()))

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        return self.protected("assignment.delete", {"object_id": self.get_object().pk})


router.register("groups", GroupViewSet, basename="group")
router.register("deviceManagement/roleDefinitions", RoleViewSet, basename="role")
router.register("deviceManagement/roleAssignments", AssignmentViewSet, basename="role-assignment")
