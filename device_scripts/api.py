"""API: platform scripts and remediations (Intune's deviceManagementScripts and
deviceHealthScripts), one resource with a kind."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from approvals.api.base import ProtectedViewSet
from assignments.api import AssignmentsField
from rbac.selectors import user_has_perm
from utilities.api.routes import router

from .models import MAX_SCRIPT_BYTES, Platform, RunAs, Schedule, Script, ScriptKind
from .operations import SPECS
from .services import CONTENT_FIELDS, script_state
from .workload import ScriptPerm


class ScriptSerializer(serializers.ModelSerializer):
    assignments = AssignmentsField()

    class Meta:
        model = Script
        fields = [
            "id",
            "kind",
            *CONTENT_FIELDS,
            "version",
            "created_at",
            "updated_at",
            "assignments",
        ]


class ScriptWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ScriptKind.choices, default=ScriptKind.PLATFORM)
    name = serializers.CharField(max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    platform = serializers.ChoiceField(choices=Platform.choices)
    body = serializers.CharField(max_length=MAX_SCRIPT_BYTES, trim_whitespace=False)
    remediation_body = serializers.CharField(
        max_length=MAX_SCRIPT_BYTES, trim_whitespace=False, allow_blank=True, default=""
    )
    run_as = serializers.ChoiceField(choices=RunAs.choices, default=RunAs.SYSTEM)
    enforce_signature_check = serializers.BooleanField(default=False)
    run_64bit = serializers.BooleanField(default=True)
    schedule = serializers.ChoiceField(choices=Schedule.choices, allow_blank=True, default="")


ScriptAssignment = inline_serializer(
    "ScriptAssignment",
    {
        "include": serializers.ListField(child=serializers.IntegerField(), default=list),
        "exclude": serializers.ListField(child=serializers.IntegerField(), default=list),
    },
)


class ScriptViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Platform scripts and remediations (`kind`). Writes are protected by the Scripts
    workload."""

    serializer_class = ScriptSerializer

    def get_queryset(self):
        if not user_has_perm(self.request.user, ScriptPerm.READ):
            raise PermissionDenied(f"You need the permission {ScriptPerm.READ}.")
        return Script.objects.prefetch_related("assignments")

    def _state(self, script=None) -> tuple[str, dict]:
        current = {}
        if script is not None:
            current = {k: v for k, v in script_state(script).items() if k != "assignments"}
        serializer = ScriptWriteSerializer(data=self.request.data, partial=script is not None)
        serializer.is_valid(raise_exception=True)
        state = {**current, **serializer.validated_data}
        kind = script.kind if script else state["kind"]
        return kind, {field: state.get(field, "") for field in CONTENT_FIELDS}

    @extend_schema(request=ScriptWriteSerializer, responses=dict)
    def create(self, request):
        kind, state = self._state()
        return self.protected(f"{SPECS[kind].prefix}.create", {"state": state})

    @extend_schema(request=ScriptWriteSerializer, responses=dict)
    def partial_update(self, request, pk=None):
        script = self.get_object()
        kind, state = self._state(script)
        return self.protected(
            f"{SPECS[kind].prefix}.edit", {"object_id": script.pk, "state": state}
        )

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        script = self.get_object()
        return self.protected(f"{SPECS[script.kind].prefix}.delete", {"object_id": script.pk})

    @extend_schema(request=ScriptAssignment, responses=dict)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        script = self.get_object()
        serializer = ScriptAssignment(data=request.data)
        serializer.is_valid(raise_exception=True)
        groups = {
            mode: sorted(set(serializer.validated_data[mode])) for mode in ("include", "exclude")
        }
        payload = {"object_id": script.pk, "groups": groups}
        return self.protected(f"{SPECS[script.kind].prefix}.assign", payload)


router.register("deviceScripts", ScriptViewSet, basename="script")
