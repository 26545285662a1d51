"""What every API resource shares: idempotent POSTs (the Idempotency-Key header), and on reads
Graph's @odata.context and $select."""

import re
import uuid

from rest_framework import viewsets

from .exceptions import bad_request
from .fields import camel_value
from .idempotency import idempotency_claim, idempotency_store
from .odata import ODataFilter


class _Replay(Exception):
    def __init__(self, response):
        self.response = response


class ApiViewSet(viewsets.GenericViewSet):
    """A resource. `call_headers` name the headers that change what a call does, so that one
    Idempotency-Key never stands for two different calls (the approval headers, for one)."""

    lookup_value_converter = "int"
    filter_backends = [ODataFilter]
    call_headers: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.selected = self._selected()
        replay = idempotency_claim(request, headers=self.call_headers)
        if replay is not None:
            raise _Replay(replay)

    def _selected(self) -> set[str] | None:
        """$select's properties (Graph's names), checked against what the resource has."""
        text = self.request.query_params.get("$select")
        if text is None or self.action not in ("list", "retrieve"):
            return None
        wanted = {name.strip() for name in text.split(",") if name.strip()}
        known = {camel_value(name) for name in self.get_serializer().fields}
        unknown = sorted(wanted - known)
        if unknown:
            raise bad_request(f"$select: no property {', '.join(unknown)} on this resource.")
        return wanted | {"id"}

    def _shaped(self, item: dict) -> dict:
        if self.selected is None:
            return item
        # OData's own annotations (@odata.type) stay, as Graph keeps them.
        return {
            key: value
            for key, value in item.items()
            if key.startswith("@") or camel_value(key) in self.selected
        }

    def _context_url(self) -> str:
        """Graph's @odata.context: the version's $metadata and the entity set (or entity)."""
        version, _, rest = self.request.resolver_match.route.partition("/")
        entity_set = re.sub(r"/<[^>]+>.*$", "", rest)
        suffix = "/$entity" if self.action == "retrieve" else ""
        base = self.request.build_absolute_uri(f"/{version}/$metadata")
        return f"{base}#{entity_set}{suffix}"

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if response.status_code == 200 and self.action in ("list", "retrieve") and data:
            if "value" in data:
                data["value"] = [self._shaped(item) for item in data["value"]]
            else:
                data = self._shaped(data)
            response.data = {"@odata.context": self._context_url(), **data}
        if data is not None:
            idempotency_store(request, response)
        # Graph's ids on every answer (errors set theirs already, with the same in the body).
        if "request-id" not in response:
            response["request-id"] = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id")
        if client_request_id and "client-request-id" not in response:
            response["client-request-id"] = client_request_id[:100]
        return response
