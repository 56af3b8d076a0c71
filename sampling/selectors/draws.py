"""Reads of draws: the ceremony's objects, results and teams, the draw record (DRAW.md §6) rebuilt
from the database and its verification checklist, draw jobs. Every query is scoped.

The record is never stored as one document: ``draw_record`` rebuilds it from the Draw row (frozen
pool, strata, inspector side, secret and seed), its selections, and its substitutions in ``seq``
order, so what is published is always what the database holds; ``hashrank.verify`` must accept
it. Extensions of ours live under ``"x"`` (verifiers ignore unknown fields): the draw's times and
witnesses, the inspector pool hash announced with the commitment, target replacements from the
reserve (``x.replacements``) and substitutions on replacement targets (``x.substitutions``: they
follow DRAW.md §5 with the loads of the record's ``assignments``, but concern a target that was
not drawn, so they cannot sit in the spec's ``substitutions``). Its stored and written forms are
in ``sampling.record_codec``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from inventory.models import Inspector, MarketEntity
from sampling import hashrank
from sampling.models import (
    Draw,
    DrawSelection,
    RecusalRequest,
    SamplingTask,
    Substitution,
    TargetReplacement,
)
from sampling.policies import can_read_filing_record
from sampling.pool import paused_gc
from sampling.record_codec import decode_canonical, decode_excluded, pool_entries, pool_reference
from sampling.teams import record_pool
from tenancy.context import Actor
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


def record_variant_for(*, actor: Actor, draw: Draw) -> str:
    """The filing record (with inspectors) for the owner, a joint plan's participants and the
    office of the draw's region; the public record for everyone else (DRAW.md §6)."""
    return "filing" if can_read_filing_record(actor, draw) else "public"


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


def team_members(draw: Draw, actor: Actor | None = None) -> dict[int, TeamMember]:
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


def selection_entities(ids: list[int]) -> dict[int, MarketEntity]:
    """The named entities of selections (region-shared rows: whoever sees the draw sees them)."""
    return MarketEntity.objects.only("pk", "code", "name", "address", "legal_representative").in_bulk(ids)


def draw_results(*, actor: Actor, draw: Draw, limit: int | None = None) -> DrawResults:
    """Selected targets by rank (and grouped by stratum), the reserve list, teams with names,
    the viewer's own targets, and the events since."""
    members = team_members(draw, actor)
    rows = DrawSelection.objects.filter(draw=draw)
    selected_q = rows.filter(rank__isnull=False).order_by("rank")
    reserve_q = rows.filter(reserve_order__isnull=False).order_by("reserve_order")
    # A million-entity draw has ~95,000 selections: the page shows the first ``limit`` of each.
    selected = list(selected_q[:limit] if limit is not None else selected_q)
    reserve = list(reserve_q[:limit] if limit is not None else reserve_q)
    replacements = list(
        TargetReplacement.objects.filter(draw=draw).select_related("replaced", "replacement").order_by("seq")
    )
    mine = my_targets(actor=actor, draw=draw, members=members)
    entity_ids = [s.entity_id for s in selected + reserve + mine]
    entity_ids += [x.entity_id for r in replacements for x in (r.replaced, r.replacement)]
    entities = selection_entities(entity_ids)

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
    names = selection_entities([s.selection.entity_id for s in substitutions])
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
    members = team_members(draw)
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


def my_targets(*, actor: Actor, draw: Draw, members: dict[int, TeamMember]) -> list[DrawSelection]:
    """The current targets whose team the actor's linked inspector is on (none for most viewers:
    only then are the teams of every target read)."""
    if actor.user_id is None:
        return []
    mine = set(Inspector.objects.filter(user_id=actor.user_id).values_list("pk", flat=True)) & set(members)
    if not mine:
        return []
    ids = [pk for pk, team in current_targets(draw=draw).values_list("pk", "team") if mine & set(team)]
    return list(DrawSelection.objects.filter(pk__in=ids).order_by("rank", "reserve_order"))


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


def job_get(*, actor: Actor, pk: int) -> Job:
    return get_object_or_404(Job, pk=pk, kind__in=DRAW_JOB_KINDS)


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    open_draws = Draw.objects.filter(status=Draw.Status.COMMITTED, organization_id=actor.organization_id).count()
    if open_draws:
        return [{"key": "draws-open", "label": _("已承诺待抽取"), "value": open_draws, "state": "warn", "url": ""}]
    return []


# --------------------------------------------------------------------------------------------
# The record


class _Sel(NamedTuple):
    pk: int
    key: str
    stratum: str
    score: str
    rank: int | None
    reserve_order: int | None
    team: list[int]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def draw_record(draw: Draw, *, variant: str = "filing", pool: bool = True) -> dict[str, Any]:
    """The DRAW.md §6 record of a completed draw: ``"filing"`` (all) or ``"public"`` (no inspectors).

    ``pool=False``: the record's ``pool`` is a reference to the draw's frozen pool
    (``pool_reference``), not the million entries — what a filing stores; ``record_chunks``
    writes it out whole again.

    Raises ``ValueError`` for a draw that is not completed: before the draw the secret must stay
    server-side (DRAW.md §1), and only ``commitment_event`` may be shown.
    """
    with paused_gc():
        return _draw_record(draw, variant=variant, pool=pool)


def _draw_record(draw: Draw, *, variant: str, pool: bool = True) -> dict[str, Any]:
    if variant not in ("filing", "public"):
        raise ValueError(f"unknown record variant {variant!r}")
    if draw.status != Draw.Status.COMPLETED:
        raise ValueError("only a completed draw has a record")
    key_of = {int(e["id"]): e["key"] for e in draw.inspector_pool}
    # Plain rows, not model instances: a hundred thousand selections.
    selections = [
        _Sel(*row)
        for row in DrawSelection.objects.filter(draw=draw).values_list(
            "pk", "key", "stratum", "score", "rank", "reserve_order", "team"
        )
    ]
    ranked = sorted((s for s in selections if s.rank is not None), key=lambda s: s.rank)
    reserve = sorted((s for s in selections if s.reserve_order is not None), key=lambda s: s.reserve_order)
    ranked_ids = {s.pk for s in ranked}
    by_pk = {s.pk: s for s in selections}

    subs = list(Substitution.objects.filter(draw=draw).order_by("seq"))
    main_subs = [s for s in subs if s.selection_id in ranked_ids]
    extra_subs = [s for s in subs if s.selection_id not in ranked_ids]

    def sub_dict(s: Substitution) -> dict[str, Any]:
        return {
            "target": by_pk[s.selection_id].key,
            "out": key_of[s.out_inspector_id],
            "in": key_of[s.in_inspector_id],
            "reason": s.reason,
        }

    record: dict[str, Any] = {
        "spec": draw.spec,
        "task_uid": draw.task_uid,
        "commitment": draw.commitment,
        "secret": draw.secret,
        "public_entropy": draw.public_entropy,
        "seed": draw.seed,
        "pool_hash": draw.pool_hash,
        "pool": pool_entries(decode_canonical(draw.pool_blob)) if pool else pool_reference(draw),
        "excluded": decode_excluded(draw.excluded_blob),
        "strata": list(draw.strata),
        "reserve_size": draw.reserve_size,
        "allocation": list(draw.allocation),
        "selected": [{"rank": s.rank, "key": s.key, "stratum": s.stratum, "score": s.score} for s in ranked],
        "reserve": [{"key": s.key, "stratum": s.stratum, "score": s.score} for s in reserve],
        "inspector_pool": record_pool(draw.inspector_pool),
        "requirements": list(draw.requirements),
        "conflicts": list(draw.conflicts),
        "assignments": (
            [{"target": s.key, "inspectors": [key_of[i] for i in s.team]} for s in ranked] if draw.requirements else []
        ),
        "substitutions": [sub_dict(s) for s in main_subs],
    }
    replacements = list(TargetReplacement.objects.filter(draw=draw).order_by("seq"))
    # The initial teams of replacement targets only (a JSON value per row costs a decode).
    initial_team = dict(
        DrawSelection.objects.filter(pk__in=[r.replacement_id for r in replacements]).values_list("pk", "initial_team")
    ) if replacements else {}
    x: dict[str, Any] = {
        "draw_id": draw.pk,
        "committed_at": _iso(draw.committed_at),
        "scheduled_at": _iso(draw.scheduled_at),
        "drawn_at": _iso(draw.drawn_at),
        "witnesses": list(draw.witnesses),
        "inspector_pool_hash": draw.inspector_pool_hash,
        "replacements": [
            {
                "seq": r.seq,
                "replaced": by_pk[r.replaced_id].key,
                "replacement": by_pk[r.replacement_id].key,
                "stratum": by_pk[r.replacement_id].stratum,
                "reason": r.reason,
                "at": _iso(r.created_at),
                "inspectors": [key_of[i] for i in initial_team[r.replacement_id]],
            }
            for r in replacements
        ],
        "substitutions": [sub_dict(s) for s in extra_subs],
    }
    record["x"] = x
    if variant == "public":
        record = hashrank.public_record(record)
        public_x = dict(x)
        public_x["replacements"] = [{k: v for k, v in r.items() if k != "inspectors"} for r in x["replacements"]]
        public_x["substitutions"] = [{"target": s["target"], "reason": s["reason"]} for s in x["substitutions"]]
        public_x.pop("inspector_pool_hash")
        record["x"] = public_x
    return record


# --------------------------------------------------------------------------------------------
# The record as the pages present it


def commitment_event(draw: Draw) -> dict[str, Any]:
    """The commitment as published before the draw (DRAW.md §1): never the secret."""
    counts: dict[str, int] = {}
    if draw.allocation:  # after the draw the eligible counts are stored; before, count the pool
        counts = {a["stratum"]: a["eligible"] for a in draw.allocation}
    elif draw.pool_blob:
        groups = hashrank.groups_of_canonical(decode_canonical(draw.pool_blob))
        counts = {stratum: len(keys) for stratum, keys in groups.items()}
    return {
        "spec": draw.spec,
        "task_uid": draw.task_uid,
        "commitment": draw.commitment,
        "pool_hash": draw.pool_hash,
        "pool_size": draw.pool_size,
        "eligible": [{"stratum": s, "eligible": n} for s, n in sorted(counts.items())],
        "excluded_count": draw.excluded_count,
        "strata": list(draw.strata),
        "reserve_size": draw.reserve_size,
        "scheduled_at": _iso(draw.scheduled_at),
        "committed_at": _iso(draw.committed_at),
        "inspector_pool_hash": draw.inspector_pool_hash,
    }


def verify_checks(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The verification as a checklist for the results page: one row per re-derived field."""
    with paused_gc():
        problems = hashrank.verify(record)
    fields = [
        ("commitment", _("承诺值 = H(密钥)")),
        ("seed", _("种子由密钥、公开随机数和任务编号重新推导")),
        ("pool_hash", _("对象池摘要")),
        ("allocation", _("各层抽取数量")),
        ("selected", _("抽中对象及排序")),
        ("reserve", _("备选对象")),
        ("assignments", _("检查组分配")),
        ("substitutions", _("人员递补")),
    ]
    rows = []
    claimed: set[int] = set()
    for name, label in fields:
        mine = [i for i, p in enumerate(problems) if p.startswith(name)]
        claimed.update(mine)
        rows.append({"field": name, "label": label, "ok": not mine, "problems": [problems[i] for i in mine]})
    other = [p for i, p in enumerate(problems) if i not in claimed]
    if other:
        rows.append({"field": "other", "label": _("其他"), "ok": False, "problems": other})
    return rows
