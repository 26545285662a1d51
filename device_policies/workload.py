"""What the policies app adds to the catalogue: the Compliance policies and Configuration
policies workloads, their permissions and their sidebar entries."""

from rbac import catalogue as c
from rbac.catalogue import CRUD_ASSIGN, catalogue
from utilities.navigation import MAIN, NavItem, nav_register

COMPLIANCE = catalogue.workload("compliance", "Compliance policies", order=20)
CONFIGURATION = catalogue.workload("configuration", "Configuration policies", order=30)

_MANAGERS = {
    c.ENDPOINT_SECURITY_MANAGER: CRUD_ASSIGN,
    c.HELP_DESK_OPERATOR: ["Read", "Assign"],
    c.POLICY_AND_PROFILE_MANAGER: CRUD_ASSIGN,
    c.READ_ONLY_OPERATOR: ["Read"],
}
CompliancePerm = catalogue.permissions(
    "Device compliance policies", "compliance", CRUD_ASSIGN, roles=_MANAGERS
)
ConfigurationPerm = catalogue.permissions(
    "Device configurations",
    "configurations",
    CRUD_ASSIGN,
    roles={**_MANAGERS, c.SCHOOL_ADMINISTRATOR: CRUD_ASSIGN},
)

nav_register(
    NavItem("Compliance policies", "device_policies:compliance_list", MAIN, 20, CompliancePerm.READ)
)
nav_register(
    NavItem(
        "Configuration policies",
        "device_policies:configuration_list",
        MAIN,
        30,
        ConfigurationPerm.READ,
    )
)
