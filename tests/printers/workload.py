from rbac import catalogue as c
from rbac.catalogue import catalogue
from utilities.navigation import MAIN, NavItem, nav_register

PRINTERS = catalogue.workload("printers", "Printers", order=65)
PrinterPerm = catalogue.permissions(
    "Printers",
    "printers",
    ["Read", "Delete"],
    roles={c.READ_ONLY_OPERATOR: ["Read"], c.HELP_DESK_OPERATOR: ["Read", "Delete"]},
)

nav_register(NavItem("Printers", "printers:list", MAIN, 60, PrinterPerm.READ))
