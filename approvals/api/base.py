"""What every API resource shares: idempotent POSTs and the protected-write helper."""

from rest_framework import viewsets

from .idempotency import idempotency_claim, idempotency_store
from .protected import protected_write


class _Replay(Exception):
    def __init__(self, response):
        self.response = response


class ApiViewSet(viewsets.GenericViewSet):
    """A resource: reads through selectors, protected writes through `self.protected`."""

    lookup_value_converter = "int"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        replay = idempotency_claim(request)
        if replay is not None:
            raise _Replay(replay)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if hasattr(response, "data"):
            idempotency_store(request, response)
        return response

    def protected(self, operation_code: str, payload: dict):
        return protected_write(self.request, operation_code=operation_code, payload=payload)
