"""The 抽取结果备案表: one Django template renders the HTML preview and, through WeasyPrint, the PDF;
and its .xlsx annex, the full list of targets and reserves when the sheet lists only the first
``settings.FILING_PDF_MAX_ROWS``.

The print stylesheet (``static/css/print.css``: A4, header, page numbers, one CJK family "Noto
Sans CJK SC" — each further CJK face embedded costs the worker memory while it is subset) is
linked by URL in the preview and handed to WeasyPrint by file path, so the PDF never fetches
anything over the network.

The annex is written by openpyxl in write-only mode (rows stream to a temporary file, a chunk of
names read at a time) into a temporary file, hashed as it is read back: a long annex never sits
in memory.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TEMPLATE = "sampling/filing_form_print.html"
PRINT_CSS = Path(settings.BASE_DIR) / "static" / "css" / "print.css"


def filing_form_html(sheet: dict[str, Any], *, for_pdf: bool = False) -> str:
    """The sheet as HTML: the standalone preview page (``for_pdf=False``) or WeasyPrint's input."""
    return render_to_string(TEMPLATE, {**sheet, "for_pdf": for_pdf, "printed_at": timezone.localtime()})


def filing_form_pdf(sheet: dict[str, Any]) -> bytes:
    """The sheet as an A4 PDF with the CJK fonts embedded."""
    from weasyprint import CSS, HTML  # noqa: PLC0415  (heavy import, only where PDFs are made)

    html = filing_form_html(sheet, for_pdf=True)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))])


# --------------------------------------------------------------------------------------------
# The annex


TARGET_COLUMNS = (
    (gettext_lazy("序号"), 8), (gettext_lazy("统一社会信用代码/编码"), 24), (gettext_lazy("名称"), 40),
    (gettext_lazy("层"), 14), (gettext_lazy("检查人员"), 30), (gettext_lazy("备注"), 10),
)
RESERVE_COLUMNS = (
    (gettext_lazy("顺序"), 8), (gettext_lazy("统一社会信用代码/编码"), 24), (gettext_lazy("名称"), 40), (gettext_lazy("层"), 14),
)


def _sheet(wb: Any, title: str, columns: tuple[tuple[Any, int], ...]) -> Any:
    """A write-only sheet with its column widths, a bold header row, frozen under it."""
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    ws = wb.create_sheet(title)
    for n, (_label, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for label, _width in columns:
        cell = WriteOnlyCell(ws, value=str(label))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    return ws


def filing_annex_xlsx(
    out: IO[bytes], *, info: list[tuple[str, Any]], targets: Iterable[dict[str, Any]], reserves: Iterable[dict[str, Any]]
) -> None:
    """Write the annex to ``out``: 说明 (the filing it belongs to), 抽中检查对象 (every target with
    its team as filed), 备选名单 (every reserve)."""
    from openpyxl import Workbook  # noqa: PLC0415

    from inventory.xlsx import escape_cell  # noqa: PLC0415  (control characters, formula text)

    replaced = _("已替换")
    wb = Workbook(write_only=True)
    about = wb.create_sheet(_("说明"))
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 80
    for label, value in info:
        about.append([escape_cell(str(label)), escape_cell("" if value is None else str(value))])
    ws = _sheet(wb, _("抽中检查对象"), TARGET_COLUMNS)
    for t in targets:
        ws.append([
            t["rank"], escape_cell(t["code"] or ""), escape_cell(t["name"] or ""), escape_cell(t["stratum"] or ""),
            escape_cell("、".join(t["team"])), replaced if t["replaced"] else "",
        ])
    ws = _sheet(wb, _("备选名单"), RESERVE_COLUMNS)
    for r in reserves:
        ws.append([r["order"], escape_cell(r["code"] or ""), escape_cell(r["name"] or ""), escape_cell(r["stratum"] or "")])
    wb.save(out)


@contextmanager
def annex_file(**kwargs: Any) -> Iterator[tuple[IO[bytes], str]]:
    """The annex in a temporary file (rewound) and its SHA-256, read back a megabyte at a time;
    the file is gone when the block ends."""
    with tempfile.TemporaryFile() as handle:
        filing_annex_xlsx(handle, **kwargs)
        handle.seek(0)
        digest = hashlib.sha256()
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        handle.seek(0)
        yield handle, digest.hexdigest()
