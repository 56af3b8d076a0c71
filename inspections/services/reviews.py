"""The review of a result: submitted by the team, approved or returned with comments by the
leader of each department taking part (a department's visit: its leader; a joint visit: every
participating department's leader approves its part — the visit is approved when all have),
locked once approved. A correction after approval is a new version pointing at the approved one,
filled and reviewed like the first; the old one stays current (and shown) until the new one is
approved. Every step is a ``Review`` row and an audit entry.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections import policies
from inspections.models import Answer, Evidence, Inspection, InspectionPart, Review
from tenancy import audit, events
from tenancy.bulk import bulk_insert_links
from tenancy.context import Actor
from tenancy.periodic import acting_for
from tenancy.policies import ensure

from . import teams
from .creation import part_write, visit_write
from .inspections import clean_text, submission_errors


def _review(actor: Actor, inspection: Inspection, action: str, comment: str = "") -> Review:
    row = Review(
        inspection=inspection, department_id=actor.organization_id if actor.is_department else None, action=action,
        comment=comment, version=inspection.version, by_id=actor.user_id, at=timezone.now(),
    )
    row.set_tenant(actor)
    row.save()
    audit.record_create(actor=actor, obj=row)
    return row


@transaction.atomic
def inspection_submit(*, actor: Actor, inspection: Inspection, comment: str = "") -> Inspection:
    """Submit the result for review; refused with every error keyed by field
    (``services.inspections.submission_errors``) while it is incomplete or inconsistent."""
    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("draw", "signature").get(pk=inspection.pk)
    ensure(policies.can_submit, actor, inspection)
    comment = clean_text(comment, "comment")
    errors = submission_errors(inspection)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    before = audit.snapshot(inspection, ["status", "submitted_at", "submitted_by"])
    inspection.status = Inspection.Status.SUBMITTED
    inspection.submitted_at, inspection.submitted_by_id = now, actor.user_id
    inspection.revision += 1
    visit_write(actor, inspection, ["status", "submitted_at", "submitted_by", "revision"])
    audit.record_update(actor=actor, obj=inspection, before=before, action="submit", note=comment)
    for part in InspectionPart.objects.filter(inspection=inspection):
        part_write(actor, part, completed_at=now, completed_by=actor.user_id, approved_at=None, approved_by=None)
    _review(actor, inspection, Review.Action.SUBMITTED, comment)
    events.emit("inspections.inspection.submitted", actor=actor, obj=inspection)
    return inspection


@transaction.atomic
def inspection_approve(*, actor: Actor, inspection: Inspection, comment: str = "") -> Inspection:
    """The leader approves their department's part; the visit is approved (and locked) when every
    department's part is. An approved correction becomes the current version."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    ensure(policies.can_review, actor, inspection)
    comment = clean_text(comment, "comment")
    now = timezone.now()
    for part in InspectionPart.objects.select_for_update().filter(inspection=inspection, organization_id=actor.organization_id):
        part_write(actor, part, approved_at=now, approved_by=actor.user_id)
    _review(actor, inspection, Review.Action.APPROVED, comment)
    if InspectionPart.objects.filter(inspection=inspection, approved_at__isnull=True).exists():
        return inspection
    before = audit.snapshot(inspection, ["status", "approved_at", "approved_by", "is_current"])
    if inspection.previous_id is not None:
        old = Inspection.objects.select_for_update().get(pk=inspection.previous_id)
        old_before = audit.snapshot(old, ["is_current"])
        old.is_current = False
        visit_write(actor, old, ["is_current"])
        audit.record_update(actor=actor, obj=old, before=old_before, action="superseded",
                            note=_("更正版本（第 %(v)s 版）已通过") % {"v": inspection.version})
        inspection.is_current = True
    inspection.status = Inspection.Status.APPROVED
    inspection.approved_at, inspection.approved_by_id = now, actor.user_id
    inspection.revision += 1
    visit_write(actor, inspection, ["status", "approved_at", "approved_by", "is_current", "revision"])
    audit.record_update(actor=actor, obj=inspection, before=before, action="approve", note=comment)
    events.emit("inspections.inspection.approved", actor=actor, obj=inspection)
    return inspection


@transaction.atomic
def inspection_return(*, actor: Actor, inspection: Inspection, comment: str) -> Inspection:
    """A leader sends the result back to the team with comments (required); every department's
    approval of this round is undone (the result will change)."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    ensure(policies.can_review, actor, inspection)
    comment = clean_text(comment, "comment")
    if not comment:
        raise ValidationError({"comment": _("退回时请填写修改意见。")})
    before = audit.snapshot(inspection, ["status"])
    inspection.status = Inspection.Status.RETURNED
    inspection.revision += 1
    visit_write(actor, inspection, ["status", "revision"])
    audit.record_update(actor=actor, obj=inspection, before=before, action="return", note=comment)
    for part in InspectionPart.objects.select_for_update().filter(inspection=inspection, approved_at__isnull=False):
        part_write(actor, part, approved_at=None, approved_by=None)
    _review(actor, inspection, Review.Action.RETURNED, comment)
    events.emit("inspections.inspection.returned", actor=actor, obj=inspection, comment=comment)
    return inspection


# --------------------------------------------------------------------------------------------
# Corrections after approval

_COPIED = (
    "organization_id", "region_id", "draw_id", "plan_id", "task_id", "selection_id", "entity_id", "team",
    "window_start", "window_end", "confirmed_at", "confirmed_by_id", "method", "started_on", "ended_on",
    "result_reason", "signature_refused", "refusal_reason",
)


@transaction.atomic
def inspection_correct(*, actor: Actor, inspection: Inspection, reason: str) -> Inspection:
    """Open a correction of an approved result: a new version (a draft, not yet current) holding a
    copy of everything the approved one holds — parts, answers, evidence, signature — for the team
    to change and submit again. The approved one is never changed."""
    old = Inspection.objects.select_for_update().get(pk=inspection.pk)
    ensure(policies.can_correct, actor, old)
    reason = clean_text(reason, "reason")
    if not reason:
        raise ValidationError({"reason": _("请填写更正原因。")})
    new = Inspection(**{name: getattr(old, name) for name in _COPIED})
    new.version, new.previous, new.is_current = old.version + 1, old, False
    new.status, new.correction_reason = Inspection.Status.DRAFT, reason
    # The owner's row (a joint visit's is the office's): created as the owner, whoever opened it.
    with acting_for(actor, old.organization_id):
        new.save()
    new.results.set(old.results.all())
    parts: dict[int, InspectionPart] = {}
    for part in InspectionPart.objects.filter(inspection=old).prefetch_related("items"):
        parts[part.pk] = _copy_part(actor, part, new)
    evidence_map: dict[int, int] = {}
    for item in Evidence.objects.filter(inspection=old).order_by("pk"):
        evidence_map[item.pk] = _copy_evidence(actor, item, new, parts)
    if old.signature_id in evidence_map:
        new.signature_id = evidence_map[old.signature_id]
        visit_write(actor, new, ["signature"])
    audit.record_create(actor=actor, obj=new, note=_("更正已通过的检查结果：%(reason)s") % {"reason": reason})
    teams.grant_team(actor=actor, inspection_ids=[new.pk], inspector_ids=new.team)
    _review(actor, new, Review.Action.CORRECTED, reason)
    events.emit("inspections.inspection.corrected", actor=actor, obj=new)
    return new


def _copy_part(actor: Actor, part: InspectionPart, new: Inspection) -> InspectionPart:
    with acting_for(actor, part.organization_id) as owner:
        copy = InspectionPart(
            inspection=new, inspectors=list(part.inspectors), confirmed_at=part.confirmed_at,
            confirmed_by_id=part.confirmed_by_id, note=part.note,
        )
        copy.set_tenant(owner)
        copy.save()
        bulk_insert_links(model=InspectionPart.items.through, rows=[
            {"inspectionpart_id": copy.pk, "checkitem_id": item.pk} for item in part.items.all()
        ])
        answers = [
            Answer(
                organization_id=owner.organization_id, region_id=owner.region_id, part=copy, item_id=a.item_id,
                point_id=a.point_id, status=a.status, text=a.text, number=a.number, date=a.date, note=a.note,
            )
            for a in Answer.objects.filter(part=part)
        ]
        Answer.objects.bulk_create(answers)
        audit.record_create(actor=owner, obj=copy, note=_("更正版本：复制部门检查情况（%(n)s 项）") % {"n": len(answers)})
    return copy


def _copy_evidence(actor: Actor, item: Evidence, new: Inspection, parts: dict[int, InspectionPart]) -> int:
    """The same stored file under the new version (files are never replaced or deleted)."""
    with acting_for(actor, item.organization_id) as owner:
        part = parts.get(item.part_id) if item.part_id else None
        answer = Answer.objects.filter(part=part, point_id=item.answer.point_id).first() if part and item.answer_id else None
        copy = Evidence(
            inspection=new, part=part, answer=answer, kind=item.kind, caption=item.caption, width=item.width,
            height=item.height, file=item.file.name, display=item.display,
            original_name=item.original_name, content_type=item.content_type, size=item.size, sha256=item.sha256,
            uploaded_by_id=item.uploaded_by_id, withdrawn_at=item.withdrawn_at, withdrawn_reason=item.withdrawn_reason,
        )
        copy.set_tenant(owner)
        copy.save()
        fields = [f.name for f in Evidence._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at", "file")]
        after = audit.snapshot(copy, fields) | {"file": copy.file.name}  # the stored path, as uploads record it
        audit.record(actor=owner, action="create", target=copy, changes={k: [None, v] for k, v in after.items()},
                     note=_("更正版本：沿用证据 %(sha)s") % {"sha": item.sha256[:12]})
    return copy.pk
