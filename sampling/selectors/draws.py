"""Reads of draws, their results, recusal requests and draw jobs. Every query is scoped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from inventory.models import Inspector, MarketEntity
from sampling.models import (
    Draw,
    DrawSelection,
    PlanParticipant,
    RecusalAttachment,
    RecusalRequest,
    SamplingTask,
    Substitution,
    TargetReplacement,
)
from tenancy.context import Actor, Role
from tenancy.i18n import join_list
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
    # Whether the viewer may open the inspector's page (their own department's inspectors; a
    # joint draw's other departments' are named but not linked).
    linked: bool = False


@dataclass
class ResultRow:
    selection: DrawSelection
    entity: MarketEntity | None
    team: list[TeamMember] = field(default_factory=list)
    initial_team: list[TeamMember] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return [m.id for m in self.team] != [m.id for m in self.initial_team]

    @property
    def team_names(self) -> str:
        return join_list(m.name for m in self.team)

    @property
    def initial_names(self) -> str:
        return join_list(m.name for m in self.initial_team)


@dataclass
class StratumGroup:
    """The drawn targets of one stratum, as the results page shows them."""

    stratum: str
    eligible: int
    selected: int
    rows: list[ResultRow]


@dataclass
class SubstitutionRow:
    seq: int
    key: str
    out: TeamMember | None
    into: TeamMember | None
    reason: str
    at: Any
    entity: MarketEntity | None = None


@dataclass
class ReplacementRow:
    seq: int
    replaced: DrawSelection
    replacement: DrawSelection
    replaced_entity: MarketEntity | None
    replacement_entity: MarketEntity | None
    reason: str


@dataclass
class DrawResults:
    selected: list[ResultRow]
    reserve: list[ResultRow]
    substitutions: list[SubstitutionRow]
    replacements: list[ReplacementRow]
    recusals: list[RecusalRequest]
    members: dict[int, TeamMember]
    strata: list[StratumGroup] = field(default_factory=list)
    # The viewer's own current targets (an inspector on their teams), listed first on the page.
    mine: list[ResultRow] = field(default_factory=list)


def _members(draw: Draw, actor: Actor | None = None) -> dict[int, TeamMember]:
    # Names come from the draw's frozen inspector pool: the teams as drawn, whatever the registry
    # says later, and readable by every participant of a joint draw.
    ids = [int(e["id"]) for e in draw.inspector_pool]
    linked = set(Inspector.objects.filter(pk__in=ids).values_list("pk", flat=True)) if actor is not None else set()
    return {
        int(e["id"]): TeamMember(
            id=int(e["id"]), key=e["key"], name=e.get("name", e["key"]), department=e["department"],
            linked=int(e["id"]) in linked,
        )
        for e in draw.inspector_pool
    }


def entity_names(*, codes: list[str]) -> dict[str, str]:
    """Names of entities by code (a frozen pool knows its entities by code only)."""
    return dict(MarketEntity.objects.filter(code__any=codes).values_list("code", "name")) if codes else {}


def _entities(ids: list[int]) -> dict[int, MarketEntity]:
    """The named entities of selections (region-shared rows: whoever sees the draw sees them)."""
    return MarketEntity.objects.only("pk", "code", "name", "address", "legal_representative").in_bulk(ids)


def draw_results(*, actor: Actor, draw: Draw, limit: int | None = None) -> DrawResults:
    """Selected targets by rank (and grouped by stratum), the reserve list, teams with names,
    the viewer's own targets, and the events since."""
    members = _members(draw, actor)
    rows = DrawSelection.objects.filter(draw=draw)
    selected_q = rows.filter(rank__isnull=False).order_by("rank")
    reserve_q = rows.filter(reserve_order__isnull=False).order_by("reserve_order")
    # A million-entity draw has ~95,000 selections: the page shows the first ``limit`` of each.
    selected = list(selected_q[:limit] if limit is not None else selected_q)
    reserve = list(reserve_q[:limit] if limit is not None else reserve_q)
    replacements = list(
        TargetReplacement.objects.filter(draw=draw).select_related("replaced", "replacement").order_by("seq")
    )
    mine = _my_targets(actor=actor, draw=draw, members=members)
    entity_ids = [s.entity_id for s in selected + reserve + mine]
    entity_ids += [x.entity_id for r in replacements for x in (r.replaced, r.replacement)]
    entities = _entities(entity_ids)

    def row(s: DrawSelection) -> ResultRow:
        return ResultRow(
            selection=s,
            entity=entities.get(s.entity_id),
            team=[members[i] for i in s.team if i in members],
            initial_team=[members[i] for i in s.initial_team if i in members],
        )

    selected_rows = [row(s) for s in selected]
    reserve_rows = [row(s) for s in reserve]
    by_stratum: dict[str, list[ResultRow]] = {}
    for r in selected_rows:
        by_stratum.setdefault(r.selection.stratum, []).append(r)
    strata = [
        StratumGroup(stratum=a["stratum"], eligible=a["eligible"], selected=a["selected"], rows=by_stratum.get(a["stratum"], []))
        for a in draw.allocation
    ]
    substitutions = list(Substitution.objects.filter(draw=draw).select_related("selection").order_by("seq"))
    names = _entities([s.selection.entity_id for s in substitutions])
    return DrawResults(
        selected=selected_rows,
        reserve=reserve_rows,
        substitutions=[
            SubstitutionRow(
                seq=s.seq, key=s.selection.key, out=members.get(s.out_inspector_id), into=members.get(s.in_inspector_id),
                reason=s.reason, at=s.created_at, entity=names.get(s.selection.entity_id),
            )
            for s in substitutions
        ],
        replacements=[
            ReplacementRow(
                seq=r.seq, replaced=r.replaced, replacement=r.replacement, reason=r.reason,
                replaced_entity=entities.get(r.replaced.entity_id), replacement_entity=entities.get(r.replacement.entity_id),
            )
            for r in replacements
        ],
        recusals=list(
            RecusalRequest.objects.filter(draw=draw).select_related("selection", "selection__entity", "inspector")
            .order_by("-created_at")
        ),
        members=members,
        strata=strata,
        mine=[row(s) for s in mine],
    )


def draw_target_header(*, variant: str) -> list[str]:
    head = [_("序号"), _("备选顺序"), _("层"), _("状态"), _("统一社会信用代码/代码"), _("名称"), _("住所（经营场所）"),
            _("法定代表人/负责人")]
    if variant == "filing":  # the public record names no inspectors (DRAW.md §6)
        head += [_("检查组"), _("检查组所属部门"), _("初始检查组")]
    return head


def draw_target_rows(*, actor: Actor, draw: Draw, variant: str) -> Iterator[list[Any]]:
    """Every selection of the draw — drawn targets by rank, then the reserve list — with its
    entity's name, address and representative, and (filing variant) its team by name. Read in
    chunks: a large draw has ~95,000 of them."""
    members = _members(draw)
    statuses = dict(DrawSelection.Status.choices)
    rows = (
        DrawSelection.objects.filter(draw=draw)
        .order_by(F("rank").asc(nulls_last=True), "reserve_order")
        .values_list(
            "rank", "reserve_order", "stratum", "status", "key", "entity__name", "entity__address",
            "entity__legal_representative", "team", "initial_team",
        )
    )
    for rank, order, stratum, status, key, name, address, rep, team, initial in rows.iterator(chunk_size=2000):
        row: list[Any] = [rank, order, stratum, str(statuses.get(status, status)), key, name, address, rep]
        if variant == "filing":
            now = [members[i] for i in team if i in members]
            row += [
                "、".join(m.name for m in now),
                "、".join(dict.fromkeys(m.department for m in now)),
                "、".join(members[i].name for i in initial if i in members) if initial != team else "",
            ]
        yield row


def _my_targets(*, actor: Actor, draw: Draw, members: dict[int, TeamMember]) -> list[DrawSelection]:
    """The current targets whose team the actor's linked inspector is on (none for most viewers:
    only then are the teams of every target read)."""
    if actor.user_id is None:
        return []
    mine = set(Inspector.objects.filter(user_id=actor.user_id).values_list("pk", flat=True)) & set(members)
    if not mine:
        return []
    ids = [pk for pk, team in current_targets(draw=draw).values_list("pk", "team") if mine & set(team)]
    return list(DrawSelection.objects.filter(pk__in=ids).order_by("rank", "reserve_order"))


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
        # A leader remembers a firm by its name, a planner by its code or its rank.
        match = Q(key__icontains=query) | Q(entity__name__icontains=query)
        if query.isdigit():
            match |= Q(rank=int(query))
        rows = rows.filter(match)
    return rows[: only.limit] if only.limit else rows


Choices = list[tuple[str, list[tuple[str, str]]]]


def _short_label(s: DrawSelection, entity: MarketEntity | None) -> str:
    """"17 · 阳城县黄河商店": what a chosen option still says once the list is closed."""
    return f"{s.rank or _('递补')} · {entity.name if entity is not None else s.key}"


def target_label(s: DrawSelection, entity: MarketEntity | None) -> str:
    """"17 · 阳城县黄河商店 · 凤城镇东关街12号 · 91140522…": a target as a person reads it — by its
    name and address, the code last (it tells two firms of one name apart)."""
    parts = [_short_label(s, entity)]
    if entity is not None and entity.address:
        parts.append(entity.address)
    parts.append(s.key)
    return " · ".join(parts)


@dataclass
class SlotGroup:
    """A target of a recusal form with the team places one may ask to leave ("selection:inspector")."""

    selection: DrawSelection
    entity: MarketEntity | None
    label: str  # name, address, code
    short: str  # rank and name
    members: list[tuple[str, str]]  # (value, "黄海鹏（文旅局）")


def slot_choices(groups: list[SlotGroup]) -> Choices:
    """The form's choices: grouped by target; an option names the target too (a closed list shows
    only the chosen option)."""
    return [(g.label, [(value, f"{g.short} · {member}") for value, member in g.members]) for g in groups]


def _slot_groups(targets: list[DrawSelection], members: dict[int, TeamMember], only_ids: set[int] | None = None) -> list[SlotGroup]:
    entities = _entities([s.entity_id for s in targets])
    groups = []
    for s in targets:
        entity = entities.get(s.entity_id)
        places = [
            (f"{s.pk}:{i}", _("%(name)s（%(department)s）") % {"name": members[i].name, "department": members[i].department})
            for i in s.team if i in members and (only_ids is None or i in only_ids)
        ]
        if places:
            groups.append(SlotGroup(s, entity, target_label(s, entity), _short_label(s, entity), places))
    return groups


def team_choices(*, draw: Draw, only: TargetFilter | None = None) -> list[SlotGroup]:
    """A planner's recusal form: every current team member, under their target (name, address, code)."""
    return _slot_groups(list(current_targets(draw=draw, only=only)), _members(draw))


def my_slot_choices(*, actor: Actor, draw: Draw) -> list[SlotGroup]:
    """An inspector's recusal form: their own place on each team they are on, by target."""
    members = _members(draw)
    mine = set(Inspector.objects.filter(user_id=actor.user_id).values_list("pk", flat=True)) if actor.user_id else set()
    return _slot_groups(_my_targets(actor=actor, draw=draw, members=members), members, only_ids=mine)


def replaceable_choices(*, draw: Draw, only: TargetFilter | None = None) -> Choices:
    """A leader's replacement choices: current targets by stratum (a reserve of the same stratum
    takes the place), each by name, address and code."""
    targets = list(current_targets(draw=draw, only=only))
    entities = _entities([s.entity_id for s in targets])
    groups: dict[str, list[tuple[str, str]]] = {}
    for s in targets:
        groups.setdefault(s.stratum, []).append((str(s.pk), target_label(s, entities.get(s.entity_id))))
    return list(groups.items())


def recusal_get(*, actor: Actor, pk: int) -> RecusalRequest:
    return get_object_or_404(
        RecusalRequest.objects.select_related("draw", "draw__task", "selection", "selection__entity", "inspector"), pk=pk
    )


def recusal_attachments(*, actor: Actor, request: RecusalRequest) -> list[RecusalAttachment]:
    return list(RecusalAttachment.objects.filter(request=request).select_related("uploaded_by").order_by("created_at", "id"))


def recusal_attachment_queryset(*, actor: Actor) -> QuerySet[RecusalAttachment]:
    """Files of the recusal requests the actor sees (the download looks one up here: 404 otherwise)."""
    return RecusalAttachment.objects.all()


def inspector_visible(*, actor: Actor, inspector_id: int) -> bool:
    """Whether the actor may open the inspector's page (a joint draw names other departments' too)."""
    return Inspector.objects.filter(pk=inspector_id).exists()


def recusal_list(*, actor: Actor, status: str = "") -> QuerySet[RecusalRequest]:
    """Requests the actor may decide (a leader: inspectors of their unit) or has made."""
    requests = RecusalRequest.objects.select_related("draw", "draw__task", "selection", "selection__entity", "inspector")
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
