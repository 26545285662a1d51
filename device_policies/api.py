"""API: compliance policies and configuration (settings catalog) policies."""

from rest_framework import serializers

from assignments.api import AssignableViewSet, AssignmentsField, assignable_schema
from utilities.api.routes import router

from .models import DevicePolicy
from .operations import COMPLIANCE, CONFIGURATION
from .services import MAX_GRACE_DAYS
from .settings import PolicyPlatform


class PolicySerializer(serializers.ModelSerializer):
    assignments = AssignmentsField()

    class Meta:
        model = DevicePolicy
        fields = [
            "id",
            "name",
            "description",
            "platform",
            "settings",
            "noncompliant_after_days",
            "notify_user",
            "version",
            "created_at",
            "updated_at",
            "assignments",
        ]


class PolicyWriteSerializer(serializers.Serializer):
    """settings: {setting key: value}, keys and value types from the catalog; checked by the
    operation, which names the setting it refuses."""

    name = serializers.CharField(max_length=128)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    platform = serializers.ChoiceField(choices=PolicyPlatform.CHOICES)
    settings = serializers.DictField()


class ComplianceWriteSerializer(PolicyWriteSerializer):
    noncompliant_after_days = serializers.IntegerField(
        min_value=0, max_value=MAX_GRACE_DAYS, default=0
    )
    notify_user = serializers.BooleanField(default=False)


@assignable_schema
class CompliancePolicyViewSet(AssignableViewSet):
    """Compliance policies: rules in `settings`, actions for noncompliance. Writes are protected
    by the Compliance policies workload."""

    spec = COMPLIANCE
    serializer_class = PolicySerializer
    write_serializer = ComplianceWriteSerializer


@assignable_schema
class ConfigurationPolicyViewSet(AssignableViewSet):
    """Configuration (settings catalog) policies: `settings` maps catalog keys to values. Writes
    are protected by the Configuration policies workload."""

    spec = CONFIGURATION
    serializer_class = PolicySerializer
    write_serializer = PolicyWriteSerializer


router.register(
    "deviceManagement/deviceCompliancePolicies", CompliancePolicyViewSet, basename="compliance"
)
router.register(
    "deviceManagement/configurationPolicies", ConfigurationPolicyViewSet, basename="configuration"
)
