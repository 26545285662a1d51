"""What the engine adds to the catalogue: the Access policies workload (access policies
protect themselves) and the sidebar entries of its pages."""

from rbac.catalogue import Perm, catalogue
from rbac.selectors import access_for
from utilities.navigation import ADMIN, MAIN, NavItem, nav_register

ACCESS_POLICIES = catalogue.workload("access_policies", "Access policies", order=80)

nav_register(NavItem("Admin tasks", "approvals:admin_tasks", MAIN, 0))
# One entry, "Multi Admin Approval": the policies for those who may read them, else the
# requests they receive.
nav_register(NavItem("Multi Admin Approval", "approvals:policies", ADMIN, 50, Perm.MAA_POLICY_READ))
nav_register(
    NavItem(
        "Multi Admin Approval",
        "approvals:received",
        ADMIN,
        50,
        visible=lambda user: not access_for(user).has(Perm.MAA_POLICY_READ),
    )
)
