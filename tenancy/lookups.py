"""``field__any=[…]``: membership in a long list, as ONE array parameter on PostgreSQL.

``field__in`` writes one placeholder per value: for the few thousand codes or ids of an import
chunk that is a statement of kilobytes that Django prepares value by value, psycopg splits and
PostgreSQL plans anew each time (≈ 60 ms per 2,000 codes). ``= ANY(%s)`` sends the list as a
single array and still uses the column's index (≈ 15 ms). Elsewhere it is plain ``IN``.
Raw SQL lives in ``tenancy/`` only (DESIGN.md §3); this is a fragment the ORM composes, so the
scoped managers' filters still apply.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignKey, ForeignObject
from django.db.models.lookups import In

from . import db


class AnyOf(In):
    lookup_name = "any"

    def get_prep_lookup(self) -> Any:
        # The lookup is built before a connection is chosen: the default database decides (tenant
        # data lives in one database, see config/settings).
        if self.rhs_is_direct_value() and db.is_postgresql():
            # One conversion per value, no per-value Django lookup machinery.
            prep = self._column_field().get_prep_value
            return [prep(v) for v in dict.fromkeys(self.rhs) if v is not None]
        return super().get_prep_lookup()

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "FALSE", []
        # Cast to the column's own type: a list of Python ints would otherwise arrive as int2[],
        # int4[] or numeric[], and ``bigint = ANY(numeric[])`` cannot use the index.
        return f"{lhs} = ANY(%s::{self._column_field().db_type(connection)}[])", [*lhs_params, values]

    def _column_field(self) -> Field:
        """The field whose column holds the values: a foreign key's target (``entity__any`` holds ids)."""
        field = self.lhs.output_field
        return field.target_field if isinstance(field, ForeignKey) else field


def register() -> None:
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)  # related fields look lookups up from ForeignObject down only
