"""综合查一次: an office accepts an offer — two or more departments' inspections of one firm in
overlapping windows — as one visit on an agreed day, and cancels it (never deletes it).

Acceptance re-checks, at that moment and under a row lock on the inspections, everything the
offer was made on (``selectors.ledger.joint_visit_offers``): the office may, the inspections are
current, not started, of one firm, of different departments, in windows that overlap and have not
ended, and in no other combined visit; the agreed day lies inside the common window, not before
today, on a working day of the deadlines calendar. Each refusal is a Chinese message keyed by
the form's field. Each inspection stays its own (its department fills and reviews its part); the
annual cap counts the combined visit once (``selectors.ledger.inspected_times``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from deadlines.calendar import current_calendar
from inspections import policies
from inspections.models import CombinedVisit, CombinedVisitMember, Inspection
from inspections.selectors.ledger import OFFER_STATES, common_window
from tenancy import audit, events
from tenancy.context import Actor
from tenancy.i18n import join_list, stored_format
from tenancy.periodic import organization_scope
from tenancy.policies import ensure

from .inspections import clean_text

NOTE_LIMIT = 1000
REASON_LIMIT = 300


def first_day(start: dt.date | None, end: dt.date | None, *, today: dt.date) -> dt.date | None:
    """The first working day of the common window from today on (the form's suggestion), or
    ``None`` when none is left."""
    calendar = current_calendar()
    day = max(start or today, today)
    last = end or day + dt.timedelta(days=60)
    if not calendar.is_workday(day):
        day = calendar.add_workdays(day, 1).date
    return day if day <= last else None


def _check(inspections: list[Inspection], wanted: set[int], visit_on: dt.date | None, today: dt.date) -> None:
    """Every condition of the offer, again, as the form's field errors."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    found = {i.pk for i in inspections}
    if len(wanted) < 2:
        refuse("inspections", _("请至少选择两个部门的检查，才能综合查一次。"))
    elif found != wanted:
        refuse("inspections", _("所选检查有的不存在或不在本辖区，请刷新页面后重新选择。"))
    if inspections:
        entities = {i.entity_id for i in inspections}
        if len(entities) > 1:
            refuse("inspections", _("所选检查不是同一检查对象的，不能综合查一次。"))
        owners = [i.organization_id for i in inspections]
        if len(set(owners)) < len(owners):
            refuse("inspections", _("同一单位的两项检查不能综合查一次：每个部门选择一项检查。"))
        for inspection in inspections:
            if not inspection.is_current or inspection.status not in OFFER_STATES:
                refuse("inspections", _("%(dept)s的检查状态为“%(status)s”，只有尚未开始的检查可以综合查一次。")
                       % {"dept": inspection.organization.label, "status": inspection.get_status_display()})
        taken = (
            CombinedVisitMember.objects.filter(inspection__in=inspections, active=True)
            .select_related("combined_visit", "inspection__organization")
        )
        for member in taken:
            refuse("inspections", _("%(dept)s的检查已在 %(date)s 的综合查一次中，不能重复安排。")
                   % {"dept": member.inspection.organization.label, "date": member.combined_visit.visit_on.isoformat()})
    start, end = common_window(inspections)
    if start is not None and end is not None and start > end:
        refuse("inspections", _("各部门的检查时间没有重叠（共同时段 %(start)s 至 %(end)s 不存在），不能综合查一次。")
               % {"start": start.isoformat(), "end": end.isoformat()})
    elif end is not None and end < today:
        refuse("inspections", _("共同检查时段已于 %(end)s 结束，不能再综合查一次。") % {"end": end.isoformat()})
    if visit_on is None:
        refuse("visit_on", _("请填写上门日期。"))
    elif "inspections" not in errors:
        if visit_on < today:
            refuse("visit_on", _("上门日期不能早于今天（%(today)s）。") % {"today": today.isoformat()})
        elif (start is not None and visit_on < start) or (end is not None and visit_on > end):
            refuse("visit_on", _("上门日期须在各部门共同的检查时段内（%(start)s 至 %(end)s）。")
                   % {"start": start.isoformat() if start else "—", "end": end.isoformat() if end else "—"})
        elif not current_calendar().is_workday(visit_on):
            refuse("visit_on", _("%(date)s 不是工作日，请选择工作日上门。") % {"date": visit_on.isoformat()})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def combined_visit_accept(
    *, actor: Actor, inspections: Iterable[int | Inspection], visit_on: dt.date | None, note: str = "",
    today: dt.date | None = None,
) -> CombinedVisit:
    """Accept an offer: the inspections ``inspections`` (ids or rows, two or more departments'
    of one firm) are visited together on ``visit_on``. Refused with field errors (``inspections``,
    ``visit_on``, ``note``) for each condition no longer met; ``PermissionDenied`` when the actor
    may not arrange one."""
    ensure(policies.can_combine, actor)
    today = today or timezone.localdate()
    note = clean_text(note, "note", limit=NOTE_LIMIT)
    wanted = {i.pk if isinstance(i, Inspection) else int(i) for i in inspections}
    # Locked: a team starting, or another office's acceptance, waits for this one (and then
    # finds the inspection taken, by the check or by the one-active-membership constraint).
    rows = list(
        Inspection.objects.select_for_update(of=("self",)).filter(pk__in=wanted)
        .select_related("organization").order_by("pk")
    )
    _check(rows, wanted, visit_on, today)
    combined = CombinedVisit(entity_id=rows[0].entity_id, visit_on=visit_on, note=note, created_by_id=actor.user_id)
    combined.set_tenant(actor)
    combined.save()
    members = []
    for inspection in rows:
        member = CombinedVisitMember(combined_visit=combined, inspection=inspection)
        member.set_tenant(actor)
        members.append(member)
    try:
        with transaction.atomic():
            for member in members:
                member.save()
    except IntegrityError:
        raise ValidationError({"inspections": [_("所选检查刚被安排进另一次综合查一次，请刷新页面后重试。")]}) from None
    audit.record_create(
        actor=actor, obj=combined,
        note=_("综合查一次：%(entity)s，%(date)s，检查 %(ids)s")
        % {"entity": rows[0].entity.name, "date": visit_on.isoformat(), "ids": join_list(f"#{i.pk}" for i in rows)},
    )
    events.emit("inspections.combined_visit.accepted", actor=actor, obj=combined)
    return combined


@transaction.atomic
def combined_visit_cancel(*, actor: Actor, combined: CombinedVisit, reason: str) -> CombinedVisit:
    """Cancel a combined visit with the reason: the row stays (who, when, why), its inspections
    are free to be visited on their own or combined again."""
    combined = CombinedVisit.objects.select_for_update().get(pk=combined.pk)
    if combined.cancelled_at is not None:
        raise ValidationError({"reason": [_("该综合查一次已于 %(at)s 取消。") % {
            "at": timezone.localtime(combined.cancelled_at).strftime("%Y-%m-%d %H:%M")}]})
    ensure(policies.can_cancel_combined, actor, combined)
    reason = clean_text(reason, "reason", limit=REASON_LIMIT)
    if not reason:
        raise ValidationError({"reason": [_("请填写取消原因。")]})
    return _cancel(actor=actor, combined=combined, reason=reason)


def _cancel(*, actor: Actor, combined: CombinedVisit, reason: str, also: Iterable[int] = ()) -> CombinedVisit:
    """Cancel (locked already): the row keeps who, when and why, its members are let go, and the
    event names the inspections it held (``also``: one that left it just now) for the notices."""
    before = audit.snapshot(combined)
    combined.cancelled_at = timezone.now()
    combined.cancelled_by_id = actor.user_id
    combined.cancel_reason = reason[:REASON_LIMIT]
    combined.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
    held = [*also]
    for member in CombinedVisitMember.objects.filter(combined_visit=combined, active=True).order_by("pk"):
        member.active = False
        member.save(update_fields=["active", "updated_at"])
        held.append(member.inspection_id)
    audit.record_update(actor=actor, obj=combined, before=before, action="cancel", note=combined.cancel_reason)
    events.emit("inspections.combined_visit.cancelled", actor=actor, obj=combined, inspection_ids=held)
    return combined


# --------------------------------------------------------------------------------------------
# An inspection that is no longer the firm's (its target replaced)

WITHDRAW = "withdraw"


def on_target_replaced(*, event: str, actor: Actor, obj: Inspection, **data: Any) -> None:
    """``inspections.inspection.replaced`` (closed, a new one opened for the reserve) and
    ``inspections.inspection.moved`` (moved to the reserve, another firm now): either way the
    inspection no longer visits the combined visit's firm."""
    department = obj.organization.label
    combined_member_withdraw(actor=actor, inspection=obj, department=department)


def combined_member_withdraw(*, actor: Actor, inspection: Inspection, department: str) -> CombinedVisit | None:
    """``inspection`` (of ``department``) leaves the active combined visit it is in, if any — the
    member kept inactive, the reason in the audit log — and a combined visit left with fewer than
    two inspections is cancelled with that reason. Written as the combined visit's owner (the
    office): the replacement is a department's act on its own draw, the visit is the office's row.
    Returns the combined visit it left."""
    member = (
        # The department's actor may not read the office's row for update: read below the scope,
        # the inspection (its own) decides which row.
        CombinedVisitMember._base_manager.select_for_update().filter(inspection=inspection, active=True).first()
    )
    if member is None:
        return None
    with organization_scope(member.organization_id) as owner:
        combined = CombinedVisit.objects.select_for_update().get(pk=member.combined_visit_id)
        member = CombinedVisitMember.objects.get(pk=member.pk)
        remaining = CombinedVisitMember.objects.filter(combined_visit=combined, active=True).exclude(pk=member.pk).count()
        if remaining < 2:
            reason = stored_format(
                pgettext_lazy("stored format", "%(org)s的检查对象已被递补对象替换，综合查一次不足两个部门的检查，自动取消。"),
                {"org": department},
            )
        else:
            reason = stored_format(
                pgettext_lazy("stored format", "%(org)s的检查对象已被递补对象替换，该检查退出综合查一次。"), {"org": department},
            )
        before = audit.snapshot(member, ["active"])
        member.active = False
        member.save(update_fields=["active", "updated_at"])
        audit.record_update(actor=owner, obj=member, before=before, action=WITHDRAW, note=reason)
        if remaining < 2:
            _cancel(actor=owner, combined=combined, reason=reason, also=[inspection.pk])
        else:
            events.emit("inspections.combined_visit.member_withdrawn", actor=owner, obj=member, reason=reason)
    return combined

