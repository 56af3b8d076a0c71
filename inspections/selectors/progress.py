"""Progress per task (抽查进度): drawn, confirmed, inspected, approved, problems found, handled,
overdue — for the task page, the office's joint-task milestones and the API.

Counted over the task's current inspections (one per target still drawn: a replaced target's row
and a correction not yet approved do not count twice), whoever asks: a task's numbers are the
same for every organization that sees the task. One grouped query for any number of tasks.

* drawn: targets with an inspection; confirmed: every department confirmed it (比对和确认);
* inspected: the result submitted or approved; approved: approved;
* problems: inspected with a result code that is a problem (``ResultCode.is_problem``);
* handled: of those, with a follow-up measure recorded and none still open;
* overdue: not submitted after the task's window, or more than the result limit (5 working days,
  曲阳 §20) after the inspection ended, or unconfirmed more than 1 working day after the draw
  dispatched it (曲阳 §17), or with a follow-up measure past its own due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from deadlines.calendar import current_calendar
from inspections.models import Handling, Inspection

RESULT_WORKDAYS = 5  # 曲阳 §20
CONFIRM_WORKDAYS = 1  # 曲阳 §17
FIELDS = ("drawn", "confirmed", "inspected", "approved", "problems", "handled", "overdue")
INSPECTED = (Inspection.Status.SUBMITTED, Inspection.Status.APPROVED)
NOT_INSPECTED = (Inspection.Status.PENDING, Inspection.Status.TODO, Inspection.Status.DRAFT, Inspection.Status.RETURNED)


def last_day_within(today: dt.date, workdays: int) -> dt.date:
    """The last day whose limit of ``workdays`` working days has passed by ``today``: a thing
    anchored on that day or before is late (its due day, ``add_workdays(day, n)``, is before today)."""
    calendar = current_calendar()
    day = today - dt.timedelta(days=1)
    while calendar.add_workdays(day, workdays).date >= today:
        day -= dt.timedelta(days=1)
    return day


def overdue_q(today: dt.date | None = None) -> Q:
    """The current inspections that are late, as a filter (with ``late_handling`` annotated)."""
    today = today or timezone.localdate()
    result_cutoff = last_day_within(today, RESULT_WORKDAYS)
    confirm_cutoff = last_day_within(today, CONFIRM_WORKDAYS)
    confirm_before = timezone.make_aware(dt.datetime.combine(confirm_cutoff + dt.timedelta(days=1), dt.time.min))
    open_ = Q(status__in=NOT_INSPECTED)
    return (
        (open_ & Q(window_end__lt=today))
        | (open_ & Q(ended_on__lte=result_cutoff))
        | (Q(status=Inspection.Status.PENDING) & Q(confirmed_at__isnull=True) & Q(created_at__lt=confirm_before))
        | Q(late_handling=True)
    )


def _current(task_ids: Iterable[int]) -> Any:
    # Unscoped below the task: the caller found the tasks in its scope, and a task's numbers
    # are the task's, not the part of it the viewer may open.
    return Inspection._base_manager.filter(task_id__in=list(task_ids), is_current=True).exclude(
        status=Inspection.Status.REPLACED
    )


def task_progress(task_ids: Iterable[int], *, today: dt.date | None = None) -> dict[int, dict[str, int]]:
    """``{task id: {field: count}}`` for ``task_ids`` (tasks found in the caller's scope); a task
    without inspections has zeros."""
    ids = list(dict.fromkeys(task_ids))
    today = today or timezone.localdate()
    handlings = Handling._base_manager.filter(inspection_id=OuterRef("pk"))
    problem_codes = Inspection.results.through.objects.filter(inspection_id=OuterRef("pk"), resultcode__is_problem=True)
    rows = (
        _current(ids)
        .annotate(
            problem=Exists(problem_codes),
            any_handling=Exists(handlings),
            open_handling=Exists(handlings.filter(status__in=Handling.ACTIVE_STATES)),
            late_handling=Exists(handlings.filter(status__in=Handling.ACTIVE_STATES, due_on__lt=today)),
        )
        .order_by()
        .values("task_id")
        .annotate(
            drawn=Count("pk"),
            confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
            inspected=Count("pk", filter=Q(status__in=INSPECTED)),
            approved=Count("pk", filter=Q(status=Inspection.Status.APPROVED)),
            problems=Count("pk", filter=Q(status__in=INSPECTED, problem=True)),
            handled=Count("pk", filter=Q(status__in=INSPECTED, problem=True, any_handling=True, open_handling=False)),
            overdue=Count("pk", filter=overdue_q(today)),
        )
    )
    out = {pk: dict.fromkeys(FIELDS, 0) for pk in ids}
    for row in rows:
        out[row["task_id"]] = {name: row[name] for name in FIELDS}
    return out


def progress_of(task_id: int, *, today: dt.date | None = None) -> dict[str, int]:
    return task_progress([task_id], today=today)[task_id]
