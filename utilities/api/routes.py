"""The API's router: the engine registers its resources here, each domain its own (api.py).
Prefixes are Graph's paths below the version (`deviceManagement/managedDevices`)."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=False, use_regex_path=False)

# What Graph serves under /v1.0/ as well as /beta/ (the rest is beta-only in Graph too).
V1_0 = {
    "groups",
    "deviceManagement/managedDevices",
    "deviceManagement/deviceCategories",
    "deviceManagement/deviceCompliancePolicies",
    "deviceManagement/roleDefinitions",
    "deviceManagement/roleAssignments",
    "deviceAppManagement/mobileApps",
}


def v1_router() -> SimpleRouter:
    v1 = SimpleRouter(trailing_slash=False, use_regex_path=False)
    for prefix, viewset, basename in router.registry:
        if prefix in V1_0:
            v1.register(prefix, viewset, basename=f"v1-{basename}")
    return v1
