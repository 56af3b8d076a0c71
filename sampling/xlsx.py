"""A completed draw's targets as an .xlsx workbook (抽取结果名单): what the results page lists, every
row of it, for the office's own follow-up (inspection schedules, letters to the firms).

Written by openpyxl's write-only workbook, which streams rows to a temporary file instead of
holding a cell object per value; the finished file is streamed to the client from disk. Every
stored text passes ``inventory.xlsx.escape_cell`` (control characters stripped with
``tenancy.text.strip_control_chars``, formula-like text neutralised).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from inventory.xlsx import XLSX_TYPE, escape_cell

__all__ = ["XLSX_TYPE", "targets_workbook"]

_BOLD = Font(bold=True)


def targets_workbook(rows: Iterable[list[Any]], *, header: list[str], title: str, widths: list[int]) -> IO[bytes]:
    """The rows under ``header`` in one sheet, as an open temporary file positioned at its start
    (deleted when closed: a FileResponse closes it once sent)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    head = []
    for text in header:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = _BOLD
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([escape_cell(v) for v in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 (handed on open: the response closes it)
    wb.save(out)
    out.seek(0)
    return out
