"""What the deadline pages, the bell and the dashboard show. Every read goes through the scoped
managers: an organization sees its own items (an office also its region's departments' and those
reported to it) and a user only their own notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.context import Actor, Role
from tenancy.i18n import join_list
from tenancy.models import TaskFailure

from . import policies
from .calendar import current_calendar, missing_years
from .models import DueItem, HolidayYear, Notification, RuleSetting
from .rules import RULES, Rule
from .services import Effective, effective_setting

TABS = ("open", "overdue", "done", "waived", "all")


def due_item_list(*, actor: Actor, tab: str = "open", rule: str = "", mine: bool = False) -> QuerySet[DueItem]:
    items = DueItem.objects.select_related("organization", "escalate_to", "state_by")
    if tab == "open":
        items = items.filter(state__in=DueItem.ACTIVE)
    elif tab in ("overdue", "done", "waived"):
        items = items.filter(state=tab)
    if rule:
        items = items.filter(rule=rule)
    if mine:
        items = items.filter(organization_id=actor.organization_id)
    order = ("due_on", "id") if tab in ("open", "overdue") else ("-due_on", "-id")
    return items.order_by(*order)


def due_item_counts(*, actor: Actor) -> dict[str, int]:
    row = DueItem.objects.aggregate(
        open=Count("id", filter=Q(state__in=DueItem.ACTIVE)),
        overdue=Count("id", filter=Q(state=DueItem.State.OVERDUE)),
        done=Count("id", filter=Q(state=DueItem.State.DONE)),
        waived=Count("id", filter=Q(state=DueItem.State.WAIVED)),
        all=Count("id"),
    )
    return {tab: row[tab] for tab in TABS}


def due_item_queryset(*, actor: Actor) -> QuerySet[DueItem]:
    """Every item the actor sees (the API pages it by (updated_at, id))."""
    return DueItem.objects.select_related("organization", "escalate_to", "assignee")


def due_item_get(*, actor: Actor, pk: int) -> DueItem:
    return DueItem.objects.select_related("organization", "escalate_to", "state_by", "assignee").get(pk=pk)


def rule_label(key: str) -> str:
    return str(RULES.get(key).label) if key in RULES else key


def notification_list(*, actor: Actor, unread: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user_id=actor.user_id).select_related("due_item")
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_count(*, actor: Actor) -> int:
    if actor.user_id is None:
        return 0
    return Notification.objects.filter(user_id=actor.user_id, read_at__isnull=True).count()


def latest_unread(*, actor: Actor) -> Notification | None:
    if actor.user_id is None:
        return None
    return Notification.objects.filter(user_id=actor.user_id, read_at__isnull=True).order_by("-created_at", "-id").first()


def notification_get(*, actor: Actor, pk: int) -> Notification:
    return Notification.objects.get(pk=pk, user_id=actor.user_id)


# --------------------------------------------------------------------------------------------
# Rule settings


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    effective: Effective
    own: RuleSetting | None
    for_departments: RuleSetting | None


def rule_rows(*, actor: Actor) -> list[RuleRow]:
    mine = {
        (r.rule, r.for_departments): r
        for r in RuleSetting.objects.filter(organization_id=actor.organization_id)
    }
    return [
        RuleRow(
            rule=rule,
            effective=effective_setting(rule, organization_id=actor.organization_id or 0,
                                        organization_kind=actor.organization_kind or ""),
            own=mine.get((rule.key, False)),
            for_departments=mine.get((rule.key, True)),
        )
        for rule in RULES
    ]


# --------------------------------------------------------------------------------------------
# The calendar


def holiday_years() -> list[HolidayYear]:
    return list(HolidayYear.objects.annotate(day_count=Count("days")).order_by("-year"))


def holiday_year_get(*, year: int) -> HolidayYear:
    return HolidayYear.objects.prefetch_related("days").get(year=year)


def calendar_status(today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    calendar = current_calendar()
    years = sorted(calendar.known_years())
    return {
        "missing": missing_years(today),
        "package_last": max(y for y in years if (calendar.source(y) or "").startswith("chinesecalendar")),
        "entered": sorted(y for y in years if not (calendar.source(y) or "").startswith("chinesecalendar")),
    }


# --------------------------------------------------------------------------------------------
# Failed tasks


def failure_list(*, actor: Actor) -> QuerySet[TaskFailure]:
    return TaskFailure.objects.select_related("organization").order_by("-at", "-id")


# --------------------------------------------------------------------------------------------
# The dashboard


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    """待办期限 (overdue in red) for every member; the missing holiday arrangement for admins,
    from 1 November of the year before."""
    if not actor.is_member:
        return []
    cards: list[dict[str, Any]] = []
    url = reverse("deadlines:due_list")
    mine = DueItem.objects.filter(organization_id=actor.organization_id).aggregate(
        open=Count("id", filter=Q(state__in=DueItem.ACTIVE)),
        overdue=Count("id", filter=Q(state=DueItem.State.OVERDUE)),
    )
    if actor.is_department or actor.is_office or mine["open"]:
        cards.append({
            "key": "due-items", "label": _("待办期限"), "value": mine["open"], "url": url + "?mine=1",
            "state": "bad" if mine["overdue"] else ("warn" if mine["open"] else "ok"),
            "note": _("其中已逾期 %(n)d 项") % {"n": mine["overdue"]} if mine["overdue"] else "",
        })
    if actor.has_role(Role.ADMIN):
        missing = missing_years(timezone.localdate())
        if missing:
            years = join_list(missing)
            cards.append({
                "key": "calendar-missing", "label": _("%(years)s 年节假日安排未录入") % {"years": years},
                "value": "!", "state": "bad", "url": reverse("deadlines:holiday_list"),
                "note": _("录入前，跨入该年度的期限按周一至周五推算")
                if policies.can_edit_calendar(actor=actor)
                else _("请联系平台管理员录入；录入前按周一至周五推算"),
            })
        if policies.can_see_failures(actor=actor):
            failed = TaskFailure.objects.filter(at__gte=timezone.now() - dt.timedelta(days=7)).count()
            if failed:
                cards.append({
                    "key": "task-failures", "label": _("近 7 日失败的后台任务"), "value": failed, "state": "bad",
                    "url": reverse("deadlines:failure_list"),
                })
    return cards
