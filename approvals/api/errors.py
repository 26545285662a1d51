"""One error body for every failure: {"error": {"code": ..., "message": ..., "details": ...}}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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
        return None  # a bug: Django's 500 handling (and its logging) takes over
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
