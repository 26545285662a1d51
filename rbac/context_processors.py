from django.conf import settings

from utilities.navigation import ADMIN, MAIN, nav_items

from .selectors import access_for


def navigation(request):
    """What the sidebar shows: the registered entries (utilities.navigation) this user may open."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    # Said on every page while decisions ask for no second factor (the one-command demo).
    access = access_for(user)

    def shown(item) -> bool:
        if item.permission and not access.has(item.permission):
            return False
        return item.visible is None or item.visible(user)

    return {
        "nav": {section: [i for i in nav_items(section) if shown(i)] for section in (MAIN, ADMIN)},
        "stepup_off": not settings.STEPUP_REQUIRED,
    }
