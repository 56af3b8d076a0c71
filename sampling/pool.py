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
million entities: every rule is part of one query (``_pool_queryset``), each entity once with
its exclusion reason and stratum; on PostgreSQL each group's codes come back joined in one text,
so no Python object is made per entity until the keys are split and sorted.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, reduce
from operator import or_
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils.translation import gettext_noop

from inventory.models import MarketEntity, RegistryEntry, Tag
from inventory.selectors import industry_q
from sampling import hashrank
from sampling.models import Draw, DrawSelection, HigherPlanCoverage, SamplingPlan, SamplingTask
from tenancy import db
from tenancy.context import Actor
from tenancy.models import Region
from tenancy.scoping import region_tally_scope

# Stratum names and exclusion reasons are written into draw records in Chinese (they are part of
# the canonical pool); gettext_noop only puts them in the catalog, pages translate them when shown.
RISK_LABELS: dict[str, str] = {
    "A": gettext_noop("A-低风险"), "B": gettext_noop("B-一般风险"), "C": gettext_noop("C-较高风险"), "D": gettext_noop("D-高风险")
}
SINGLE_LABEL = gettext_noop("全部")
FOCUS_LABEL = gettext_noop("重点-投诉异常失信")
# Default per-batch ratios (issue 4: A 3 %, B 5 %, C 10 %, D 20 %); 3 % is also the floor of a
# batch (曲阳 §17 / 阳城文旅: 每次抽查比例不低于3%).
DEFAULT_RATIOS: dict[str, str] = {"A": "0.03", "B": "0.05", "C": "0.10", "D": "0.20"}
DEFAULT_SINGLE_RATIO = "0.05"

REASON_INACTIVE = gettext_noop("已注销/吊销")
REASON_HIGHER = gettext_noop("上级部门已安排抽查")
REASON_BY_PLAN = gettext_noop("本计划本年度已抽查")
# "本年度已被抽查N次"
REASON_CAP = gettext_noop("本年度已被抽查%(n)s次")

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
    """The eligible pool as each stratum's keys, UTF-8 encoded and sorted byte-wise — the
    canonical order of DRAW.md §2, with no object per candidate (a million of them) — the
    excluded with their reasons, the strata and the size of the base set.

    ``groups`` has an entry for every stratum of ``strata`` (empty when nobody is in it).
    ``keys_by_stratum`` and ``candidates`` are built on first use, for callers that want text.
    """

    groups: dict[str, list[bytes]]
    excluded: list[hashrank.Exclusion]
    strata: list[hashrank.Stratum]
    # Entities of the base set after the scope filters (eligible + excluded).
    total: int = 0
    # True when every entity is of one region, where a code is unique, and each stratum's keys
    # were sorted here: no need to check, when the canonical form is built, that no key is in two
    # strata (a set of a million keys) or repeated or out of order within one.
    keys_unique: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {stratum: len(keys) for stratum, keys in self.groups.items()}

    @property
    def eligible(self) -> int:
        return sum(len(keys) for keys in self.groups.values())

    @cached_property
    def excluded_counts(self) -> dict[str, int]:
        return dict(Counter(e.reason for e in self.excluded))

    @cached_property
    def keys_by_stratum(self) -> dict[str, list[str]]:
        return {stratum: b"\n".join(keys).decode("utf-8").split("\n") if keys else [] for stratum, keys in self.groups.items()}

    @cached_property
    def candidates(self) -> list[hashrank.Candidate]:
        make = hashrank.Candidate
        return [make(key, stratum) for stratum, keys in self.keys_by_stratum.items() for key in keys]

    @cached_property
    def canonical(self) -> bytes:
        """The canonical pool (DRAW.md §2): what the commitment's pool hash is taken of."""
        return hashrank.canonical_of_sorted_groups(
            self.groups, check_unique=not self.keys_unique, check_order=not self.keys_unique
        )

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is an eligible candidate: a binary search per stratum."""
        if not isinstance(key, str):
            return False
        encoded = key.encode("utf-8")
        for keys in self.groups.values():
            i = bisect_left(keys, encoded)
            if i < len(keys) and keys[i] == encoded:
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


def _pool_queryset(*, actor: Actor, plan: SamplingPlan, task: SamplingTask | None, year: int) -> QuerySet[MarketEntity]:
    """The base set as entities (each once, however many registries or tags name it), each
    annotated with its exclusion reason (``pool_reason``, NULL when eligible) and its stratum
    (``pool_stratum``): every rule of the pool in one query, whatever the database."""
    scope = merged_scope(plan, task)
    org_ids = registry_org_ids(plan)
    entries = RegistryEntry.objects.filter(organization_id__in=org_ids, status=RegistryEntry.Status.ACTIVE)
    if scope["tags"]:
        tag_ids = list(
            Tag.objects.filter(organization_id__in=org_ids, kind=Tag.Kind.ENTITY, name__in=scope["tags"]).values_list(
                "pk", flat=True
            )
        )
        entries = entries.filter(tags__in=tag_ids)
    entities = MarketEntity.objects.filter(pk__in=entries.values("entity_id"))
    if scope["entity_types"]:
        entities = entities.filter(entity_type__in=scope["entity_types"])
    if scope["industry_prefixes"]:
        entities = entities.filter(industry_q(scope["industry_prefixes"]))
    if scope["region_codes"]:
        prefixes = [r.prefix for r in Region.objects.filter(code__in=scope["region_codes"])]
        entities = entities.filter(reduce(or_, (Q(region__code__startswith=p) for p in prefixes), Q(pk__in=[])))
    return entities.annotate(
        pool_reason=_reason_of(actor=actor, plan=plan, year=year), pool_stratum=_stratum_of(plan)
    )


def _reason_of(*, actor: Actor, plan: SamplingPlan, year: int) -> Any:
    """The first exclusion rule that applies, in the order the rules take precedence."""
    rules: list[When] = []
    if plan.exclude_inactive:
        rules.append(When(status__in=[MarketEntity.Status.DEREGISTERED, MarketEntity.Status.REVOKED],
                          then=Value(REASON_INACTIVE)))
    if plan.exclude_higher_plan:
        rules.append(When(pk__in=HigherPlanCoverage.objects.filter(plan=plan).values("entity_id"), then=Value(REASON_HIGHER)))
    if plan.exclude_inspected_by_plan:
        # Through the draws (a few per plan), whose selections the (draw, key) index finds.
        drawn = DrawSelection.objects.filter(
            draw__plan_id__in=plan_lineage_ids(plan), status__in=_COUNTED, draw__status=Draw.Status.COMPLETED
        )
        rules.append(When(pk__in=drawn.values("entity_id"), then=Value(REASON_BY_PLAN)))
    if plan.annual_cap > 0:
        # "By anyone": every department of the region counts, though none of their rows is shown.
        with region_tally_scope(actor):
            times = (
                DrawSelection.objects.filter(draw__plan__year=year, status__in=_COUNTED, draw__status=Draw.Status.COMPLETED)
                .values("entity_id").annotate(times=Count("pk")).filter(times__gte=plan.annual_cap)
            )
            counts = sorted(set(times.values_list("times", flat=True)), reverse=True)
        for n in counts:  # "本年度已被抽查N次", with each entity's own N
            rules.append(When(pk__in=times.filter(times=n).values("entity_id"), then=Value(REASON_CAP % {"n": n})))
    return Case(*rules, default=Value(None), output_field=CharField()) if rules else Value(None, output_field=CharField())


def _stratum_of(plan: SamplingPlan) -> Any:
    """The stratum label of an entity: its risk class (or the one stratum), or the focus stratum."""
    rules: list[When] = []
    if plan.focus_ratio is not None:
        focus = Q(on_abnormal_list=True) | Q(on_dishonest_list=True) | Q(complaint_count__gte=plan.focus_complaints)
        rules.append(When(focus, then=Value(FOCUS_LABEL)))
    if plan.strata_mode == SamplingPlan.StrataMode.SINGLE:
        default = SINGLE_LABEL
    else:
        default = RISK_LABELS["B"]  # a risk class outside A–D counts as 一般
        rules += [When(risk_class=risk, then=Value(label)) for risk, label in RISK_LABELS.items()]
    return Case(*rules, default=Value(default), output_field=CharField()) if rules else Value(default, output_field=CharField())


def _buckets(entities: QuerySet[MarketEntity], *, in_database: bool) -> Iterator[tuple[str | None, str, list[bytes]]]:
    """(exclusion reason or None, stratum, UTF-8 codes) per group of the pool's entities.

    ``in_database`` (PostgreSQL): the database joins each group's codes into one text, where a
    million rows would otherwise each become a Python tuple; else the rows are grouped here."""
    if in_database:
        grouped = entities.values("pool_reason", "pool_stratum").annotate(codes=StringAgg("code", delimiter="\n")).order_by()
        for row in grouped:
            yield row["pool_reason"], row["pool_stratum"], row["codes"].encode("utf-8").split(b"\n")
        return
    groups: dict[tuple[str | None, str], list[bytes]] = {}
    for code, reason, stratum in entities.values_list("code", "pool_reason", "pool_stratum"):
        groups.setdefault((reason, stratum), []).append(code.encode("utf-8"))
    for (reason, stratum), codes in groups.items():
        yield reason, stratum, codes


def _build(*, actor: Actor, plan: SamplingPlan, task: SamplingTask | None, year: int) -> PoolResult:
    strata = strata_in_effect(plan, task)
    groups: dict[str, list[bytes]] = {s.stratum: [] for s in strata}
    excluded: list[tuple[bytes, str]] = []
    entities = _pool_queryset(actor=actor, plan=plan, task=task, year=year)
    for reason, stratum, codes in _buckets(entities, in_database=db.is_postgresql()):
        if reason is not None:
            excluded.extend((code, reason) for code in codes)
        else:
            groups.setdefault(stratum, []).extend(codes)
    for keys in groups.values():
        keys.sort()  # byte-wise: the canonical order (one linear pass when the rows came sorted)
    excluded.sort()
    Exclusion = hashrank.Exclusion  # noqa: N806 (local alias: up to a million of them)
    return PoolResult(
        groups=groups,
        excluded=[Exclusion(code.decode("utf-8"), reason) for code, reason in excluded],
        strata=strata,
        total=sum(len(keys) for keys in groups.values()) + len(excluded),
        keys_unique=len(actor.visible_region_ids) <= 1,
    )


@dataclass(frozen=True)
class PoolCounts:
    """How many entities each stratum has and each exclusion reason took: what the previews show,
    from the same query as the pool but counted by the database (no key leaves it)."""

    counts: dict[str, int]
    excluded_counts: dict[str, int]
    strata: list[hashrank.Stratum]

    @property
    def eligible(self) -> int:
        return sum(self.counts.values())

    @property
    def excluded(self) -> int:
        return sum(self.excluded_counts.values())

    @property
    def total(self) -> int:
        return self.eligible + self.excluded


def _count(*, actor: Actor, plan: SamplingPlan, task: SamplingTask | None, year: int) -> PoolCounts:
    strata = strata_in_effect(plan, task)
    counts = {s.stratum: 0 for s in strata}
    excluded: Counter[str] = Counter()
    rows = _pool_queryset(actor=actor, plan=plan, task=task, year=year).values("pool_reason", "pool_stratum")
    for row in rows.annotate(n=Count("pk")).order_by():
        if row["pool_reason"] is None:
            counts[row["pool_stratum"]] = counts.get(row["pool_stratum"], 0) + row["n"]
        else:
            excluded[row["pool_reason"]] += row["n"]
    return PoolCounts(counts=counts, excluded_counts=dict(excluded), strata=strata)


def plan_pool_counts(*, actor: Actor, plan: SamplingPlan, year: int | None = None) -> PoolCounts:
    """The counts of ``plan_pool`` (the plan preview): half the time, a fraction of the memory."""
    return _count(actor=actor, plan=plan, task=None, year=year or plan.year)


def task_pool_counts(*, actor: Actor, task: SamplingTask) -> PoolCounts:
    """The counts of ``task_pool`` (the task page's preview)."""
    return _count(actor=actor, plan=task.plan, task=task, year=task.plan.year)


def plan_pool(*, actor: Actor, plan: SamplingPlan, year: int | None = None) -> PoolResult:
    """The pool a task of ``plan`` with no overrides would freeze now (the plan preview)."""
    return _build(actor=actor, plan=plan, task=None, year=year or plan.year)


def task_pool(*, actor: Actor, task: SamplingTask) -> PoolResult:
    """The pool a draw of ``task`` freezes: the task's scope and strata over its plan's."""
    return _build(actor=actor, plan=task.plan, task=task, year=task.plan.year)

