"""What every API resource shares: idempotent POSTs (the Idempotency-Key header)."""

from rest_framework import viewsets

from .idempotency import idempotency_claim, idempotency_store


class _Replay(Exception):
    def __init__(self, response):
        self.response = response


class ApiViewSet(viewsets.GenericViewSet):
    """A resource. `call_headers` name the headers that change what a call does, so that one
    Idempotency-Key never stands for two different calls (the approval headers, for one)."""

    lookup_value_converter = "int"
    call_headers: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        replay = idempotency_claim(request, headers=self.call_headers)
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
