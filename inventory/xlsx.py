"""Workbook templates, exports and the rejected-rows file of the three registries.

Everything here is driven by the column tables of ``inventory/importer/columns.py`` so that a template
filled in, an export, and the rejected rows all re-import to the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tenancy.text import strip_control_chars

from .importer.columns import COLUMNS, Column
from .importer.rows import rejected_rows
from .models import CheckItem, ImportJob, Inspector, MarketEntity, RegistryEntry

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_ROWS = 5000  # drop-downs cover this many data rows
KIND_TITLES = {
    ImportJob.Kind.ENTITIES: "检查对象名录库",
    ImportJob.Kind.INSPECTORS: "执法检查人员名录库",
    ImportJob.Kind.ITEMS: "抽查事项清单",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E2")
_HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")


def escape_cell(value: Any) -> Any:
    """A stored value as a spreadsheet cell may hold it: every cell of every .xlsx/.csv we write
    passes here (``workbook_bytes``, ``_csv_stream``), whatever the rows hold.

    Control characters go first (openpyxl refuses them, and one older row with ``\x01`` broke
    every export of a county; tab and line breaks stay). Then text that a spreadsheet would run
    as a formula gets a leading apostrophe (CSV injection): in this order, so ``\x01=cmd`` is
    escaped too. The importer strips the apostrophe again, so exports still round-trip."""
    if isinstance(value, str):
        value = strip_control_chars(value)
        if value.startswith(_FORMULA_STARTS):
            return "'" + value
    return value


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# ============================================================================ template


def template_bytes(kind: str) -> bytes:
    """The blank template: Chinese headers (required ones shaded), a rule comment on each header
    cell, drop-downs for every column with fixed values, and a 填写说明 sheet."""
    columns = COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = KIND_TITLES[kind]
    for index, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=col.header)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        text = ("【必填】" if col.required else "【选填】") + (col.rule or "")
        if col.variants:
            text += "\n也可识别的列名：" + "、".join(col.variants[:6])
        cell.comment = Comment(text, "双随机平台", width=260, height=140)
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = col.width
        if col.choices:
            dv = DataValidation(
                type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True, showErrorMessage=True,
                errorTitle="取值无效", error="请从下拉列表中选择：" + "、".join(col.choices),
            )
            dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(dv)
        if col.field in ("code", "cert_no", "industry_code"):
            # Codes are text: an 18-digit number would lose its last digits in Excel.
            for row in range(2, 202):
                ws.cell(row=row, column=index).number_format = "@"
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "填写规则", "可选值", "也可识别的列名"])
    for c in notes[1]:
        c.font = _HEADER_FONT
    for col in columns:
        notes.append([col.header, "必填" if col.required else "选填", col.rule, "、".join(col.choices), "、".join(col.variants)])
    notes.append([])
    notes.append(["说明：第一个工作表的第 1 行为表头；表头上方可以有标题行，列的顺序不限。"])
    notes.append(["导入前系统会逐行校验，并列出每个错误的行号、列名、取值和原因。"])
    for letter, width in zip("ABCDE", (22, 10, 60, 40, 50), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_response(kind: str) -> HttpResponse:
    response = HttpResponse(template_bytes(kind), content_type=XLSX_TYPE)
    return _attachment(response, f"{KIND_TITLES[kind]}导入模板.xlsx")


# ============================================================================ export


def _entity_values(entity: MarketEntity) -> dict[str, Any]:
    return {c.field: getattr(entity, c.field) for c in COLUMNS[ImportJob.Kind.ENTITIES] if c.field != "tags"}


def _export_records(kind: str, queryset: QuerySet) -> tuple[list[Column], Iterator[dict[str, Any]]]:
    columns = list(COLUMNS[kind])
    if kind == ImportJob.Kind.ENTITIES:
        if queryset.model is RegistryEntry:
            qs = queryset.select_related("entity").prefetch_related("tags")

            def gen() -> Iterator[dict[str, Any]]:
                for entry in qs.iterator(chunk_size=2000):
                    yield _entity_values(entry.entity) | {"tags": sorted(t.name for t in entry.tags.all())}

            return columns, gen()
        # A bare entity list has no department: leave the tags column out, so a re-import keeps tags.
        columns = [c for c in columns if c.field != "tags"]
        return columns, (_entity_values(e) for e in queryset.iterator(chunk_size=2000))
    if kind == ImportJob.Kind.INSPECTORS:
        qs = queryset.select_related("unit").prefetch_related("specialties")

        def people() -> Iterator[dict[str, Any]]:
            for p in qs.iterator(chunk_size=2000):
                person: Inspector = p
                yield {
                    "name": person.name, "cert_no": person.cert_no, "unit": person.unit.name if person.unit else "",
                    "position": person.position, "cert_expires_on": person.cert_expires_on, "post": person.post,
                    "phone": person.phone, "specialties": sorted(t.name for t in person.specialties.all()),
                    "status": person.status,
                }

        return columns, people()
    qs = queryset.select_related("responsible_unit").prefetch_related("points")

    def items() -> Iterator[dict[str, Any]]:
        for i in qs.iterator(chunk_size=500):
            item: CheckItem = i
            base = {
                "code": item.code, "name": item.name, "category": item.category, "target_type": item.target_type,
                "legal_basis": item.legal_basis, "method": item.method, "content": item.content,
                "responsible_unit": item.responsible_unit.name if item.responsible_unit else "",
            }
            points = list(item.points.all())
            if not points:
                yield base
            for p in points:
                yield base | {
                    "point_project": p.project, "point_sub_item": p.sub_item, "point_content": p.content,
                    "point_basis": p.basis, "point_answer_kind": p.answer_kind, "point_photo_required": p.photo_required,
                }

    return columns, items()


def _cells(columns: list[Column], record: dict[str, Any]) -> list[Any]:
    out = []
    for col in columns:
        value = record.get(col.field)
        if col.export is not None and col.field in record:
            value = col.export(value)
        out.append("" if value is None else value)
    return out


def export_rows(*, kind: str, queryset: QuerySet) -> Iterator[list[Any]]:
    """Header row, then one row per object (items: one row per check point)."""
    columns, records = _export_records(kind, queryset)
    yield [c.header for c in columns]
    for record in records:
        yield _cells(columns, record)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel then opens the UTF-8 file with the right encoding
    for row in rows:
        yield writer.writerow([v.isoformat() if isinstance(v, dt.date) else escape_cell(v) for v in row])


def workbook_bytes(rows: Iterable[list[Any]], title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([escape_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_response(*, kind: str, queryset: QuerySet[Model], fmt: str, filename: str) -> HttpResponse:
    """The filtered list as .xlsx or .csv (UTF-8 with BOM). ``queryset`` is already scoped and
    filtered by the caller; entities may be RegistryEntry or MarketEntity rows."""
    rows = export_rows(kind=kind, queryset=queryset)
    base = filename.rsplit(".", 1)[0] if filename.lower().endswith((".xlsx", ".csv")) else filename
    if fmt == "csv":
        # Built here, not streamed: the scoped queries must run while the request's scope is open.
        content = "".join(_csv_stream(rows)).encode("utf-8")
        return _attachment(HttpResponse(content, content_type="text/csv; charset=utf-8"), f"{base}.csv")
    response = HttpResponse(workbook_bytes(rows, KIND_TITLES.get(kind, "导出")), content_type=XLSX_TYPE)
    return _attachment(response, f"{base}.xlsx")


# ============================================================================ rejected rows


def rejected_bytes(job: ImportJob) -> bytes:
    """The rows of ``job`` that were rejected, as uploaded, with a 错误原因 column: fix and re-import.
    The rows are streamed from the stored file (``importer.rows.rejected_rows``)."""
    return workbook_bytes(rejected_rows(job), "未导入的行")


def rejected_response(job: ImportJob) -> HttpResponse:
    response = HttpResponse(rejected_bytes(job), content_type=XLSX_TYPE)
    stem = job.filename.rsplit(".", 1)[0]
    return _attachment(response, f"{stem}-未导入的行.xlsx")
