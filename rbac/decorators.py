from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Permission
from .selectors import user_has_perm


def permission_required(code: str):
    """Login, then the catalogue permission `code` (any scope), or 403 saying which is missing."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not user_has_perm(request.user, code):
                permission = Permission.objects.filter(code=code).first()
                raise PermissionDenied(f"You need the permission {permission or code}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def directory_admin_required(view):
    """Login, then a directory role (Global or Intune Administrator): who manages API apps."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.directory_role:
            raise PermissionDenied(
                "API applications are managed by a Global or Intune Administrator."
            )
        return view(request, *args, **kwargs)

    return wrapped
