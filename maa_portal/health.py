"""Health endpoints for deployments, from django-health-check's own checks. None needs a login
or names a host or credential.

- live: the process answers (no database).
- ready: the database answers, and Redis (the broker) where REDIS_URL is set.
- workers: Celery workers answer a ping and every queue has one (for monitoring, not for the
  web tier's readiness: a page answers while the workers restart).
"""

import dataclasses

from django.conf import settings
from django.http import HttpResponse
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient


@dataclasses.dataclass(repr=False)
class Broker(Redis):
    """The library's Redis check; its name in the answer is "Broker", not the host and port."""

    def __repr__(self):
        return "Broker"


def live(request):
    return HttpResponse("ok\n", content_type="text/plain")


def _ready_checks() -> list:
    checks: list = ["health_check.checks.Database"]
    if settings.REDIS_URL:
        checks.append(
            (Broker, {"client_factory": lambda: RedisClient.from_url(settings.REDIS_URL)})
        )
    return checks


ready = HealthCheckView.as_view(checks=_ready_checks())
workers = HealthCheckView.as_view(checks=[Ping])
