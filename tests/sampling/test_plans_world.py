"""Builders for the plan, task and pool tests (set-up code: runs unscoped). No tests here; a draw
of given targets is ``tests.factories.draw_selecting`` (the ceremony)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from django_scopes import scopes_disabled

from inventory.models import CheckItem, MarketEntity, RegistryEntry, Tag
from sampling.models import PlanParticipant, SamplingPlan, SamplingTask
from tenancy.models import Organization

_seq = itertools.count(1)

DEFAULT_STRATA = [
    {"stratum": "A", "ratio": "0.03"},
    {"stratum": "B", "ratio": "0.05"},
    {"stratum": "C", "ratio": "0.10"},
    {"stratum": "D", "ratio": "0.20"},
]


def entity(org: Organization, code: str, *, risk: str = "B", status: str = "active", **extra) -> MarketEntity:
    with scopes_disabled():
        return MarketEntity.objects.create(
            organization=org, region=org.region, code=code, name=extra.pop("name", f"主体{code}"),
            risk_class=risk, status=status, **extra,
        )


def register(org: Organization, entities: Iterable[MarketEntity], *, tags: Iterable[str] = (), status: str = "active") -> None:
    with scopes_disabled():
        tag_objs = [Tag.objects.get_or_create(organization=org, region=org.region, kind="entity", name=t)[0] for t in tags]
        for e in entities:
            entry = RegistryEntry.objects.create(organization=org, region=org.region, entity=e, status=status)
            if tag_objs:
                entry.tags.set(tag_objs)


def registry(org: Organization, counts: dict[str, int], *, prefix: str = "", **extra) -> list[MarketEntity]:
    """``counts`` entities per risk class, registered with ``org``; codes are ``<prefix><class><n>``."""
    prefix = prefix or org.code.replace("-", "")
    made = [entity(org, f"{prefix}{risk}{i:05d}", risk=risk, **extra) for risk, n in counts.items() for i in range(n)]
    register(org, made)
    return made


def item(org: Organization, code: str | None = None, **extra) -> CheckItem:
    with scopes_disabled():
        return CheckItem.objects.create(
            organization=org, region=org.region, code=code or f"I{next(_seq)}", name=extra.pop("name", "抽查事项"), **extra
        )


def plan(org: Organization, **fields) -> SamplingPlan:
    fields.setdefault("year", 2026)
    fields.setdefault("name", f"{org.short_name}2026年度抽查计划")
    fields.setdefault("strata", DEFAULT_STRATA)
    participants = fields.pop("participants", [])
    with scopes_disabled():
        p = SamplingPlan.objects.create(organization=org, region=org.region, **fields)
        for dept in participants:
            PlanParticipant.objects.create(organization=org, region=org.region, plan=p, department=dept)
    return p


def task(p: SamplingPlan, **fields) -> SamplingTask:
    n = next(_seq)
    fields.setdefault("name", f"第{n}批")
    fields.setdefault("uid", f"T-{p.pk}-{n}")
    with scopes_disabled():
        return SamplingTask.objects.create(organization=p.organization, region=p.region, plan=p, **fields)
