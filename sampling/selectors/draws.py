"""Reads of draws, their results, recusal requests and draw jobs. Every query is scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from inventory.models import Inspector, MarketEntity
from sampling.models import (
    Draw,
    DrawSelection,
    PlanParticipant,
    RecusalRequest,
    SamplingTask,
    Substitution,
    TargetReplacement,
)
from tenancy.context import Actor, Role
from tenancy.models import Job

DRAW_JOB_KINDS = ("draw", "draw_plan")


def task_get(*, actor: Actor, pk: int) -> SamplingTask:
    return get_object_or_404(SamplingTask.objects.select_related("plan", "organization"), pk=pk)


def draw_get(*, actor: Actor, pk: int) -> Draw:
    return get_object_or_404(Draw.objects.select_related("task", "plan", "organization"), pk=pk)


def draw_list(*, actor: Actor, task: SamplingTask | None = None) -> QuerySet[Draw]:
    """Draws visible to the actor (abandoned ones included: they stay listed), newest first.
    The frozen pool blobs are deferred: a list never needs them."""
    draws = Draw.objects.select_related("task", "organization").defer("pool_blob", "excluded_blob", "secret")
    if task is not None:
        draws = draws.filter(task=task)
    return draws.order_by("-committed_at", "-id")


def selection_get(*, actor: Actor, draw: Draw, pk: Any) -> DrawSelection:
    return get_object_or_404(DrawSelection, pk=pk, draw=draw)


def can_run_ceremony(actor: Actor, obj: Draw | SamplingTask) -> bool:
    return obj.organization_id == actor.organization_id and actor.has_role(Role.PLANNER, Role.ADMIN)


def record_variant_for(*, actor: Actor, draw: Draw) -> str:
    """The filing record (with inspectors) for the owner, a joint plan's participants and the
    office of the draw's region; the public record for everyone else (DRAW.md §6)."""
    if not actor.is_member:
        return "public"
    if actor.organization_id == draw.organization_id:
        return "filing"
    if actor.is_office and draw.region_id in actor.visible_region_ids:
        return "filing"
    if actor.is_department and PlanParticipant.objects.filter(plan_id=draw.plan_id, department_id=actor.organization_id).exists():
        return "filing"
    return "public"


@dataclass
class TeamMember:
    id: int
    key: str
    name: str
    department: str


@dataclass
class ResultRow:
    selection: DrawSelection
    entity: MarketEntity | None
    team: list[TeamMember] = field(default_factory=list)
    initial_team: list[TeamMember] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return [m.id for m in self.team] != [m.id for m in self.initial_team]


@dataclass
class SubstitutionRow:
    seq: int
    key: str
    out: TeamMember | None
    into: TeamMember | None
    reason: str
    at: Any


@dataclass
class DrawResults:
    selected: list[ResultRow]
    reserve: list[ResultRow]
    substitutions: list[SubstitutionRow]
    replacements: list[TargetReplacement]
    recusals: list[RecusalRequest]
    members: dict[int, TeamMember]


def _members(draw: Draw) -> dict[int, TeamMember]:
    # Names come from the draw's frozen inspector pool: the teams as drawn, whatever the registry
    # says later, and readable by every participant of a joint draw.
    return {
        int(e["id"]): TeamMember(id=int(e["id"]), key=e["key"], name=e.get("name", e["key"]), department=e["department"])
        for e in draw.inspector_pool
    }


def draw_results(*, actor: Actor, draw: Draw, limit: int | None = None) -> DrawResults:
    """Selected targets by rank, the reserve list, teams with names, and the events since."""
    members = _members(draw)
    rows = DrawSelection.objects.filter(draw=draw)
    selected_q = rows.filter(rank__isnull=False).order_by("rank")
    reserve_q = rows.filter(reserve_order__isnull=False).order_by("reserve_order")
    # A million-entity draw has ~95,000 selections: the page shows the first ``limit`` of each.
    selected = list(selected_q[:limit] if limit is not None else selected_q)
    reserve = list(reserve_q[:limit] if limit is not None else reserve_q)
    entity_ids = [s.entity_id for s in selected + reserve]
    entities = MarketEntity.objects.in_bulk(entity_ids)

    def row(s: DrawSelection) -> ResultRow:
        return ResultRow(
            selection=s,
            entity=entities.get(s.entity_id),
            team=[members[i] for i in s.team if i in members],
            initial_team=[members[i] for i in s.initial_team if i in members],
        )

    return DrawResults(
        selected=[row(s) for s in selected],
        reserve=[row(s) for s in reserve],
        substitutions=[
            SubstitutionRow(
                seq=s.seq, key=s.selection.key, out=members.get(s.out_inspector_id), into=members.get(s.in_inspector_id),
                reason=s.reason, at=s.created_at,
            )
            for s in Substitution.objects.filter(draw=draw).select_related("selection").order_by("seq")
        ],
        replacements=list(
            TargetReplacement.objects.filter(draw=draw).select_related("replaced", "replacement").order_by("seq")
        ),
        recusals=list(RecusalRequest.objects.filter(draw=draw).select_related("selection", "inspector").order_by("-created_at")),
        members=members,
    )


def my_team_slots(*, actor: Actor, draw: Draw) -> list[tuple[DrawSelection, TeamMember]]:
    """(selection, me) for each current team of the draw the actor's linked inspector is on."""
    if actor.user_id is None:
        return []
    members = _members(draw)
    mine = set(Inspector.objects.filter(user_id=actor.user_id).values_list("pk", flat=True))
    slots = []
    for s in current_targets(draw=draw):
        for i in s.team:
            if i in mine and i in members:
                slots.append((s, members[i]))
    return slots


# A large draw has tens of thousands of targets: the forms list this many and find the rest.
TARGETS_LISTED = 100


@dataclass
class TargetFilter:
    """Which current targets a recusal or replacement form offers: those matching ``query`` (a
    code fragment or a rank), or the one ``selection_id`` (what a posted form chose), at most
    ``limit`` of them."""

    query: str = ""
    selection_id: int | None = None
    limit: int | None = None


def current_targets(*, draw: Draw, only: TargetFilter | None = None) -> QuerySet[DrawSelection]:
    """The draw's current targets (drawn, or brought in from the reserve) in rank order."""
    rows = DrawSelection.objects.filter(draw=draw, status__in=["selected", "replacement"]).order_by("rank", "reserve_order")
    only = only or TargetFilter()
    if only.selection_id is not None:
        rows = rows.filter(pk=only.selection_id)
    query = only.query.strip()
    if query:
        match = Q(key__icontains=query)
        if query.isdigit():
            match |= Q(rank=int(query))
        rows = rows.filter(match)
    return rows[: only.limit] if only.limit else rows


def team_choices(*, draw: Draw, only: TargetFilter | None = None) -> list[tuple[str, str]]:
    """"selection:inspector" choices for a planner's recusal form: every current team member."""
    members = _members(draw)
    choices = []
    for s in current_targets(draw=draw, only=only):
        for i in s.team:
            m = members.get(i)
            if m is not None:
                label = f"{s.rank or _('递补')} · {s.key} · {m.name}（{m.department}）"
                choices.append((f"{s.pk}:{i}", label))
    return choices


def replaceable_choices(*, draw: Draw, only: TargetFilter | None = None) -> list[tuple[str, str]]:
    return [(str(s.pk), f"{s.rank or _('递补')} · {s.key} · {s.stratum}") for s in current_targets(draw=draw, only=only)]


def recusal_get(*, actor: Actor, pk: int) -> RecusalRequest:
    return get_object_or_404(
        RecusalRequest.objects.select_related("draw", "draw__task", "selection", "inspector"), pk=pk
    )


def recusal_list(*, actor: Actor, status: str = "") -> QuerySet[RecusalRequest]:
    """Requests the actor may decide (a leader: inspectors of their unit) or has made."""
    requests = RecusalRequest.objects.select_related("draw", "draw__task", "selection", "inspector")
    mine = Q(requested_by_id=actor.user_id) if actor.user_id else Q(pk__in=[])
    if actor.has_role(Role.LEADER):
        mine |= Q(inspector__organization_id=actor.organization_id)
    if actor.has_role(Role.PLANNER, Role.ADMIN):
        mine |= Q(draw__organization_id=actor.organization_id)
    requests = requests.filter(mine)
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("status", "-created_at")


def job_get(*, actor: Actor, pk: int) -> Job:
    return get_object_or_404(Job, pk=pk, kind__in=DRAW_JOB_KINDS)


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    if actor.has_role(Role.LEADER):
        pending = RecusalRequest.objects.filter(
            status=RecusalRequest.Status.PENDING, inspector__organization_id=actor.organization_id
        ).count()
        cards.append(
            {
                "key": "recusals-pending",
                "label": _("待审批回避申请"),
                "value": pending,
                "state": "bad" if pending else "ok",
                "url": reverse("sampling:recusal_list") + "?status=pending",
            }
        )
    open_draws = Draw.objects.filter(status=Draw.Status.COMMITTED, organization_id=actor.organization_id).count()
    if open_draws:
        cards.append({"key": "draws-open", "label": _("已承诺待抽取"), "value": open_draws, "state": "warn", "url": ""})
    return cards
