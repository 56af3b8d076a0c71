"""Model fields of the registries."""

from __future__ import annotations

from typing import Any

from django.db import models

from tenancy import db


class CodeField(models.CharField):
    """An ASCII code (USCC, 注册号, 登记编码) compared byte-wise: ``COLLATE "C"`` on PostgreSQL,
    where a locale's collation would be several times slower and no more right for such codes;
    SQLite compares bytes anyway. Byte order is the canonical order of a draw's pool (DRAW.md §2)."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if db.is_postgresql(connection):
            params["collation"] = "C"
        return params
