"""The result-code table (检查结果代码): the national wording ships with the app; a platform
administrator adds finer codes under a group, or codes of the province's own, and retires them
(a code in use is never deleted — results keep what they were given)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inspections import policies
from inspections.models import ResultCode
from tenancy import audit
from tenancy.context import Actor
from tenancy.policies import ensure

from .inspections import clean_text

FLAGS = ("is_problem", "needs_followup", "is_clean", "exclusive", "requires_reason", "is_active")


@transaction.atomic
def result_code_save(
    *, actor: Actor, code: str, name: str, parent: ResultCode | None = None, order: int = 100, **flags: Any
) -> ResultCode:
    """Add the code ``code`` or change its wording, parent, order and flags (``FLAGS``). A child
    makes its parent a group: chosen through its children, hidden when results are published."""
    ensure(policies.can_manage_result_codes, actor)
    code = clean_text(code, "code", limit=20)
    name = clean_text(name, "name", limit=100)
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("请填写代码。")]
    if not name:
        errors["name"] = [_("请填写名称。")]
    unknown = [k for k in flags if k not in FLAGS]
    if unknown:
        errors[unknown[0]] = [_("该项不能在此填写。")]
    row = ResultCode.objects.filter(code=code).first() or ResultCode(code=code)
    ancestor = parent
    while ancestor is not None:
        if row.pk is not None and ancestor.pk == row.pk:
            errors["parent"] = [_("上级代码不能是它自己或它的下级。")]
            break
        ancestor = ancestor.parent
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(row) if row.pk else None
    row.name, row.parent, row.order = name, parent, int(order)
    for flag, value in flags.items():
        setattr(row, flag, bool(value))
    row.save()
    if before is None:
        audit.record_create(actor=actor, obj=row)
    else:
        audit.record_update(actor=actor, obj=row, before=before)
    return row
