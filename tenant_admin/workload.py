"""What tenant administration adds to the catalogue: the Role-based access control workload
(its permissions are RBAC's own Roles category) and the sidebar entries of its pages."""

from rbac.catalogue import Perm, catalogue
from utilities.navigation import ADMIN, NavItem, nav_register

RBAC = catalogue.workload("rbac", "Role-based access control", order=50)

nav_register(NavItem("Roles", "tenant_admin:roles", ADMIN, 10, Perm.ROLES_READ))
nav_register(NavItem("Role assignments", "tenant_admin:assignments", ADMIN, 20, Perm.ROLES_READ))
nav_register(NavItem("Groups", "tenant_admin:groups", ADMIN, 30, Perm.ORGANIZATION_READ))
# Registering applications is for the directory's administrators (Global, Intune).
nav_register(
    NavItem(
        "API applications",
        "tenant_admin:applications",
        ADMIN,
        60,
        visible=lambda user: bool(user.directory_role),
    )
)
