"""The working-day calendar in force: chinesecalendar's years, replaced year by year by what an
administrator entered (``HolidayYear``). Built once per process and rebuilt when the entered
years change — in this process (``calendar_changed``) or in another (the version read from the
table: the latest change and the number of years, one small query).
"""

from __future__ import annotations

import datetime as dt
import threading

from django.db.models import Count, Max

from .models import HolidayDate, HolidayYear
from .workdays import WorkCalendar, YearArrangement

_lock = threading.Lock()
_cached: tuple[tuple[object, ...], WorkCalendar] | None = None


def _version() -> tuple[object, ...]:
    row = HolidayYear.objects.aggregate(changed=Max("updated_at"), years=Count("id"))
    return (row["changed"], row["years"])


def entered_arrangements() -> list[YearArrangement]:
    days: dict[int, dict[str, set[dt.date]]] = {}
    sources: dict[int, str] = {}
    for year in HolidayYear.objects.all():
        days[year.pk] = {"holiday": set(), "workday": set()}
        sources[year.pk] = year.source
    years = dict(HolidayYear.objects.values_list("pk", "year"))
    for year_id, day, kind in HolidayDate.objects.values_list("year_id", "date", "kind"):
        days[year_id][kind].add(day)
    return [
        YearArrangement(years[pk], frozenset(d["holiday"]), frozenset(d["workday"]), sources[pk])
        for pk, d in days.items()
    ]


def current_calendar() -> WorkCalendar:
    """The calendar every due date is computed with."""
    global _cached
    version = _version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        calendar = WorkCalendar.from_package(entered_arrangements())
        _cached = (version, calendar)
    return calendar


def calendar_changed() -> None:
    """Forget this process's calendar (the holiday services call it after a change)."""
    global _cached
    _cached = None


def missing_years(today: dt.date) -> list[int]:
    """The years that should be known by ``today`` and are not: the current one, and from
    1 November the next (``WorkCalendar.needs_arrangement``)."""
    return current_calendar().needs_arrangement(today)
