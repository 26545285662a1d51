"""What the apps app adds to the catalogue: the Apps workload, its permissions and its sidebar
entry."""

from rbac import catalogue as c
from rbac.catalogue import CRUD_ASSIGN, catalogue
from utilities.navigation import MAIN, NavItem, nav_register

APPS = catalogue.workload("apps", "Apps", order=10)
AppPerm = catalogue.permissions(
    "Mobile apps",
    "mobile_apps",
    CRUD_ASSIGN,
    roles={
        c.APPLICATION_MANAGER: CRUD_ASSIGN,
        c.HELP_DESK_OPERATOR: ["Read", "Assign"],
        c.READ_ONLY_OPERATOR: ["Read"],
        c.SCHOOL_ADMINISTRATOR: CRUD_ASSIGN,
    },
)

nav_register(NavItem("Apps", "mobile_apps:list", MAIN, 50, AppPerm.READ))
