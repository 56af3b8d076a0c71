"""API pagination (its own module: DRF imports it while loading its settings)."""

from rest_framework.pagination import CursorPagination


class CodeCursorPagination(CursorPagination):
    """Stable cursor paging for sync clients: by (updated_at, id), never skips or repeats."""

    ordering = ("updated_at", "id")
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
