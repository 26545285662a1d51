"""API: platform scripts and remediations, one model with a kind, as Graph's
deviceManagementScripts and deviceHealthScripts: displayName, the script text in Base64,
runAsAccount, runAs32Bit, @odata.type, and Graph's assign body."""

import base64
import binascii

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from approvals.api.base import ProtectedViewSet
from assignments.api import AssignmentsField, graph_assignment_groups
from rbac.selectors import user_has_perm
from utilities.api.odata import Prop
from utilities.api.routes import router

from .models import MAX_SCRIPT_BYTES, Platform, RunAs, Schedule, Script, ScriptKind
from .operations import SPECS
from .services import CONTENT_FIELDS, script_state
from .workload import ScriptPerm


class Base64TextField(serializers.CharField):
    """Script text as Graph carries it: the UTF-8 bytes in Base64."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        try:
            text = base64.b64decode(super().to_internal_value(data), validate=True).decode()
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("Not Base64 of UTF-8 text.") from None
        if len(text.encode()) > MAX_SCRIPT_BYTES:
            raise serializers.ValidationError(f"At most {MAX_SCRIPT_BYTES} bytes once decoded.")
        return text

    def to_representation(self, value):
        return base64.b64encode(value.encode()).decode()


class RunAs32BitField(serializers.BooleanField):
    """Graph's runAs32Bit: the model keeps the opposite, run_64bit."""

    def get_attribute(self, script):
        return not script.run_64bit


class ScriptSerializer(serializers.Serializer):
    """What both kinds share; reads and writes (a PATCH names only what changes)."""

    odata_type = ""
    id = serializers.CharField(read_only=True)
    display_name = serializers.CharField(source="name", max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    platform = serializers.ChoiceField(choices=Platform.choices, default=Platform.WINDOWS)
    run_as_account = serializers.ChoiceField(
        source="run_as", choices=RunAs.choices, default=RunAs.SYSTEM
    )
    enforce_signature_check = serializers.BooleanField(default=False)
    run_as_32_bit = RunAs32BitField(default=False)
    version = serializers.IntegerField(read_only=True)
    created_date_time = serializers.DateTimeField(source="created_at", read_only=True)
    last_modified_date_time = serializers.DateTimeField(source="updated_at", read_only=True)
    assignments = AssignmentsField()

    def to_representation(self, script):
        return {"@odata.type": self.odata_type, **super().to_representation(script)}

    def content(self) -> dict:
        """The validated fields as the model names them."""
        data = dict(self.validated_data)
        if "run_as_32_bit" in data:
            data["run_64bit"] = not data.pop("run_as_32_bit")
        return data


class PlatformScriptSerializer(ScriptSerializer):
    odata_type = "#microsoft.graph.deviceManagementScript"
    script_content = Base64TextField(source="body")


class HealthScriptSerializer(ScriptSerializer):
    odata_type = "#microsoft.graph.deviceHealthScript"
    detection_script_content = Base64TextField(source="body")
    remediation_script_content = Base64TextField(source="remediation_body")
    schedule = serializers.ChoiceField(choices=Schedule.choices, default=Schedule.DAILY)


class PlatformScriptViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Platform scripts. Writes are protected by the Scripts workload."""

    kind = ScriptKind.PLATFORM
    serializer_class = PlatformScriptSerializer
    assignments_key = "device_management_script_assignments"
    odata_filter = {"displayName": Prop("name")}
    odata_orderby = {"displayName": "name"}

    def get_queryset(self):
        if not user_has_perm(self.request.user, ScriptPerm.READ):
            raise PermissionDenied(f"You need the permission {ScriptPerm.READ}.")
        return Script.objects.filter(kind=self.kind).prefetch_related("assignments")

    def _state(self, script=None) -> dict:
        current = {}
        if script is not None:
            current = {k: v for k, v in script_state(script).items() if k in CONTENT_FIELDS}
        serializer = self.get_serializer(data=self.request.data, partial=script is not None)
        serializer.is_valid(raise_exception=True)
        state = {**current, **serializer.content()}
        return {field: state.get(field, "") for field in CONTENT_FIELDS}

    def _code(self, verb: str) -> str:
        return f"{SPECS[self.kind].prefix}.{verb}"

    @extend_schema(responses=dict)
    def create(self, request):
        return self.protected(self._code("create"), {"state": self._state()})

    @extend_schema(responses=dict)
    def partial_update(self, request, pk=None):
        script = self.get_object()
        return self.protected(
            self._code("edit"), {"object_id": script.pk, "state": self._state(script)}
        )

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        return self.protected(self._code("delete"), {"object_id": self.get_object().pk})

    @extend_schema(request=dict, responses=dict)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        script = self.get_object()
        groups = graph_assignment_groups(request.data, self.assignments_key, SPECS[self.kind].modes)
        return self.protected(self._code("assign"), {"object_id": script.pk, "groups": groups})


class HealthScriptViewSet(PlatformScriptViewSet):
    """Remediations: a detection script and a remediation script, run on a schedule."""

    kind = ScriptKind.REMEDIATION
    serializer_class = HealthScriptSerializer
    assignments_key = "device_health_script_assignments"


router.register(
    "deviceManagement/deviceManagementScripts", PlatformScriptViewSet, basename="script"
)
router.register(
    "deviceManagement/deviceHealthScripts", HealthScriptViewSet, basename="health-script"
)
