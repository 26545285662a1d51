"""One error body for every failure, Microsoft Graph's: {"error": {"code", "message",
"details": [{"code", "message", "target"}], "innerError": {"request-id", "date", ...}}}.

Written here rather than taken from drf-standardized-errors: that library's body is
{"type", "errors": [...]}, which no Graph client reads, and reshaping it would cost more code
than this handler. Graph clients (the msgraph SDKs, PowerShell) read `error.code` and
`error.message`, and support desks ask for the request-id, sent as a header too.
"""

import logging
import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .exceptions import ApiError
from .fields import camel_value

logger = logging.getLogger("django.request")

CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
}


def error_response(status_code: int, code: str, message: str, request=None, **extra) -> Response:
    request_id = str(uuid.uuid4())
    inner = {"request-id": request_id, "date": timezone.now().strftime("%Y-%m-%dT%H:%M:%S")}
    client_request_id = request.headers.get("client-request-id") if request else None
    if client_request_id:
        inner["client-request-id"] = client_request_id[:100]
    body = {"error": {"code": code, "message": message, **extra, "innerError": inner}}
    response = Response(body, status=status_code)
    response["request-id"] = request_id
    if client_request_id:
        response["client-request-id"] = inner["client-request-id"]
    return response


def _details(detail, target: str = "") -> list[dict]:
    """DRF's validation detail ({field: [messages]}, nested) as Graph's flat details list,
    each target named as the JSON names it (camelCase)."""
    if isinstance(detail, dict):
        prefix = f"{target}." if target else ""
        return [
            item
            for field, value in detail.items()
            for item in _details(value, prefix + camel_value(field))
        ]
    if isinstance(detail, list):
        return [item for value in detail for item in _details(value, target)]
    code = getattr(detail, "code", None) or "invalid"
    return [{"code": code, "message": str(detail), "target": target}]


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, ApiError):
        return error_response(
            exc.status_code, exc.error_code, str(exc.detail), request, **exc.extra
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug: logged with its traceback like any server error, answered in the same shape.
        set_rollback()
        response = error_response(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The server failed to handle the request; it was logged.",
            request,
        )
        logger.error(
            "API error in %s (request-id %s)",
            context.get("view"),
            response["request-id"],
            exc_info=exc,
        )
        return response
    code = CODES.get(response.status_code, "Error")
    if isinstance(exc, exceptions.ValidationError):
        body = error_response(
            status.HTTP_400_BAD_REQUEST,
            code,
            "The request is not valid: see details.",
            request,
            details=_details(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = error_response(response.status_code, code, str(detail), request)
    for header, value in response.headers.items():
        if header.lower() in ("www-authenticate", "retry-after", "allow"):
            body[header] = value
    return body


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request, *args, **kwargs):
    """Any other path under the API: the same error body as the resources."""
    return error_response(status.HTTP_404_NOT_FOUND, "NotFound", "No such API resource.", request)
