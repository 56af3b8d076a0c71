"""deadlines.workdays against the official 2025 and 2026 arrangements, and where the calendar runs out.

The 2025 and 2026 dates are the State Council's notices (国办发明电〔2024〕12号, 〔2025〕7号) as
chinesecalendar 1.11 carries them. The 2027 arrangement below is made up: it only has to differ
from Monday–Friday so that an entered year visibly wins.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deadlines.workdays import (
    DueDate,
    WorkCalendar,
    WorkdayCount,
    YearArrangement,
    arrangements_from_json,
    main,
)

pytestmark = pytest.mark.pure

SETTINGS = settings(max_examples=200, deadline=None, database=None)
ROOT = Path(__file__).resolve().parents[2]

D = date.fromisoformat

# Made up for the tests (not the real 2027 notice): New Year Fri 1 – Sun 3 January, a Spring
# Festival break Fri 5 – Sat 13 February with Sunday 14 February worked, and 2026-12-31 — a
# date of the year before, as notices sometimes start the New Year break — made a holiday.
MADE_UP_2027 = YearArrangement(
    2027,
    holidays=frozenset({D("2026-12-31"), D("2027-01-01"), D("2027-01-02"), D("2027-01-03")})
    | frozenset(D("2027-02-05") + timedelta(days=i) for i in range(9)),
    workdays=frozenset({D("2027-02-14")}),
    source="测试用（虚构）",
)

PACKAGE = WorkCalendar.from_package()
ENTERED = WorkCalendar.from_package([MADE_UP_2027])


def add(d: str, n: int, calendar: WorkCalendar = PACKAGE) -> str:
    return calendar.add_workdays(D(d), n).date.isoformat()


def between(a: str, b: str, calendar: WorkCalendar = PACKAGE) -> int:
    return calendar.workdays_between(D(a), D(b)).days


# --- the package ---------------------------------------------------------------------------------


def test_package_version_and_years() -> None:
    assert chinese_calendar.__version__ == "1.11.0"
    assert PACKAGE.known_years() == frozenset(range(2004, 2027))
    assert PACKAGE.source(2026) == "chinesecalendar 1.11.0"
    assert PACKAGE.source(2027) is None
    # The package itself refuses the year we fall back on.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D("2027-01-04"))


def test_agrees_with_the_package_on_every_day_it_knows() -> None:
    day, last = D("2004-01-01"), D("2026-12-31")
    while day <= last:
        assert PACKAGE.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- the official 2025 and 2026 arrangements ------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
     "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
)  # fmt: skip
def test_adjusted_weekend_days_are_working_days(day: str) -> None:
    assert D(day).weekday() >= 5
    assert PACKAGE.is_workday(D(day))


def _days(first: str, last: str) -> list[date]:
    return [D(first) + timedelta(days=i) for i in range((D(last) - D(first)).days + 1)]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2025-01-01", "2025-01-01"),  # New Year's Day
        ("2025-01-28", "2025-02-04"),  # Spring Festival 2025
        ("2025-10-01", "2025-10-08"),  # National Day and Mid-autumn 2025
        ("2026-01-01", "2026-01-03"),  # New Year 2026
        ("2026-02-15", "2026-02-23"),  # Spring Festival 2026
        ("2026-10-01", "2026-10-07"),  # National Day 2026
    ],
)
def test_holidays_are_not_working_days(first: str, last: str) -> None:
    days = _days(first, last)
    assert not any(PACKAGE.is_workday(d) for d in days)
    # Weekdays among them too: these are real holidays, not just weekends.
    assert any(d.weekday() < 5 for d in days)


def test_ordinary_weeks() -> None:
    assert [PACKAGE.is_workday(d) for d in _days("2026-11-30", "2026-12-06")] == [True] * 5 + [False] * 2


def test_spring_festival_2025() -> None:
    assert add("2025-01-24", 1) == "2025-01-26"  # Friday → the worked Sunday
    assert add("2025-01-26", 1) == "2025-01-27"
    assert add("2025-01-27", 1) == "2025-02-05"  # over the whole break
    assert add("2025-02-07", 1) == "2025-02-08"  # the worked Saturday
    assert between("2025-01-24", "2025-02-10") == 7  # 26, 27 January; 5, 6, 7, 8, 10 February
    assert between("2025-01-27", "2025-02-04") == 0


def test_spring_festival_2026() -> None:
    assert add("2026-02-13", 1) == "2026-02-14"  # the worked Saturday before
    assert add("2026-02-14", 1) == "2026-02-24"  # 15–23 February off
    assert add("2026-02-27", 1) == "2026-02-28"  # the worked Saturday after, a month end
    assert add("2026-02-28", 1) == "2026-03-02"
    assert between("2026-02-13", "2026-02-28") == 6  # 14, 24, 25, 26, 27, 28


def test_national_day_2025() -> None:
    assert add("2025-09-26", 1) == "2025-09-28"  # the worked Sunday
    assert add("2025-09-30", 1) == "2025-10-09"  # 1–8 October off
    assert add("2025-09-30", 3) == "2025-10-11"  # 9, 10, then the worked Saturday
    assert between("2025-09-26", "2025-10-12") == 6
    assert [d.isoformat() for d in _days("2025-09-27", "2025-10-12") if PACKAGE.is_workday(d)] == [
        "2025-09-28", "2025-09-29", "2025-09-30", "2025-10-09", "2025-10-10", "2025-10-11",
    ]  # fmt: skip


def test_national_day_2026_the_issue_examples() -> None:
    assert add("2026-09-18", 1) == "2026-09-20"  # Friday → the worked Sunday
    assert add("2026-09-30", 5) == "2026-10-13"  # 8, 9, 10 (Saturday), 12, 13
    assert between("2026-09-30", "2026-10-15") == 7  # 8, 9, 10, 12, 13, 14, 15
    assert between("2026-09-30", "2026-10-07") == 0


def test_month_and_year_ends() -> None:
    assert add("2025-12-30", 1) == "2025-12-31"
    assert add("2025-12-31", 1) == "2026-01-04"  # 1–3 January off, Sunday 4 January worked
    assert add("2025-12-31", 2) == "2026-01-05"
    assert between("2025-12-31", "2026-01-05") == 2
    assert add("2024-12-31", 1) == "2025-01-02"  # only 1 January off
    assert add("2025-04-30", 1) == "2025-05-06"  # month end into Labour Day
    assert add("2026-04-30", 2) == "2026-05-07"
    assert add("2025-05-30", 1) == "2025-06-03"  # into Dragon Boat
    result = PACKAGE.add_workdays(D("2026-12-24"), 3)
    assert result == DueDate(D("2026-12-29"))  # stays inside 2026: nothing assumed


# --- conventions ---------------------------------------------------------------------------------


def test_the_start_day_never_counts() -> None:
    # From a holiday, a Sunday or a working day alike, the first working day after it.
    assert add("2026-10-03", 1) == "2026-10-08"
    assert add("2026-12-06", 1) == "2026-12-07"
    assert add("2026-12-07", 1) == "2026-12-08"


def test_zero_working_days_is_the_same_day() -> None:
    assert PACKAGE.add_workdays(D("2026-10-03"), 0) == DueDate(D("2026-10-03"))
    assert PACKAGE.add_workdays(D("2027-01-01"), 0) == DueDate(D("2027-01-01"))  # nothing counted
    assert between("2026-10-03", "2026-10-03") == 0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        PACKAGE.add_workdays(D("2026-10-03"), -1)


def test_between_backwards_is_negative() -> None:
    assert between("2026-10-15", "2026-09-30") == -7


# --- where the calendar runs out -----------------------------------------------------------------


def test_2027_without_an_arrangement_is_monday_to_friday_and_flagged() -> None:
    assert not PACKAGE.knows(2027)
    assert PACKAGE.is_workday(D("2027-01-01"))  # a Friday: surely a holiday, but nobody said so
    assert not PACKAGE.is_workday(D("2027-01-02"))
    assert PACKAGE.add_workdays(D("2026-12-28"), 5) == DueDate(D("2027-01-04"), frozenset({2027}))
    assert PACKAGE.workdays_between(D("2026-12-28"), D("2027-01-04")) == WorkdayCount(5, frozenset({2027}))
    # Only the years actually counted are named.
    assert PACKAGE.workdays_between(D("2026-12-01"), D("2026-12-31")).assumed_years == frozenset()
    assert PACKAGE.workdays_between(D("2026-12-31"), D("2028-01-03")).assumed_years == {2027, 2028}
    assert PACKAGE.workdays_between(D("2028-01-03"), D("2026-12-31")).assumed_years == {2027, 2028}
    # A span ending on 31 December does not count the next year, one starting then does.
    assert PACKAGE.workdays_between(D("2026-12-30"), D("2026-12-31")).assumed_years == frozenset()
    assert PACKAGE.workdays_between(D("2026-12-31"), D("2027-01-01")).assumed_years == {2027}
    # The start day is not counted, so neither is its year.
    assert PACKAGE.add_workdays(D("2027-12-31"), 1) == DueDate(D("2028-01-03"), frozenset({2028}))


def test_2027_with_an_entered_arrangement() -> None:
    assert ENTERED.knows(2027)
    assert ENTERED.source(2027) == "测试用（虚构）"
    assert not ENTERED.is_workday(D("2026-12-31"))  # the notice's December date is taken too
    assert not ENTERED.is_workday(D("2027-01-01"))
    assert ENTERED.is_workday(D("2027-02-14"))  # the made-up worked Sunday
    assert not ENTERED.is_workday(D("2027-02-08"))  # a Monday in the made-up break
    assert ENTERED.add_workdays(D("2026-12-28"), 5) == DueDate(D("2027-01-06"))  # 29, 30 Dec; 4, 5, 6 Jan
    assert ENTERED.add_workdays(D("2027-02-04"), 1) == DueDate(D("2027-02-14"))
    assert ENTERED.workdays_between(D("2026-12-28"), D("2027-01-05")) == WorkdayCount(4)
    # Still Monday–Friday, and flagged, the year after.
    assert ENTERED.add_workdays(D("2027-12-31"), 1) == DueDate(D("2028-01-03"), frozenset({2028}))


def test_an_entered_arrangement_replaces_the_package_year() -> None:
    # An administrator's correction of 2026 wins: what it leaves out is an ordinary day again.
    corrected = WorkCalendar.from_package(
        [YearArrangement(2026, holidays=frozenset({D("2026-10-08")}), workdays=frozenset(), source="更正")]
    )
    assert corrected.source(2026) == "更正"
    assert corrected.is_workday(D("2026-10-01"))  # a Thursday no longer listed as a holiday
    assert not corrected.is_workday(D("2026-10-10"))  # a Saturday no longer listed as worked
    assert not corrected.is_workday(D("2026-10-08"))
    assert corrected.is_workday(D("2025-10-09")) and not corrected.is_workday(D("2025-10-08"))  # 2025 kept
    assert corrected.needs_arrangement(D("2026-12-04")) == [2027]


def test_needs_arrangement_from_1_november() -> None:
    assert PACKAGE.needs_arrangement(D("2026-10-31")) == []
    assert PACKAGE.needs_arrangement(D("2026-11-01")) == [2027]
    assert PACKAGE.needs_arrangement(D("2026-12-04")) == [2027]
    assert PACKAGE.needs_arrangement(D("2027-03-01")) == [2027]
    assert PACKAGE.needs_arrangement(D("2027-11-01")) == [2027, 2028]
    assert ENTERED.needs_arrangement(D("2026-12-04")) == []
    assert ENTERED.needs_arrangement(D("2027-11-01")) == [2028]


def test_arrangements_are_checked() -> None:
    with pytest.raises(ValueError, match="2025-12-31 does not belong to the 2027"):
        YearArrangement(2027, frozenset({D("2025-12-31")}), frozenset())
    with pytest.raises(ValueError, match="both a holiday and a working day"):
        YearArrangement(2027, frozenset({D("2027-01-01")}), frozenset({D("2027-01-01")}))
    with pytest.raises(ValueError, match="two arrangements for 2027"):
        WorkCalendar.from_package([MADE_UP_2027, YearArrangement(2027, frozenset(), frozenset())])


def test_arrangements_from_json() -> None:
    data = [{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-02-14"], "source": "x"}]
    assert arrangements_from_json(data) == [
        YearArrangement(2027, frozenset({D("2027-01-01")}), frozenset({D("2027-02-14")}), "x")
    ]
    for bad, message in [
        ({}, "JSON list"),
        ([1], "#1 is not an object"),
        ([{"year": "2027"}], "'year' must be a year number"),
        ([{"year": 2027, "holidays": "2027-01-01"}], "'holidays' must be a list of dates"),
        ([{"year": 2027, "workdays": ["20270214"]}], "not a date"),
        ([{"year": 2027, "workdays": ["2027-02-30"]}], "not a date"),
        ([{"year": 2027, "holidays": ["2026-01-01"]}], "#1: 2026-01-01 does not belong"),
    ]:
        with pytest.raises(ValueError, match=message):
            arrangements_from_json(bad)


# --- properties ----------------------------------------------------------------------------------

days = st.dates(min_value=D("2023-06-01"), max_value=D("2028-06-30"))
counts = st.integers(min_value=0, max_value=300)
calendars = st.sampled_from([PACKAGE, ENTERED])


@SETTINGS
@given(calendars, days, counts)
def test_between_undoes_add(calendar: WorkCalendar, day: date, n: int) -> None:
    due = calendar.add_workdays(day, n)
    count = calendar.workdays_between(day, due.date)
    assert count.days == n
    assert count.assumed_years == due.assumed_years


@SETTINGS
@given(calendars, days, counts, counts)
def test_adding_splits(calendar: WorkCalendar, day: date, a: int, b: int) -> None:
    first = calendar.add_workdays(day, a)
    second = calendar.add_workdays(first.date, b)
    whole = calendar.add_workdays(day, a + b)
    assert second.date == whole.date
    assert first.assumed_years | second.assumed_years == whole.assumed_years


@SETTINGS
@given(calendars, days, st.integers(min_value=1, max_value=300))
def test_the_due_date_is_the_first_day_with_n_working_days(calendar: WorkCalendar, day: date, n: int) -> None:
    due = calendar.add_workdays(day, n).date
    assert calendar.is_workday(due)
    assert calendar.workdays_between(day, due - timedelta(days=1)).days == n - 1


@SETTINGS
@given(calendars, days, days, days)
def test_between_adds_up(calendar: WorkCalendar, a: date, b: date, c: date) -> None:
    ab, bc, ac = (calendar.workdays_between(x, y).days for x, y in [(a, b), (b, c), (a, c)])
    assert ab + bc == ac


@SETTINGS
@given(calendars, days, counts)
def test_assumed_years_are_the_unknown_years_counted(calendar: WorkCalendar, day: date, n: int) -> None:
    due = calendar.add_workdays(day, n)
    counted = {d.year for d in _span(day, due.date)}
    assert due.assumed_years == {year for year in counted if not calendar.knows(year)}


def _span(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]


# --- the command line ----------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deadlines.workdays", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_cli_add_between_is() -> None:
    done = run("add", "2026-09-30", "5")
    assert (done.returncode, done.stdout, done.stderr) == (0, "2026-10-13\n", "")
    done = run("between", "2026-09-30", "2026-10-15")
    assert (done.returncode, done.stdout, done.stderr) == (0, "7\n", "")
    assert run("is", "2026-10-10").stdout == "yes\n"
    assert run("is", "2026-10-01").stdout == "no\n"


def test_cli_warns_on_an_unknown_year() -> None:
    done = run("add", "2026-12-28", "5")
    assert done.returncode == 0
    assert done.stdout == "2027-01-04\n"
    assert done.stderr == "warning: 2027 not in the calendar: counted Monday–Friday\n"
    done = run("is", "2028-01-03")
    assert (done.stdout, done.stderr) == (
        "yes\n",
        "warning: 2028 not in the calendar: counted Monday–Friday\n",
    )


def test_cli_overrides(tmp_path: Path) -> None:
    path = tmp_path / "arrangements.json"
    path.write_text(
        json.dumps(
            [
                {
                    "year": 2027,
                    "holidays": sorted(d.isoformat() for d in MADE_UP_2027.holidays),
                    "workdays": sorted(d.isoformat() for d in MADE_UP_2027.workdays),
                    "source": MADE_UP_2027.source,
                }
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    done = run("add", "2026-12-28", "5", "--overrides", str(path))
    assert (done.returncode, done.stdout, done.stderr) == (0, "2027-01-06\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "2026-13-01", "5"], "not a date"),
        (["add", "2026/09/30", "5"], "not a date (YYYY-MM-DD)"),
        (["add", "2026-09-30", "-1"], "not a number of working days"),
        (["add", "2026-09-30", "five"], "not a number of working days"),
        (["between", "2026-09-30"], "required"),
        (["frob"], "invalid choice"),
        (["add", "9999-12-30", "5"], "runs past 9999-12-31"),
        (["add", "2026-09-30", "5", "--overrides", "/nonexistent/overrides.json"], "No such file"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_cli_bad_overrides_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # In-process (main() is the same entry point): a JSON error names the entry at fault.
    path = tmp_path / "bad.json"
    path.write_text('[{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}]')
    with pytest.raises(SystemExit) as exit_info:
        main(["add", "2026-12-28", "5", "--overrides", str(path)])
    assert exit_info.value.code == 2
    assert "arrangement #1: 2027-01-01 is both a holiday and a working day" in capsys.readouterr().err


def test_runs_without_django() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, deadlines.workdays; print('django' in sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == "False\n", done.stderr
