"""The API of apps and policies (assignments.assignable): list, get, create, update, delete and
assign, each write through the approval-header flow."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from approvals.api.base import ProtectedViewSet
from rbac.selectors import user_has_perm

from .assignable import Assignable


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"groupId": {"type": "integer"}, "mode": {"type": "string"}},
        },
    }
)
class AssignmentsField(serializers.Field):
    """The `assignments` of an object as [{"group_id", "mode"}] (for apps the mode is the
    intent)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, assignments):
        return [{"group_id": a.group_id, "mode": a.mode} for a in assignments.all()]


def assignment_serializer(spec: Assignable) -> type[serializers.Serializer]:
    """{"groups": {"<intent>": [group ids], ...}}: the whole new assignment."""
    fields = {
        mode: serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
        for mode, _label in spec.modes
    }
    groups = inline_serializer(f"{spec.prefix.capitalize()}AssignmentGroups", fields)
    return inline_serializer(f"{spec.prefix.capitalize()}Assignment", {"groups": groups})


class AssignableViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Subclasses set spec, serializer_class (reads) and write_serializer (the content)."""

    spec: Assignable
    write_serializer: type[serializers.Serializer]

    def get_queryset(self):
        if not user_has_perm(self.request.user, self.spec.permissions["read"]):
            raise PermissionDenied(f"You need the permission {self.spec.permissions['read']}.")
        return self.spec.objects().prefetch_related("assignments")

    def _content(self, obj=None) -> dict:
        current = {}
        if obj is not None:
            current = {k: v for k, v in self.spec.state(obj).items() if k != "assignments"}
        serializer = self.write_serializer(data=self.request.data, partial=obj is not None)
        serializer.is_valid(raise_exception=True)
        state = {**current, **serializer.validated_data}
        if self.spec.family:
            state[self.spec.family[0]] = self.spec.family[1]
        return state

    def create(self, request):
        return self.protected(f"{self.spec.prefix}.create", {"state": self._content()})

    def partial_update(self, request, pk=None):
        obj = self.get_object()
        payload = {"object_id": obj.pk, "state": self._content(obj)}
        return self.protected(f"{self.spec.prefix}.edit", payload)

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        return self.protected(f"{self.spec.prefix}.delete", {"object_id": self.get_object().pk})

    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        obj = self.get_object()
        serializer = assignment_serializer(self.spec)(data=request.data)
        serializer.is_valid(raise_exception=True)
        groups = {
            mode: sorted(set(ids)) for mode, ids in serializer.validated_data["groups"].items()
        }
        return self.protected(f"{self.spec.prefix}.assign", {"object_id": obj.pk, "groups": groups})


def assignable_schema(viewset: type[AssignableViewSet]) -> type[AssignableViewSet]:
    """Class decorator: the OpenAPI bodies of the viewset's writes and of its assign action."""
    write = extend_schema(request=viewset.write_serializer, responses=dict)
    return extend_schema_view(
        create=write,
        partial_update=write,
        assign=extend_schema(request=assignment_serializer(viewset.spec), responses=dict),
    )(viewset)
