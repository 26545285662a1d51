from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from .exceptions import bad_request


class NextLinkPagination(CursorPagination):
    """Graph's paging: {"value": [...], "@odata.nextLink": url with $skiptoken}. A cursor,
    and a COUNT only when $count=true asks for one. $orderby takes one property of the view's
    `odata_orderby` (Graph name -> field), the id settling ties."""

    ordering = "-pk"
    cursor_query_param = "$skiptoken"
    page_size_query_param = "$top"
    max_page_size = 500

    def get_ordering(self, request, queryset, view):
        text = request.query_params.get("$orderby", "").strip()
        if not text:
            return super().get_ordering(request, queryset, view)
        orderable = getattr(view, "odata_orderby", {})
        name, _, direction = text.partition(" ")
        direction = direction.strip().lower() or "asc"
        if name not in orderable or direction not in ("asc", "desc"):
            allowed = ", ".join(sorted(orderable)) or "nothing"
            raise bad_request(
                f"$orderby={text} is not supported: one property of {allowed}, asc or desc."
            )
        sign = "-" if direction == "desc" else ""
        return (f"{sign}{orderable[name]}", f"{sign}pk")

    def paginate_queryset(self, queryset, request, view=None):
        top = request.query_params.get("$top", "1")
        if not top.isdigit() or int(top) < 1:
            raise bad_request("$top is a whole number from 1.")
        wanted = request.query_params.get("$count", "false")
        if wanted not in ("true", "false"):
            raise bad_request("$count is true or false.")
        self.count = queryset.count() if wanted == "true" else None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        body = {} if self.count is None else {"@odata.count": self.count}
        body["value"] = data
        next_link = self.get_next_link()
        if next_link:
            body["@odata.nextLink"] = next_link
        return Response(body)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["value"],
            "properties": {
                "@odata.context": {"type": "string", "format": "uri"},
                "@odata.count": {"type": "integer"},
                "value": schema,
                "@odata.nextLink": {"type": "string", "format": "uri", "nullable": True},
            },
        }
