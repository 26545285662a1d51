"""Each user's resolved access, cached (Django's cache: Redis in production) between requests.

Keys carry a generation number; any change to what access is made of (group membership, roles
and their permissions, assignments and their scopes, scope tags, a user's directory role or
active status) bumps it, through model signals, so no code path can forget to invalidate. RBAC
changes are rare; reads are on every page.
"""

from django.core.cache import cache
from django.db import transaction

_GENERATION = "rbac:generation"
TIMEOUT = 3600


def generation() -> int:
    value = cache.get(_GENERATION)
    if value is None:
        cache.add(_GENERATION, 1, timeout=None)
        value = cache.get(_GENERATION, 1)
    return value


def access_key(user_id: int) -> str:
    # v2: Access gained group_ids; an Access cached before would read as a member of none.
    return f"rbac:access:v2:{generation()}:{user_id}"


def _bump() -> None:
    try:
        cache.incr(_GENERATION)
    except ValueError:
        cache.set(_GENERATION, 2, timeout=None)


def access_cache_invalidate(**kwargs) -> None:
    """Bump now and again after commit: a reader between the two cannot keep stale access."""
    _bump()
    transaction.on_commit(_bump)


def user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    # A login updates last_login on every sign-in: that changes no access.
    if update_fields is not None and not {"directory_role", "is_active"} & set(update_fields):
        return
    access_cache_invalidate()
