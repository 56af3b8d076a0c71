"""What happens to due items: opened and closed on domain events, waived with a reason, their
dates counted on the calendar in force; rule settings and holiday years changed by the people
allowed to.

Due items are owned by the organization whose action they are. When another organization's
action opens or closes one (an office's planner asks a department's leader to decide a recusal),
the item is written as the owner acting as itself (``tenancy.periodic.organization_scope``), in
the same transaction; the audit entry names the event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tenancy import audit
from tenancy.context import Actor, OrgKind
from tenancy.i18n import join_list
from tenancy.models import Organization
from tenancy.periodic import acting_for
from tenancy.text import first_control_char

from . import policies
from .calendar import calendar_changed, current_calendar
from .models import DueItem, HolidayDate, HolidayYear, RuleSetting, Unit
from .rules import CLOSE, OPEN, RULES, Rule, rules_for
from .workdays import DueDate, WorkCalendar, YearArrangement

# --------------------------------------------------------------------------------------------
# Settings in force


@dataclass(frozen=True)
class Effective:
    """A rule's time limit for one organization, and where it comes from."""

    period: int
    unit: str
    source: str
    enabled: bool
    origin: str  # "default" | "own" | "office"


def _region_depth(code: str) -> int:
    # GB/T 2260: a county code is more specific than its city's, a city's than its province's.
    return 0 if code.endswith("0000") else 1 if code.endswith("00") else 2


def effective_setting(rule: Rule, *, organization_id: int, organization_kind: str) -> Effective:
    """The organization's own setting, else (for office-default rules and departments) the
    nearest office's default for its region, else the rule's. Read in a scope that sees them
    (the organization's own, or its system actor's)."""
    rows = list(RuleSetting.objects.filter(rule=rule.key).select_related("region"))
    own = next((r for r in rows if r.organization_id == organization_id and not r.for_departments), None)
    if own is not None:
        return Effective(own.period, own.unit, own.source, own.enabled, "own")
    if rule.office_default and organization_kind == OrgKind.DEPARTMENT:
        offices = sorted(
            (r for r in rows if r.for_departments and r.organization_id != organization_id),
            key=lambda r: -_region_depth(r.region.code),
        )
        if offices:
            office = offices[0]
            return Effective(office.period, office.unit, office.source, office.enabled, "office")
    return Effective(rule.period, rule.unit, rule.source, True, "default")


# --------------------------------------------------------------------------------------------
# Counting


def local_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def count_due(*, anchor: dt.datetime | dt.date, period: int, unit: str, calendar: WorkCalendar | None = None) -> DueDate:
    """The due day of a period counted from ``anchor`` (its local date; the anchor day not counted)."""
    start = local_date(anchor)
    if unit == Unit.WORKDAYS:
        return (calendar or current_calendar()).add_workdays(start, period)
    if unit == Unit.DAYS:
        return DueDate(start + dt.timedelta(days=period))
    if unit == Unit.DAYS_BEFORE:
        return DueDate(start - dt.timedelta(days=period))
    raise ValueError(f"unknown unit {unit!r}")


def end_of_day(day: dt.date) -> dt.datetime:
    """A due day's last second, local time: "within 2 days" ends as the second day ends."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def describe_period(period: int, unit: str) -> str:
    # Stored formats: a notification stores the period in Chinese and a page reads it back translated.
    if unit == Unit.WORKDAYS:
        return pgettext("stored format", "%(n)s 个工作日") % {"n": period}
    if unit == Unit.DAYS:
        return pgettext("stored format", "%(n)s 日") % {"n": period}
    return pgettext("stored format", "前 %(n)s 日") % {"n": period}


def assumed_warning(years: list[int] | frozenset[int]) -> str:
    """The warning shown with a due date counted over years nobody entered."""
    if not years:
        return ""
    return pgettext("stored format", "%(years)s 年节假日安排尚未录入，按周一至周五推算，可能有误") % {
        "years": join_list(sorted(years))
    }


# --------------------------------------------------------------------------------------------
# Opening and closing on events


def handle_event(*, event: str, actor: Actor, obj: Any, **data: Any) -> None:
    """The ``tenancy.events`` handler: every rule listening to ``event`` does its actions."""
    for rule in rules_for(event):
        found = rule.subject(event, obj, data)
        for subject in found if isinstance(found, list | tuple) else [found]:
            if subject is None:
                continue
            for action in rule.events[event]:
                if action == OPEN:
                    item_open(rule=rule, subject=subject, actor=actor, event=event, obj=obj)
                elif action == CLOSE:
                    item_close(rule=rule, subject=subject, actor=actor, event=event)


def _target_url(url_name: str, kwargs: Mapping[str, Any]) -> str:
    try:
        return reverse(url_name, kwargs=dict(kwargs)) if url_name else ""
    except NoReverseMatch:
        return ""


def _active_item(rule: Rule, subject: Any) -> DueItem | None:
    return (
        DueItem.objects.select_for_update()
        .filter(rule=rule.key, target_type=rule.target_type, target_id=str(subject.pk), state__in=DueItem.ACTIVE)
        .first()
    )


@transaction.atomic
def item_open(
    *, rule: Rule, subject: Any, actor: Actor, event: str = "", obj: Any = None, now: dt.datetime | None = None
) -> DueItem | None:
    """Open the subject's item (or bring its open item up to date): due date, whose action."""
    owner_id = rule.responsible(subject)
    if owner_id is None:
        return None
    escalate_id = rule.escalate_to(subject)
    wanted = rule.should_open(subject)
    anchor = rule.anchor(subject, event, obj if obj is not None else subject) if wanted else None
    text, url_name, url_kwargs = rule.describe(subject)
    now = now or timezone.now()
    with acting_for(actor, owner_id) as owner:
        item = _active_item(rule, subject)
        if anchor is None:
            # No longer due (an inspector who left, an expiry removed): the open item is done.
            if item is not None:
                _finish(item, owner=owner, by=actor, state=DueItem.State.DONE, note=_("不再需要办理（%(event)s）") % {"event": event})
            return None
        organization = Organization.objects.get(pk=owner_id)
        setting = effective_setting(rule, organization_id=owner_id, organization_kind=organization.kind)
        if not setting.enabled:
            return item
        due = count_due(anchor=anchor, period=setting.period, unit=setting.unit)
        anchor_at = anchor if isinstance(anchor, dt.datetime) else end_of_day(anchor)
        values = {
            "target_repr": str(text)[:200],
            "target_url": _target_url(url_name, url_kwargs)[:300],
            "roles": list(rule.roles),
            "escalate_to_id": escalate_id if escalate_id != owner_id else None,
            "anchor": anchor_at,
            "due_on": due.date,
            "period": setting.period,
            "unit": setting.unit,
            "source": setting.source[:300],
            "assumed_years": sorted(due.assumed_years),
        }
        if item is not None and rule.replace_when_moved and item.anchor != anchor_at:
            # The obligation the open item stood for was met (a new expiry date, a batch drawn).
            _finish(item, owner=owner, by=actor, state=DueItem.State.DONE, note=event)
            item = None
        if item is None:
            item = DueItem(rule=rule.key, target_type=rule.target_type, target_id=str(subject.pk), **values)
            item.set_tenant(owner)
            item.save()
            audit.record_create(actor=owner, obj=item, note=_("%(rule)s：%(event)s") % {"rule": rule.label, "event": event})
            return item
        before = audit.snapshot(item)
        for name, value in values.items():
            setattr(item, name, value)
        if item.state == DueItem.State.OVERDUE and item.due_on >= timezone.localdate(now):
            item.state, item.escalated_at = DueItem.State.OPEN, None
        item.save()
        audit.record_update(actor=owner, obj=item, before=before, note=event)
        return item


@transaction.atomic
def item_close(*, rule: Rule, subject: Any, actor: Actor, event: str = "") -> DueItem | None:
    """Mark the subject's open (or overdue) item done: the action was taken."""
    owner_id = rule.responsible(subject)
    if owner_id is None:
        return None
    with acting_for(actor, owner_id) as owner:
        item = _active_item(rule, subject)
        if item is None:
            return None
        _finish(item, owner=owner, by=actor, state=DueItem.State.DONE, note=event)
        return item


def _finish(item: DueItem, *, owner: Actor, by: Actor, state: str, note: str = "", reason: str = "") -> None:
    before = audit.snapshot(item)
    now = timezone.now()
    item.state = state
    item.state_reason = reason[:300]
    item.state_by_id = by.user_id
    item.state_at = now
    item.closed_at = now
    item.save()
    audit.record_update(actor=owner, obj=item, before=before, action=f"dueitem_{state}", note=note)


@transaction.atomic
def due_item_waive(*, actor: Actor, item: DueItem, reason: str) -> DueItem:
    """免除: an admin or leader of the owner lets an item go, saying why (kept and shown)."""
    item = DueItem.objects.select_for_update().get(pk=item.pk)
    policies.ensure_can_waive(actor=actor, item=item)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写免除原因。")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("免除原因不能超过 300 字（现 %(n)s 字）。") % {"n": len(reason)}})
    if first_control_char(reason, multiline=True) is not None:
        raise ValidationError({"reason": _("免除原因含有不允许的控制字符。")})
    if not item.is_active:
        raise ValidationError(_("该期限已办结，不能免除。"))
    _finish(item, owner=actor, by=actor, state=DueItem.State.WAIVED, reason=reason, note=reason)
    return item


@transaction.atomic
def due_items_recount(*, actor: Actor, years: set[int] | None = None) -> int:
    """Count again the active items of ``actor``'s organization whose due date assumed a year
    that is now known (an administrator entered it): from their anchor, with the period they
    were opened with. Returns how many moved."""
    calendar = current_calendar()
    moved = 0
    items = DueItem.objects.select_for_update().filter(
        organization_id=actor.organization_id, state__in=DueItem.ACTIVE, unit=Unit.WORKDAYS
    ).exclude(assumed_years=[])
    for item in items:
        assumed = set(item.assumed_years)
        if years is not None and not assumed & years:
            continue
        if not any(calendar.knows(y) for y in assumed):
            continue
        due = count_due(anchor=item.anchor, period=item.period, unit=item.unit, calendar=calendar)
        before = audit.snapshot(item)
        item.due_on, item.assumed_years = due.date, sorted(due.assumed_years)
        if item.state == DueItem.State.OVERDUE and item.due_on >= timezone.localdate():
            item.state, item.escalated_at = DueItem.State.OPEN, None
        item.save()
        audit.record_update(actor=actor, obj=item, before=before, note=_("节假日安排已录入，重新计算截止日期"))
        moved += 1
    return moved


# --------------------------------------------------------------------------------------------
# Rule settings


@transaction.atomic
def rule_setting_save(
    *, actor: Actor, rule_key: str, period: int, unit: str, source: str, enabled: bool, for_departments: bool = False
) -> RuleSetting:
    """An organization's own time limit for a rule (an office's, with ``for_departments``, the
    default of its region's departments). Applies to items opened from now on."""
    rule = RULES.get(rule_key)
    policies.ensure_can_set_rules(actor=actor, rule=rule, for_departments=for_departments)
    errors: dict[str, str] = {}
    if unit not in Unit.values:
        errors["unit"] = _("请选择期限单位。")
    elif (unit == Unit.DAYS_BEFORE) != (rule.unit == Unit.DAYS_BEFORE):
        errors["unit"] = _("该规则的期限只能按“%(unit)s”计。") % {
            "unit": Unit(rule.unit).label if rule.unit == Unit.DAYS_BEFORE else _("工作日或自然日")
        }
    if not 0 <= period <= 366:
        errors["period"] = _("期限应在 0 到 366 之间。")
    source = (source or "").strip()
    if not source:
        errors["source"] = _("请填写依据（文件名称和条款），它与每个截止日期一同显示。")
    elif len(source) > 300:
        errors["source"] = _("依据不能超过 300 字。")
    elif first_control_char(source) is not None:
        errors["source"] = _("依据含有不允许的控制字符。")
    if errors:
        raise ValidationError(errors)
    row = RuleSetting.objects.select_for_update().filter(
        organization_id=actor.organization_id, rule=rule_key, for_departments=for_departments
    ).first()
    if row is None:
        row = RuleSetting(rule=rule_key, for_departments=for_departments, period=period, unit=unit, source=source,
                          enabled=enabled, updated_by_id=actor.user_id)
        row.set_tenant(actor)
        row.save()
        audit.record_create(actor=actor, obj=row)
        return row
    before = audit.snapshot(row)
    row.period, row.unit, row.source, row.enabled, row.updated_by_id = period, unit, source, enabled, actor.user_id
    row.save()
    audit.record_update(actor=actor, obj=row, before=before)
    return row


@transaction.atomic
def rule_setting_reset(*, actor: Actor, rule_key: str, for_departments: bool = False) -> None:
    """Back to the default (the office's, else the rule's)."""
    rule = RULES.get(rule_key)
    policies.ensure_can_set_rules(actor=actor, rule=rule, for_departments=for_departments)
    row = RuleSetting.objects.filter(
        organization_id=actor.organization_id, rule=rule_key, for_departments=for_departments
    ).first()
    if row is not None:
        audit.record_delete(actor=actor, obj=row)
        row.delete()


# --------------------------------------------------------------------------------------------
# Holiday years (the national calendar an administrator maintains)


@dataclass(frozen=True)
class DayEntry:
    date: dt.date
    kind: str
    name: str = ""


def _check_arrangement(year: int, source: str, days: list[DayEntry]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = _("年度应在 2000 到 2100 之间。")
    source = source.strip()
    if not source:
        errors["source"] = _("请填写依据文件（如国务院办公厅通知的名称和文号）。")
    elif len(source) > 200:
        errors["source"] = _("依据文件不能超过 200 字。")
    elif first_control_char(source) is not None:
        errors["source"] = _("依据文件含有不允许的控制字符。")
    if not days:
        errors["days"] = _("请至少填写一个放假或调休上班的日期。")
    seen: dict[dt.date, DayEntry] = {}
    problems: list[str] = []
    for day in days:
        if day.kind not in HolidayDate.Kind.values:
            problems.append(_("%(d)s：类型无效") % {"d": day.date})
        if day.date in seen:
            problems.append(_("%(d)s 填写了两次") % {"d": day.date})
        seen[day.date] = day
        if len(day.name) > 30 or first_control_char(day.name) is not None:
            problems.append(_("%(d)s：节日名称不超过 30 字且不含控制字符") % {"d": day.date})
        if day.kind == HolidayDate.Kind.WORKDAY and day.date.weekday() < 5:
            problems.append(_("%(d)s 是周一至周五，本来就是工作日，不必填为调休上班") % {"d": day.date})
    if "year" not in errors:
        try:
            YearArrangement(
                year,
                frozenset(d.date for d in days if d.kind == HolidayDate.Kind.HOLIDAY),
                frozenset(d.date for d in days if d.kind == HolidayDate.Kind.WORKDAY),
                source,
            )
        except ValueError:
            outside = sorted(d.date for d in days if not dt.date(year - 1, 12, 1) <= d.date <= dt.date(year, 12, 31))
            if outside:
                problems.append(
                    _("%(d)s 不属于 %(y)s 年的安排（只能是该年，或上一年 12 月的元旦前后）") % {"d": outside[0], "y": year}
                )
    if problems:
        errors["days"] = problems
    return errors


def _recount_everywhere() -> None:
    # Items in every organization may have assumed the year: a system job recounts them, per
    # organization, once this commits (in a worker; inline when Celery runs eagerly).
    from tenancy.tasks import run_periodic_job  # noqa: PLC0415  (tasks import the registries)

    transaction.on_commit(lambda: run_periodic_job.delay("deadlines.recount"))


@transaction.atomic
def holiday_year_save(*, actor: Actor, year: int, source: str, note: str, days: list[DayEntry]) -> HolidayYear:
    """Enter (or replace) a year's arrangement: it replaces chinesecalendar's for that year."""
    policies.ensure_can_edit_calendar(actor=actor)
    errors = _check_arrangement(year, source, days)
    if errors:
        raise ValidationError(errors)
    row = HolidayYear.objects.select_for_update().filter(year=year).first()
    before_days = sorted(f"{d.date}:{d.kind}:{d.name}" for d in row.days.all()) if row else []
    created = row is None
    if row is None:
        row = HolidayYear(year=year)
    before = audit.snapshot(row) if not created else {}
    row.source, row.note, row.updated_by_id = source.strip(), (note or "").strip(), actor.user_id
    row.save()
    row.days.all().delete()
    HolidayDate.objects.bulk_create(HolidayDate(year=row, date=d.date, kind=d.kind, name=d.name.strip()) for d in days)
    after_days = sorted(f"{d.date}:{d.kind}:{d.name.strip()}" for d in days)
    changes = audit.diff(before, audit.snapshot(row))
    if before_days != after_days:
        changes["days"] = [before_days, after_days]
    changes.pop("updated_by", None)
    audit.record(
        actor=actor, action="create" if created else "update", target=row, changes=changes,
        note=_("%(y)s 年节假日安排：放假 %(h)s 天，调休上班 %(w)s 天") % {
            "y": year, "h": sum(d.kind == HolidayDate.Kind.HOLIDAY for d in days),
            "w": sum(d.kind == HolidayDate.Kind.WORKDAY for d in days),
        },
    )
    calendar_changed()
    _recount_everywhere()
    return row


@transaction.atomic
def holiday_year_delete(*, actor: Actor, year: HolidayYear) -> None:
    """Remove an entered year (the package's arrangement, or Monday–Friday, applies again)."""
    policies.ensure_can_edit_calendar(actor=actor)
    days = sorted(f"{d.date}:{d.kind}:{d.name}" for d in year.days.all())
    audit.record(actor=actor, action="delete", target=year, changes={"days": [days, None], "source": [year.source, None]})
    year.delete()
    calendar_changed()
