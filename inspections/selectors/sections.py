"""What inspections shows on sampling's task page (``sampling.extensions.TASK_SECTIONS``): the
task's progress, and for an office the firms its targets share with another department's visit
in an overlapping window (综合查一次) — each the section's context, or ``None`` when the section
has nothing for this reader; and an office's dashboard panel over its region: every such offer,
and how often the firms were inspected this year (the annual cap of 曲阳 §17)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from inspections import policies
from inventory.models import MarketEntity
from sampling.models import SamplingTask
from tenancy.context import Actor

from .inspections import visible_inspections
from .ledger import VISITED_STATES, inspected_times, joint_visit_offers
from .progress import task_progress

PANEL_OFFERS = 20
PANEL_FIRMS = 20

DRAWN_STATES = (SamplingTask.Status.DRAWN, SamplingTask.Status.CLOSED)


def task_progress_section(*, actor: Actor, task: SamplingTask) -> dict[str, Any] | None:
    """抽查进度 of a drawn task: drawn, confirmed, inspected, approved, problems found, handled and
    overdue, with the inspections list of the task and its records' zip when the reader may list them."""
    if task.status not in DRAWN_STATES:
        return None
    progress = task_progress(actor=actor, task=task)
    lists = visible_inspections(actor).filter(task=task).exists()
    url = reverse("inspections:list") + "?" + urlencode({"task": task.pk, "status": "all"}) if lists else ""
    records = reverse("inspections:task_records", kwargs={"pk": task.pk}) if lists else ""
    return {"progress": progress, "list_url": url, "records_url": records}


def task_joint_visits_section(*, actor: Actor, task: SamplingTask) -> dict[str, Any] | None:
    """For an office: the firms this task is to visit that another department's task is to visit
    too, in windows that overlap — each with both visits and the common window."""
    if not (actor.is_member and actor.is_office) or task.status not in DRAWN_STATES:
        return None
    offers = joint_visit_offers(actor=actor, task_id=task.pk)
    if not offers:
        return None
    return {"offers": offers, "can_combine": policies.can_combine(actor)}


def office_visits_panel(*, actor: Actor, today: dt.date | None = None) -> dict[str, Any]:
    """An office's region: the firms two departments are to visit in overlapping windows (the
    first ``PANEL_OFFERS``, soonest common window first), and this year's real inspections per
    firm — visits made (已检查: result submitted or approved) beside visits scheduled (已安排: every
    current inspection, the annual cap's count), each as how many firms once, twice, more, and
    the firms scheduled twice or more by name with both figures."""
    today = today or timezone.localdate()
    offers = sorted(joint_visit_offers(actor=actor, today=today), key=lambda o: (o.end or dt.date.max, o.entity.pk))
    scheduled = inspected_times(actor=actor, year=today.year)
    visited = inspected_times(actor=actor, year=today.year, statuses=VISITED_STATES) if scheduled else {}
    frequent = sorted(
        ((visited.get(entity_id, 0), n, entity_id) for entity_id, n in scheduled.items() if n >= 2),
        key=lambda p: (-p[0], -p[1], p[2]),
    )[:PANEL_FIRMS]
    names = MarketEntity.objects.in_bulk([entity_id for _v, _n, entity_id in frequent])
    return {
        "offers": offers[:PANEL_OFFERS], "offer_total": len(offers), "year": today.year,
        "visited": _spread(visited), "scheduled": _spread(scheduled),
        "frequent": [(names[entity_id], v, n) for v, n, entity_id in frequent if entity_id in names],
        "can_combine": policies.can_combine(actor),
    }


def _spread(times: dict[int, int]) -> dict[str, int]:
    """How many firms in all, once, twice, three times or more."""
    return {
        "firms": len(times), "once": sum(1 for n in times.values() if n == 1),
        "twice": sum(1 for n in times.values() if n == 2), "more": sum(1 for n in times.values() if n > 2),
    }
