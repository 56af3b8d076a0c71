"""Fast bulk inserts for tenant rows (a draw persists ~95,000 selections at once).

``bulk_insert`` checks the rows with ``assert_writable`` (bulk writes bypass the pre_save guard)
and then, on PostgreSQL, streams them with ``COPY … FROM STDIN`` — several times faster than
``bulk_create``, whose per-value preparation dominates at this size. Elsewhere it falls back to
``bulk_create``. Rows are unsaved model instances or, cheaper still for a hundred thousand rows,
dicts of ``attname -> value`` (missing fields take their defaults). Like ``bulk_create`` it sends
no signals. With ``with_ids`` it draws the primary keys from the table's sequence first (one
query) and returns them, so callers need no read-back query by code. Raw SQL lives in
``tenancy/`` only (DESIGN.md §3).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, models, router
from django.db.models import Func, JSONField, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from .audit import jsonable
from .context import Actor
from .scoping import ScopedModel, assert_writable

_TENANT_COLUMNS = ("organization_id", "region_id")
# One encoder for every JSON cell: json.dumps with a keyword builds a new encoder per call.
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _check_dict_rows(actor: Actor, model: type[ScopedModel], rows: Sequence[Mapping[str, Any]]) -> None:
    # Writability of a tenant row depends only on its tenant columns: one probe per distinct pair.
    pairs = {tuple(row.get(c) for c in _TENANT_COLUMNS) for row in rows}
    assert_writable(actor, [model(**dict(zip(_TENANT_COLUMNS, pair, strict=True))) for pair in pairs])


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from ``model``'s sequence (PostgreSQL), in ascending order."""
    connection = connections[router.db_for_write(model)]
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
        )
        return [row[0] for row in cursor.fetchall()]


def bulk_insert(
    *, actor: Actor, model: type[ScopedModel], rows: Sequence[ScopedModel | Mapping[str, Any]], batch_size: int = 5000,
    with_ids: bool = False,
) -> list[int] | int:
    """Insert ``rows`` of ``model``; returns the number written, or with ``with_ids`` the new
    primary keys in the order of ``rows``."""
    if not rows:
        return [] if with_ids else 0
    as_dicts = isinstance(rows[0], Mapping)
    if as_dicts:
        _check_dict_rows(actor, model, rows)  # type: ignore[arg-type]
    else:
        assert_writable(actor, rows)  # type: ignore[arg-type]
    return _copy_rows(model, rows, as_dicts=as_dicts, batch_size=batch_size, with_ids=with_ids)


def bulk_insert_links(*, model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert rows of a link table without tenant columns (a many-to-many ``through`` table).
    The caller has read both ends through scoped managers (DESIGN.md §3), which is the check."""
    if not rows:
        return 0
    return _copy_rows(model, rows, as_dicts=True, batch_size=5000, with_ids=False)  # type: ignore[return-value]


def bulk_update_values(
    *, model: type[models.Model], rows: Mapping[int, Mapping[str, Any]], fields: Sequence[str], now: Any
) -> None:
    """``UPDATE … SET f = new value of the row …`` for ``rows`` (pk -> values of ``fields``), one
    statement per call, through the scoped manager (only rows the actor sees are touched; the
    caller has checked writability). ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` per row
    and field (≈ 500 rows/s); on PostgreSQL each field's new values go instead as one JSON object
    ``{pk: value}`` that the row looks its value up in (≈ 20,000 rows/s). Elsewhere ``bulk_update``."""
    if not rows:
        return
    if connections[router.db_for_write(model)].vendor != "postgresql":
        objs = []
        for pk, values in rows.items():
            obj = model(pk=pk, **{f: values[f] for f in fields})
            obj.updated_at = now
            objs.append(obj)
        model.objects.bulk_update(objs, [*fields, "updated_at"], batch_size=500)
        return
    pk_text = Cast("pk", output_field=TextField())
    assignments: dict[str, Any] = {"updated_at": Value(now)}
    for name in fields:
        doc = _encode_json({str(pk): jsonable(values[name]) for pk, values in rows.items()})
        lookup = Func(Cast(Value(doc), output_field=JSONField()), pk_text, function="jsonb_extract_path_text",
                      output_field=TextField())
        assignments[name] = Cast(lookup, output_field=model._meta.get_field(name))
    model.objects.filter(pk__in=list(rows)).update(**assignments)


def _copy_rows(
    model: type[models.Model], rows: Sequence[Any], *, as_dicts: bool, batch_size: int, with_ids: bool
) -> list[int] | int:
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        instances = [model(**row) for row in rows] if as_dicts else rows
        created = model._base_manager.bulk_create(instances, batch_size=batch_size)
        return [obj.pk for obj in created] if with_ids else len(rows)
    now = timezone.now()
    ids: list[int] = reserve_ids(model, len(rows)) if with_ids else []
    pk_name = model._meta.pk.attname
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    plan: list[tuple[str, str, Any]] = []
    for f in fields:
        if f.primary_key:
            plan.append((pk_name, "id", None))
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            plan.append((f.attname, "now", now))
        elif isinstance(f, models.JSONField):
            plan.append((f.attname, "json_null" if f.null else "json", f.get_default()))
        else:
            plan.append((f.attname, "plain", f.get_default()))
    dumps = _encode_json
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for index, row in enumerate(rows):
            get = row.get if as_dicts else (lambda name, default, _row=row: getattr(_row, name))  # type: ignore[union-attr]
            values = []
            for attname, kind, default in plan:
                if kind == "id":
                    values.append(ids[index])
                elif kind == "now":
                    values.append(now)
                elif kind == "json":
                    values.append(dumps(get(attname, default)))
                elif kind == "json_null":
                    value = get(attname, default)
                    values.append(None if value is None else dumps(value))
                else:
                    values.append(get(attname, default))
            copy.write_row(values)
    return ids if with_ids else len(rows)


@contextmanager
def constraints_checked_now(model: type[models.Model]) -> Iterator[None]:
    """Check deferred foreign keys at each statement instead of at COMMIT (PostgreSQL), for a bulk
    load whose statements overlap with other work (the import parses while the database writes):
    the checks then run during that overlap instead of all at the end. Deferred again afterwards."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # Not after an error: the transaction is failed then, and checks that run early lose nothing.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
