"""A task's progress in inspections: drawn, confirmed, inspected, problems found, handled and
overdue — on the task page, the office's milestones and the API, counted in the reader's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from deadlines.models import DueItem
from inspections import due
from inspections.models import Dispatch, Handling, Inspection, InspectionPart
from sampling.models import SamplingTask
from tenancy.context import Actor


@dataclass(frozen=True)
class Progress:
    drawn: int = 0  # targets with an inspection (a replaced one counts once, by its replacement)
    confirmed: int = 0  # checked and confirmed by every department (比对和确认)
    inspected: int = 0  # result submitted or approved
    approved: int = 0
    problems: int = 0  # results with a problem code
    handled: int = 0  # problem results whose follow-up is all closed
    overdue: int = 0  # due items past their day: confirmations, results, follow-up

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def task_progress(*, actor: Actor, task: SamplingTask, today: dt.date | None = None) -> Progress:
    """The progress of ``task``'s current inspections (a department's joint task: every
    department's, as the visit is one); overdue: past their day, whether or not the scan has
    marked them yet."""
    today = today or timezone.localdate()
    rows = Inspection.objects.filter(task=task, is_current=True).exclude(status=Inspection.Status.REPLACED)
    problem = Inspection.results.through.objects.filter(inspection_id=OuterRef("pk"), resultcode__is_problem=True)
    open_handling = Handling.objects.filter(inspection_id=OuterRef("pk"), status__in=Handling.ACTIVE_STATES)
    any_handling = Handling.objects.filter(inspection_id=OuterRef("pk"))
    counts = rows.annotate(
        has_problem=Exists(problem), has_open=Exists(open_handling), has_handling=Exists(any_handling)
    ).aggregate(
        drawn=Count("pk"),
        confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
        inspected=Count("pk", filter=Q(status__in=(Inspection.Status.SUBMITTED, Inspection.Status.APPROVED))),
        approved=Count("pk", filter=Q(status=Inspection.Status.APPROVED)),
        problems=Count("pk", filter=Q(has_problem=True)),
        handled=Count("pk", filter=Q(has_problem=True, has_handling=True, has_open=False)),
    )
    ids = list(rows.values_list("pk", flat=True))
    targets = {
        "inspections.inspectionpart": [str(pk) for pk in InspectionPart.objects.filter(inspection_id__in=ids).values_list("pk", flat=True)],
        "inspections.dispatch": [str(pk) for pk in Dispatch.objects.filter(task=task).values_list("pk", flat=True)],
        "inspections.handling": [str(pk) for pk in Handling.objects.filter(inspection_id__in=ids).values_list("pk", flat=True)],
    }
    rules = [rule.key for rule in due.RULES]
    overdue = 0
    for target_type, target_ids in targets.items():
        if target_ids:
            overdue += DueItem.objects.filter(
                Q(state=DueItem.State.OVERDUE) | Q(state=DueItem.State.OPEN, due_on__lt=today),
                rule__in=rules, target_type=target_type, target_id__in=target_ids,
            ).count()
    return Progress(overdue=overdue, **counts)


@dataclass(frozen=True)
class DepartmentProgress(Progress):
    first_overdue: dt.date | None = None  # the earliest day among its overdue items


def department_progress(*, task: SamplingTask, today: dt.date | None = None) -> dict[int, DepartmentProgress]:
    """The same counts per participating department, over the visits it has a part in (the
    office's joint-task milestones): ``confirmed`` is its own 比对和确认 of its parts; inspected,
    approved, problems and handled are the visit's (a joint visit has one result); ``overdue`` its
    own due items past their day — its confirmation, its part's result, the measures it handles."""
    today = today or timezone.localdate()
    visits = Inspection.objects.filter(task=task, is_current=True).exclude(status=Inspection.Status.REPLACED)
    visit = OuterRef("inspection_id")
    problem = Exists(Inspection.results.through.objects.filter(inspection_id=visit, resultcode__is_problem=True))
    handled = Exists(Handling.objects.filter(inspection_id=visit)) & ~Exists(
        Handling.objects.filter(inspection_id=visit, status__in=Handling.ACTIVE_STATES)
    )
    done = (Inspection.Status.SUBMITTED, Inspection.Status.APPROVED)
    rows = (
        InspectionPart.objects.filter(inspection__in=visits).values("organization_id").order_by("organization_id")
        .annotate(
            drawn=Count("pk"),
            confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
            inspected=Count("pk", filter=Q(inspection__status__in=done)),
            approved=Count("pk", filter=Q(inspection__status=Inspection.Status.APPROVED)),
            problems=Count("pk", filter=problem),
            handled=Count("pk", filter=problem & handled),
        )
    )
    counts = {row.pop("organization_id"): row for row in rows}
    ids = list(visits.values_list("pk", flat=True))
    targets = {
        "inspections.inspectionpart": InspectionPart.objects.filter(inspection_id__in=ids).values_list("pk", flat=True),
        "inspections.dispatch": Dispatch.objects.filter(task=task).values_list("pk", flat=True),
        "inspections.handling": Handling.objects.filter(inspection_id__in=ids).values_list("pk", flat=True),
    }
    overdue: dict[int, int] = {}
    first: dict[int, dt.date] = {}
    rules = [rule.key for rule in due.RULES]
    for target_type, target_ids in targets.items():
        found = [str(pk) for pk in target_ids]
        if not found:
            continue
        late = (
            DueItem.objects.filter(
                Q(state=DueItem.State.OVERDUE) | Q(state=DueItem.State.OPEN, due_on__lt=today),
                rule__in=rules, target_type=target_type, target_id__in=found,
            ).values("organization_id").order_by("organization_id").annotate(n=Count("pk"), first=Min("due_on"))
        )
        for row in late:
            org = row["organization_id"]
            overdue[org] = overdue.get(org, 0) + row["n"]
            first[org] = min(first.get(org, row["first"]), row["first"])
    return {
        org: DepartmentProgress(overdue=overdue.get(org, 0), first_overdue=first.get(org), **row)
        for org, row in counts.items()
    }
