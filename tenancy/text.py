"""Text that may be stored: no C0 control characters (pure Python, no Django).

A stored control character broke every .xlsx export of a county (openpyxl refuses them) and a
NUL reached PostgreSQL, which refuses it. Inputs refuse them; exports clean what older rows hold.
Tab, line feed and carriage return are allowed only where a field holds several lines.
"""

from __future__ import annotations

import re

# C0 controls and DEL; tab/LF/CR are handled by ``multiline``.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")


def first_control_char(text: str, *, multiline: bool = False) -> int | None:
    """The index of the first forbidden control character in ``text``, or ``None``.

    ``multiline`` allows tab, line feed and carriage return (notes, addresses written on
    several lines); a one-line field allows none of them.
    """
    match = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(text)
    return match.start() if match else None


def describe_control_char(char: str) -> str:
    """How a control character is named in an error message: ``U+000B``."""
    return f"U+{ord(char):04X}"


def strip_control_chars(text: str, *, multiline: bool = True) -> str:
    """``text`` without forbidden control characters, for writing stored values out (exports)."""
    return (_CONTROL if multiline else _CONTROL_OR_BREAK).sub("", text)
