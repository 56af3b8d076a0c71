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

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from operator import itemgetter
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models import Func, JSONField, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from . import db
from .context import Actor
from .scoping import ScopedModel, assert_writable
from .values import jsonable

_TENANT_COLUMNS = ("organization_id", "region_id")
# One encoder for every JSON cell: json.dumps with a keyword builds a new encoder per call.
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _check_dict_rows(actor: Actor, model: type[ScopedModel], rows: Sequence[Mapping[str, Any]]) -> None:
    # Writability of a tenant row depends only on its tenant columns: one probe per distinct pair.
    pairs = {(row.get("organization_id"), row.get("region_id")) for row in rows}
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


T = TypeVar("T")


def chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """``rows`` (a list or a stream) in lists of ``size``, the last one shorter: how bulk writes
    go to the database."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def bulk_insert_stream(
    *, actor: Actor, model: type[ScopedModel], columns: Sequence[str], rows: Iterable[Sequence[Any]],
    constants: Mapping[str, Any],
) -> int:
    """Insert rows as they are produced (a generator): the database takes each row while the
    caller works out the next. Each row is a tuple of the values of ``columns``; ``constants``
    are the values every row shares (the tenant columns among them); other columns take their
    defaults. Lean on purpose — a tuple per row, the shared part formatted once — for the
    ~95,000 selections of a large draw."""
    assert_writable(actor, [model(organization_id=constants["organization_id"], region_id=constants["region_id"])])
    connection = connections[router.db_for_write(model)]
    if not db.is_postgresql(connection):
        made = [model(**dict(zip(columns, row, strict=True)), **constants) for row in rows]
        model._base_manager.bulk_create(made, batch_size=5000)
        return len(made)
    now = timezone.now()
    fixed = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in columns]
    # The shared values, formatted once for every row (timestamps as text: cheaper to send again).
    prefix = tuple(_copy_value(f, _column_default(f, now) if _is_stamp(f) or f.attname not in constants
                               else constants[f.attname]) for f in fixed)
    own = [model._meta.get_field(c) for c in columns]
    encode = _json_encoder(own)

    def lines() -> Iterator[tuple[Any, ...]]:
        for row in rows:
            if encode is not None:
                row = list(row)
                encode(row)
            yield prefix + tuple(row)

    return _copy(model, [*fixed, *own], lines())


_NOTHING = object()


def _is_stamp(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _column_default(field: models.Field, now: dt.datetime) -> Any:
    """What a column gets when a bulk row does not say: ``now`` for auto_now(_add), else the default."""
    return now if _is_stamp(field) else field.get_default()


def _copy_value(field: models.Field, value: Any) -> Any:
    """A value shared by every row of a COPY, in the form that is cheapest to send again and again."""
    if isinstance(field, models.JSONField):
        return None if value is None and field.null else _encode_json(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _json_encoder(fields: Sequence[models.Field]) -> Callable[[list[Any]], None] | None:
    """An in-place encoder of a row's JSON columns (None for a nullable column stays NULL; the
    same object in two columns, a team and the initial team, is encoded once), or None when
    ``fields`` has no JSON column."""
    positions = [(i, f.null) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    if not positions:
        return None
    dumps = _encode_json

    def encode(values: list[Any]) -> None:
        previous: Any = _NOTHING
        encoded: Any = None
        for i, nullable in positions:
            value = values[i]
            if value is not previous:
                encoded = None if nullable and value is None else dumps(value)
            values[i] = encoded
            previous = value

    return encode


def _copy(model: type[models.Model], fields: Sequence[models.Field], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` (the values of ``fields``, ready to send) into ``model``'s table; their count."""
    connection = connections[router.db_for_write(model)]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    # The raw cursor's COPY raises psycopg's errors: wrapped, callers see Django's (IntegrityError …).
    # The queued writer sends from a thread of its own: this one formats the next rows meanwhile,
    # and the database stores them as they come.
    with connection.wrap_database_errors, connection.cursor() as cursor, \
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN", writer=QueuedLibpqWriter(cursor.cursor)) as copy:
        write = copy.write_row
        for row in rows:
            write(row)
            count += 1
    return count


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
    if not db.is_postgresql(connections[router.db_for_write(model)]):
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
    model: type[models.Model], rows: Iterable[Any], *, as_dicts: bool, batch_size: int, with_ids: bool
) -> list[int] | int:
    """COPY ``rows`` (read once: a sequence, or an iterable when ``with_ids`` is false)."""
    connection = connections[router.db_for_write(model)]
    if not db.is_postgresql(connection):
        instances = [model(**row) for row in rows] if as_dicts else list(rows)
        created = model._base_manager.bulk_create(instances, batch_size=batch_size)
        return [obj.pk for obj in created] if with_ids else len(instances)
    if with_ids:
        rows = rows if isinstance(rows, Sequence) else list(rows)
    now = timezone.now()
    ids: list[int] = reserve_ids(model, len(rows)) if with_ids else []  # type: ignore[arg-type]
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    # The row plan, built once: every column's value is looked up by one C-level itemgetter over
    # the row merged onto its defaults; only JSON columns need a pass of their own.
    defaults = {f.attname: None if f.primary_key else _column_default(f, now) for f in fields}
    attnames = [f.attname for f in fields]
    pk_position = next((i for i, f in enumerate(fields) if f.primary_key), None)
    values_of = itemgetter(*attnames) if len(attnames) > 1 else (lambda row: (row[attnames[0]],))
    stamps = {f.attname: now for f in fields if _is_stamp(f)}  # auto_now(_add): always now
    encode = _json_encoder(fields)

    def lines() -> Iterator[Sequence[Any]]:
        for index, row in enumerate(rows):
            given = row if as_dicts else {a: getattr(row, a) for a in attnames}
            values = values_of(defaults | given | stamps)
            if encode is not None or pk_position is not None:
                values = list(values)
                if encode is not None:
                    encode(values)
                if pk_position is not None:
                    values[pk_position] = ids[index]
            yield values

    count = _copy(model, fields, lines())
    return ids if with_ids else count


@contextmanager
def constraints_checked_now(model: type[models.Model]) -> Iterator[None]:
    """Check deferred foreign keys at each statement instead of at COMMIT (PostgreSQL), for a bulk
    load whose statements overlap with other work (the import parses while the database writes):
    the checks then run during that overlap instead of all at the end. Deferred again afterwards."""
    connection = connections[router.db_for_write(model)]
    if not db.is_postgresql(connection) or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # Not after an error: the transaction is failed then, and checks that run early lose nothing.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class PlannerStatistics:
    """Keeps PostgreSQL's planner statistics in step with a long bulk write in one transaction.

    A first import into a new county inserts a hundred thousand rows whose region the statistics
    have never seen: the planner then takes "region = this county" for a handful of rows, and each
    later lookup of a chunk's codes scans every row written so far instead of probing the unique
    index — quadratic in the file's size. ``wrote`` counts the rows written per table and runs
    ``ANALYZE`` (which counts this transaction's own rows) after the first ``first`` rows and
    then each time the count has grown ``growth``-fold: a handful of times per import.
    """

    def __init__(self, first: int = 10_000, growth: int = 4, *, enabled: bool = True) -> None:
        self.first, self.growth, self.enabled = first, growth, enabled
        self.written: dict[str, int] = {}
        self.next_at: dict[str, int] = {}

    def wrote(self, model: type[models.Model], count: int) -> None:
        if count <= 0 or not self.enabled:
            return
        table = model._meta.db_table
        total = self.written[table] = self.written.get(table, 0) + count
        if total < self.next_at.get(table, self.first):
            return
        self.next_at[table] = total * self.growth
        connection = connections[router.db_for_write(model)]
        if db.is_postgresql(connection):
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def reads_beside_see_all(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether a second connection to the database would see all that this one sees now:
    PostgreSQL (SQLite has one writer and no concurrent reader worth it), and no transaction
    open on this connection, so nothing it wrote is uncommitted."""
    connection = connections[alias]
    return db.is_postgresql(connection) and not connection.in_atomic_block


@contextmanager
def connection_of_this_thread(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """In a worker thread: ``alias`` is a connection of the thread's own while the block runs
    (autocommitting, so its reads see what is committed), closed afterwards. The scoped managers
    work on it as on any connection: the worker runs in a copy of the caller's context."""
    connection = connections.create_connection(alias)
    connections[alias] = connection
    try:
        yield
    finally:
        connection.close()
        del connections[alias]


@contextmanager
def rows_later(queryset: models.QuerySet) -> Iterator[Callable[[], list[tuple[Any, ...]]]]:
    """Send a ``values_list`` query now and read its rows when asked: PostgreSQL works on it while
    the caller computes (psycopg's pipeline mode). The query is the scoped queryset's own SQL;
    read the rows before the block ends and run nothing else on the connection inside it.
    Elsewhere the rows are read at once."""
    connection = connections[queryset.db]
    if not db.is_postgresql(connection):
        rows = list(queryset)
        yield lambda: rows
        return
    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        cursor = connection.connection.cursor()
        cursor.execute(sql, params)
        yield cursor.fetchall
