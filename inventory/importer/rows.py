"""Validating a table: the header found among the first rows, each row parsed by its columns,
then the file-wide checks (a key repeated in the file, an item's rows that disagree). What is kept
per row is 16 bytes (the repeated-key check) and a bit (rejected rows); errors beyond the first
:data:`MAX_STORED_ERRORS` are counted, not kept. Also the API's records (:func:`parse_records`)
and the rejected rows of a job, validated again for the download (:func:`rejected_rows`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from inventory.codes import (
    normalize_text,
)
from inventory.models import ImportJob
from inventory.xlsx_reader import MAX_CELL_CHARS, Overlong, OverlongRow
from tenancy.context import Actor
from tenancy.models import OrgUnit
from tenancy.text import describe_control_char, first_control_char, strip_control_chars

from .columns import COLUMNS, KEY_FIELD, CellError, ParseContext, cell_text, header_key, header_lookup
from .reading import (
    HEADER_SCAN_ROWS,
    STORED,
    ReadLimits,
    Source,
    job_source,
    read_rows,
    refuse,
)

# A garbage file can have an error in every cell: the job keeps the first ones for the page; the
# rejected-rows download re-validates the file and lists every row.
MAX_STORED_ERRORS = 10_000


# Inspectors and items are imported from a list held whole (items group their rows by code): an
# organization has hundreds of them, so a file of more rows is refused, not held.
MAX_HELD_ROWS = 50_000


PARSE_MEMO_SIZE = 20_000  # per column, see parse_table


_MISSING = object()


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]


class RowSet:
    """Row numbers, one bit each: a million rejected rows in 125 KB (a set of ints: 60 MB)."""

    __slots__ = ("_bits", "count")

    def __init__(self) -> None:
        self._bits = bytearray()
        self.count = 0

    def add(self, number: int) -> None:
        index = number >> 3
        if index >= len(self._bits):
            self._bits.extend(bytes(max(index + 1 - len(self._bits), len(self._bits))))
        bit = 1 << (number & 7)
        if not self._bits[index] & bit:
            self._bits[index] |= bit
            self.count += 1

    def __contains__(self, number: object) -> bool:
        index = number >> 3  # type: ignore[operator]
        return index < len(self._bits) and bool(self._bits[index] >> (number & 7) & 1)  # type: ignore[operator]

    def __len__(self) -> int:
        return self.count


@dataclass
class ParsedFile:
    """What validating a file found. Counts are exact; ``errors`` keeps the first
    :data:`MAX_STORED_ERRORS` (the page lists them, the rejected-rows download finds all);
    ``rows`` holds the valid rows only where the kind needs them together (inspectors when
    imported, items always — both small by nature, :data:`MAX_HELD_ROWS` at most)."""

    kind: str
    header_row: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # field -> header text as written in the file
    columns: dict[str, int] = field(default_factory=dict)  # field -> column index
    ignored_headers: list[str] = field(default_factory=list)
    total_rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    rejected: RowSet = field(default_factory=RowSet)
    late_rejections: int = 0  # rows rejected by the file-wide checks after they were yielded as valid
    rows: list[ParsedRow] | None = None
    failed_keys: set[str] = field(default_factory=set)  # items: keys of rows that failed (the group fails)
    late: dict[int, Any] | None = None  # row -> reason of the file-wide checks (see _late_reason), when asked for
    on_error: Callable[[dict[str, Any]], None] | None = None

    @property
    def rejected_count(self) -> int:
        return self.rejected.count

    @property
    def valid_rows(self) -> int:
        return self.total_rows - self.rejected.count

    @property
    def errors_cut(self) -> bool:
        return self.error_count > len(self.errors)

    @property
    def present(self) -> set[str]:
        return set(self.columns)

    def reject(self, number: int, errors: list[dict[str, Any]]) -> None:
        self.rejected.add(number)
        self.error_count += len(errors)
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])
        if self.on_error is not None:
            for error in errors:
                self.on_error(error)


def parse_context(actor: Actor) -> ParseContext:
    return parse_context_of(actor.organization_id)


def parse_context_of(organization_id: int) -> ParseContext:
    units = dict(OrgUnit.objects.filter(organization_id=organization_id).values_list("name", "id"))
    return ParseContext(units=units)


def _find_header(rows: list[tuple[int, list[Any]]], kind: str) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    lookup = header_lookup(kind)
    best: tuple[int, int, dict[str, int], dict[str, str], list[str]] | None = None
    for position, (_number, values) in enumerate(rows):
        mapping: dict[str, int] = {}
        headers: dict[str, str] = {}
        ignored: list[str] = []
        for index, value in enumerate(values):
            if value.__class__ is Overlong:
                continue
            key = header_key(value)
            if not key:
                continue
            field_name = lookup.get(key)
            if field_name and field_name not in mapping:
                mapping[field_name] = index
                headers[field_name] = normalize_text(str(value))
            else:
                ignored.append(normalize_text(str(value))[:100])
        if mapping and (best is None or len(mapping) > best[1]):
            best = (position, len(mapping), mapping, headers, ignored)
    if best is None:
        raise refuse(
            _("未找到表头：前 %(n)s 行中没有识别出“%(h)s”等列名。请使用下载的模板，或检查选择的导入类型是否正确")
            % {"n": HEADER_SCAN_ROWS, "h": "”“".join(c.header for c in COLUMNS[kind][:3])}
        )
    position, _count, mapping, headers, ignored = best
    if kind == ImportJob.Kind.ITEMS and "point_project" not in mapping:
        # An item list without a check form: its 检查内容/检查依据 are the item's own.
        for point_field, item_field in (("point_content", "content"), ("point_basis", "legal_basis")):
            if point_field in mapping and item_field not in mapping:
                mapping[item_field] = mapping.pop(point_field)
                headers[item_field] = headers.pop(point_field)
    missing = [c for c in COLUMNS[kind] if c.required and c.field not in mapping]
    if missing:
        raise refuse(
            _("缺少必填列：%(cols)s（第 %(row)s 行为表头）")
            % {"cols": "、".join(f"“{c.header}”" for c in missing), "row": rows[position][0]}
        )
    return position, mapping, headers, ignored


def shown_value(value: Any) -> str:
    """A cell as an error shows it: at most 100 characters, no control characters (they are
    named in the reason; PostgreSQL's JSON refuses NUL), an unread cell as such."""
    if value.__class__ is Overlong:
        return _("（内容过长，未读取）")
    shown = cell_text(value) if not isinstance(value, dt.date) else value.isoformat()
    return strip_control_chars(shown[:100], multiline=False)


def row_error(row: int, column: str, value: Any, reason: str) -> dict[str, Any]:
    return {"row": row, "column": column, "value": shown_value(value), "reason": str(reason)}


def checked(parse: Callable[[Any, ParseContext], Any], raw: Any, ctx: ParseContext) -> Any:
    """A cell through its column's parser, after the rules every cell obeys: no control
    characters (tab and line breaks are whitespace, which the parsers fold to one space), and
    nothing longer than a cell may be."""
    if raw.__class__ is str:
        at = first_control_char(raw, multiline=True)
        if at is not None:
            raise CellError(_("含有控制字符 %(c)s（第 %(i)s 个字符），请删除后重新导入")
                            % {"c": describe_control_char(raw[at]), "i": at + 1})
    elif raw.__class__ is Overlong:
        raise CellError(_("内容过长：超过 %(n)s 个字符，未读取") % {"n": MAX_CELL_CHARS})
    return parse(raw, ctx)


@dataclass
class Table:
    """A file opened for reading: its header found, its data rows to come."""

    header_row: int
    header: list[Any]  # the header's cells as written
    columns: dict[str, int]
    headers: dict[str, str]
    ignored: list[str]
    rows: Iterator[tuple[int, list[Any]]]


def open_table(source: Source, filename: str, kind: str, limits: ReadLimits | None = None) -> Table:
    iterator = read_rows(source, filename, limits)
    head: list[tuple[int, list[Any]]] = []
    for item in iterator:
        head.append(item)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    position, mapping, headers, ignored = _find_header(head, kind)

    def data_rows() -> Iterator[tuple[int, list[Any]]]:
        yield from head[position + 1:]
        yield from iterator

    return Table(head[position][0], head[position][1], mapping, headers, ignored, data_rows())


Plan = list[tuple[str, int, Callable[[Any, ParseContext], Any], dict[Any, Any]]]


def _plan(kind: str, mapping: dict[str, int]) -> Plan:
    # Parsers are pure functions of (cell, ctx), and most columns repeat a few values (type,
    # status, risk, flags, tags, industry, dates): each column remembers its recent answers.
    return [(col.field, mapping[col.field], col.parse, {}) for col in COLUMNS[kind] if col.field in mapping]


def validate_row(number: int, values: list[Any], plan: Plan, headers: dict[str, str],
                 ctx: ParseContext) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One row's values by field, and its errors."""
    record: dict[str, Any] = {}
    row_errors = []
    width = len(values)
    for name, index, parse, memo in plan:
        raw = values[index] if index < width else None
        key = (raw.__class__, raw)  # 1, 1.0 and True are equal keys but not equal cells
        try:
            outcome = memo.get(key, _MISSING)
        except TypeError:  # an unhashable cell: never remembered
            outcome, key = _MISSING, None
        if outcome is _MISSING:
            try:
                outcome = checked(parse, raw, ctx)
            except CellError as exc:
                outcome = CellError(str(exc))
            if key is not None and len(memo) < PARSE_MEMO_SIZE:
                memo[key] = outcome
        if outcome.__class__ is CellError:
            row_errors.append(row_error(number, headers[name], raw, str(outcome)))
        else:
            record[name] = outcome.copy() if outcome.__class__ is list else outcome
    return record, row_errors


def _row_error_reason(values: list[Any]) -> str:
    if values.__class__ is OverlongRow:
        return _("该行内容过长（%(mb)s MB），未读取") % {"mb": f"{values.size / 2**20:.1f}"}  # type: ignore[attr-defined]
    return values.reason  # type: ignore[attr-defined]


def parse_table(source: Source, filename: str, kind: str, ctx: ParseContext, *, limits: ReadLimits | None = None,
                keep_rows: bool = False, on_error: Callable[[dict[str, Any]], None] | None = None,
                late: bool = False) -> ParsedFile:
    """Read and validate a whole file. Raises :class:`ImportRefused` when the file itself is
    refused. ``keep_rows``: keep the valid rows in ``rows`` (never for entities: they stream);
    ``on_error``: called with every error as it is found; ``late``: keep the reasons of the
    file-wide checks by row (``late``), for the rejected-rows file."""
    parsed = ParsedFile(kind, on_error=on_error, late={} if late else None)
    for _row in parse_rows(source, filename, kind, ctx, parsed, limits=limits, keep_rows=keep_rows):
        pass
    return parsed


def parse_rows(
    source: Source, filename: str, kind: str, ctx: ParseContext, parsed: ParsedFile, *,
    limits: ReadLimits | None = None, keep_rows: bool = False, exclude: RowSet | None = None,
    file_checks: bool = True,
) -> Iterator[ParsedRow]:
    """Fill ``parsed`` from the file, yielding each row that is valid on its own as it is read.

    The file-wide checks (repeated keys, item groups) run at the end and may reject rows that
    were already yielded (``parsed.late_rejections`` counts them): a consumer that acts on rows
    early must look at it afterwards (``import_run`` does). ``exclude``: rows not to yield (the
    rejected rows of an earlier pass); ``file_checks=False`` leaves the file-wide checks out.
    ``parsed.columns`` is set before the first row is yielded. What is held is bounded: a row at
    a time, 12 bytes per valid row for the repeated-key check, the valid rows only with
    ``keep_rows`` or for items (at most :data:`MAX_HELD_ROWS`)."""
    table = open_table(source, filename, kind, limits)
    mapping, headers = table.columns, table.headers
    parsed.header_row, parsed.headers, parsed.columns, parsed.ignored_headers = (
        table.header_row, headers, mapping, table.ignored)
    hold = keep_rows or kind == ImportJob.Kind.ITEMS
    held_limit = MAX_HELD_ROWS if kind != ImportJob.Kind.ENTITIES else None
    if hold:
        parsed.rows = []
    key_field = KEY_FIELD[kind]
    key_hashes, key_rows = array("q"), array("Q")  # the repeated-key check's memory: 16 bytes a row

    plan = _plan(kind, mapping)
    for number, values in table.rows:
        if values.__class__ is not list:  # a row the reader could not read: an error of its own
            parsed.total_rows += 1
            parsed.reject(number, [row_error(number, "", "", _row_error_reason(values))])
            continue
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue  # blank rows are skipped, not counted
        parsed.total_rows += 1
        if held_limit is not None and parsed.total_rows > held_limit:
            raise refuse(_("文件行数过多：执法检查人员和抽查事项每个文件最多 %(n)s 行") % {"n": held_limit})
        record, row_errors = validate_row(number, values, plan, headers, ctx)
        if row_errors:
            parsed.reject(number, row_errors)
            if kind == ImportJob.Kind.ITEMS and record.get(key_field):
                parsed.failed_keys.add(record[key_field])
            continue
        if kind != ImportJob.Kind.ITEMS:
            key_hashes.append(hash(record[key_field]))
            key_rows.append(number)
        row = ParsedRow(number, record)
        if hold:
            parsed.rows.append(row)  # type: ignore[union-attr]
        if exclude is None or number not in exclude:
            yield row
    if parsed.total_rows == 0:
        raise refuse(_("文件中没有数据行（第 %(row)s 行为表头）") % {"row": parsed.header_row})
    if not file_checks:
        return
    if kind == ImportJob.Kind.ITEMS:
        _check_item_groups(parsed)
    else:
        _check_duplicates(parsed, key_hashes, key_rows,
                          lambda wanted: _keys_of_rows(source, filename, kind, ctx, limits, wanted))
    if parsed.rows is not None and parsed.late_rejections:
        parsed.rows = [r for r in parsed.rows if r.row not in parsed.rejected]
    parsed.errors.sort(key=lambda e: e["row"])


def _keys_of_rows(source: Source, filename: str, kind: str, ctx: ParseContext, limits: ReadLimits | None,
                  wanted: RowSet) -> dict[int, str]:
    """The keys of the ``wanted`` rows, read from the file again."""
    keys: dict[int, str] = {}
    again = ParsedFile(kind)
    for row in parse_rows(source, filename, kind, ctx, again, limits=limits, file_checks=False):
        if row.row in wanted:
            keys[row.row] = row.values[KEY_FIELD[kind]]
    return keys


def _rows_text(rows: list[int]) -> str:
    shown = "、".join(str(r) for r in rows[:5])
    return shown if len(rows) <= 5 else _("%(rows)s 等 %(n)s 行") % {"rows": shown, "n": len(rows)}


def _check_duplicates(parsed: ParsedFile, hashes: array, rows: array, keys_of: Callable[[RowSet], dict[int, str]]) -> None:
    """Rows whose key repeats: found by a hash per row (sorted once at the end), then confirmed
    on the keys themselves, read again from the file only for the rows whose hashes met."""
    if len(hashes) < 2:
        return
    ordered = sorted(hashes)
    met = {a for a, b in itertools.pairwise(ordered) if a == b}
    del ordered
    if not met:
        return
    wanted = RowSet()
    for h, number in zip(hashes, rows, strict=True):
        if h in met:
            wanted.add(number)
    held = {r.row: r.values[KEY_FIELD[parsed.kind]] for r in parsed.rows if r.row in wanted} if parsed.rows is not None else None
    by_key: dict[str, list[int]] = {}
    for number, key in (held if held is not None else keys_of(wanted)).items():
        by_key.setdefault(key, []).append(number)
    column = parsed.headers[KEY_FIELD[parsed.kind]]
    for key, group in by_key.items():
        if len(group) < 2:
            continue  # two keys with one hash
        group.sort()
        shared = (column, group)  # the rejected-rows file words each row's reason from it
        for number in group:
            others = [r for r in group if r != number]
            reason = _("与第 %(rows)s 行重复（同一文件中代码不能重复）") % {"rows": _rows_text(others)}
            parsed.reject(number, [row_error(number, column, key, reason)])
            parsed.late_rejections += 1
            if parsed.late is not None:
                parsed.late[number] = shared


def _check_item_groups(parsed: ParsedFile) -> None:
    """Rows sharing 事项编码 form one item; its fields come from the first row that fills them."""
    groups: dict[str, list[ParsedRow]] = {}
    for row in parsed.rows or []:
        groups.setdefault(row.values["code"], []).append(row)
    bad: list[tuple[ParsedRow, str, Any, str]] = []
    for rows in groups.values():
        names = {r.values.get("name") for r in rows if r.values.get("name")}
        if not names:
            bad.extend((r, parsed.headers.get("name", "事项名称"), "", _("该事项没有填写事项名称")) for r in rows)
        elif len(names) > 1:
            bad.extend((r, parsed.headers["name"], r.values.get("name", ""), _("同一事项编码下的事项名称不一致")) for r in rows)
    bad_rows = {r.row for r, *_rest in bad}
    # A group is all-or-nothing: an item must not be imported with half of its check form.
    for code, rows in groups.items():
        if code in parsed.failed_keys and not any(r.row in bad_rows for r in rows):
            bad.extend((r, parsed.headers["code"], r.values["code"], _("同一事项的其他行有错误")) for r in rows)
    for row, column, value, reason in bad:
        parsed.late_rejections += 1
        parsed.reject(row.row, [row_error(row.row, column, value, reason)])
        if parsed.late is not None:
            parsed.late[row.row] = f"{column}：{reason}"


def parse_records(kind: str, records: list[dict[str, Any]], ctx: ParseContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    columns = {c.field: c for c in COLUMNS[kind]}
    out, errors, present = [], [], set()
    for index, raw in enumerate(records):
        if not isinstance(raw, dict):
            errors.append({"row": index, "field": "", "value": "", "reason": _("每条记录应为一个对象")})
            continue
        unknown = sorted(set(raw) - set(columns))
        for name in unknown:
            errors.append({"row": index, "field": name, "value": str(raw[name])[:100], "reason": _("未知字段")})
        values: dict[str, Any] = {}
        for name, col in columns.items():
            if name not in raw and not col.required:
                continue
            present.add(name)
            try:
                values[name] = checked(col.parse, raw.get(name), ctx)
            except CellError as exc:
                errors.append({"row": index, "field": name, "value": cell_text(raw.get(name))[:100], "reason": str(exc)})
        out.append(values)
    return out, errors, present


def _late_reason(value: str | tuple[str, list[int]], number: int) -> str:
    if isinstance(value, str):
        return value
    column, group = value
    others = [r for r in group if r != number]
    return f"{column}：" + _("与第 %(rows)s 行重复（同一文件中代码不能重复）") % {"rows": _rows_text(others)}


def rejected_rows(job: ImportJob) -> Iterator[list[Any]]:
    """The header, then each rejected row of ``job`` as uploaded with its reasons in a last
    column (an unread cell as such). From the stored errors when they are all there; else the
    file is validated again — one streaming pass for which rows were rejected and the file-wide
    reasons, a second for each row's own — so even a file of a million bad rows is written out
    without holding its rows or errors."""
    ctx = ParseContext()
    with job_source(job) as stream:
        late: dict[int, Any] = {}
        if len(job.errors) < MAX_STORED_ERRORS:
            stored: dict[int, list[str]] = {}
            for e in job.errors:
                stored.setdefault(e["row"], []).append(f"{e['column']}：{e['reason']}" if e.get("column") else e["reason"])
            wanted: Callable[[int], bool] = stored.__contains__
        else:
            stored = {}
            ctx = parse_context_of(job.organization_id)
            parsed = parse_table(stream, job.filename, job.kind, ctx, limits=STORED, late=True)
            late, wanted = parsed.late or {}, parsed.rejected.__contains__
        table = open_table(stream, job.filename, job.kind, STORED)
        plan = _plan(job.kind, table.columns)
        width = len(table.header)
        yield [*(v if v is not None else "" for v in table.header), "错误原因"]
        for number, values in table.rows:
            if not wanted(number):
                continue
            if number in stored:
                reasons = stored[number]
            else:
                reasons = [_row_error_reason(values)] if values.__class__ is not list else [
                    f"{e['column']}：{e['reason']}" for e in validate_row(number, values, plan, table.headers, ctx)[1]]
                if number in late:
                    reasons.append(_late_reason(late[number], number))
            cells = [shown_value(v) if v.__class__ is Overlong else v for v in values]
            yield [*cells, *([None] * (width - len(cells))), "；".join(reasons)]
