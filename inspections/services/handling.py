"""Follow-up (后续处置) of the problems a result found: each measure recorded by the department
that handles it (曲阳 §22: 谁主管、谁负责), with its own status, due date and history until it is
closed. 责令改正 needs a deadline and, to close, a re-check; 行政处罚 its case number to close;
移送 the body it went to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections import policies
from inspections.models import Handling, HandlingStep, Inspection
from tenancy import audit, events
from tenancy.context import Actor
from tenancy.models import Organization
from tenancy.policies import ensure

from .inspections import clean_text, parse_date

EDITABLE = ("description", "due_on", "recheck_on", "recheck_result", "case_no", "transfer_to", "transfer_to_name")
MOVES = {
    Handling.Status.OPEN: (Handling.Status.IN_PROGRESS, Handling.Status.RECHECK),
    Handling.Status.IN_PROGRESS: (Handling.Status.RECHECK,),
    Handling.Status.RECHECK: (Handling.Status.IN_PROGRESS,),
}


def _step(actor: Actor, handling: Handling, status_from: str, note: str = "") -> HandlingStep:
    step = HandlingStep(
        handling=handling, status_from=status_from, status_to=handling.status, note=note, by_id=actor.user_id,
        at=timezone.now(),
    )
    step.set_tenant(actor)
    step.save()
    return step


def _clean(actor: Actor, measure: str, values: dict[str, Any], inspection: Inspection) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in ("description", "recheck_result"):
        if name in values:
            cleaned[name] = clean_text(values[name], name)
    for name in ("case_no", "transfer_to_name"):
        if name in values:
            cleaned[name] = clean_text(values[name], name, limit=60 if name == "case_no" else 100)
    for name in ("due_on", "recheck_on"):
        if name in values:
            cleaned[name] = parse_date(values[name], name)
    if "transfer_to" in values:
        target = values["transfer_to"]
        if target in (None, ""):
            cleaned["transfer_to"] = None
        else:
            org = target if isinstance(target, Organization) else Organization.objects.filter(pk=target).first()
            if org is None:
                errors.setdefault("transfer_to", []).append(_("移送单位不存在。"))
            elif org.pk == actor.organization_id:
                errors.setdefault("transfer_to", []).append(_("不能移送本单位。"))
            cleaned["transfer_to"] = org
    ended = inspection.ended_on
    for name in ("due_on", "recheck_on"):
        day = cleaned.get(name)
        if day is not None and ended is not None and day < ended:
            errors.setdefault(name, []).append(_("日期不能早于检查结束日期（%(date)s）。") % {"date": ended.isoformat()})
    if errors:
        raise ValidationError(errors)
    return cleaned


def _require(measure: str, row: Handling) -> None:
    errors: dict[str, list[str]] = {}
    if measure == Handling.Measure.RECTIFY and row.due_on is None:
        errors["due_on"] = [_("责令改正须写明整改期限。")]
    if measure == Handling.Measure.TRANSFER and row.transfer_to_id is None and not row.transfer_to_name:
        errors["transfer_to"] = [_("请选择或填写移送的部门。")]
    if measure == Handling.Measure.JUDICIAL and not row.transfer_to_name:
        errors["transfer_to_name"] = [_("请填写移送的司法机关。")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def handling_add(*, actor: Actor, inspection: Inspection, measure: str, **values: Any) -> Handling:
    """Record a follow-up measure on a submitted or approved result that found a problem.
    ``values``: ``description``, ``due_on`` (责令改正: the deadline), ``recheck_on``, ``case_no``
    (行政处罚), ``transfer_to`` (an organization) or ``transfer_to_name`` (移送)."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    ensure(policies.can_add_handling, actor, inspection)
    if measure not in Handling.Measure.values:
        raise ValidationError({"measure": _("请选择处置措施。")})
    if not inspection.results.filter(is_problem=True).exists():
        raise ValidationError({"measure": _("检查结果未发现问题，无需后续处置。")})
    unknown = [k for k in values if k not in EDITABLE]
    if unknown:
        raise ValidationError({unknown[0]: _("该项不能在此填写。")})
    cleaned = _clean(actor, measure, values, inspection)
    row = Handling(inspection=inspection, entity_id=inspection.entity_id, measure=measure, created_by_id=actor.user_id)
    for name, value in cleaned.items():
        setattr(row, name, value)
    _require(measure, row)
    row.set_tenant(actor)
    row.save()
    audit.record_create(actor=actor, obj=row)
    _step(actor, row, "", cleaned.get("description", ""))
    events.emit("inspections.handling.added", actor=actor, obj=row)
    return row


@transaction.atomic
def handling_update(
    *, actor: Actor, handling: Handling, revision: int, status: str | None = None, note: str = "", **values: Any
) -> Handling:
    """Change a measure's details or move it along (待处置 → 处置中 → 待复查); ``revision`` is the one
    the caller loaded: a stale save is refused (it changes what another saved)."""
    row = Handling.objects.select_for_update().select_related("inspection").get(pk=handling.pk)
    ensure(policies.can_change_handling, actor, row)
    if int(revision) != row.revision:
        raise ValidationError(_("该处置已被他人修改，请刷新后再保存（您填写的内容仍在页面上）。"))
    unknown = [k for k in values if k not in EDITABLE]
    if unknown:
        raise ValidationError({unknown[0]: _("该项不能在此填写。")})
    cleaned = _clean(actor, row.measure, values, row.inspection)
    note = clean_text(note, "note")
    before = audit.snapshot(row)
    old_status = row.status
    if status is not None and status != row.status:
        if status not in MOVES.get(row.status, ()):
            raise ValidationError({"status": _("不能从“%(old)s”改为该状态。") % {"old": row.get_status_display()}})
        row.status = status
    for name, value in cleaned.items():
        setattr(row, name, value)
    _require(row.measure, row)
    row.revision += 1
    row.save()
    audit.record_update(actor=actor, obj=row, before=before, note=note)
    if row.status != old_status or note:
        _step(actor, row, old_status, note)
    events.emit("inspections.handling.updated", actor=actor, obj=row)
    return row


@transaction.atomic
def handling_close(
    *, actor: Actor, handling: Handling, outcome: str, recheck_result: str | None = None, case_no: str | None = None,
    recheck_on: dt.date | str | None = None, closed_on: dt.date | None = None,
) -> Handling:
    """Close a measure with its outcome: 责令改正 after its re-check, 行政处罚 with its case number.

    Closing a 责令改正 records its re-check as done: ``recheck_on`` is the day it was (else the
    planned day stands, else the closing day), never after the closing day — a planned re-check
    still ahead is refused, not recorded as if it had happened."""
    row = Handling.objects.select_for_update().select_related("inspection").get(pk=handling.pk)
    ensure(policies.can_close_handling, actor, row)
    closed_on = closed_on or timezone.localdate()
    outcome = clean_text(outcome, "outcome")
    errors: dict[str, list[str]] = {}
    if not outcome:
        errors["outcome"] = [_("请填写处置结果。")]
    if recheck_result is not None:
        row.recheck_result = clean_text(recheck_result, "recheck_result")
    if case_no is not None:
        row.case_no = clean_text(case_no, "case_no", limit=60)
    if row.measure == Handling.Measure.RECTIFY:
        if recheck_on not in (None, ""):
            try:
                row.recheck_on = _clean(actor, row.measure, {"recheck_on": recheck_on}, row.inspection)["recheck_on"]
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if "recheck_on" not in errors and row.recheck_on is not None and row.recheck_on > closed_on:
            errors.setdefault("recheck_on", []).append(
                _("复查日期（%(date)s）晚于办结日期（%(closed)s），请填写实际复查日期。")
                % {"date": row.recheck_on.isoformat(), "closed": closed_on.isoformat()}
            )
    if row.measure == Handling.Measure.RECTIFY and not row.recheck_result:
        errors["recheck_result"] = [_("责令改正须复查后办结，请填写复查结果。")]
    if row.measure == Handling.Measure.PENALTY and not row.case_no:
        errors["case_no"] = [_("行政处罚须填写案件编号。")]
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(row)
    old_status = row.status
    row.status = Handling.Status.CLOSED
    row.outcome = outcome
    row.closed_at, row.closed_by_id = timezone.now(), actor.user_id
    if row.measure == Handling.Measure.RECTIFY and row.recheck_on is None:
        row.recheck_on = closed_on
    row.revision += 1
    row.save()
    audit.record_update(actor=actor, obj=row, before=before, action="close", note=outcome)
    _step(actor, row, old_status, outcome)
    events.emit("inspections.handling.closed", actor=actor, obj=row)
    return row
