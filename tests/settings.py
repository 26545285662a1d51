"""Settings for the test suite: the portal's own, on the real PostgreSQL and Redis."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("CELERY_QUEUE", "maa-portal-tests")

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise RuntimeError(
        "The tests run on PostgreSQL and Redis: use ./scripts/test, or set DATABASE_URL "
        "(postgres://...) and REDIS_URL yourself."
    )

from maa_portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEVICE_CHECK_IN_SIMULATION = True
