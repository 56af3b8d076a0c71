"""The 抽取结果备案表: one Django template renders the HTML preview and, through WeasyPrint, the PDF.

The print stylesheet (``static/css/print.css``: A4, header, page numbers, the CJK fonts "Noto Sans
CJK SC"/"Noto Serif CJK SC") is linked by URL in the preview and handed to WeasyPrint by file path,
so the PDF never fetches anything over the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

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
