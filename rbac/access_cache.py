"""Each user's resolved access, cached (Django's cache: Redis in production) between requests.

Each cached access carries the generation it was resolved at; any change to what access is made
of (group membership, roles and their permissions, assignments and their scopes, scope tags, a
user's directory role or active status) bumps the generation, through model signals, so no code
path can forget to invalidate. RBAC changes are rare; reads are on every page, so a read is one
round trip for both the generation and the access (the generation in the key took two, each
1.5 % of a list page in process).
"""

from django.core.cache import cache
from django.db import transaction

_GENERATION = "rbac:generation"
TIMEOUT = 3600


def _key(user_id: int) -> str:
    # v3: (generation, Access); v2 kept the generation in the key.
    return f"rbac:access:v3:{user_id}"


def access_cached(user_id: int) -> tuple[int, object | None]:
    """The current generation, and the user's access if it was cached at that generation."""
    key = _key(user_id)
    found = cache.get_many([_GENERATION, key])
    current = found.get(_GENERATION)
    if current is None:
        cache.add(_GENERATION, 1, timeout=None)
        current = cache.get(_GENERATION, 1)
    stored = found.get(key)
    # A reader that resolved before a bump may store its access after it: it carries its older
    # generation and is resolved again, never read.
    return current, stored[1] if stored and stored[0] == current else None


def access_store(user_id: int, generation: int, access) -> None:
    cache.set(_key(user_id), (generation, access), timeout=TIMEOUT)


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
