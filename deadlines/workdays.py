"""The working-day clock: is a date a working day, N working days after a date, working days between.

Pure Python over ``chinesecalendar`` (no Django), so the rules can be checked and run alone::

    python -m deadlines.workdays add 2026-09-30 5                # 2026-10-13
    python -m deadlines.workdays between 2026-09-30 2026-10-15   # 7
    python -m deadlines.workdays is 2026-10-10 --overrides arrangements.json

A working day is Monday to Friday, less the holidays, plus the adjusted working days (调休: a
Saturday or Sunday worked to bridge a holiday), as the State Council's yearly notice arranges them.

The package only knows the years up to its release, and each year's notice comes out late in the
year before, so the calendar runs out. Two things follow:

* an administrator enters a year's arrangement (:class:`YearArrangement`); it replaces the
  package's for that year, because the administrator may be correcting it;
* a year nobody knows is counted Monday to Friday, and every result names the years it so
  assumed (``assumed_years``), so the caller can warn on exactly the affected due dates.

Counting follows the civil-code rule for periods (民法典 §201): the starting day is not counted.
"N working days after d" is the N-th working day after d, counting from the day after d.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NoReturn

import chinese_calendar

__all__ = [
    "DueDate",
    "WorkCalendar",
    "WorkdayCount",
    "YearArrangement",
    "arrangements_from_json",
    "main",
]

_ONE_DAY = timedelta(days=1)
# From 1 November the coming year's arrangement is due (the notice usually comes out in November).
_NEXT_YEAR_FROM = (11, 1)


@dataclass(frozen=True)
class YearArrangement:
    """One year's holidays and adjusted working days, as an administrator entered them.

    A notice for year Y may start Y's New Year break in late December of Y-1 (the 2023 notice:
    2022-12-31 to 2023-01-02), so those dates are accepted too.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""

    def __post_init__(self) -> None:
        first = date(self.year - 1, 12, 1)
        last = date(self.year, 12, 31)
        for day in sorted(self.holidays | self.workdays):
            if not first <= day <= last:
                raise ValueError(f"{day.isoformat()} does not belong to the {self.year} arrangement")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} is both a holiday and a working day")


@dataclass(frozen=True)
class DueDate:
    """A date counted in working days, and the years on the way that were counted Monday–Friday."""

    date: date
    assumed_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class WorkdayCount:
    """A number of working days, and the years on the way that were counted Monday–Friday."""

    days: int
    assumed_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class WorkCalendar:
    """Which dates are working days; ``years`` are the years whose arrangement is known.

    Outside ``holidays`` and ``workdays`` a date is a working day iff it is Monday–Friday, in a
    known year or not: an unknown year differs only in being reported in ``assumed_years``.
    """

    holidays: frozenset[date]
    workdays: frozenset[date]
    years: frozenset[int]
    sources: Mapping[int, str] = field(default_factory=dict, hash=False)

    @classmethod
    def from_package(cls, arrangements: Iterable[YearArrangement] = ()) -> WorkCalendar:
        """The package's years, each entered arrangement replacing the package's for its year.

        Replacing means every package date of that calendar year is dropped, then the entered
        holidays and working days (which may reach into December of the year before) apply.
        """
        # The package's own range check (it raises NotImplementedError outside it).
        first = min(day.year for day in chinese_calendar.holidays)
        last = max(day.year for day in chinese_calendar.holidays)
        years = set(range(first, last + 1))
        holidays = set(chinese_calendar.holidays)
        workdays = set(chinese_calendar.workdays)
        package = f"chinesecalendar {chinese_calendar.__version__}"
        sources = dict.fromkeys(years, package)
        entered: set[int] = set()
        for arrangement in sorted(arrangements, key=lambda a: a.year):
            year = arrangement.year
            if year in entered:
                raise ValueError(f"two arrangements for {year}")
            entered.add(year)
            holidays = {d for d in holidays if d.year != year and d not in arrangement.workdays}
            workdays = {d for d in workdays if d.year != year and d not in arrangement.holidays}
            holidays |= arrangement.holidays
            workdays |= arrangement.workdays
            years.add(year)
            sources[year] = arrangement.source
        return cls(frozenset(holidays), frozenset(workdays), frozenset(years), sources)

    def known_years(self) -> frozenset[int]:
        return self.years

    def knows(self, year: int) -> bool:
        return year in self.years

    def source(self, year: int) -> str | None:
        """Where a known year's arrangement comes from (the package, or the entered document)."""
        return self.sources.get(year) if year in self.years else None

    def needs_arrangement(self, today: date) -> list[int]:
        """The years that should be known by ``today`` and are not (for the dashboard warning).

        The current year always; the next one from 1 November, because due dates in late
        December already reach into it.
        """
        wanted = [today.year]
        if (today.month, today.day) >= _NEXT_YEAR_FROM:
            wanted.append(today.year + 1)
        return [year for year in wanted if year not in self.years]

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: date, n: int) -> DueDate:
        """The ``n``-th working day after ``start``, counting from the day after it.

        ``start`` itself never counts, working day or not. ``n == 0`` gives ``start`` itself
        (a same-day limit), which keeps counting additive: ``add(add(d, a), b) == add(d, a + b)``
        and ``workdays_between(d, add(d, n)) == n`` for every ``n >= 0``.
        """
        if n < 0:
            raise ValueError("the number of working days cannot be negative")
        day = start
        left = n
        while left:
            day += _ONE_DAY
            if self.is_workday(day):
                left -= 1
        return DueDate(day, self._assumed(start, day))

    def workdays_between(self, start: date, end: date) -> WorkdayCount:
        """The working days in (``start``, ``end``]; negative when ``end`` comes first.

        Half-open like :meth:`add_workdays`, so that ``between(d, add(d, n)) == n`` and
        ``between(a, b) + between(b, c) == between(a, c)``.
        """
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            count += self.is_workday(day)
            day += _ONE_DAY
        return WorkdayCount(sign * count, self._assumed(start, end))

    def _assumed(self, start: date, end: date) -> frozenset[int]:
        # The unknown years among those of the days counted, (start, end].
        if end <= start:
            return frozenset()
        first = (start + _ONE_DAY).year
        return frozenset(year for year in range(first, end.year + 1) if year not in self.years)


def arrangements_from_json(data: Any) -> list[YearArrangement]:
    """Arrangements from a JSON list of ``{"year", "holidays", "workdays", "source"}`` objects.

    Raises ValueError, naming the entry at fault, on anything else.
    """
    if not isinstance(data, list):
        raise ValueError("the overrides must be a JSON list of year arrangements")
    result = []
    for index, entry in enumerate(data):
        where = f"arrangement #{index + 1}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} is not an object")
        year = entry.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 1 <= year <= 9999:
            raise ValueError(f"{where}: 'year' must be a year number")
        source = entry.get("source", "")
        if not isinstance(source, str):
            raise ValueError(f"{where}: 'source' must be text")
        days: dict[str, frozenset[date]] = {}
        for key in ("holidays", "workdays"):
            values = entry.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"{where}: '{key}' must be a list of dates")
            days[key] = frozenset(_parse_date(value) for value in values)
        try:
            result.append(YearArrangement(year, days["holidays"], days["workdays"], source))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}")
    return result


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(text: str) -> date:
    # Only YYYY-MM-DD: fromisoformat alone would also take 20261010 or week dates.
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r}")


def _date_arg(text: str) -> date:
    try:
        return _parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _count_arg(text: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise argparse.ArgumentTypeError(f"not a number of working days (0 or more): {text!r}")
    return int(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the brief calls this from scripts.
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m deadlines.workdays", description="China's working-day clock")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--overrides", metavar="FILE", help="JSON list of entered year arrangements")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_add = sub.add_parser("add", parents=[common], help="the N-th working day after DATE")
    p_add.add_argument("date", type=_date_arg)
    p_add.add_argument("n", type=_count_arg)
    p_between = sub.add_parser("between", parents=[common], help="working days in (START, END]")
    p_between.add_argument("start", type=_date_arg)
    p_between.add_argument("end", type=_date_arg)
    p_is = sub.add_parser("is", parents=[common], help="whether DATE is a working day: yes or no")
    p_is.add_argument("date", type=_date_arg)
    args = parser.parse_args(argv)

    try:
        arrangements: list[YearArrangement] = []
        if args.overrides:
            with open(args.overrides, encoding="utf-8") as fh:
                arrangements = arrangements_from_json(json.load(fh))
        calendar = WorkCalendar.from_package(arrangements)
        if args.command == "add":
            due = calendar.add_workdays(args.date, args.n)
            output, assumed = due.date.isoformat(), due.assumed_years
        elif args.command == "between":
            count = calendar.workdays_between(args.start, args.end)
            output, assumed = str(count.days), count.assumed_years
        else:
            output = "yes" if calendar.is_workday(args.date) else "no"
            assumed = frozenset() if calendar.knows(args.date.year) else frozenset({args.date.year})
    except OverflowError:
        parser.error("the count runs past 9999-12-31")
    except (OSError, ValueError) as exc:
        parser.error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    print(output)
    for year in sorted(assumed):
        print(f"warning: {year} not in the calendar: counted Monday–Friday", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
