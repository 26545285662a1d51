"""Django's Redis cache, for a Redis that may go away for a moment (a restart, a failover).

What the portal keeps in the cache can always be had again: sessions are written through to
the database (cached_db), resolved access is recomputed, the drainer slots and one-time marks
fall back to the row leases. So while Redis does not answer, a read is a miss and a write is
skipped (logged once a minute), instead of every page failing with a 500. incr is left to fail:
it bumps the access generation, and a lost bump could leave stale access cached once Redis is
back, so a change of access made during the outage fails (a 503) rather than silently.
Django's own backend raises; django-redis's IGNORE_EXCEPTIONS does this, but the portal does not
need django-redis for one switch.
"""

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
_last_warning = [0.0]


def _tolerant(fallback):
    def decorate(method):
        @wraps(method)
        def wrapped(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                if time.monotonic() - _last_warning[0] > 60:
                    _last_warning[0] = time.monotonic()
                    log.warning("The cache (Redis) does not answer; going on without it: %s", exc)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        return wrapped

    return decorate


class TolerantRedisCache(RedisCache):
    get = _tolerant(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _tolerant({})(RedisCache.get_many)
    has_key = _tolerant(False)(RedisCache.has_key)
    set = _tolerant(None)(RedisCache.set)
    set_many = _tolerant([])(RedisCache.set_many)
    add = _tolerant(False)(RedisCache.add)
    touch = _tolerant(False)(RedisCache.touch)
    delete = _tolerant(False)(RedisCache.delete)
    delete_many = _tolerant(None)(RedisCache.delete_many)
