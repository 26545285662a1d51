from rest_framework.pagination import CursorPagination
from rest_framework.response import Response


class NextLinkPagination(CursorPagination):
    """Graph's paging: {"value": [...], "@odata.nextLink": url}. A cursor, never a COUNT."""

    ordering = "-pk"
    page_size_query_param = "$top"
    max_page_size = 500

    def get_paginated_response(self, data):
        body = {"value": data}
        next_link = self.get_next_link()
        if next_link:
            body["@odata.nextLink"] = next_link
        return Response(body)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": schema,
                "@odata.nextLink": {"type": "string", "format": "uri", "nullable": True},
            },
        }
