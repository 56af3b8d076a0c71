"""The reads a draw freezes: the eligible entity pool of a plan or a task (``task_pool``; the
plan page previews ``plan_pool`` and the counts), and the inspector side (``inspector_pool_for``).

The rules are listed in ``sampling.pool``; exclusions beyond the pool's own are registered in
``sampling.extensions.DRAW_EXCLUSIONS`` (sampling's: the annual cap counted from selections).

Reads go through the scoped managers: a participant department of a joint plan sees the part of
the pool its own registry contributes, the office that owns the plan sees all of it. Built for a
million entities: every rule is part of one query (``_pool_queryset``), each entity once with
its exclusion reason and stratum; on PostgreSQL each group's codes come back joined in one text,
so no Python object is made per entity until the keys are split and sorted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Container, Iterator
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from inventory.models import ConflictOfInterest, Inspector, MarketEntity, RegistryEntry, Tag
from inventory.selectors.entities import industry_q
from sampling import hashrank
from sampling.extensions import DRAW_EXCLUSIONS
from sampling.models import Draw, DrawSelection, HigherPlanCoverage, SamplingPlan, SamplingTask
from sampling.pool import (
    FOCUS_LABEL,
    REASON_BY_PLAN,
    REASON_HIGHER,
    REASON_INACTIVE,
    RISK_LABELS,
    SINGLE_LABEL,
    PoolCounts,
    PoolResult,
    cap_exclusions,
    merged_scope,
    strata_in_effect,
)
from sampling.teams import DEFAULT_TEAM_SIZE, InspectorPool
from tenancy import db
from tenancy.context import Actor
from tenancy.models import Organization, Region
from tenancy.scoping import region_counts

_COUNTED = (DrawSelection.Status.SELECTED, DrawSelection.Status.REPLACEMENT)


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
    # Then the registered exclusions (sampling.extensions.DRAW_EXCLUSIONS), in their order.
    for exclusion in DRAW_EXCLUSIONS:
        for reason, entity_ids in exclusion.excluded(actor=actor, plan=plan, year=year):
            if entity_ids:
                rules.append(When(pk__any=sorted(entity_ids), then=Value(reason)))
    return Case(*rules, default=Value(None), output_field=CharField()) if rules else Value(None, output_field=CharField())


def drawn_times_excluded(*, actor: Actor, plan: SamplingPlan, year: int) -> list[tuple[str, list[int]]]:
    """The annual cap counted from selections (曲阳 §17: 同一年度内对同一企业的抽查次数不超过2次):
    an entity drawn ``plan.annual_cap`` times this year by any department of the region — numbers,
    never their rows (``region_counts``)."""
    if plan.annual_cap <= 0:
        return []
    times = region_counts(
        actor, DrawSelection, by="entity_id", at_least=plan.annual_cap,
        where=Q(draw__plan__year=year, status__in=_COUNTED, draw__status=Draw.Status.COMPLETED),
    )
    return cap_exclusions(times, plan.annual_cap)


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


# ---------------------------------------------------------------------------------------------
# The inspector side


def task_requirements(task: SamplingTask) -> list[tuple[int, int]]:
    """(department organization id, count) per required department.

    A task that names none needs ``DEFAULT_TEAM_SIZE`` of the owner department; a joint plan's task
    that names none needs one of each participating department (one visit, every department).
    """
    wanted: list[tuple[int, int]] = []
    for r in task.team_requirements or []:
        try:
            wanted.append((int(r["department"]), int(r["count"])))
        except (KeyError, TypeError, ValueError):
            raise ValidationError(_("抽查任务的检查组要求格式有误，请在任务中重新设置。"))
    if wanted:
        return wanted
    plan = task.plan
    if plan.kind == SamplingPlan.Kind.JOINT:
        return [(p.department_id, 1) for p in plan.participants.all()]
    return [(task.organization_id, DEFAULT_TEAM_SIZE)]


def inspector_pool_for(
    *, actor: Actor, task: SamplingTask, on: dt.date, target_keys: Container[str] | None = None
) -> InspectorPool:
    """Eligible inspectors of each required department on ``on``, the requirements, the conflicts.

    Eligible: status 在岗, certificate valid on the draw date, and every specialty the task asks for.
    Conflicts: active declared interests (利害关系) of those inspectors, limited to ``target_keys``
    (the frozen pool) when given, so the record carries only pairs that can matter.
    """
    wanted = task_requirements(task)
    if not wanted:
        raise ValidationError(_("抽查任务没有设置检查组要求。"))
    dept_ids = [d for d, _count in wanted]
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=dept_ids)}
    missing = [d for d in dept_ids if d not in orgs]
    if missing:
        raise ValidationError(_("检查组要求中的部门不存在或不可见。"))
    labels = {pk: org.name for pk, org in orgs.items()}
    if len(set(labels.values())) != len(labels):
        raise ValidationError(_("检查组要求中有同名部门，无法区分。"))

    needed_specialties = {str(s) for s in (task.specialties or []) if str(s).strip()}
    inspectors = Inspector.objects.filter(organization_id__in=dept_ids, status=Inspector.Status.ACTIVE).order_by(
        "cert_no", "pk"
    )
    if needed_specialties:
        inspectors = inspectors.prefetch_related("specialties")
    entries: list[dict[str, Any]] = []
    for ins in inspectors:
        if not ins.certificate_valid_on(on):
            continue
        if needed_specialties and not needed_specialties <= {t.name for t in ins.specialties.all()}:
            continue
        entries.append(
            {"key": ins.cert_no, "department": labels[ins.organization_id], "id": ins.pk, "name": ins.name, "org": ins.organization_id}
        )
    seen: set[str] = set()
    for e in entries:
        if e["key"] in seen:
            raise ValidationError(
                _("执法证号 %(key)s 在多个部门重复，抽取记录无法区分，请先更正执法人员名录库。") % {"key": e["key"]}
            )
        seen.add(e["key"])

    by_id = {e["id"]: e["key"] for e in entries}
    rows = ConflictOfInterest.objects.filter(is_active=True, inspector_id__in=list(by_id)).values_list(
        "inspector_id", "entity__code"
    )
    pairs = {(by_id[i], code) for i, code in rows if target_keys is None or code in target_keys}
    conflicts = [{"inspector": i, "target": t} for i, t in sorted(pairs)]
    requirements = [{"department": labels[d], "count": c} for d, c in wanted]
    return InspectorPool(entries=entries, requirements=requirements, conflicts=conflicts)
