"""API: groups (read), role definitions and role assignments (the RBAC workload)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from approvals.api.base import ProtectedViewSet
from rbac.catalogue import Perm, catalogue
from rbac.selectors import assignment_list, group_list, role_list, user_has_perm
from utilities.api.errors import ApiError
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
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    group_type = serializers.CharField()
    members = serializers.SerializerMethodField()

    def get_members(self, group) -> list[str]:
        return sorted(u.username for u in group.auth_group.user_set.all())


class GroupViewSet(_ReadGuarded):
    """Security groups and their members (read only)."""

    serializer_class = GroupSerializer
    read_permission = Perm.ORGANIZATION_READ

    def rows(self):
        return group_list().prefetch_related("auth_group__user_set")


class RoleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    is_builtin = serializers.BooleanField(read_only=True)
    permissions = serializers.ListField(child=serializers.CharField(), write_only=True)

    def to_representation(self, role):
        data = super().to_representation(role)
        data["permissions"] = sorted(p.code for p in role.permissions.all())
        return data

    def validate_permissions(self, codes):
        unknown = sorted(set(codes) - catalogue.codes())
        if unknown:
            raise serializers.ValidationError(f"Unknown permissions: {', '.join(unknown)}.")
        return sorted(set(codes))


class RoleViewSet(_ReadGuarded):
    """Role definitions; built-in roles are read-only (duplicate one by creating a copy)."""

    serializer_class = RoleSerializer
    read_permission = Perm.ROLES_READ

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


def _ids(many) -> list[int]:
    return sorted(obj.pk for obj in many.all())


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    role = serializers.IntegerField()
    members = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    scope_all_devices = serializers.BooleanField(default=True)
    scope_groups = serializers.ListField(child=serializers.IntegerField(), default=list)
    scope_tags = serializers.ListField(child=serializers.IntegerField(), default=list)

    def to_representation(self, assignment):
        return {
            "id": assignment.pk,
            "name": assignment.name,
            "description": assignment.description,
            "role": assignment.role_id,
            "members": _ids(assignment.members),
            "scope_all_devices": assignment.scope_all_devices,
            "scope_groups": _ids(assignment.scope_groups),
            "scope_tags": _ids(assignment.scope_tags),
        }


class AssignmentViewSet(_ReadGuarded):
    """Role assignments: a role, member groups and a scope. Writes are protected by the
    Role-based access control workload."""

    serializer_class = AssignmentSerializer
    read_permission = Perm.ROLES_READ

    def rows(self):
        return assignment_list()

    def _payload(self, assignment=None) -> dict:
        current = AssignmentSerializer(assignment).data if assignment is not None else {}
        serializer = AssignmentSerializer(data={**current, **self.request.data})
        serializer.is_valid(raise_exception=True)
        state = dict(serializer.validated_data)
        for field in ("members", "scope_groups", "scope_tags"):
            state[field] = sorted(set(state[field]))
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
