"""The API's exception, apart from the handler: paging and filtering raise it, and they load
while DRF itself is loading (its settings name them), before drf-spectacular can be imported."""

from rest_framework import exceptions


class ApiError(exceptions.APIException):
    """An error with a Graph-style code, e.g. ApiError(403, "Forbidden", "...")."""

    def __init__(self, status_code: int, code: str, message: str, **extra):
        super().__init__(message, code)
        self.status_code, self.error_code, self.extra = status_code, code, extra


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)
