"""Reads of the entity registry: the filtered list, an entity and its history, registry entries,
code changes.

The entity list uses KEYSET pagination — a cursor on (sort key, id), never OFFSET — so a page
deep in a registry of a million entities costs what the first does.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from inventory import codes, extensions
from inventory.models import (
    ConflictOfInterest,
    EntityCodeChange,
    MarketEntity,
    RegistryEntry,
    Tag,
)
from tenancy import db
from tenancy.context import Actor

PAGE_SIZE = 50


def industry_q(prefixes: list[str]) -> Q:
    """Entities whose GB/T 4754 code starts with one of ``prefixes``. Codes are stored with their
    section letter ("F5211"); rows written before that may hold the digits alone ("5211"), so a
    prefix also matches its digits, and a bare section letter the divisions of its section."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        canonical = codes.canonical_industry_code(prefix)
        if canonical is None:  # not a code (a list filter's free text): plain prefix
            q |= Q(industry_code__startswith=prefix)
            continue
        q |= Q(industry_code__startswith=canonical)
        digits = canonical[1:]
        if digits:
            q |= Q(industry_code__startswith=digits)
        elif canonical in codes.INDUSTRY_SECTIONS:
            low, high = codes.INDUSTRY_SECTIONS[canonical]
            q |= reduce(or_, (Q(industry_code__startswith=f"{d:02d}") for d in range(low, high + 1)))
    return q


@dataclass
class EntityFilters:
    q: str = ""
    entity_type: str = ""
    industry: str = ""
    risk: list[str] = field(default_factory=list)
    tag: int | None = None
    status: str = ""
    abnormal: bool | None = None
    dishonest: bool | None = None
    complaints_min: int | None = None


SORTS: dict[str, tuple[str, bool]] = {
    # name: (field, descending)
    "code": ("code", False),
    "name": ("name", False),
    "risk": ("risk_class", True),  # D 高风险 first
    "complaints": ("complaint_count", True),
    "updated": ("updated_at", True),
}


_CODE_LIKE = re.compile(r"^[0-9A-Z][0-9A-Z-]*$")


def entity_queryset(*, actor: Actor, filters: EntityFilters | None = None) -> QuerySet[MarketEntity]:
    """The entities the actor's list shows: a department's registry (active entries), or every
    entity of an office's or platform's region; then the filters."""
    f = filters or EntityFilters()
    entities = MarketEntity.objects.all()
    if actor.is_department:
        # One region for a county department: lets PostgreSQL walk the (region, code) index.
        entities = entities.filter(
            Exists(
                RegistryEntry.objects.filter(
                    organization_id=actor.organization_id, status=RegistryEntry.Status.ACTIVE, entity_id=OuterRef("pk")
                )
            )
        )
        if f.tag:
            entities = entities.filter(
                Exists(
                    RegistryEntry.tags.through.objects.filter(
                        tag_id=f.tag,
                        registryentry__organization_id=actor.organization_id,
                        registryentry__entity_id=OuterRef("pk"),
                    )
                )
            )
    q = codes.normalize_code(f.q)
    if q:
        # A code-looking search is a code prefix (btree); anything else a name fragment (trigram).
        if _CODE_LIKE.match(q) and any(c.isdigit() for c in q):
            # The explicit [q, q+1) range lets the (region, code) index seek whatever the collation's
            # LIKE support; ``startswith`` keeps the result exact.
            upper = q[:-1] + chr(ord(q[-1]) + 1)
            entities = entities.filter(code__gte=q, code__lt=upper, code__startswith=q)
        else:
            entities = entities.filter(name__contains=codes.normalize_text(f.q))
    if f.entity_type:
        entities = entities.filter(entity_type=f.entity_type)
    if f.industry:
        entities = entities.filter(industry_q([codes.normalize_code(f.industry)]))
    if f.risk:
        entities = entities.filter(risk_class__in=f.risk)
    if f.status:
        entities = entities.filter(status=f.status)
    if f.abnormal is not None:
        entities = entities.filter(on_abnormal_list=f.abnormal)
    if f.dishonest is not None:
        entities = entities.filter(on_dishonest_list=f.dishonest)
    if f.complaints_min:
        entities = entities.filter(complaint_count__gte=f.complaints_min)
    return entities


def entity_export_queryset(*, actor: Actor, filters: EntityFilters | None = None) -> QuerySet[Any]:
    """What an export of the filtered list writes. A department exports its REGISTRY ENTRIES (the
    entity plus the department's own tags, 分类标注), so exporting and re-importing the file changes
    nothing; an office or platform, which has no registry of its own, exports the entities."""
    entities = entity_queryset(actor=actor, filters=filters)
    if not actor.is_department:
        return entities.order_by("code", "pk")
    return (
        RegistryEntry.objects.filter(
            organization_id=actor.organization_id, status=RegistryEntry.Status.ACTIVE, entity__in=entities.values("pk")
        )
        .select_related("entity")
        .order_by("entity__code", "entity__pk")
    )


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    sort: str


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, dt.datetime):
        value = {"dt": value.isoformat()}
    raw = json.dumps([value, pk], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int] | None:
    """A tampered or stale cursor is treated as "first page", never as an error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if isinstance(value, dict):
            value = dt.datetime.fromisoformat(value["dt"])
        if not isinstance(pk, int) or isinstance(value, list | dict):
            return None
        return value, pk
    except (ValueError, TypeError, KeyError):
        return None


def _keyset_query(
    queryset: QuerySet, *, sort: str, after: str, before: str, size: int
) -> tuple[QuerySet, str, bool, bool, Any]:
    if sort not in SORTS:
        sort = "code"
    name, desc = SORTS[sort]
    backwards = bool(before) and not after
    cursor = _decode(before if backwards else after) if (before or after) else None
    # Walking forwards on a descending key (or backwards on an ascending one) means "smaller".
    smaller = desc != backwards
    rows_qs = queryset
    if cursor is not None:
        value, pk = cursor
        op = "lt" if smaller else "gt"
        # The redundant ``>=``/``<=`` bound is what the index can seek on; the OR breaks ties by id.
        rows_qs = rows_qs.filter(
            Q(**{f"{name}__{op}e": value}) & (Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"pk__{op}": pk}))
        )
    prefix = "-" if smaller else ""
    return rows_qs.order_by(f"{prefix}{name}", f"{prefix}pk")[: size + 1], sort, backwards, cursor is not None, name


def keyset_page(
    queryset: QuerySet, *, sort: str = "code", after: str = "", before: str = "", size: int = PAGE_SIZE
) -> KeysetPage:
    """One page of ``queryset`` ordered by (sort key, id), after or before a cursor."""
    qs, sort, backwards, has_cursor, name = _keyset_query(queryset, sort=sort, after=after, before=before, size=size)
    rows = list(qs)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_prev, has_next = more, True
    else:
        has_prev, has_next = has_cursor, more
    key = lambda row: _encode(getattr(row, name), row.pk)  # noqa: E731
    return KeysetPage(
        rows=rows,
        next_cursor=key(rows[-1]) if rows and has_next else None,
        prev_cursor=key(rows[0]) if rows and has_prev else None,
        sort=sort,
    )


# Counted exactly up to this many rows; past it a filtered list says "more than 10,000" and the
# whole registry gives its planner estimate. A capped count walks at most COUNT_CAP + 1 rows, but
# a filter no index serves (a 2-character name fragment, abnormal + risk D) still reads the whole
# registry, so a large registry's filtered count is deferred to a request of its own
# (``?part=count``) and the page does not wait for it.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Total:
    """How many rows a list has: ``exact``, ``more`` (more than ``value``) or ``about`` (an estimate)."""

    value: int
    kind: str = "exact"


def _estimated_rows(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the rows ``queryset`` returns (from its statistics; no rows read)."""
    if not db.is_postgresql():
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _about(estimate: int) -> Total:
    """An estimate with three significant digits: 1,000,437 reads "about 1,000,000"."""
    return Total(round(estimate, 3 - len(str(estimate))) if estimate >= 1000 else estimate, "about")


def entity_total(*, actor: Actor, filters: EntityFilters, defer: bool = False) -> Total | None:
    """The size of the entity list, exact up to :data:`COUNT_CAP`. A large registry unfiltered is
    its planner estimate (no row read); filtered, ``None`` when ``defer`` (count it later)."""
    unfiltered = filters == EntityFilters()
    registry = (
        RegistryEntry.objects.filter(organization_id=actor.organization_id, status=RegistryEntry.Status.ACTIVE)
        if actor.is_department
        else MarketEntity.objects.all()
    )
    estimate = _estimated_rows(registry)  # None on SQLite: the embedded default, small registries
    if estimate is not None and estimate > 2 * COUNT_CAP:
        if unfiltered:
            return _about(estimate)
        if defer:
            return None
    counted = entity_queryset(actor=actor, filters=filters).order_by()[: COUNT_CAP + 1].count()
    if counted <= COUNT_CAP:
        return Total(counted)
    if unfiltered and estimate is None:
        return Total(entity_queryset(actor=actor, filters=filters).count())
    if unfiltered and estimate > COUNT_CAP:
        return _about(estimate)
    # Filtered, or statistics that have not seen the rows yet (a first import): a lower bound.
    return Total(COUNT_CAP, "more")


def entity_page(
    *, actor: Actor, filters: EntityFilters, sort: str = "code", after: str = "", before: str = "", size: int = PAGE_SIZE
) -> KeysetPage:
    page = keyset_page(entity_queryset(actor=actor, filters=filters), sort=sort, after=after, before=before, size=size)
    attach_entries(actor=actor, entities=page.rows)
    return page


def attach_entries(*, actor: Actor, entities: list[MarketEntity]) -> None:
    """Give each listed entity ``my_entry`` (the actor's registry entry with its tags) in one query."""
    if not actor.is_department or not entities:
        for e in entities:
            e.my_entry = None
        return
    entries = RegistryEntry.objects.filter(
        organization_id=actor.organization_id, entity_id__in=[e.pk for e in entities]
    ).prefetch_related("tags")
    by_entity = {e.entity_id: e for e in entries}
    for e in entities:
        e.my_entry = by_entity.get(e.pk)


def entity_get(*, actor: Actor, pk: int) -> MarketEntity:
    return MarketEntity.objects.select_related("region", "organization").get(pk=pk)


def entity_get_by_code(*, actor: Actor, code: str) -> MarketEntity:
    return MarketEntity.objects.get(code=codes.normalize_code(code))


def codes_renamed_since(*, actor: Actor, old_codes: Sequence[str], since: dt.datetime) -> dict[str, int]:
    """Entity ids of the visible entities whose code was one of ``old_codes`` and was changed since
    ``since`` (a pool frozen then names the old code). Should an old code have been given up twice,
    the latest change wins."""
    renamed = (
        EntityCodeChange.objects.filter(old_code__in=list(old_codes), changed_at__gte=since)
        .order_by("changed_at", "pk")
        .values_list("old_code", "entity_id")
    )
    return dict(renamed)


def entity_history(*, actor: Actor, entity: MarketEntity) -> dict[str, Any]:
    """The entity across departments — only what the viewer may see (scoped managers): the
    actor's own registry entry and every registered history section (``extensions.ENTITY_HISTORY``)."""
    my_entry = (
        RegistryEntry.objects.filter(entity=entity, organization_id=actor.organization_id).first()
        if actor.organization_id else None
    )
    return {"my_entry": my_entry, "history_sections": extensions.history_sections(actor=actor, entity=entity)}


def entity_registry_entries(*, actor: Actor, entity: MarketEntity) -> list[RegistryEntry]:
    """The registries the entity is on, as far as the actor sees them."""
    return list(
        RegistryEntry.objects.filter(entity=entity)
        .select_related("organization", "supervising_unit")
        .prefetch_related("tags")
        .order_by("organization__name")
    )


def entity_conflicts(*, actor: Actor, entity: MarketEntity) -> list[ConflictOfInterest]:
    """Conflicts of interest declared about the entity, as far as the actor sees them."""
    return list(
        ConflictOfInterest.objects.filter(entity=entity).select_related("inspector", "organization").order_by("-declared_on")
    )


def entity_tags(*, actor: Actor) -> QuerySet[Tag]:
    return Tag.objects.filter(organization_id=actor.organization_id, kind=Tag.Kind.ENTITY).order_by("name")


def registry_entry_list(*, actor: Actor) -> QuerySet[RegistryEntry]:
    return RegistryEntry.objects.select_related("entity").prefetch_related("tags")
