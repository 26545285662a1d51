"""API: compliance policies (Graph's deviceCompliancePolicies, typed by platform) and settings
catalog policies (configurationPolicies). Their `settings` are the portal's catalog keys and
values, not Graph's per-type properties or setting instances."""

from rest_framework import serializers

from assignments.api import AssignableViewSet, AssignmentsField, assignable_schema
from utilities.api.odata import Prop
from utilities.api.routes import router

from .operations import COMPLIANCE, CONFIGURATION
from .services import MAX_GRACE_DAYS
from .settings import PolicyPlatform

P = PolicyPlatform
COMPLIANCE_TYPES = {
    P.WINDOWS: "#microsoft.graph.windows10CompliancePolicy",
    P.MACOS: "#microsoft.graph.macOSCompliancePolicy",
    P.IOS: "#microsoft.graph.iosCompliancePolicy",
    P.ANDROID: "#microsoft.graph.androidWorkProfileCompliancePolicy",
}
# Graph's deviceManagementConfigurationPlatforms, by the portal's platform.
CONFIGURATION_PLATFORMS = {
    P.WINDOWS: "windows10",
    P.MACOS: "macOS",
    P.IOS: "iOS",
    P.ANDROID: "android",
}


class PolicySerializer(serializers.Serializer):
    """What both families share; reads and writes (a PATCH names only what changes)."""

    id = serializers.CharField(read_only=True)
    description = serializers.CharField(max_length=1024, allow_blank=True, default="")
    platform = serializers.ChoiceField(choices=PolicyPlatform.CHOICES)
    settings = serializers.DictField()
    version = serializers.IntegerField(read_only=True)
    created_date_time = serializers.DateTimeField(source="created_at", read_only=True)
    last_modified_date_time = serializers.DateTimeField(source="updated_at", read_only=True)
    assignments = AssignmentsField()


class ComplianceSerializer(PolicySerializer):
    display_name = serializers.CharField(source="name", max_length=128)
    noncompliant_after_days = serializers.IntegerField(
        min_value=0, max_value=MAX_GRACE_DAYS, default=0
    )
    notify_user = serializers.BooleanField(default=False)

    def to_representation(self, policy):
        data = super().to_representation(policy)
        return {"@odata.type": COMPLIANCE_TYPES[policy.platform], **data}


class ConfigurationSerializer(PolicySerializer):
    name = serializers.CharField(max_length=128)

    def to_representation(self, policy):
        data = super().to_representation(policy)
        data["platforms"] = CONFIGURATION_PLATFORMS[policy.platform]
        return {"@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy", **data}


@assignable_schema
class CompliancePolicyViewSet(AssignableViewSet):
    """Compliance policies: rules in `settings`, actions for noncompliance. Writes are protected
    by the Compliance policies workload."""

    spec = COMPLIANCE
    serializer_class = write_serializer = ComplianceSerializer
    odata_filter = {"displayName": Prop("name")}
    odata_orderby = {"displayName": "name"}


@assignable_schema
class ConfigurationPolicyViewSet(AssignableViewSet):
    """Configuration (settings catalog) policies: `settings` maps catalog keys to values. Writes
    are protected by the Configuration policies workload."""

    spec = CONFIGURATION
    serializer_class = write_serializer = ConfigurationSerializer
    odata_filter = {"name": Prop("name")}
    odata_orderby = {"name": "name"}


router.register(
    "deviceManagement/deviceCompliancePolicies", CompliancePolicyViewSet, basename="compliance"
)
router.register(
    "deviceManagement/configurationPolicies", ConfigurationPolicyViewSet, basename="configuration"
)
