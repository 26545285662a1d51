from .groups import GroupType, SecurityGroup
from .roles import Permission, Role, RoleAssignment, ScopeTag
from .scim import ScimToken
from .users import DirectoryRole, NotificationKind, User

__all__ = [
    "DirectoryRole",
    "GroupType",
    "NotificationKind",
    "Permission",
    "Role",
    "RoleAssignment",
    "ScimToken",
    "ScopeTag",
    "SecurityGroup",
    "User",
]
