"""What inspections shows on sampling's task page (``sampling.extensions.TASK_SECTIONS``): the
task's progress, and for an office the firms its targets share with another department's visit
in an overlapping window (综合查一次). Each returns the section's context, or ``None`` when the
section has nothing for this reader."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from sampling.models import SamplingTask
from tenancy.context import Actor

from .inspections import visible_inspections
from .ledger import joint_visit_offers
from .progress import task_progress

DRAWN_STATES = (SamplingTask.Status.DRAWN, SamplingTask.Status.CLOSED)


def task_progress_section(*, actor: Actor, task: SamplingTask) -> dict[str, Any] | None:
    """抽查进度 of a drawn task: drawn, confirmed, inspected, approved, problems found, handled and
    overdue, with the inspections list of the task when the reader may list them."""
    if task.status not in DRAWN_STATES:
        return None
    progress = task_progress(actor=actor, task=task)
    lists = visible_inspections(actor).filter(task=task).exists()
    url = reverse("inspections:list") + "?" + urlencode({"task": task.pk, "status": "all"}) if lists else ""
    return {"progress": progress, "list_url": url}


def task_joint_visits_section(*, actor: Actor, task: SamplingTask) -> dict[str, Any] | None:
    """For an office: the firms this task is to visit that another department's task is to visit
    too, in windows that overlap — each with both visits and the common window."""
    if not (actor.is_member and actor.is_office) or task.status not in DRAWN_STATES:
        return None
    offers = joint_visit_offers(actor=actor, task_id=task.pk)
    if not offers:
        return None
    return {"offers": offers}
