"""The eligible pool of a plan or a task: base set, scope filters, strata and exclusions.

Every draw freezes ``task_pool``; the plan page previews ``plan_pool``. Rules (seed work plans):

- base set: the active entries of the owner's registry; a joint plan takes the union of the
  participating departments' registries (one entity once: 进一次门、查多项事);
- scope filters (entity types, industry prefixes, tags, region codes), the task's over the plan's;
- strata: risk classes A/B/C/D, or one stratum; with ``focus_ratio``, entities on the abnormal or
  dishonest list or with many complaints form a focus stratum with a higher ratio
  (曲阳 §28, 阳城发改 方案, 阳城文旅: 对列入异常名录、失信、投诉量大的……提高抽查比例和频次);
- exclusions, first rule that applies, each with its reason: deregistered/revoked; covered by a
  higher-level plan (阳城发改: 上级部门已安排抽查计划的，不再安排抽查); already drawn by this
  plan this year (阳城发改: 已抽查过的市场主体，不再列入当年度抽查名单); drawn ``annual_cap``
  times this year by anyone (曲阳 §17: 同一年度内对同一企业的抽查次数不超过2次).

Until the inspections app exists, "inspected" means selected in a completed draw.

Reads go through the scoped managers: a participant department of a joint plan sees the part of
the pool its own registry contributes, the office that owns the plan sees all of it. Built for a
million entities: ``values_list`` rows, sets and dicts, no model instances, no per-entity query.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, reduce
from operator import or_
from typing import Any

from django.db.models import Q

from inventory.models import MarketEntity, RegistryEntry, Tag
from sampling import hashrank
from sampling.models import Draw, DrawSelection, HigherPlanCoverage, SamplingPlan, SamplingTask
from tenancy.context import Actor
from tenancy.models import Region
from tenancy.scoping import region_tally_scope

RISK_LABELS: dict[str, str] = {"A": "A-低风险", "B": "B-一般风险", "C": "C-较高风险", "D": "D-高风险"}
SINGLE_LABEL = "全部"
FOCUS_LABEL = "重点-投诉异常失信"
# Default per-batch ratios (issue 4: A 3 %, B 5 %, C 10 %, D 20 %); 3 % is also the floor of a
# batch (曲阳 §17 / 阳城文旅: 每次抽查比例不低于3%).
DEFAULT_RATIOS: dict[str, str] = {"A": "0.03", "B": "0.05", "C": "0.10", "D": "0.20"}
DEFAULT_SINGLE_RATIO = "0.05"

REASON_INACTIVE = "已注销/吊销"
REASON_HIGHER = "上级部门已安排抽查"
REASON_BY_PLAN = "本计划本年度已抽查"
# "本年度已被抽查N次"
REASON_CAP = "本年度已被抽查{n}次"

SCOPE_KEYS = ("entity_types", "industry_prefixes", "tags", "region_codes")
_COUNTED = (DrawSelection.Status.SELECTED, DrawSelection.Status.REPLACEMENT)


def stratum_label(risk_class: str) -> str:
    """"A" -> "A-低风险" … The label is what the draw record shows as the stratum."""
    return RISK_LABELS[risk_class]


def _short(label: str) -> str:
    """The stratum key a plan's JSON may use: "A" for "A-低风险", the label otherwise."""
    for short, full in RISK_LABELS.items():
        if label == full:
            return short
    return label


@dataclass(frozen=True)
class PoolResult:
    """The eligible pool as each stratum's keys with their entity ids (aligned lists, no object
    per candidate: a million of them), the excluded with reasons, the strata and the counts.

    ``canonical()`` sorts every stratum's keys (and their ids with them) into the canonical order
    of DRAW.md §2, once; ``key in pool`` is then a binary search. ``candidates`` and
    ``entity_ids`` are built on first use, for callers that want them.
    """

    keys_by_stratum: dict[str, list[str]]
    ids_by_stratum: dict[str, list[int]]
    excluded: list[hashrank.Exclusion]
    strata: list[hashrank.Stratum]
    counts: dict[str, int]
    excluded_counts: dict[str, int]
    # Entities of the base set after the scope filters (eligible + excluded).
    total: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> int:
        return sum(len(keys) for keys in self.keys_by_stratum.values())

    @cached_property
    def candidates(self) -> list[hashrank.Candidate]:
        make = hashrank.Candidate
        return [make(key, stratum) for stratum, keys in self.keys_by_stratum.items() for key in keys]

    @cached_property
    def entity_ids(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for stratum, keys in self.keys_by_stratum.items():
            result.update(zip(keys, self.ids_by_stratum[stratum], strict=True))
        return result

    def canonical(self) -> PoolResult:
        """Sort each stratum's keys byte-wise, their entity ids alongside (in place, once)."""
        if self.__dict__.get("_sorted"):
            return self
        for stratum, keys in self.keys_by_stratum.items():
            # Rows come in whatever order the database chose: sort positions by key (one linear
            # pass when they came in key order), then put both lists in that order.
            order = sorted(range(len(keys)), key=keys.__getitem__)
            ids = self.ids_by_stratum[stratum]
            ids[:] = list(map(ids.__getitem__, order))
            keys[:] = list(map(keys.__getitem__, order))
        self.__dict__["_sorted"] = True
        return self

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is an eligible candidate (after ``canonical()``: binary searches)."""
        if not self.__dict__.get("_sorted"):
            return key in self.entity_ids
        for keys in self.keys_by_stratum.values():
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                return True
        return False


# ---------------------------------------------------------------------------------------------
# What is in effect


def merged_scope(plan: SamplingPlan, task: SamplingTask | None = None) -> dict[str, list[str]]:
    """The scope filters in effect: each key of the task's scope, when non-empty, replaces the plan's."""
    result: dict[str, list[str]] = {}
    plan_scope = plan.scope or {}
    task_scope = (task.scope or {}) if task is not None else {}
    for key in SCOPE_KEYS:
        value = task_scope.get(key) or plan_scope.get(key) or []
        result[key] = [str(v).strip() for v in value if str(v).strip()]
    return result


def _ratio_text(value: Any) -> str:
    """A Decimal/float/str ratio as the decimal string hashrank wants ("0.3000" -> "0.3")."""
    if isinstance(value, str):
        return value.strip()
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return text


def stratum_from_json(entry: dict[str, Any], label: str) -> hashrank.Stratum:
    if entry.get("count") not in (None, ""):
        return hashrank.Stratum(label, count=int(entry["count"]))
    return hashrank.Stratum(label, ratio=_ratio_text(entry.get("ratio", "")))


def strata_in_effect(plan: SamplingPlan, task: SamplingTask | None = None) -> list[hashrank.Stratum]:
    """The strata of the draw, byte-wise ordered: the task's JSON, else the plan's, else defaults."""
    raw = (task.strata if task is not None and task.strata else None) or plan.strata or []
    given = {_short(str(e.get("stratum", ""))): e for e in raw if isinstance(e, dict)}
    result: list[hashrank.Stratum] = []
    if plan.strata_mode == SamplingPlan.StrataMode.SINGLE:
        entry = given.get(SINGLE_LABEL, {"ratio": DEFAULT_SINGLE_RATIO})
        result.append(stratum_from_json(entry, SINGLE_LABEL))
    else:
        for short, label in RISK_LABELS.items():
            result.append(stratum_from_json(given.get(short, {"ratio": DEFAULT_RATIOS[short]}), label))
    if plan.focus_ratio is not None:
        result.append(hashrank.Stratum(FOCUS_LABEL, ratio=_ratio_text(plan.focus_ratio)))
    return sorted(result, key=lambda s: s.stratum.encode("utf-8"))


def plan_lineage_ids(plan: SamplingPlan) -> set[int]:
    """Every version of the plan (earlier and later), read through the scoped manager."""
    ids = {plan.pk}
    prev = plan.previous_id
    while prev is not None and prev not in ids:
        ids.add(prev)
        prev = SamplingPlan.objects.filter(pk=prev).values_list("previous_id", flat=True).first()
    frontier = [plan.pk]
    while frontier:
        nxt = list(SamplingPlan.objects.filter(previous_id__in=frontier).values_list("pk", flat=True))
        frontier = [p for p in nxt if p not in ids]
        ids.update(frontier)
    return ids


def registry_org_ids(plan: SamplingPlan) -> list[int]:
    """Whose registries make the base set: the owner's, or each participant's for a joint plan."""
    if plan.kind == SamplingPlan.Kind.JOINT:
        return list(plan.participants.values_list("department_id", flat=True))
    return [plan.organization_id]


# ---------------------------------------------------------------------------------------------
# The pool


def _base_rows(*, plan: SamplingPlan, scope: dict[str, list[str]], columns: tuple[str, ...]) -> tuple[Any, bool]:
    """The base set's rows (``columns`` of each entity, entity id first) and whether one entity
    can come twice (several participants' registries, or several matching tags)."""
    org_ids = registry_org_ids(plan)
    entries = RegistryEntry.objects.filter(organization_id__in=org_ids, status=RegistryEntry.Status.ACTIVE)
    repeats = len(org_ids) > 1
    if scope["entity_types"]:
        entries = entries.filter(entity__entity_type__in=scope["entity_types"])
    if scope["industry_prefixes"]:
        entries = entries.filter(reduce(or_, (Q(entity__industry_code__startswith=p) for p in scope["industry_prefixes"])))
    if scope["tags"]:
        tag_ids = list(
            Tag.objects.filter(organization_id__in=org_ids, kind=Tag.Kind.ENTITY, name__in=scope["tags"]).values_list(
                "pk", flat=True
            )
        )
        entries = entries.filter(tags__in=tag_ids)
        repeats = True
    if scope["region_codes"]:
        prefixes = [r.prefix for r in Region.objects.filter(code__in=scope["region_codes"])]
        entries = entries.filter(reduce(or_, (Q(entity__region__code__startswith=p) for p in prefixes), Q(pk__in=[])))
    # Only the columns the plan's rules read; a million rows, every column costs.
    return entries.values_list("entity_id", *(f"entity__{c}" for c in columns)), repeats


def _first_of_each(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    seen: set[int] = set()
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            yield row


def _build(*, actor: Actor, plan: SamplingPlan, task: SamplingTask | None, year: int) -> PoolResult:
    scope = merged_scope(plan, task)
    strata = strata_in_effect(plan, task)
    single = plan.strata_mode == SamplingPlan.StrataMode.SINGLE
    focus = plan.focus_ratio is not None
    focus_complaints = plan.focus_complaints

    # Exclusions by entity id, first rule that applies (deregistered/revoked is read per row).
    reason_of: dict[int, str] = {}
    cap = plan.annual_cap
    if cap > 0:
        # "By anyone": every department of the region counts, though none of their rows is shown.
        with region_tally_scope(actor):
            times = Counter(
                DrawSelection.objects.filter(
                    plan__year=year, status__in=_COUNTED, draw__status=Draw.Status.COMPLETED
                ).values_list("entity_id", flat=True)
            )
        cap_reasons: dict[int, str] = {}
        for entity_id, n in times.items():
            if n >= cap:
                reason_of[entity_id] = cap_reasons.get(n) or cap_reasons.setdefault(n, REASON_CAP.format(n=n))
    if plan.exclude_inspected_by_plan:
        by_plan = DrawSelection.objects.filter(
            plan_id__in=plan_lineage_ids(plan), status__in=_COUNTED, draw__status=Draw.Status.COMPLETED
        ).values_list("entity_id", flat=True)
        reason_of.update(dict.fromkeys(by_plan, REASON_BY_PLAN))
    if plan.exclude_higher_plan:
        higher = HigherPlanCoverage.objects.filter(plan=plan).values_list("entity_id", flat=True)
        reason_of.update(dict.fromkeys(higher, REASON_HIGHER))

    keys_by_stratum: dict[str, list[str]] = {s.stratum: [] for s in strata}
    ids_by_stratum: dict[str, list[int]] = {s.stratum: [] for s in strata}
    excluded: list[hashrank.Exclusion] = []
    inactive = {MarketEntity.Status.DEREGISTERED.value, MarketEntity.Status.REVOKED.value} if plan.exclude_inactive else set()
    Exclusion = hashrank.Exclusion  # noqa: N806 (local alias: hot loop)

    def slot(label: str) -> tuple[Callable[[str], None], Callable[[int], None]]:
        return keys_by_stratum[label].append, ids_by_stratum[label].append

    if single:
        by_risk = dict.fromkeys(RISK_LABELS, slot(SINGLE_LABEL))
        default = by_risk["A"]
    else:
        by_risk = {risk: slot(label) for risk, label in RISK_LABELS.items()}
        default = by_risk["B"]
    columns: tuple[str, ...] = ("code", "status", "risk_class")
    if focus:
        columns += ("on_abnormal_list", "on_dishonest_list", "complaint_count")
    rows, repeats = _base_rows(plan=plan, scope=scope, columns=columns)
    if repeats:  # the same entity in two participants' registries (or under two tags): once
        rows = _first_of_each(rows)
    get_reason = reason_of.get
    # One tight loop per shape of row: this runs a million times.
    if focus:
        add_focus = slot(FOCUS_LABEL)
        for entity_id, code, status, risk, abnormal, dishonest, complaints in rows:
            reason = REASON_INACTIVE if status in inactive else get_reason(entity_id)
            if reason is not None:
                excluded.append(Exclusion(code, reason))
                continue
            add_key, add_id = add_focus if abnormal or dishonest or complaints >= focus_complaints else by_risk.get(risk, default)
            add_key(code)
            add_id(entity_id)
    elif reason_of:
        for entity_id, code, status, risk in rows:
            reason = REASON_INACTIVE if status in inactive else get_reason(entity_id)
            if reason is not None:
                excluded.append(Exclusion(code, reason))
                continue
            add_key, add_id = by_risk.get(risk, default)
            add_key(code)
            add_id(entity_id)
    else:
        for entity_id, code, status, risk in rows:
            if status in inactive:
                excluded.append(Exclusion(code, REASON_INACTIVE))
                continue
            add_key, add_id = by_risk.get(risk, default)
            add_key(code)
            add_id(entity_id)
    excluded_counts = Counter(e.reason for e in excluded)
    counts = {stratum: len(keys) for stratum, keys in keys_by_stratum.items()}

    return PoolResult(
        keys_by_stratum=keys_by_stratum,
        ids_by_stratum=ids_by_stratum,
        excluded=excluded,
        strata=strata,
        counts=counts,
        excluded_counts=dict(excluded_counts),
        total=sum(counts.values()) + len(excluded),
    )


def plan_pool(*, actor: Actor, plan: SamplingPlan, year: int | None = None) -> PoolResult:
    """The pool a task of ``plan`` with no overrides would freeze now (the plan preview)."""
    return _build(actor=actor, plan=plan, task=None, year=year or plan.year)


def task_pool(*, actor: Actor, task: SamplingTask) -> PoolResult:
    """The pool a draw of ``task`` freezes: the task's scope and strata over its plan's."""
    return _build(actor=actor, plan=task.plan, task=task, year=task.plan.year)

