"""Upsert of market entities by (region, code), with the department's registry entries and tags
and one audit entry per created or changed row: the write half of an entity import and of the
API's bulk upsert.

Each chunk of rows goes through three steps:

1. ``lookup`` reads what is stored (entities by code, their registry entries and tags, the
   department's tags by name) — reads only;
2. ``prepare`` decides, in plain Python, what to write: rows that name entities by code and tags
   by name, since new rows get their ids only when written;
3. ``write`` writes it: new tags, changed and new entities, registry entries, tag links, audit.

:func:`upsert_entities` runs the steps one after another. An import of a large file runs them as
a pipeline (``inventory.importer.pipeline.stream_entities``): the database writes chunk *n* while a second thread looks
up and prepares chunk *n + 1* through a second connection. That connection sees only what was
committed before the import, which is what the lookups need as long as no code repeats in the
file; a file with repeated codes is refused by the file-wide check at the end, and the importer
then rolls the pipeline's writes back and upserts the valid rows one step after another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from inventory.models import MarketEntity, RegistryEntry, Tag
from tenancy import audit
from tenancy.bulk import PlannerStatistics, bulk_insert, bulk_insert_links, bulk_update_values, chunks
from tenancy.context import Actor
from tenancy.scoping import assert_writable

Progress = Callable[[int], None]

ENTITY_DERIVED = ("code_kind", "is_legacy_code")
_LINKS = RegistryEntry.tags.through
_REGNO = {"code_kind": MarketEntity.CodeKind.REGNO.value, "is_legacy_code": True}
_REGISTRY = {"code_kind": MarketEntity.CodeKind.REGISTRY.value, "is_legacy_code": False}
_USCC = {"code_kind": MarketEntity.CodeKind.USCC.value, "is_legacy_code": False}


def code_kind(code: str) -> dict[str, Any]:
    """Kind of an already validated code (cheaper than classifying it again)."""
    if len(code) == 15 and code.isdigit():
        return _REGNO
    if code.startswith("R") and "-" in code:
        return _REGISTRY
    return _USCC


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, other: BulkResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass
class Found:
    """What ``lookup`` read for one chunk."""

    stored: dict[str, dict[str, Any]]  # code -> stored values (pk, region_id, compared fields, name)
    entries: dict[int, tuple[int, str]]  # entity pk -> (entry pk, status), stored entities only
    current: dict[int, set[str]]  # entry pk -> names of its tags now
    new_tag_names: list[str]  # tags the chunk names that do not exist yet
    tag_ids: dict[str, int] = field(default_factory=dict)  # the existing tags it read, by name


@dataclass
class Plan:
    """What ``write`` writes for one chunk; new entities and entries are named by entity code."""

    new_tags: list[str] = field(default_factory=list)
    tag_ids: dict[str, int] = field(default_factory=dict)  # existing tags by name (new ones: on write)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    update_fields: list[str] = field(default_factory=list)
    update_regions: set[int] = field(default_factory=set)
    creates: list[dict[str, Any]] = field(default_factory=list)
    pk_of: dict[str, int] = field(default_factory=dict)  # stored entities
    new_entries: list[str] = field(default_factory=list)  # codes
    entry_of: dict[str, int] = field(default_factory=dict)  # code -> stored entry pk
    reactivate: list[int] = field(default_factory=list)
    links_add: list[tuple[str, str]] = field(default_factory=list)  # (code, tag name)
    links_remove: dict[str, list[int]] = field(default_factory=dict)  # tag name -> entry pks
    audit: list[dict[str, Any]] = field(default_factory=list)  # target_id: the code, resolved on write
    result: BulkResult = field(default_factory=BulkResult)
    rows: int = 0


class EntityUpsert:
    """One upsert of entities, chunk after chunk: what the chunks share."""

    def __init__(
        self, *, actor: Actor, fields: Iterable[str], present: set[str], note: str = "", lookups_beside: bool = False
    ) -> None:
        """``fields``: the entity columns rows may carry (``code`` is the key), of which ``present``
        says which these rows do carry; the others keep their stored values. ``lookups_beside``:
        the lookups run on another connection, so this one's statistics need not follow the
        rows it writes."""
        self.actor = actor
        self.fields = [f for f in fields if f in present and f != "code"]
        self.compared = [*self.fields, *ENTITY_DERIVED]
        self.read_columns = ["pk", "code", "region_id", *self.compared, *(["name"] if "name" not in self.compared else [])]
        # The audit log stores JSON: these fields' values go in as ISO text (the others are JSON already).
        self.dated = {f for f in self.compared if isinstance(MarketEntity._meta.get_field(f), models.DateField)}
        self.in_department = actor.is_department
        self.with_tags = self.in_department and "tags" in present
        self.audit_base = audit.row_template(actor=actor, target_type="inventory.marketentity", note=note)
        self.now = timezone.now()
        self.tag_ids: dict[str, int] = {}  # the tags ``write`` created, by name
        self.planned_tags: set[str] = set()  # tags a prepared chunk creates (lookup must not again)
        self.stats = PlannerStatistics(enabled=not lookups_beside)

    # ---------------------------------------------------------------------------- 1. lookup

    def lookup(self, chunk: list[dict[str, Any]]) -> Found:
        """Reads on this thread's connection (in the pipeline: one of its own, see ``importer.pipeline``)."""
        actor = self.actor
        stored = {
            row[1]: dict(zip(self.read_columns, row, strict=True))
            for row in MarketEntity.objects.filter(region_id=actor.region_id, code__any=[r["code"] for r in chunk])
            .values_list(*self.read_columns)
        }
        entries: dict[int, tuple[int, str]] = {}
        current: dict[int, set[str]] = {}
        new_tag_names: list[str] = []
        if not self.in_department:
            return Found(stored, entries, current, new_tag_names)
        if stored:
            for entity_id, pk, status in RegistryEntry.objects.filter(
                organization_id=actor.organization_id, entity_id__any=[s["pk"] for s in stored.values()]
            ).values_list("entity_id", "pk", "status"):
                entries[entity_id] = (pk, status)
        if not self.with_tags:
            return Found(stored, entries, current, new_tag_names)
        names = {n for r in chunk for n in r.get("tags", [])} - self.planned_tags
        tag_of: dict[int, str] = {}
        known = self.planned_tags.copy()
        if names:
            for pk, name in Tag.objects.filter(organization_id=actor.organization_id, kind=Tag.Kind.ENTITY,
                                               name__any=sorted(names)).values_list("pk", "name"):
                known.add(name)
                tag_of[pk] = name
        new_tag_names = sorted(names - known)
        self.planned_tags.update(new_tag_names)
        old = [pk for pk, _status in entries.values()]
        if old:
            links = list(_LINKS.objects.filter(registryentry_id__any=old).values_list("registryentry_id", "tag_id"))
            unknown = {t for _e, t in links} - set(tag_of)
            if unknown:  # tags the entries have but this chunk does not name (they are being removed)
                tag_of.update(Tag.objects.filter(pk__any=sorted(unknown)).values_list("pk", "name"))
            for entry_id, tag_id in links:
                current.setdefault(entry_id, set()).add(tag_of[tag_id])
        return Found(stored, entries, current, new_tag_names, {name: pk for pk, name in tag_of.items()})

    # ---------------------------------------------------------------------------- 2. prepare

    def prepare(self, chunk: list[dict[str, Any]], found: Found) -> Plan:
        actor, fields, dated, stored = self.actor, self.fields, self.dated, found.stored
        plan = Plan(new_tags=found.new_tag_names, tag_ids=found.tag_ids, rows=len(chunk))
        changed_fields: set[str] = set()
        name_of: dict[str, str] = {}
        changes_of: dict[str, dict[str, list[Any]]] = {}
        state: dict[str, str] = {}
        base = {"organization_id": actor.organization_id, "region_id": actor.region_id}
        for r in chunk:
            code = r["code"]
            new = {f: r[f] for f in fields} | code_kind(code)
            old = stored.get(code)
            if old is None:
                plan.creates.append({**base, "code": code, **new})
                name_of[code] = new.get("name", "")
                # Only what the row says: empty cells would just repeat the defaults in the log.
                changes_of[code] = {f: [None, audit.jsonable(r[f]) if f in dated else r[f]] for f in ("code", *fields)
                                    if r[f] not in (None, "", False, 0, [])}
                state[code] = "created"
                continue
            plan.pk_of[code] = old["pk"]
            name_of[code] = new.get("name", old["name"])
            diff = {f: [audit.jsonable(old[f]), audit.jsonable(v)] if f in dated else [old[f], v] for f, v in new.items() if old[f] != v}
            if diff:
                plan.updates[old["pk"]] = new
                plan.update_regions.add(old["region_id"])
                changed_fields.update(diff)
                changes_of[code] = diff
                state[code] = "updated"
            else:
                state[code] = "unchanged"
        plan.update_fields = [f for f in self.compared if f in changed_fields]
        if self.in_department:
            self._prepare_entries(chunk, found, plan, changes_of, state)
        for r in chunk:
            code = r["code"]
            outcome = state[code]
            if outcome == "unchanged":
                plan.result.unchanged += 1
                continue
            if outcome == "created":
                plan.result.created += 1
            else:
                plan.result.updated += 1
            plan.audit.append({
                **self.audit_base, "action": "create" if outcome == "created" else "update",
                "target_id": code, "target_repr": f"{name_of[code]}（{code}）"[:200],
                "changes": changes_of.get(code, {}),  # JSON-ready: dates were written as text above
            })
        return plan

    def _prepare_entries(
        self, chunk: list[dict[str, Any]], found: Found, plan: Plan, changes_of: dict[str, dict[str, list[Any]]],
        state: dict[str, str],
    ) -> None:
        """Put the chunk's entities into the department's registry (and set their tags)."""
        for r in chunk:
            code = r["code"]
            entity_pk = plan.pk_of.get(code)
            entry = found.entries.get(entity_pk) if entity_pk is not None else None
            entry_pk = 0
            if entry is None:
                plan.new_entries.append(code)
                changes_of.setdefault(code, {})["registry"] = [None, self.actor.organization_name]
                state[code] = "created"
                have: set[str] = set()
            else:
                entry_pk, status = entry
                plan.entry_of[code] = entry_pk
                if status != RegistryEntry.Status.ACTIVE:  # back into the registry: the department imports it
                    plan.reactivate.append(entry_pk)
                    changes_of.setdefault(code, {})["registry"] = ["retired", "active"]
                    if state[code] == "unchanged":
                        state[code] = "updated"
                have = found.current.get(entry_pk, set())
            if not self.with_tags:
                continue
            want = set(r.get("tags", []))
            if want == have:
                continue
            plan.links_add += [(code, name) for name in sorted(want - have)]
            for name in have - want:
                plan.links_remove.setdefault(name, []).append(entry_pk)  # only a stored entry has tags
            changes_of.setdefault(code, {})["tags"] = [sorted(have), sorted(r.get("tags", []))]
            if state[code] == "unchanged":
                state[code] = "updated"

    # ---------------------------------------------------------------------------- 3. write

    def write(self, plan: Plan) -> BulkResult:
        actor, stats = self.actor, self.stats
        if plan.new_tags:
            tags = [{"organization_id": actor.organization_id, "region_id": actor.region_id,
                     "kind": Tag.Kind.ENTITY.value, "name": name} for name in plan.new_tags]
            ids = bulk_insert(actor=actor, model=Tag, rows=tags, with_ids=True)
            self.tag_ids.update(zip(plan.new_tags, ids, strict=True))  # type: ignore[arg-type]
        if plan.updates:  # writability depends on the region only: one probe per region
            assert_writable(actor, [MarketEntity(region_id=region, organization_id=actor.organization_id)
                                    for region in plan.update_regions])
            bulk_update_values(model=MarketEntity, rows=plan.updates, fields=plan.update_fields, now=self.now)
        pk_of = plan.pk_of
        if plan.creates:
            ids = bulk_insert(actor=actor, model=MarketEntity, rows=plan.creates, with_ids=True)
            stats.wrote(MarketEntity, len(ids))  # type: ignore[arg-type]
            pk_of.update(zip((row["code"] for row in plan.creates), ids, strict=True))  # type: ignore[arg-type]
        entry_of = plan.entry_of
        if plan.new_entries:
            rows = [{"entity_id": pk_of[code], "organization_id": actor.organization_id, "region_id": actor.region_id,
                     "status": RegistryEntry.Status.ACTIVE.value} for code in plan.new_entries]
            ids = bulk_insert(actor=actor, model=RegistryEntry, rows=rows, with_ids=True)
            stats.wrote(RegistryEntry, len(ids))  # type: ignore[arg-type]
            entry_of.update(zip(plan.new_entries, ids, strict=True))  # type: ignore[arg-type]
        if plan.reactivate:
            RegistryEntry.objects.filter(pk__in=plan.reactivate).update(
                status=RegistryEntry.Status.ACTIVE, retired_reason="", updated_at=self.now
            )
        if plan.links_add or plan.links_remove:
            tag_ids = plan.tag_ids | self.tag_ids
            # Both ends were read through scoped managers (lookup) or written just now.
            added = bulk_insert_links(model=_LINKS, rows=[{"registryentry_id": entry_of[code], "tag_id": tag_ids[name]}
                                                           for code, name in plan.links_add])
            stats.wrote(_LINKS, added)
            for name, entry_ids in plan.links_remove.items():
                _LINKS.objects.filter(tag_id=tag_ids[name], registryentry_id__in=entry_ids).delete()
        at = timezone.now()
        for row in plan.audit:
            row["at"] = at
            row["target_id"] = str(pk_of[row["target_id"]])
        audit.record_many(actor=actor, entries=plan.audit)
        return plan.result


def upsert_entities(
    *, actor: Actor, fields: Iterable[str], records: list[dict[str, Any]], present: set[str],
    progress: Progress | None = None, note: str = "", chunk_size: int = 2000,
) -> BulkResult:
    """Upsert MarketEntity by (actor's region, code); for a department, ensure its RegistryEntry
    with the given tags. Per chunk: the stored rows read as plain values (no model instances),
    COPY for new rows, one set-based UPDATE for the changed ones (unchanged rows are not
    written), one audit entry per created or changed row."""
    upsert = EntityUpsert(actor=actor, fields=fields, present=present, note=note)
    result = BulkResult()
    done = 0
    for chunk in chunks(records, chunk_size):
        result.add(upsert.write(upsert.prepare(chunk, upsert.lookup(chunk))))
        done += len(chunk)
        if progress is not None:
            progress(done)
    return result

