"""The API of apps and policies (assignments.assignable): list, get, create, update, delete and
assign, each write through the approval-header flow."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
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


EXCLUSION_TARGET = "#microsoft.graph.exclusionGroupAssignmentTarget"


def graph_assignment_groups(data, key: str, modes) -> dict[str, list[int]]:
    """Graph's assign body, {key: [{"target": {"@odata.type", "groupId"}, "intent"?}]}, as
    {mode: [group ids]}: an exclusion target excludes, an app's `intent` is its mode, any other
    target includes. The list is the whole new assignment."""
    entries = data.get(key)
    if not isinstance(entries, list):
        raise serializers.ValidationError({key: "A list of assignments."})
    groups: dict[str, set[int]] = {mode: set() for mode, _label in modes}
    default = "include" if "include" in groups else None
    for entry in entries:
        target = entry.get("target") if isinstance(entry, dict) else None
        group_id = str((target or {}).get("group_id", ""))
        if not group_id.isdigit():
            raise serializers.ValidationError({key: "Each target names a groupId."})
        excluded = target.get("@odata.type") == EXCLUSION_TARGET
        mode = "exclude" if excluded else entry.get("intent", default)
        if mode not in groups:
            raise serializers.ValidationError(
                {key: f"The intent is one of {', '.join(m for m in groups if m != 'exclude')}."}
            )
        groups[mode].add(int(group_id))
    return {mode: sorted(ids) for mode, ids in groups.items()}


class AssignableViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Subclasses set spec, serializer_class (reads) and write_serializer (the content);
    `assignments_key` is the list's name in Graph's assign body."""

    spec: Assignable
    assignments_key = "assignments"
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
        groups = graph_assignment_groups(request.data, self.assignments_key, self.spec.modes)
        return self.protected(f"{self.spec.prefix}.assign", {"object_id": obj.pk, "groups": groups})


def assignable_schema(viewset: type[AssignableViewSet]) -> type[AssignableViewSet]:
    """Class decorator: the OpenAPI bodies of the viewset's writes and of its assign action."""
    write = extend_schema(request=viewset.write_serializer, responses=dict)
    return extend_schema_view(
        create=write,
        partial_update=write,
        assign=extend_schema(request=dict, responses=dict),
    )(viewset)
