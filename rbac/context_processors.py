from .catalogue import Perm
from .selectors import access_for


def navigation(request):
    """What the navigation shows: only the pages this user may open."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    access = access_for(user)
    return {
        "nav": {
            "devices": access.has(Perm.DEVICES_READ),
            "scripts": access.has(Perm.SCRIPTS_READ),
            "apps": access.has(Perm.APPS_READ),
            "compliance": access.has(Perm.COMPLIANCE_READ),
            "configuration": access.has(Perm.CONFIGURATION_READ),
            "groups": access.has(Perm.ORGANIZATION_READ),
            "roles": access.has(Perm.ROLES_READ),
            "policies": access.has(Perm.MAA_POLICY_READ),
            "audit": access.has(Perm.AUDIT_READ),
        }
    }
