"""API: managed devices (list, get, wipe, retire, delete, sync) and device categories."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from approvals.api.base import ProtectedViewSet
from rbac.catalogue import Perm
from rbac.selectors import user_has_perm
from utilities.api.errors import ApiError
from utilities.api.fields import EnumField
from utilities.api.odata import Prop
from utilities.api.routes import router
from utilities.queries import among

from . import bulk
from .models import ActionKind, Device, DeviceCategory, ManagementState
from .operations import BULK_ACTION_BY_KIND
from .selectors import categories_with_counts, devices_visible_to
from .services import DeviceActionError, device_action_run
from .workload import DevicePerm

OWNER_TYPES = {"corporate": "company", "personal": "personal"}
# executeAction's actionNames (Graph's managedDeviceRemoteAction) that the portal runs: the
# bulk operations by their kind, and a sync.
SYNC_ACTION = "syncDevice"
ACTION_NAMES = [*BULK_ACTION_BY_KIND, SYNC_ACTION]


def _device_ids(value) -> list[int]:
    """Graph's deviceIds (strings), distinct and sorted: the same devices in another order
    are the same request."""
    if not isinstance(value, list) or not value:
        raise ApiError(400, "BadRequest", "deviceIds must be a non-empty list of device ids.")
    if len(value) > bulk.MAX_DEVICES:
        raise ApiError(
            400, "BadRequest", f"At most {bulk.MAX_DEVICES:,} devices in one call ({len(value):,})."
        )
    wrong = [repr(v) for v in value if not (isinstance(v, str | int) and str(v).isdigit())]
    if wrong:
        raise ApiError(400, "BadRequest", f"Not a device id: {bulk.named(wrong)}.")
    return sorted({int(v) for v in value})


class DeviceSerializer(serializers.ModelSerializer):
    """Graph's managedDevice: its property names, string ids and …DateTime fields."""

    id = serializers.CharField(read_only=True)
    device_name = serializers.CharField(source="name")
    user_principal_name = serializers.CharField(source="primary_user.email", default=None)
    user_display_name = serializers.CharField(source="primary_user", default=None)
    managed_device_owner_type = serializers.SerializerMethodField()
    device_category_display_name = serializers.CharField(source="category.name", default=None)
    compliance_state = EnumField()
    management_state = EnumField()
    enrolled_date_time = serializers.DateTimeField(source="enrolled_at")
    last_sync_date_time = serializers.DateTimeField(source="last_check_in")

    class Meta:
        model = Device
        fields = [
            "id",
            "device_name",
            "serial_number",
            "operating_system",
            "os_version",
            "model",
            "manufacturer",
            "managed_device_owner_type",
            "user_principal_name",
            "user_display_name",
            "compliance_state",
            "management_state",
            "device_category_display_name",
            "enrolled_date_time",
            "last_sync_date_time",
        ]

    def get_managed_device_owner_type(self, device) -> str:
        return OWNER_TYPES[device.ownership]


class DeviceViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Managed devices in the caller's scope, as Graph's managedDevices: $filter on the
    properties below, $orderby deviceName or lastSyncDateTime. Deleted devices are listed only
    when the filter names a managementState."""

    serializer_class = DeviceSerializer
    odata_filter = {
        "deviceName": Prop("name"),
        "operatingSystem": Prop("operating_system"),
        "complianceState": Prop("compliance_state", enum=True),
        "managementState": Prop("management_state", enum=True),
        "managedDeviceOwnerType": Prop(
            "ownership", values={graph: ours for ours, graph in OWNER_TYPES.items()}
        ),
        "userPrincipalName": Prop("primary_user__email"),
        "serialNumber": Prop("serial_number"),
    }
    odata_orderby = {"deviceName": "name", "lastSyncDateTime": "last_check_in"}

    def get_queryset(self):
        if not user_has_perm(self.request.user, DevicePerm.READ):
            raise PermissionDenied("You need the permission Managed devices: Read.")
        qs = devices_visible_to(self.request.user).select_related("category", "primary_user")
        if "managementState" not in self.request.query_params.get("$filter", ""):
            qs = qs.exclude(management_state=ManagementState.DELETED)
        return qs

    def _device_action(self, kind: str):
        device = self.get_object()
        return self.protected(f"device.{kind}", {"device_id": device.pk})

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["post"])
    def wipe(self, request, pk=None):
        return self._device_action(ActionKind.WIPE)

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._device_action(ActionKind.RETIRE)

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        return self._device_action(ActionKind.DELETE)

    @extend_schema(request=dict, responses=dict)
    @action(detail=False, methods=["post"], url_path="executeAction")
    def execute_action(self, request):
        """Graph's bulk device action. Wipe, retire and delete make one protected request for
        all the devices, through the same approval handshake as one device (the set pinned
        when filed; the page's refusals by name); syncDevice runs at once and answers Graph's
        bulkManagedDeviceActionResult."""
        # The parser has made Graph's camelCase keys snake_case (djangorestframework-camel-case).
        name = request.data.get("action_name")
        if name not in ACTION_NAMES:
            raise ApiError(
                400, "BadRequest", f"actionName must be one of {', '.join(ACTION_NAMES)}."
            )
        ids = _device_ids(request.data.get("device_ids"))
        found = set(self.get_queryset().filter(among("pk", ids)).values_list("pk", flat=True))
        missing = [str(pk) for pk in ids if pk not in found]
        if name == SYNC_ACTION:
            return self._sync_many(sorted(found), missing)
        if missing:
            raise ApiError(
                404, "ResourceNotFound", f"No managed device with id {bulk.named(missing)}."
            )
        return self.protected(BULK_ACTION_BY_KIND[name].code, {"device_ids": ids})

    def _sync_many(self, ids: list[int], missing: list[str]):
        if not user_has_perm(self.request.user, DevicePerm.SYNC):
            raise PermissionDenied(f"You need the permission {DevicePerm.SYNC}.")
        sent, passed = [], []
        if ids:
            try:
                outcome = bulk.devices_sync(
                    actor=self.request.user, permission=DevicePerm.SYNC, device_ids=ids
                )
            except DeviceActionError as exc:
                raise ApiError(400, "BadRequest", str(exc)) from exc
            sent, passed = outcome.sent, outcome.passed
        return Response(
            {
                "successfulDeviceIds": [str(pk) for pk in sent],
                "failedDeviceIds": [str(pk) for pk in passed],
                "notFoundDeviceIds": missing,
                "notSupportedDeviceIds": [],
            }
        )

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["post"], url_path="syncDevice")
    def sync(self, request, pk=None):
        device = self.get_object()
        if not user_has_perm(request.user, DevicePerm.SYNC, device):
            raise PermissionDenied(f"You need the permission {DevicePerm.SYNC} on {device.name}.")
        try:
            device_action_run(actor=request.user, device_id=device.pk, kind=ActionKind.SYNC)
        except DeviceActionError as exc:
            raise ApiError(409, "Conflict", str(exc)) from exc
        return Response({"status": "completed", "result": f"Sync sent to {device.name}"})


class CategorySerializer(serializers.ModelSerializer):
    """Graph's deviceCategory, with the number of devices in it."""

    id = serializers.CharField(read_only=True)
    display_name = serializers.CharField(source="name", max_length=128)
    device_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = DeviceCategory
        fields = ["id", "display_name", "description", "device_count"]


class CategoryViewSet(ProtectedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Device categories (Tenant configuration): every write is a protected operation."""

    serializer_class = CategorySerializer
    odata_filter = {"displayName": Prop("name")}

    def get_queryset(self):
        if not user_has_perm(self.request.user, Perm.ORGANIZATION_READ):
            raise PermissionDenied("You need the permission Organization: Read.")
        return categories_with_counts()

    def _state(self, category=None) -> dict:
        current = CategorySerializer(category).data if category else {}
        serializer = CategorySerializer(data={**current, **self.request.data})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return {"name": data["name"], "description": data.get("description", "")}

    @extend_schema(request=CategorySerializer, responses=dict)
    def create(self, request):
        return self.protected("category.create", {"state": self._state()})

    @extend_schema(request=CategorySerializer, responses=dict)
    def partial_update(self, request, pk=None):
        category = self.get_object()
        return self.protected(
            "category.edit", {"object_id": category.pk, "state": self._state(category)}
        )

    @extend_schema(request=None, responses=dict)
    def destroy(self, request, pk=None):
        return self.protected("category.delete", {"object_id": self.get_object().pk})


router.register("deviceManagement/managedDevices", DeviceViewSet, basename="device")
router.register("deviceManagement/deviceCategories", CategoryViewSet, basename="device-category")
