"""Health endpoints for deployments: liveness (the process answers) and readiness (the
database and the broker answer). Neither needs a login or says more than OK or unavailable."""

import dataclasses
import datetime

from celery import current_app
from django.http import HttpResponse
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis, or the demo's filesystem broker)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self):
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            # The message names no host or credential.
            raise ServiceUnavailable("The broker does not answer") from exc


def live(request):
    return HttpResponse("ok\n", content_type="text/plain")


ready = HealthCheckView.as_view(checks=["health_check.checks.Database", Broker])
