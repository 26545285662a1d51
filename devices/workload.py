"""What the devices app adds to the catalogue: the Device actions and Tenant configuration
workloads, the Managed devices and Remote tasks permissions, and its sidebar entries."""

from rbac import catalogue as c
from rbac.catalogue import Perm, catalogue
from utilities.navigation import ADMIN, MAIN, NavItem, nav_register

DEVICE_ACTIONS = catalogue.workload("device_actions", "Device actions", order=40)
# Device categories, as Intune files them.
TENANT_CONFIGURATION = catalogue.workload("tenant_configuration", "Tenant configuration", order=70)

_ALL = ["Read", "Update", "Delete"]
_managed = catalogue.permissions(
    "Managed devices",
    "managed_devices",
    _ALL,
    roles={
        c.APPLICATION_MANAGER: ["Read"],
        c.ENDPOINT_SECURITY_MANAGER: _ALL,
        c.HELP_DESK_OPERATOR: _ALL,
        c.POLICY_AND_PROFILE_MANAGER: ["Read"],
        c.READ_ONLY_OPERATOR: ["Read"],
        c.SCHOOL_ADMINISTRATOR: _ALL,
    },
)
_TASKS = ["Wipe", "Retire", "Sync devices"]
_remote = catalogue.permissions(
    "Remote tasks",
    "remote_tasks",
    _TASKS,
    roles={
        c.ENDPOINT_SECURITY_MANAGER: ["Sync devices"],
        c.HELP_DESK_OPERATOR: _TASKS,
        c.SCHOOL_ADMINISTRATOR: _TASKS,
    },
)


class DevicePerm:
    READ = _managed.READ
    UPDATE = _managed.UPDATE
    DELETE = _managed.DELETE
    WIPE = _remote.WIPE
    RETIRE = _remote.RETIRE
    SYNC = _remote.SYNC_DEVICES


nav_register(NavItem("Devices", "devices:list", MAIN, 10, DevicePerm.READ))
nav_register(NavItem("Device categories", "devices:categories", ADMIN, 40, Perm.ORGANIZATION_READ))
