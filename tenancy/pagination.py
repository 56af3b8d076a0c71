"""API pagination (its own module: DRF imports it while loading its settings)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

CURSOR_HELP = (
    "续页游标：上一页 `next` 链接中的值，原样传回。游标记录已读到的最后一行 (updated_at, id)，"
    "下一页是其后的行，按 (updated_at, id) 排序。同一时刻写入的行再多也逐一读到，不重复、不遗漏；"
    "翻页期间被修改的行 updated_at 变新，会在后面的页中再出现一次。没有上一页链接：同步从头或从 "
    "updated_since 读起。 / Opaque cursor from the previous page's `next` link. It holds the last "
    "(updated_at, id) read; the next page is the rows after it in (updated_at, id) order, so rows that "
    "share an updated_at (bulk writes) each come exactly once, and a row changed while paging comes "
    "again later with its new updated_at. There is no `previous` link: a sync starts from the "
    "beginning or from updated_since."
)


class CodeCursorPagination(BasePagination):
    """Keyset paging for sync clients by the key (updated_at, id).

    The cursor is the last (updated_at, id) a page returned; the next page is
    ``WHERE (updated_at, id) > cursor ORDER BY updated_at, id``. DRF's CursorPagination positions
    on updated_at alone with an offset among ties capped at 1,000: after a bulk write gave
    thousands of rows one updated_at, its ``next`` returned the same page forever. The row
    comparison also lets PostgreSQL start the scan in the (updated_at, id) index at the cursor.

    A row updated while a client pages gets an updated_at past everything seen, so it comes
    again on a later page; no other row repeats or goes missing. There is no ``previous`` link
    (sync clients only read forwards; the key makes a backward page an extra query for nothing).
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 100
    max_page_size = 1000
    ordering = ("updated_at", "pk")

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        size = self.get_page_size(request)
        position = self.decode_cursor(request)
        rows = queryset.order_by(*self.ordering)
        if position is not None:
            rows = rows.filter(TupleGreaterThan(Tuple(F("updated_at"), F("pk")), position))
        page = list(rows[: size + 1])
        self.has_next = len(page) > size
        page = page[:size]
        self.last = (page[-1].updated_at, page[-1].pk) if page else None
        return page

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [_("每页条数应为 1 至 %(max)s 之间的整数") % {"max": self.max_page_size}]})
        return size

    # ----------------------------------------------------------------------- cursor

    def encode_cursor(self, position: tuple[dt.datetime, int]) -> str:
        at, pk = position
        text = f"{at.astimezone(dt.UTC).isoformat()}|{pk}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode_cursor(self, request: Request) -> tuple[dt.datetime, int] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            at_text, pk_text = text.split("|")
            at = dt.datetime.fromisoformat(at_text)
            if at.tzinfo is None:
                raise ValueError(at_text)
            return at, int(pk_text)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise ValidationError({self.cursor_query_param: [_("游标无效：请使用上一页 next 链接中的游标")]})

    def get_next_link(self) -> str | None:
        if not self.has_next or self.last is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.encode_cursor(self.last))

    # ----------------------------------------------------------------------- response and schema

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string", "format": "uri", "nullable": True,
                    "description": "下一页链接；没有更多行时为 null / next page, null after the last row",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param, "required": False, "in": "query",
                "description": CURSOR_HELP, "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param, "required": False, "in": "query",
                "description": f"每页条数（默认 {self.page_size}） / rows per page",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
