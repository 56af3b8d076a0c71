"""The national wording of inspection results (检查结果), shipped with the app.

Migration 0002 wrote the same rows (a migration keeps its own frozen copy). An empty table —
a database flushed by ``manage.py flush`` or by a test on a live server — gets them back after
``post_migrate`` (which ``flush`` sends too), the way Django restores content types; codes an
administrator added or reworded are never touched once the table holds any row.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

# code, name, is_problem, needs_followup, is_clean, exclusive, requires_reason
NATIONAL: tuple[tuple[str, str, bool, bool, bool, bool, bool], ...] = (
    ("01", gettext_noop("未发现问题"), False, False, True, True, False),
    ("02", gettext_noop("未按规定公示应当公示的信息"), True, True, False, False, False),
    ("03", gettext_noop("公示信息隐瞒真实情况弄虚作假"), True, True, False, False, False),
    ("04", gettext_noop("发现问题经责令已改正"), True, False, False, False, False),
    ("05", gettext_noop("发现问题待后续处理"), True, True, False, False, False),
    ("06", gettext_noop("未发现开展本次抽查涉及的经营活动"), False, False, False, False, False),
    ("07", gettext_noop("通过登记的住所(经营场所)无法联系"), True, True, False, False, False),
    ("08", gettext_noop("不配合检查情节严重"), True, True, False, False, False),
    ("09", gettext_noop("检查对象已注销或吊销"), False, False, False, True, False),
    ("10", gettext_noop("其他"), False, False, False, False, True),
)

# The shipped wording, translated where shown (a msgid each); the database and the API keep it in
# Chinese, as the provincial platform reads it.
SHIPPED_NAMES = frozenset(row[1] for row in NATIONAL)


def display_name(code: Any) -> str:
    """A result code's name in the reader's language: a shipped name translated, a name an
    administrator added or reworded as stored (``code``: a ``ResultCode`` or a record's dict)."""
    name = code.get("name", "") if isinstance(code, dict) else getattr(code, "name", str(code))
    return gettext(name) if name in SHIPPED_NAMES else name


def ship_if_empty(using: str = "default", **_: Any) -> int:
    """Write the national codes into an empty table; the number written."""
    from .models import ResultCode  # noqa: PLC0415  (a post_migrate handler: called with the models loaded)

    codes = ResultCode.objects.using(using)
    if codes.exists():
        return 0
    codes.bulk_create(
        ResultCode(
            code=code, name=name, is_problem=problem, needs_followup=followup, is_clean=clean,
            exclusive=exclusive, requires_reason=reason, order=order * 10, is_active=True,
        )
        for order, (code, name, problem, followup, clean, exclusive, reason) in enumerate(NATIONAL, 1)
    )
    return len(NATIONAL)
