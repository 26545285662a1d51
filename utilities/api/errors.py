"""One error body for every failure: {"error": {"code": ..., "message": ..., "details": ...}}."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

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


class ApiError(exceptions.APIException):
    """An error with a Graph-style code, e.g. ApiError(403, "ApprovalRequired", "...")."""

    def __init__(self, status_code: int, code: str, message: str, **extra):
        super().__init__(message, code)
        self.status_code, self.error_code, self.extra = status_code, code, extra


def error_response(status_code: int, code: str, message: str, **extra) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=status_code)


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.error_code, str(exc.detail), **exc.extra)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug: logged with its traceback like any server error, answered in the same shape.
        logger.error("API error in %s", context.get("view"), exc_info=exc)
        set_rollback()
        return error_response(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The server failed to handle the request; it was logged.",
        )
    code = CODES.get(response.status_code, "Error")
    if isinstance(exc, exceptions.ValidationError):
        body = error_response(
            status.HTTP_400_BAD_REQUEST, code, "The request body is not valid.", details=exc.detail
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = error_response(response.status_code, code, str(detail))
    for header, value in response.headers.items():
        if header.lower() in ("www-authenticate", "retry-after", "allow"):
            body[header] = value
    return body


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request, *args, **kwargs):
    """Any other path under /api/: the same error body as the resources."""
    return error_response(status.HTTP_404_NOT_FOUND, "NotFound", "No such API resource.")
