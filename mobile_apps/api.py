"""API: apps as Graph's mobileApps: one resource, typed by @odata.type (win32LobApp, winGetApp,
iosStoreApp, androidManagedStoreApp, webApp), with Graph's property names."""

from rest_framework import serializers

from assignments.api import AssignableViewSet, AssignmentsField, assignable_schema
from utilities.api.odata import Prop
from utilities.api.routes import router

from .models import AppType, DetectionType
from .operations import APPS
from .services import COMMON_FIELDS, TYPE_FIELDS

ODATA_TYPES = {
    AppType.WIN32: "#microsoft.graph.win32LobApp",
    AppType.MICROSOFT_STORE: "#microsoft.graph.winGetApp",
    AppType.IOS_STORE: "#microsoft.graph.iosStoreApp",
    AppType.ANDROID_PLAY: "#microsoft.graph.androidManagedStoreApp",
    AppType.WEB_LINK: "#microsoft.graph.webApp",
}
APP_TYPES = {odata_type: app_type for app_type, odata_type in ODATA_TYPES.items()}


class AppSerializer(serializers.Serializer):
    """Reads show the fields of the app's own type; writes take Graph's names (and on create
    @odata.type), fields of other types ignored."""

    id = serializers.CharField(read_only=True)
    display_name = serializers.CharField(source="name", max_length=128)
    publisher = serializers.CharField(max_length=128)
    display_version = serializers.CharField(
        source="app_version", max_length=64, allow_blank=True, default=""
    )
    description = serializers.CharField(max_length=2048, allow_blank=True, default="")
    install_command_line = serializers.CharField(
        source="install_command", max_length=1024, required=False
    )
    uninstall_command_line = serializers.CharField(
        source="uninstall_command", max_length=1024, required=False
    )
    detection_type = serializers.ChoiceField(choices=DetectionType.choices, required=False)
    detection_value = serializers.CharField(max_length=1024, required=False)
    package_identifier = serializers.CharField(max_length=64, required=False)
    app_store_url = serializers.URLField(max_length=512, required=False)
    bundle_id = serializers.CharField(max_length=255, required=False)
    package_id = serializers.CharField(source="package_name", max_length=255, required=False)
    app_url = serializers.URLField(max_length=512, required=False)
    revision = serializers.IntegerField(read_only=True)
    created_date_time = serializers.DateTimeField(source="created_at", read_only=True)
    last_modified_date_time = serializers.DateTimeField(source="updated_at", read_only=True)
    assignments = AssignmentsField()

    def to_representation(self, app):
        own = set(COMMON_FIELDS + TYPE_FIELDS[app.app_type])
        typed = {f for fields in TYPE_FIELDS.values() for f in fields}
        data = super().to_representation(app)
        shown = {
            name: data[name]
            for name, field in self.fields.items()
            if field.source not in typed or field.source in own
        }
        return {"@odata.type": ODATA_TYPES[app.app_type], **shown}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        odata_type = data.get("@odata.type")
        if odata_type is None and not self.partial:
            raise serializers.ValidationError({"@odata.type": "Name the app's type."})
        if odata_type is not None:
            if odata_type not in APP_TYPES:
                raise serializers.ValidationError(
                    {"@odata.type": f"One of {', '.join(sorted(APP_TYPES))}."}
                )
            value["app_type"] = APP_TYPES[odata_type]
        return value


@assignable_schema
class AppViewSet(AssignableViewSet):
    """Apps: list, get, add, update, delete and assign (Required, Available, Uninstall,
    Excluded). Writes are protected by the Apps workload."""

    spec = APPS
    assignments_key = "mobile_app_assignments"
    serializer_class = AppSerializer
    write_serializer = AppSerializer
    odata_filter = {"displayName": Prop("name"), "publisher": Prop("publisher")}
    odata_orderby = {"displayName": "name"}


router.register("deviceAppManagement/mobileApps", AppViewSet, basename="app")
