"""综合查一次 as its readers see it: the list (an office's, a department's, an inspector's own), one
combined visit, the one an inspection is in, and the agreed day of each of an inspector's
inspections ("我的检查").

A reader sees a combined visit when it may see one of its inspections, or coordinates it (the
office). Of an inspection it may not see — the other department's — it is shown the department,
the team's names (as the draw froze them) and the agreed day, nothing else: those facts are read
past the reader's scope here, as ``policies.parts_of`` reads a visit's parts, and only names leave.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse

from inspections import policies
from inspections.models import CombinedVisit, CombinedVisitMember, Inspection, InspectionPart
from sampling.models import Draw
from tenancy.context import Actor
from tenancy.i18n import join_list
from tenancy.models import AuditEntry, Organization

from .inspections import visible_inspections

STATES = ("active", "cancelled", "all")
LIST_LIMIT = 200


@dataclass
class Party:
    """One inspection of a combined visit, as the reader may see it."""

    inspection: Inspection
    departments: list[str] = field(default_factory=list)
    team: list[str] = field(default_factory=list)
    readable: bool = False  # the reader may open the inspection itself
    mine: bool = False  # the reader's own organization takes part in it
    active: bool = True  # still in the combined visit (a replaced target's left it)
    left_reason: str = ""  # why it left (its audit entry's note, stored in Chinese)

    @property
    def task(self) -> str:
        return self.inspection.task.name if self.readable else ""

    @property
    def url(self) -> str:
        return reverse("inspections:detail", kwargs={"pk": self.inspection.pk}) if self.readable else ""

    @property
    def label(self) -> str:
        return join_list(self.departments)


@dataclass
class CombinedView:
    combined: CombinedVisit
    parties: list[Party] = field(default_factory=list)
    can_cancel: bool = False

    # On an inspection's page: that inspection's selection (its versions are one party).
    selection_id: int | None = None

    @property
    def others(self) -> list[Party]:
        """On an inspection's page the other inspections ("with 某某局"); elsewhere the parties the
        reader's organization does not take part in."""
        if self.selection_id is not None:
            return [p for p in self.parties if p.inspection.selection_id != self.selection_id]
        return [p for p in self.parties if not p.mine]


def combined_visit_list(*, actor: Actor, state: str = "active") -> QuerySet[CombinedVisit]:
    """The combined visits the actor reads: an office those of its region, a department's staff
    those of its inspections, an inspector those of the inspections they are on."""
    rows = CombinedVisit.objects.all()
    if not (actor.is_member and actor.is_office):
        rows = rows.filter(pk__in=CombinedVisitMember.objects.filter(inspection__in=visible_inspections(actor)).values("combined_visit_id"))
    if state == "active":
        rows = rows.filter(cancelled_at__isnull=True).order_by("visit_on", "pk")
    elif state == "cancelled":
        rows = rows.filter(cancelled_at__isnull=False).order_by("-cancelled_at", "-pk")
    else:
        rows = rows.order_by("-visit_on", "-pk")
    return rows.select_related("entity", "created_by", "cancelled_by", "organization")


def combined_visit_get(*, actor: Actor, pk: int) -> CombinedVisit:
    """One combined visit the actor may read, else 404 (not found and not allowed look the same)."""
    combined = (
        CombinedVisit.objects.select_related("entity", "created_by", "cancelled_by", "organization").filter(pk=pk).first()
    )
    if combined is None or not policies.can_view_combined(actor, combined):
        raise Http404
    return combined


def combined_views(*, actor: Actor, rows: Sequence[CombinedVisit]) -> list[CombinedView]:
    """Each combined visit with its parties, read for all of ``rows`` in a few queries."""
    ids = [c.pk for c in rows]
    members: dict[int, list[Inspection]] = defaultdict(list)
    found = (
        Inspection._base_manager.filter(combined_memberships__combined_visit_id__in=ids).select_related("task", "plan")
        # Read past the scope, as ``policies.parts_of`` would: it and ``_departments`` read these.
        .prefetch_related(Prefetch("parts", queryset=InspectionPart._base_manager.order_by("pk")))
    )
    inspections = {i.pk: i for i in found.distinct()}
    pairs = list(
        CombinedVisitMember._base_manager.filter(combined_visit_id__in=ids)
        .order_by("pk").values_list("combined_visit_id", "inspection_id", "active", "pk")
    )
    left = {(c, i): pk for c, i, active, pk in pairs if not active}
    for combined_id, inspection_id, _active, _pk in pairs:
        members[combined_id].append(inspections[inspection_id])
    active = {r.pk for r in rows if r.cancelled_at is None}
    reasons = _left_reasons([pk for (c, _i), pk in left.items() if c in active])
    departments = _departments(inspections.values())
    teams = _teams(inspections.values())
    views = []
    for combined in rows:
        combined._member_inspections = members[combined.pk]  # policies read it instead of asking again
        parties = [
            Party(
                inspection=i, departments=departments.get(i.pk, []), team=teams.get(i.pk, []),
                readable=policies.can_view(actor, i),
                mine=actor.organization_id == i.organization_id or actor.organization_id in policies.departments_of(i),
                # A cancelled visit let every member go at once: only an active one's leavers are shown so.
                active=combined.cancelled_at is not None or (combined.pk, i.pk) not in left,
                left_reason=reasons.get(left.get((combined.pk, i.pk)), ""),
            )
            for i in members[combined.pk]
        ]
        views.append(CombinedView(combined=combined, parties=parties, can_cancel=policies.can_cancel_combined(actor, combined)))
    return views


def _left_reasons(member_ids: list[int]) -> dict[int, str]:
    """``{member id: why it left}``: the note of each member's withdrawal in the audit log (the
    office's entry, read past a department's scope: a department's name and the cause only)."""
    if not member_ids:
        return {}
    rows = AuditEntry._base_manager.filter(
        target_type="inspections.combinedvisitmember", target_id__in=[str(pk) for pk in member_ids], action="withdraw",
    ).order_by("at").values_list("target_id", "note")
    return {int(target): note for target, note in rows}


def combined_view(*, actor: Actor, combined: CombinedVisit) -> CombinedView:
    return combined_views(actor=actor, rows=[combined])[0]


def combined_of_inspection(*, actor: Actor, inspection: Inspection) -> CombinedView | None:
    """The active combined visit ``inspection`` (or the version it corrects) is in, if any."""
    combined = (
        CombinedVisit.objects.filter(
            cancelled_at__isnull=True, members__active=True, members__inspection__selection_id=inspection.selection_id,
        ).select_related("entity", "created_by", "organization").first()
    )
    if combined is None:
        return None
    view = combined_view(actor=actor, combined=combined)
    view.selection_id = inspection.selection_id
    return view


def agreed_dates(inspections: Iterable[Inspection]) -> dict[int, dt.date]:
    """``{inspection id: the agreed day}`` of those in an active combined visit (one query)."""
    by_selection = {i.selection_id: i.pk for i in inspections}
    if not by_selection:
        return {}
    rows = CombinedVisitMember.objects.filter(
        active=True, inspection__selection_id__in=list(by_selection),
    ).values_list("inspection__selection_id", "combined_visit__visit_on")
    return {by_selection[selection]: day for selection, day in rows}


# --------------------------------------------------------------------------------------------
# Names of the other department's inspection (read past the reader's scope: names only)


def _departments(inspections: Iterable[Inspection]) -> dict[int, list[str]]:
    """Each inspection's departments (its parts': one, or each of a joint task's), by name — the
    parts prefetched (``combined_views``) or read by ``policies.parts_of``, in the order made."""
    pairs = [(i.pk, p.organization_id) for i in inspections for p in sorted(policies.parts_of(i), key=lambda p: p.pk)]
    names = dict(Organization.objects.filter(pk__in={o for _i, o in pairs}).values_list("pk", "name"))
    out: dict[int, list[str]] = defaultdict(list)
    for inspection_id, org_id in pairs:
        out[inspection_id].append(names.get(org_id, ""))
    return out


def _teams(inspections: Iterable[Inspection]) -> dict[int, list[str]]:
    """Each inspection's team by the names its draw froze (the pool only, not the draw's blobs)."""
    rows = list(inspections)
    pools = dict(Draw._base_manager.filter(pk__in={i.draw_id for i in rows}).values_list("pk", "inspector_pool"))
    out: dict[int, list[str]] = {}
    for inspection in rows:
        names = {int(e["id"]): e.get("name") or e.get("key", "") for e in pools.get(inspection.draw_id) or [] if e.get("id") is not None}
        out[inspection.pk] = [names.get(int(i), f"#{i}") for i in inspection.team]
    return out


def with_combined(rows: QuerySet[Inspection]) -> QuerySet[Inspection]:
    """``rows`` annotated with the active combined visit each is in (``combined_visit_pk``, its
    day ``combined_visit_on``; a correction carries its visit's), for the API's rows in one query."""
    # The membership of a visible inspection's selection: read below the scope (the row found decides).
    member = CombinedVisitMember._base_manager.filter(active=True, inspection__selection_id=OuterRef("selection_id"))
    return rows.annotate(
        combined_visit_pk=Subquery(member.values("combined_visit_id")[:1]),
        combined_visit_on=Subquery(member.values("combined_visit__visit_on")[:1]),
    )
