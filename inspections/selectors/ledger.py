"""One ledger per firm: every inspection of an entity the reader may see, by any department, for
the entity page's "检查记录" (``inventory.extensions.ENTITY_HISTORY``); how many real inspections
each firm had in a year (the annual cap of 曲阳 §17, counted across the region); and the firms two
departments are to visit in overlapping windows, to be offered as one joint visit (综合查一次).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, prefetch_related_objects

from inspections.models import CombinedVisit, CombinedVisitMember, Inspection, InspectionPart
from inventory.models import MarketEntity
from tenancy.context import Actor
from tenancy.scoping import region_counts

from .inspections import DRAW_BLOBS, visible_inspections

LEDGER_LIMIT = 200


def entity_inspections(*, actor: Actor, entity: MarketEntity) -> list[Inspection]:
    """The entity's inspections the actor reads (current versions, a replaced one left out), the
    latest first: when, which task, which departments, status and result."""
    rows = (
        visible_inspections(actor).filter(entity=entity, is_current=True).exclude(status=Inspection.Status.REPLACED)
        .select_related("task", "draw").defer(*DRAW_BLOBS)
        .prefetch_related("results", Prefetch("parts", queryset=InspectionPart.objects.select_related("organization")))
        .order_by("-window_end", "-pk")
    )
    return list(rows[:LEDGER_LIMIT])


# A visit made: its result submitted or approved (the office's 已检查, beside 已安排).
VISITED_STATES = (Inspection.Status.SUBMITTED, Inspection.Status.APPROVED)


def inspected_times(
    *, actor: Actor, year: int, at_least: int = 1, statuses: tuple[str, ...] | None = None,
) -> dict[int, int]:
    """``{entity_id: times}``: the inspections of each firm in ``year``'s plans by any department
    of the actor's region — real inspections (one per visit: a joint visit once, a combined visit
    (综合查一次) once however many departments' inspections it carries, a correction not again, a
    target replaced before it was visited not at all), not selections — for the firms inspected
    ``at_least`` times. Numbers, never rows (``tenancy.scoping.region_counts``): what the draw's
    exclusion (the annual cap) and an office's overview read. ``statuses``: only the inspections
    in those states (``VISITED_STATES``: the visits made, not those still to come)."""
    counted = Q(plan__year=year, is_current=True) & ~Q(status=Inspection.Status.REPLACED)
    if statuses is not None:
        counted &= Q(status__in=statuses)
    # A combined visit's members are found by their selection: a correction (a new version of
    # the same selection) stays in the visit it was combined in.
    combined = CombinedVisitMember._base_manager.filter(active=True).values("inspection__selection_id")
    times = region_counts(actor, Inspection, by="entity_id", at_least=at_least, where=counted)
    if not times:
        return times
    # Each combined visit: its counted inspections (n) are one visit, n - 1 fewer.
    members = region_counts(actor, Inspection, by="entity_id", where=counted & Q(selection_id__in=combined))
    if members:
        # How many combined visits hold them: numbers only, read past the scope as region_counts
        # does (the visit may be owned by an office above the region, which region_counts leaves out).
        counted_members = CombinedVisitMember._base_manager.filter(
            active=True, inspection__selection_id__in=Inspection._base_manager.filter(counted).values("selection_id"),
        ).values("combined_visit_id")
        visits = dict(
            CombinedVisit._base_manager.filter(cancelled_at__isnull=True, pk__in=counted_members, entity_id__in=list(members))
            .values("entity_id").annotate(n=Count("pk")).order_by().values_list("entity_id", "n")
        )
        for entity_id, n in members.items():
            if entity_id in times:
                times[entity_id] -= n - visits.get(entity_id, 0)
    return {entity_id: n for entity_id, n in times.items() if n >= at_least}


# The states an offer is made for, and a combined visit is accepted in: not started yet.
OFFER_STATES = (Inspection.Status.PENDING, Inspection.Status.TODO)


@dataclass
class JointVisitOffer:
    """A firm two or more departments are to visit in overlapping windows (综合查一次)."""

    entity: MarketEntity
    inspections: list[Inspection] = field(default_factory=list)
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def departments(self) -> list[int]:
        return sorted({i.organization_id for i in self.inspections})


def common_window(inspections: Iterable[Inspection]) -> tuple[dt.date | None, dt.date | None]:
    """The days every inspection's window allows (an open end: no bound on that side)."""
    rows = list(inspections)
    start = max((i.window_start for i in rows if i.window_start), default=None)
    end = min((i.window_end for i in rows if i.window_end), default=None)
    return start, end


def joint_visit_offers(
    *, actor: Actor, today: dt.date | None = None, task_id: int | None = None, entity_id: int | None = None,
) -> list[JointVisitOffer]:
    """For an office: the firms of its region with open inspections of different departments whose
    windows overlap (and have not ended), with the common window — each an offer to visit once;
    ``task_id``: only the firms one of that task's inspections is to visit; ``entity_id``: that
    firm's offer only. An inspection already in a combined visit (综合查一次) is offered no more."""
    from django.utils import timezone  # noqa: PLC0415

    today = today or timezone.localdate()
    if not (actor.is_member and actor.is_office):
        return []
    rows = (
        Inspection.objects.filter(is_current=True, status__in=OFFER_STATES)
        .exclude(window_end__lt=today)
        .exclude(pk__in=CombinedVisitMember.objects.filter(active=True).values("inspection_id"))
    )
    if entity_id is not None:
        rows = rows.filter(entity_id=entity_id)
    if task_id is not None:
        rows = rows.filter(entity_id__in=rows.filter(task_id=task_id).values("entity_id"))
    rows = rows.select_related("entity", "task", "organization", "plan").order_by("entity_id", "window_start", "pk")
    by_entity: dict[int, list[Inspection]] = {}
    for inspection in rows:
        by_entity.setdefault(inspection.entity_id, []).append(inspection)
    offers: list[JointVisitOffer] = []
    for visits in by_entity.values():
        if len({v.organization_id for v in visits}) < 2:
            continue
        start, end = common_window(visits)
        if start is not None and end is not None and start > end:
            continue  # the windows do not overlap
        offers.append(JointVisitOffer(entity=visits[0].entity, inspections=visits, start=start, end=end))
    # A joint plan's visit is owned by the office but made by its departments: the offer names them.
    prefetch_related_objects(
        [v for offer in offers for v in offer.inspections if v.is_joint],
        Prefetch("parts", queryset=InspectionPart.objects.select_related("organization").order_by("organization__code")),
    )
    return offers
