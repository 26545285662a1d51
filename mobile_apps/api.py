"""API: apps (Intune's mobileApps)."""

from rest_framework import serializers

from assignments.api import AssignableViewSet, AssignmentsField, assignable_schema
from utilities.api.routes import router

from .models import AppType, DetectionType, MobileApp
from .operations import APPS
from .services import CONTENT_FIELDS


class AppSerializer(serializers.ModelSerializer):
    assignments = AssignmentsField()

    class Meta:
        model = MobileApp
        fields = [
            "id",
            "app_type",
            *CONTENT_FIELDS,
            "revision",
            "created_at",
            "updated_at",
            "assignments",
        ]


class AppWriteSerializer(serializers.Serializer):
    """The app's content; on create app_type too. Fields of other types are ignored."""

    app_type = serializers.ChoiceField(choices=AppType.choices, required=True)
    name = serializers.CharField(max_length=128)
    publisher = serializers.CharField(max_length=128)
    app_version = serializers.CharField(max_length=64, allow_blank=True, default="")
    description = serializers.CharField(max_length=2048, allow_blank=True, default="")
    install_command = serializers.CharField(max_length=1024, required=False)
    uninstall_command = serializers.CharField(max_length=1024, required=False)
    detection_type = serializers.ChoiceField(choices=DetectionType.choices, required=False)
    detection_value = serializers.CharField(max_length=1024, required=False)
    package_identifier = serializers.CharField(max_length=64, required=False)
    app_store_url = serializers.URLField(max_length=512, required=False)
    bundle_id = serializers.CharField(max_length=255, required=False)
    package_name = serializers.CharField(max_length=255, required=False)
    app_url = serializers.URLField(max_length=512, required=False)


@assignable_schema
class AppViewSet(AssignableViewSet):
    """Apps: list, get, add, update, delete and assign (Required, Available, Uninstall,
    Excluded). Writes are protected by the Apps workload."""

    spec = APPS
    serializer_class = AppSerializer
    write_serializer = AppWriteSerializer


router.register("deviceAppManagement/mobileApps", AppViewSet, basename="app")
