"""Template filters of the inspections' pages and documents: ``{% load inspection_text %}``,
``{{ code|code_name }}`` (a result code's name in the reader's language, see
``inspections.result_codes.display_name``)."""

from __future__ import annotations

from typing import Any

from django import template

from inspections.result_codes import display_name

register = template.Library()


@register.filter
def code_name(code: Any) -> str:
    return display_name(code) if code else ""
