"""What the scripts app adds to the catalogue: the Scripts workload, its permissions and its
sidebar entry."""

from rbac import catalogue as c
from rbac.catalogue import CRUD_ASSIGN, catalogue
from utilities.navigation import MAIN, NavItem, nav_register

SCRIPTS = catalogue.workload("scripts", "Scripts", order=60)
ScriptPerm = catalogue.permissions(
    "Device management scripts",
    "scripts",
    CRUD_ASSIGN,
    roles={
        c.HELP_DESK_OPERATOR: ["Read", "Assign"],
        c.POLICY_AND_PROFILE_MANAGER: CRUD_ASSIGN,
        c.READ_ONLY_OPERATOR: ["Read"],
    },
)

nav_register(NavItem("Scripts and remediations", "device_scripts:list", MAIN, 40, ScriptPerm.READ))
