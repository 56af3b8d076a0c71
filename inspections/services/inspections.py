"""The team's work on an inspection: confirming dispatched targets (比对和确认), saving the draft
(answers, note, method, dates, result), evidence and the firm's signature or refusal, and the
checks a result must pass before it is submitted.

Saving is optimistic: the caller sends the revision it loaded and only the values changed since
(a form's ``changed_data``; an autosave's dirty fields). A save based on an older revision
applies what nobody else changed since, keeps both texts where both changed a text, keeps the
stored value of any other field both changed, and records the conflict (``DraftConflict``):
nothing typed by either is lost, and the caller reports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections import policies
from inspections.models import (
    Answer,
    Dispatch,
    DraftConflict,
    Evidence,
    Inspection,
    InspectionPart,
    ResultCode,
)
from inventory.models import CheckPoint
from tenancy import audit, events
from tenancy.context import Actor
from tenancy.i18n import join_list
from tenancy.periodic import acting_for
from tenancy.policies import ensure
from tenancy.text import first_control_char
from tenancy.uploads import CheckedUpload, attachment_store

from . import images
from .creation import visit_write

TEXT_LIMIT = 5000

# --------------------------------------------------------------------------------------------
# Confirmation (比对和确认, 曲阳 §17)


def _worked_on(ids: Sequence[int]) -> set[int]:
    """The visits among ``ids`` on which the team already recorded something (a visit field, an
    answer, a part's note, evidence). Not the revision: a substitution or a move to a
    replacement target changes it without any work done."""
    worked = {pk for pk, changed in Inspection.objects.filter(pk__in=ids).values_list("pk", "changed_in") if changed}
    worked |= set(Evidence.objects.filter(inspection_id__in=ids).values_list("inspection_id", flat=True))
    worked |= set(Answer.objects.filter(part__inspection_id__in=ids).values_list("part__inspection_id", flat=True))
    worked |= set(
        InspectionPart.objects.filter(inspection_id__in=ids).exclude(note="").values_list("inspection_id", flat=True)
    )
    return worked


def _after_confirmation(inspection: Inspection) -> str:
    """草稿 when the team already recorded something, else 待检查."""
    return Inspection.Status.DRAFT if _worked_on([inspection.pk]) else Inspection.Status.TODO


@transaction.atomic
def inspection_confirm(*, actor: Actor, inspection: Inspection, note: str = "") -> Inspection:
    """The actor's department confirms its part of one dispatched target; once every department
    has, the inspection is confirmed and goes to the team."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    part = InspectionPart.objects.select_for_update().filter(
        inspection=inspection, organization_id=actor.organization_id
    ).first()
    if part is None:
        ensure(policies.can_view, actor, inspection)
        raise ValidationError(_("本单位不参与该检查，无需确认。"))
    ensure(policies.can_confirm, actor, part)
    if inspection.status == Inspection.Status.REPLACED:
        raise ValidationError(_("该检查对象已被替换，无需确认。"))
    now = timezone.now()
    before = audit.snapshot(part, ["confirmed_at", "confirmed_by"])
    part.confirmed_at, part.confirmed_by_id = now, actor.user_id
    part.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    audit.record_update(actor=actor, obj=part, before=before, action="confirm", note=clean_text(note, "note"))
    _inspection_confirmed_if_complete(actor, inspection, now)
    _dispatch_confirmed_if_complete(actor, inspection.draw_id, now)
    return inspection


def _inspection_confirmed_if_complete(actor: Actor, inspection: Inspection, now: dt.datetime) -> None:
    if InspectionPart.objects.filter(inspection=inspection, confirmed_at__isnull=True).exists():
        return
    before = audit.snapshot(inspection, ["status", "confirmed_at", "confirmed_by"])
    inspection.confirmed_at, inspection.confirmed_by_id = now, actor.user_id
    if inspection.status == Inspection.Status.PENDING:
        inspection.status = _after_confirmation(inspection)
    visit_write(actor, inspection, ["status", "confirmed_at", "confirmed_by"])
    audit.record_update(actor=actor, obj=inspection, before=before, action="confirm")
    events.emit("inspections.inspection.confirmed", actor=actor, obj=inspection)


def _dispatch_confirmed_if_complete(actor: Actor, draw_id: int, now: dt.datetime) -> None:
    dispatch = Dispatch.objects.select_for_update().filter(draw_id=draw_id, organization_id=actor.organization_id).first()
    if dispatch is None or dispatch.confirmed_at is not None:
        return
    waiting = InspectionPart.objects.filter(
        inspection__draw_id=draw_id, organization_id=actor.organization_id, confirmed_at__isnull=True,
    ).exclude(inspection__status=Inspection.Status.REPLACED)
    if waiting.exists():
        return
    before = audit.snapshot(dispatch, ["confirmed_at", "confirmed_by"])
    dispatch.confirmed_at, dispatch.confirmed_by_id = now, actor.user_id
    dispatch.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    audit.record_update(actor=actor, obj=dispatch, before=before, action="confirm")
    events.emit("inspections.dispatch.confirmed", actor=actor, obj=dispatch, inspection_ids=[])


@transaction.atomic
def dispatch_confirm(*, actor: Actor, dispatch: Dispatch, note: str = "") -> int:
    """The department confirms every target dispatched to it still unconfirmed, at once.
    Returns how many inspections became confirmed (those whose every part is now confirmed)."""
    dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    ensure(policies.can_confirm_dispatch, actor, dispatch)
    note = clean_text(note, "note")
    now = timezone.now()
    parts = InspectionPart.objects.filter(
        inspection__draw_id=dispatch.draw_id, organization_id=dispatch.organization_id, confirmed_at__isnull=True,
    ).exclude(inspection__status=Inspection.Status.REPLACED)
    part_rows = list(parts.values_list("pk", "inspection_id"))
    # The department's own rows (the write guard's rule); one statement, audited per row below.
    InspectionPart.objects.filter(pk__in=[pk for pk, _i in part_rows]).update(
        confirmed_at=now, confirmed_by=actor.user_id, updated_at=now
    )
    touched = {i for _pk, i in part_rows}
    still_waiting = set(
        InspectionPart.objects.filter(inspection_id__in=touched, confirmed_at__isnull=True).values_list("inspection_id", flat=True)
    )
    complete = sorted(touched - still_waiting)
    # The visits' confirmation is their owner's bookkeeping (a joint visit is the office's row,
    # tenancy.joint: a department writes only its shared fields): one statement per owner, as
    # the owner, audited per row below.
    owners = dict(Inspection.objects.filter(pk__in=complete).values_list("pk", "organization_id"))
    worked = _worked_on(complete)
    states: dict[int, str] = {}
    after: dict[int, str] = {}
    for owner_id in sorted(set(owners.values())):
        with acting_for(actor, owner_id):
            visits = Inspection.objects.filter(pk__in=[pk for pk, org in owners.items() if org == owner_id])
            states |= dict(visits.values_list("pk", "status"))
            visits.filter(status=Inspection.Status.PENDING, pk__in=worked).update(status=Inspection.Status.DRAFT)
            visits.filter(status=Inspection.Status.PENDING).update(status=Inspection.Status.TODO)
            visits.update(confirmed_at=now, confirmed_by=actor.user_id, updated_at=now)
            after |= dict(visits.values_list("pk", "status"))
    template = audit.row_template(actor=actor, target_type="inspections.inspectionpart", note=note)
    entries = [
        template | {"action": "confirm", "target_id": str(pk), "target_repr": f"#{inspection_id}", "at": now,
                    "changes": {"confirmed_at": [None, now.isoformat()], "confirmed_by": [None, actor.user_id]}}
        for pk, inspection_id in part_rows
    ]
    visit_template = audit.row_template(actor=actor, target_type="inspections.inspection", note=note)
    entries += [
        visit_template | {"action": "confirm", "target_id": str(pk), "target_repr": f"#{pk}", "at": now,
                          "changes": {"status": [states[pk], after[pk]], "confirmed_at": [None, now.isoformat()]}}
        for pk in complete
    ]
    audit.record_many(actor=actor, entries=entries)
    before = audit.snapshot(dispatch, ["confirmed_at", "confirmed_by", "note"])
    dispatch.confirmed_at, dispatch.confirmed_by_id, dispatch.note = now, actor.user_id, note
    dispatch.save(update_fields=["confirmed_at", "confirmed_by", "note", "updated_at"])
    audit.record_update(actor=actor, obj=dispatch, before=before, action="confirm")
    events.emit("inspections.dispatch.confirmed", actor=actor, obj=dispatch, inspection_ids=complete)
    return len(complete)


# --------------------------------------------------------------------------------------------
# Values


def clean_text(value: Any, key: str, *, limit: int = TEXT_LIMIT) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ValidationError({key: _("内容不能超过 %(n)s 字（现 %(m)s 字）。") % {"n": limit, "m": len(text)}})
    if first_control_char(text, multiline=True) is not None:
        raise ValidationError({key: _("内容含有不允许的控制字符。")})
    return text


def parse_date(value: Any, key: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({key: _("请输入有效的日期（如 2026-05-08）。")}) from None


def _parse_number(value: Any, key: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({key: _("请输入数字。")}) from None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValidationError({key: _("请输入有效的数字。")})
    return number.quantize(Decimal("0.0001"))


def _parse_codes(value: Any) -> list[str]:
    codes = [str(c).strip() for c in (value or []) if str(c).strip()]
    if not codes:
        return []
    found = {
        c.code: c for c in ResultCode.objects.filter(code__in=codes, is_active=True).prefetch_related("children")
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError({"results": _("检查结果代码无效或已停用：%(codes)s。") % {"codes": join_list(unknown)}})
    groups = [found[c].name for c in codes if any(ch.is_active for ch in found[c].children.all())]
    if groups:
        raise ValidationError({"results": _("“%(name)s”是分组，请选择其下的具体结果。") % {"name": groups[0]}})
    return sorted(set(codes))


# Visit fields: how each is read from input and how it is compared and stored.
VISIT_TEXT = ("result_reason", "refusal_reason")


def _visit_value(inspection: Inspection, name: str) -> Any:
    if name == "results":
        return sorted(inspection.results.values_list("code", flat=True))
    return getattr(inspection, name)


def _parse_visit(name: str, value: Any) -> Any:
    if name == "method":
        value = "" if value is None else str(value)
        if value and value not in Inspection.Method.values:
            raise ValidationError({"method": _("请选择检查方式。")})
        return value
    if name in ("started_on", "ended_on"):
        return parse_date(value, name)
    if name == "results":
        return _parse_codes(value)
    if name == "signature_refused":
        return bool(value) and str(value).lower() not in ("0", "false", "off", "")
    if name in VISIT_TEXT:
        return clean_text(value, name, limit=300 if name == "refusal_reason" else TEXT_LIMIT)
    raise ValidationError({name: _("该项不能在此填写。")})


ANSWER_KEYS = {
    CheckPoint.AnswerKind.STATUS: "status",
    CheckPoint.AnswerKind.TEXT: "text",
    CheckPoint.AnswerKind.NUMBER: "number",
    CheckPoint.AnswerKind.DATE: "date",
    CheckPoint.AnswerKind.PHOTO: None,
}


def point_key(point_id: int) -> str:
    """The error key of a check point (forms name their fields the same way)."""
    return f"point_{point_id}"


def _parse_answer(point: CheckPoint, values: Mapping[str, Any]) -> dict[str, Any]:
    key = point_key(point.pk)
    own = ANSWER_KEYS.get(point.answer_kind)
    parsed: dict[str, Any] = {}
    for name, value in values.items():
        if name == "note":
            parsed["note"] = clean_text(value, key)
        elif name != own:
            raise ValidationError({key: _("该检查要点的结果类型为“%(kind)s”。") % {"kind": point.get_answer_kind_display()}})
        elif name == "status":
            value = "" if value is None else str(value)
            if value and value not in Answer.Status.values:
                raise ValidationError({key: _("请选择正常、不正常或不涉及。")})
            parsed["status"] = value
        elif name == "text":
            parsed["text"] = clean_text(value, key)
        elif name == "number":
            parsed["number"] = _parse_number(value, key)
        elif name == "date":
            parsed["date"] = parse_date(value, key)
    return parsed


# --------------------------------------------------------------------------------------------
# Saving the draft


@dataclass
class SaveResult:
    inspection: Inspection
    part: InspectionPart | None
    applied: list[str] = field(default_factory=list)
    conflict: DraftConflict | None = None

    @property
    def conflicted(self) -> bool:
        return self.conflict is not None


def _merge_texts(theirs: str, mine: str, *, actor: Actor, now: dt.datetime) -> str:
    """Both texts, the later save's after a line that says whose it is."""
    mark = _("—— %(name)s 于 %(at)s 同时保存的内容 ——") % {
        "name": actor.username or "?", "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
    }
    return f"{theirs}\n\n{mark}\n{mine}" if theirs else mine


@transaction.atomic
def inspection_save(
    *,
    actor: Actor,
    inspection: Inspection,
    revision: int | None = None,
    visit: Mapping[str, Any] | None = None,
    part: InspectionPart | None = None,
    part_revision: int | None = None,
    answers: Mapping[int, Mapping[str, Any]] | None = None,
    note: str | None = None,
) -> SaveResult:
    """Save the draft: ``visit`` (the visit's fields the team writes, ``policies.VISIT_FIELDS``
    but the signature, which is uploaded), and the actor's department ``part``: its ``note`` and
    ``answers`` (``{point id: {"status"|"text"|"number"|"date": value, "note": text}}``). Only
    changed values; ``revision``/``part_revision`` are those the caller loaded (see the module's
    docstring). A bad value is a ``ValidationError`` keyed by field (``point_<id>`` for a point)
    and nothing is saved."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    visit = dict(visit or {})
    answers = dict(answers or {})
    now = timezone.now()
    conflicts: list[dict[str, Any]] = []
    applied: list[str] = []

    if visit:
        ensure(policies.can_edit_visit, actor, inspection)
        unknown = [k for k in visit if k not in policies.VISIT_FIELDS or k == "signature"]
        if unknown:
            raise ValidationError({unknown[0]: _("该项不能在此填写。")})
        parsed = {name: _parse_visit(name, value) for name, value in visit.items()}
        base = inspection.revision if revision is None else int(revision)
        if base > inspection.revision:
            raise ValidationError(_("页面的版本号无效，请刷新后重试。"))
        changed: dict[str, Any] = {}
        for name, value in parsed.items():
            current = _visit_value(inspection, name)
            if value == current:
                continue
            if int(inspection.changed_in.get(name, 0)) <= base:
                changed[name] = value
                continue
            label = str(Inspection._meta.get_field(name).verbose_name)
            conflicts.append({"field": name, "label": label, "theirs": _jsonable(current), "mine": _jsonable(value)})
            if name in VISIT_TEXT:
                changed[name] = _merge_texts(current, value, actor=actor, now=now)
        if changed:
            before = audit.snapshot(inspection, [n for n in changed if n != "results"])
            if "results" in changed:
                before["results"] = _visit_value(inspection, "results")
            inspection.revision += 1
            for name, value in changed.items():
                inspection.changed_in[name] = inspection.revision
                if name == "results":
                    inspection.results.set(ResultCode.objects.filter(code__in=value))
                else:
                    setattr(inspection, name, value)
            written = [n for n in changed if n != "results"]
            if "signature_refused" in changed and inspection.signature_refused and inspection.signature_id:
                inspection.signature = None  # a refusal replaces a signature taken before
                written.append("signature")
            _to_draft(inspection)
            visit_write(actor, inspection, [*written, "changed_in", "revision", "status"])
            after = audit.snapshot(inspection, [n for n in before if n != "results"])
            if "results" in changed:
                after["results"] = changed["results"]
            audit.record(actor=actor, action="update", target=inspection, changes=audit.diff(before, after),
                         note=_("保存检查草稿"))
            applied += list(changed)

    saved_part = None
    if part is not None or answers or note is not None:
        if part is None:
            part = InspectionPart.objects.filter(inspection=inspection, organization_id=actor.organization_id).first()
            if part is None:
                raise ValidationError(_("本单位不参与该检查。"))
        saved_part, part_conflicts, part_applied = _save_part(
            actor=actor, inspection=inspection, part=part, base=part_revision, answers=answers, note=note, now=now,
        )
        conflicts += part_conflicts
        applied += part_applied
        if part_applied and inspection.status in (Inspection.Status.TODO,):
            before = audit.snapshot(inspection, ["status"])
            _to_draft(inspection)
            inspection.revision += 1
            visit_write(actor, inspection, ["status", "revision"])
            audit.record_update(actor=actor, obj=inspection, before=before)

    conflict = None
    if conflicts:
        conflict = DraftConflict(
            inspection=inspection, part=saved_part, by_id=actor.user_id,
            base_revision=int(part_revision if saved_part is not None and part_revision is not None else revision or 0),
            found_revision=saved_part.revision if saved_part is not None else inspection.revision, fields=conflicts,
        )
        conflict.set_tenant(actor)
        conflict.save()
        audit.record_create(actor=actor, obj=conflict, note=_("保存冲突：他人已先保存，两份内容均已保留"))
    if applied:
        events.emit("inspections.inspection.saved", actor=actor, obj=inspection, fields=applied)
    return SaveResult(inspection=inspection, part=saved_part, applied=applied, conflict=conflict)


def _to_draft(inspection: Inspection) -> None:
    if inspection.status == Inspection.Status.TODO:
        inspection.status = Inspection.Status.DRAFT


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def _save_part(
    *, actor: Actor, inspection: Inspection, part: InspectionPart, base: int | None,
    answers: Mapping[int, Mapping[str, Any]], note: str | None, now: dt.datetime,
) -> tuple[InspectionPart, list[dict[str, Any]], list[str]]:
    part = InspectionPart.objects.select_for_update().select_related("inspection").get(pk=part.pk)
    if part.inspection_id != inspection.pk:
        raise ValidationError(_("该部门检查情况不属于本检查。"))
    part.inspection = inspection
    ensure(policies.can_fill_part, actor, part)
    base = part.revision if base is None else int(base)
    if base > part.revision:
        raise ValidationError(_("页面的版本号无效，请刷新后重试。"))
    item_ids = set(part.items.values_list("pk", flat=True))
    points = {p.pk: p for p in CheckPoint.objects.filter(pk__in=[int(k) for k in answers], item_id__in=item_ids)}
    missing = [int(k) for k in answers if int(k) not in points]
    if missing:
        raise ValidationError({point_key(missing[0]): _("该检查要点不属于本部门的检查事项。")})
    parsed = {int(k): _parse_answer(points[int(k)], v) for k, v in answers.items()}
    new_note = clean_text(note, "note") if note is not None else None
    existing = {a.point_id: a for a in Answer.objects.select_for_update().filter(part=part, point_id__in=list(parsed))}
    revision = part.revision + 1
    conflicts: list[dict[str, Any]] = []
    applied: list[str] = []
    writes: list[tuple[Answer, dict[str, Any], dict[str, Any]]] = []
    for point_id, values in parsed.items():
        answer = existing.get(point_id) or Answer(part=part, item_id=points[point_id].item_id, point_id=point_id)
        stale = answer.pk is not None and answer.changed_in > base
        before = {n: getattr(answer, n) for n in values}
        changed: dict[str, Any] = {}
        for name, value in values.items():
            current = getattr(answer, name)
            if value == current:
                continue
            if not stale:
                changed[name] = value
                continue
            conflicts.append({
                "field": point_key(point_id), "label": str(points[point_id]), "key": name,
                "theirs": _jsonable(current), "mine": _jsonable(value),
            })
            if name in ("text", "note"):
                changed[name] = _merge_texts(current, value, actor=actor, now=now)
        if changed:
            writes.append((answer, before, changed))
    if new_note is not None and new_note != part.note:
        if part.note_changed_in <= base:
            note_value = new_note
        else:
            conflicts.append({"field": "note", "label": str(InspectionPart._meta.get_field("note").verbose_name),
                              "theirs": part.note, "mine": new_note})
            note_value = _merge_texts(part.note, new_note, actor=actor, now=now)
    else:
        note_value = None
    if not writes and note_value is None:
        return part, conflicts, applied
    for answer, before, changed in writes:
        creating = answer.pk is None
        for name, value in changed.items():
            setattr(answer, name, value)
        answer.changed_in = revision
        if creating:
            answer.set_tenant(actor)
        answer.save()
        if creating:
            audit.record_create(actor=actor, obj=answer)
        else:
            audit.record(actor=actor, action="update", target=answer,
                         changes=audit.diff({k: _jsonable(v) for k, v in before.items()},
                                            {k: _jsonable(getattr(answer, k)) for k in before}))
        applied.append(point_key(answer.point_id))
    part_before = audit.snapshot(part, ["note", "revision"])
    if note_value is not None:
        part.note = note_value
        part.note_changed_in = revision
        applied.append("note")
    part.revision = revision
    part.save(update_fields=["note", "note_changed_in", "revision", "updated_at"])
    audit.record_update(actor=actor, obj=part, before=part_before, note=_("保存检查草稿"))
    return part, conflicts, applied


@transaction.atomic
def conflict_resolve(*, actor: Actor, conflict: DraftConflict) -> DraftConflict:
    """Mark a conflict read and settled (the texts were merged by whoever resolved it)."""
    conflict = DraftConflict.objects.select_for_update().get(pk=conflict.pk)
    inspection = Inspection.objects.get(pk=conflict.inspection_id)
    ensure(policies.can_edit_visit, actor, inspection)
    if conflict.resolved_at is not None:
        return conflict
    before = audit.snapshot(conflict, ["resolved_at", "resolved_by"])
    conflict.resolved_at, conflict.resolved_by_id = timezone.now(), actor.user_id
    if conflict.writable_by(actor):
        conflict.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    else:
        raise ValidationError(_("只能处理本部门的保存冲突。"))
    audit.record_update(actor=actor, obj=conflict, before=before, action="resolve")
    return conflict


# --------------------------------------------------------------------------------------------
# Evidence and the signature


@transaction.atomic
def evidence_add(
    *, actor: Actor, inspection: Inspection, upload: CheckedUpload, kind: str = Evidence.Kind.PHOTO,
    point_id: int | None = None, caption: str = "",
) -> Evidence:
    """Store a photo or PDF of the visit (of the actor's department's part, or of one of its
    check points), or the firm's signature (an image; it replaces the one taken before, and
    a refusal recorded before). ``upload`` was checked by content (``tenancy.uploads``)."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if kind not in Evidence.Kind.values:
        raise ValidationError({"kind": _("请选择证据类别。")})
    caption = clean_text(caption, "caption", limit=200)
    part = InspectionPart.objects.filter(inspection=inspection, organization_id=actor.organization_id).first()
    answer = None
    if kind == Evidence.Kind.SIGNATURE:
        ensure(policies.can_edit_visit, actor, inspection)
        if not upload.content_type.startswith("image/"):
            raise ValidationError({"file": _("签字须为图片（PNG 或 JPG）。")})
    else:
        if part is None:
            raise ValidationError(_("本单位不参与该检查。"))
        part.inspection = inspection
        ensure(policies.can_fill_part, actor, part)
        if point_id is not None:
            point = CheckPoint.objects.filter(pk=point_id, item__in=part.items.all()).first()
            if point is None:
                raise ValidationError({point_key(int(point_id)): _("该检查要点不属于本部门的检查事项。")})
            answer = Answer.objects.filter(part=part, point=point).first()
            if answer is None:
                answer = Answer(part=part, item_id=point.item_id, point=point, changed_in=part.revision)
                answer.set_tenant(actor)
                answer.save()
                audit.record_create(actor=actor, obj=answer)
    evidence = Evidence(
        inspection=inspection, part=part if kind != Evidence.Kind.SIGNATURE else None, answer=answer, kind=kind,
        caption=caption,
    )
    if upload.content_type.startswith("image/"):
        # The display copy pages show and sheets embed, made once here (not per view); an image
        # over its pixel limit (a decompression bomb) is refused before anything is stored.
        copy = images.display_copy(upload.file, name=upload.name)
        evidence.width, evidence.height = copy.width, copy.height
        evidence.display = images.display_store(evidence, copy)
    attachment_store(actor=actor, attachment=evidence, upload=upload)
    if kind == Evidence.Kind.SIGNATURE:
        before = audit.snapshot(inspection, ["signature", "signature_refused", "refusal_reason", "status"])
        inspection.signature = evidence
        inspection.signature_refused = False
        inspection.refusal_reason = ""
        inspection.revision += 1
        for name in ("signature", "signature_refused", "refusal_reason"):
            inspection.changed_in[name] = inspection.revision
        _to_draft(inspection)
        visit_write(actor, inspection, ["signature", "signature_refused", "refusal_reason", "changed_in", "revision", "status"])
        audit.record_update(actor=actor, obj=inspection, before=before, action="signature")
    return evidence


@transaction.atomic
def evidence_withdraw(*, actor: Actor, evidence: Evidence, reason: str) -> Evidence:
    """Withdraw a wrong photo or file (kept, marked, no longer counted): evidence is never deleted."""
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    inspection = Inspection.objects.select_for_update().get(pk=evidence.inspection_id)
    ensure(policies.can_edit_visit, actor, inspection)
    reason = clean_text(reason, "reason", limit=200)
    if not reason:
        raise ValidationError({"reason": _("请填写撤回原因。")})
    if evidence.withdrawn_at is not None:
        raise ValidationError(_("该证据已撤回。"))
    if not evidence.writable_by(actor):
        raise ValidationError(_("只能撤回本单位上传的证据。"))
    before = audit.snapshot(evidence, ["withdrawn_at", "withdrawn_reason"])
    evidence.withdrawn_at, evidence.withdrawn_reason = timezone.now(), reason
    evidence.save(update_fields=["withdrawn_at", "withdrawn_reason", "updated_at"])
    audit.record_update(actor=actor, obj=evidence, before=before, action="withdraw", note=reason)
    if inspection.signature_id == evidence.pk:
        before = audit.snapshot(inspection, ["signature"])
        inspection.signature = None
        inspection.revision += 1
        inspection.changed_in["signature"] = inspection.revision
        visit_write(actor, inspection, ["signature", "changed_in", "revision"])
        audit.record_update(actor=actor, obj=inspection, before=before)
    return evidence


# --------------------------------------------------------------------------------------------
# What a result must satisfy before it is submitted


def _answered(point: CheckPoint, answer: Answer | None, photos: set[int]) -> bool:
    if point.answer_kind == CheckPoint.AnswerKind.PHOTO or point.photo_required:
        if answer is None or answer.pk not in photos:
            return False
        if point.answer_kind == CheckPoint.AnswerKind.PHOTO:
            return True
    if answer is None:
        return False
    key = ANSWER_KEYS[point.answer_kind]
    value = getattr(answer, key) if key else None
    return value not in (None, "")


def submission_errors(inspection: Inspection, *, today: dt.date | None = None) -> dict[str, list[str]]:
    """Every reason ``inspection`` cannot be submitted yet, keyed by field (``point_<id>`` for a
    check point, ``__all__`` for the visit as a whole), in Chinese. Empty when it can."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    parts = list(InspectionPart.objects.filter(inspection=inspection).prefetch_related("items"))
    if inspection.confirmed_at is None:
        add("__all__", _("派发的检查对象尚未完成比对和确认。"))
    if not inspection.method:
        add("method", _("请选择检查方式。"))
    drawn_on = timezone.localdate(inspection.draw.drawn_at) if inspection.draw.drawn_at else None
    for name, label in (("started_on", _("检查开始日期")), ("ended_on", _("检查结束日期"))):
        value = getattr(inspection, name)
        if value is None:
            add(name, _("请填写%(label)s。") % {"label": label})
        elif drawn_on and value < drawn_on:
            add(name, _("%(label)s不能早于抽取日期（%(date)s）。") % {"label": label, "date": drawn_on.isoformat()})
        elif value > today:
            add(name, _("%(label)s不能晚于今天。") % {"label": label})
    if inspection.started_on and inspection.ended_on and inspection.ended_on < inspection.started_on:
        add("ended_on", _("检查结束日期不能早于开始日期。"))

    abnormal = False
    photos = set(
        Evidence.objects.filter(inspection=inspection, answer__isnull=False, withdrawn_at__isnull=True,
                                content_type__startswith="image/").values_list("answer_id", flat=True)
    )
    for part in parts:
        item_ids = [i.pk for i in part.items.all()]
        answers = {a.point_id: a for a in Answer.objects.filter(part=part)}
        for point in CheckPoint.objects.filter(item_id__in=item_ids).select_related("item").order_by("item__code", "order", "pk"):
            answer = answers.get(point.pk)
            if answer is not None and answer.status == Answer.Status.ABNORMAL:
                abnormal = True
            if not _answered(point, answer, photos):
                if point.answer_kind == CheckPoint.AnswerKind.PHOTO or (point.photo_required and answer and getattr(answer, "status", "")):
                    add(point_key(point.pk), _("“%(point)s”须上传照片。") % {"point": point.project})
                else:
                    add(point_key(point.pk), _("请填写“%(point)s”的检查结果。") % {"point": point.project})

    codes = list(inspection.results.all())
    if not codes:
        add("results", _("请选择检查结果。"))
    if any(c.exclusive for c in codes) and len(codes) > 1:
        name = next(c.name for c in codes if c.exclusive)
        add("results", _("“%(name)s”不能与其他检查结果同时选择。") % {"name": name})
    reason = inspection.result_reason.strip()
    if any(c.requires_reason for c in codes) and not reason:
        add("result_reason", _("选择“其他”时请在结果说明中写明具体情况。"))
    if abnormal and any(c.is_clean for c in codes) and not reason:
        add("results", _("检查要点中有“不正常”，检查结果不能为“未发现问题”，除非在结果说明中写明理由。"))

    onsite = inspection.method == Inspection.Method.ONSITE
    signed = inspection.signature_id is not None and inspection.signature.withdrawn_at is None
    if inspection.signature_refused and not inspection.refusal_reason.strip():
        add("refusal_reason", _("被检查对象拒绝签字的，请如实记录拒签情况。"))
    if onsite and not signed and not inspection.signature_refused:
        add("signature", _("实地检查须由被检查对象签字确认，拒绝签字的请如实记录（曲阳县实施细则第十八条）。"))
    return errors


def required_points(part: InspectionPart) -> Sequence[CheckPoint]:
    """The check points of a part's items, in the order the form shows them."""
    return list(
        CheckPoint.objects.filter(item__in=part.items.all()).select_related("item").order_by("item__code", "order", "pk")
    )
