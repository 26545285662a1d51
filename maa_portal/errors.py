"""The answer to an error no view handled. A database that does not answer (restarting, failed
over, its pool exhausted), or Redis for the one write that needs it (utilities.cache), is not a
bug of the page: the person gets a 503 that says so and when to try again, never a traceback;
anything else is Django's 500."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error
from redis.exceptions import ConnectionError as RedisConnectionError

RETRY_AFTER_SECONDS = 30
MESSAGE = (
    "The portal's database is not answering right now. Nothing you did was lost: try again in "
    "a minute."
)


def server_error(request, template_name="500.html"):
    if not isinstance(sys.exc_info()[1], (OperationalError, InterfaceError, RedisConnectionError)):
        return django_server_error(request, template_name)
    if request.path.startswith(("/beta/", "/v1.0/", "/api/", "/scim/")):
        response = JsonResponse(
            {"error": {"code": "ServiceUnavailable", "message": MESSAGE}}, status=503
        )
    else:
        # Rendered without the request: the layout's context reads the database.
        response = HttpResponse(loader.get_template("503.html").render({"message": MESSAGE}))
        response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
