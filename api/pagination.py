"""Cursor pages for every list of the API, read by keyset (common.pages.keyset_page): no
COUNT(*), and a page's cost does not grow with how deep one reads. The order is the list's,
with the primary key as the last tie-breaker, so paging never skips or repeats a row."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.pages import BadCursor, keyset_page

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
BAD_CURSOR = "Not a cursor of this list: follow the next and previous links as given."
BAD_PAGE_SIZE = f"Give a whole number from 1 to {MAX_PAGE_SIZE}."


class KeysetPagination(pagination.BasePagination):
    """`?page_size=` (default 50, at most 200), `?after=` / `?before=` cursors; the response
    is {"next": url|null, "previous": url|null, "results": [...]}."""

    page_size_param = "page_size"

    def page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_param)
        if raw is None or raw == "":
            return PAGE_SIZE
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError({self.page_size_param: [BAD_PAGE_SIZE]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        size = self.page_size(request)
        try:
            page = keyset_page(request, queryset, size, count=False, strict=True)
        except BadCursor as error:
            raise ValidationError({error.parameter: [BAD_CURSOR]}) from error
        self.next = request.build_absolute_uri(page.older_url) if page.older_url else None
        self.previous = request.build_absolute_uri(page.newer_url) if page.newer_url else None
        return page.object_list

    def get_paginated_response(self, data):
        return Response({"next": self.next, "previous": self.previous, "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": {**link, "description": "The next page; null on the last."},
                           "previous": {**link,
                                        "description": "The previous page; null on the first."},
                           "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        cursor = {"type": "string"}
        return [
            {"name": "after", "in": "query", "required": False, "schema": cursor,
             "description": "A cursor: the page after it (take it from a `next` link)."},
            {"name": "before", "in": "query", "required": False, "schema": cursor,
             "description": "A cursor: the page before it (take it from a `previous` link)."},
            {"name": self.page_size_param, "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                        "default": PAGE_SIZE},
             "description": "Results per page."},
        ]
