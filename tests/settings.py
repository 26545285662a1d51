"""Settings for the test suite: the portal's own, on the real PostgreSQL and Redis."""

import os
import uuid

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("CELERY_QUEUE", "maa-portal-tests")
# pytest-xdist runs the suite in several processes at once (scripts/test). pytest-django gives
# each its own test database; here each also takes its own Redis database and queue, so one's
# cache.clear() (a FLUSHDB) or purge never empties another's broker or cache. The processes a
# test starts inherit the values, and MAA_TEST_SLOT keeps them from being shifted twice.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker and not os.environ.get("MAA_TEST_SLOT"):
    from urllib.parse import urlsplit

    os.environ["MAA_TEST_SLOT"] = _xdist_worker
    _slot = int(_xdist_worker.removeprefix("gw"))
    _redis = urlsplit(os.environ.get("REDIS_URL", ""))
    if _redis.scheme.startswith("redis"):
        _db = (int(_redis.path.strip("/") or 0) + _slot) % 16
        os.environ["REDIS_URL"] = _redis._replace(path=f"/{_db}").geturl()
    os.environ["CELERY_QUEUE"] += f"-{_xdist_worker}"
# Cached access of one run never meets another's (the test database, and its ids, are new each
# run); worker processes inherit the prefix through the environment.
os.environ.setdefault("CACHE_KEY_PREFIX", f"maa-tests-{os.getpid()}-{uuid.uuid4().hex[:8]}")

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise RuntimeError(
        "The tests run on PostgreSQL and Redis: use ./scripts/test, or set DATABASE_URL "
        "(postgres://...) and REDIS_URL yourself."
    )

from maa_portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEVICE_CHECK_IN_SIMULATION = True
# The suite empties tables between transactional tests with TRUNCATE: it connects as the
# database's superuser, which the audit guard lets through (audit migration 0007); the portal's
# own user is refused (tests/audit/test_guard.py).
# Test-only apps: a protected operation that runs long enough to kill its worker in mid-run, and
# a whole workload (printers) that plugs in from its own folder.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.slowop", "tests.printers"]  # noqa: F405
# Step-up (rbac.stepup) is on in the product by default. The view tests here sign in with
# force_login, which carries no second factor; tests/rbac/test_stepup.py and every browser story
# (tests/e2e/conftest.py) turn it on.
STEPUP_REQUIRED = False
# Counts past the cap are remembered by their SQL, and the suite's rows are rolled back between
# tests whose queries read alike: tests/test_paginator.py turns it on where it is the subject.
MAA_CAPPED_COUNT_SECONDS = 0
