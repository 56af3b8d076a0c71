"""Writing the valid rows: entities through ``entity_upsert`` (chunked, with registry entries and
tags), inspectors by certificate number and items by code (with their check points) in the
importing organization. Each returns a ``BulkResult`` and writes one audit entry per changed row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import CheckItem, CheckPoint, ImportJob, Inspector, Tag
from tenancy import events
from tenancy.audit import new_entry, record, record_many
from tenancy.bulk import (
    chunks,
)
from tenancy.context import Actor
from tenancy.scoping import assert_writable

from . import entity_upsert
from .columns import ENTITY_FIELDS
from .entity_upsert import BulkResult, Progress

CHUNK = 2000


def _noop(done: int) -> None:
    return None


def _tags_by_name(actor: Actor, kind: str, names: Iterable[str]) -> dict[str, Tag]:
    wanted = set(names)
    if not wanted:
        return {}
    tags = {t.name: t for t in Tag.objects.filter(organization_id=actor.organization_id, kind=kind, name__in=wanted)}
    new = []
    for name in sorted(wanted - set(tags)):
        tag = Tag(kind=kind, name=name)
        tag.set_tenant(actor)
        new.append(tag)
    if new:
        Tag.objects.bulk_create(new)
        tags.update({t.name: t for t in new})
    return tags


def upsert_entities(
    *, actor: Actor, records: Iterable[dict[str, Any]], present: set[str], progress: Progress = _noop, note: str = ""
) -> BulkResult:
    """Upsert entities (``importer/entity_upsert.py``) with the columns of the entity table."""
    return entity_upsert.upsert_entities(
        actor=actor, fields=ENTITY_FIELDS, records=records, present=present, progress=progress, note=note,
        chunk_size=CHUNK,
    )


INSPECTOR_FIELDS = ("name", "position", "cert_expires_on", "post", "phone", "status")


def upsert_inspectors(
    *, actor: Actor, records: list[dict[str, Any]], present: set[str], progress: Progress = _noop, note: str = ""
) -> BulkResult:
    """Upsert Inspector by certificate number within the organization; specialties replace."""
    result = BulkResult()
    fields = [f for f in INSPECTOR_FIELDS if f in present]
    with_unit = "unit" in present
    with_tags = "specialties" in present
    tags = _tags_by_name(actor, Tag.Kind.INSPECTOR, (t for r in records if with_tags for t in r.get("specialties", [])))
    through = Inspector.specialties.through
    now = timezone.now()
    done = 0
    for chunk in chunks(records, CHUNK):
        existing = {
            i.cert_no: i
            for i in Inspector.objects.filter(
                organization_id=actor.organization_id, cert_no__in=[r["cert_no"] for r in chunk]
            ).prefetch_related("specialties")
        }
        creates, updates, audit_rows = [], [], []
        for r in chunk:
            values = {f: r[f] for f in fields} | ({"unit_id": r["unit"]} if with_unit else {})
            person = existing.get(r["cert_no"])
            if person is None:
                person = Inspector(cert_no=r["cert_no"], **values)
                person.set_tenant(actor)
                creates.append(person)
                audit_rows.append(("create", person, {k: [None, v] for k, v in {"cert_no": r["cert_no"], **values}.items()}, r))
                continue
            diff = {k: [getattr(person, k), v] for k, v in values.items() if getattr(person, k) != v}
            if with_tags:
                have = sorted(t.name for t in person.specialties.all())
                if have != sorted(r.get("specialties", [])):
                    diff["specialties"] = [have, sorted(r.get("specialties", []))]
            if diff:
                for k, (_old, v) in diff.items():
                    if k != "specialties":
                        setattr(person, k, v)
                person.updated_at = now
                updates.append(person)
                audit_rows.append(("update", person, diff, r))
            else:
                result.unchanged += 1
        assert_writable(actor, creates + updates)
        Inspector.objects.bulk_create(creates)
        update_fields = [*fields, *(["unit_id"] if with_unit else []), "updated_at"]
        if updates:
            Inspector.objects.bulk_update(updates, [f.removesuffix("_id") for f in update_fields])
        if with_tags:
            changed = [p.pk for p in creates + updates]
            through.objects.filter(inspector_id__in=changed).delete()
            through.objects.bulk_create(
                [through(inspector_id=p.pk, tag_id=tags[n].pk) for _a, p, _d, r in audit_rows for n in r.get("specialties", [])]
            )
        record_many(actor=actor, entries=[
            new_entry(actor=actor, action=a, target=p, changes=d, note=note) for a, p, d, _r in audit_rows
        ])
        # The event inspector_create/inspector_update emit: whatever a later app does on a saved
        # inspector (a certificate's renewal falling due) it does for imported ones too.
        for person in creates + updates:
            events.emit("inventory.inspector.saved", actor=actor, obj=person)
        result.created += len(creates)
        result.updated += len(updates)
        done += len(chunk)
        progress(done)
    return result


ITEM_FIELDS = ("name", "category", "target_type", "legal_basis", "method", "content", "responsible_unit")


POINT_FIELDS = ("project", "sub_item", "content", "basis", "answer_kind", "photo_required")


def _item_values(rows: list[dict[str, Any]], present: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in ITEM_FIELDS:
        if f not in present:
            continue
        filled = [r[f] for r in rows if r.get(f) not in (None, "")]
        key = "responsible_unit_id" if f == "responsible_unit" else f
        values[key] = filled[0] if filled else rows[0][f]
    return values


def _points_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    points = []
    for r in rows:
        if not r.get("point_project"):
            continue
        points.append({f: r.get(f"point_{f}", CheckPoint._meta.get_field(f).get_default()) for f in POINT_FIELDS})
    return points


def upsert_items(
    *, actor: Actor, records: list[dict[str, Any]], present: set[str], progress: Progress = _noop, note: str = ""
) -> BulkResult:
    """Upsert CheckItem by code, rows grouped by code carry the check form. An item used by a task
    is never edited: the change makes a new version (DESIGN §4, 立改废释)."""
    result = BulkResult()
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(r["code"], []).append(r)
    with_points = "point_project" in present
    done = 0
    for code, rows in groups.items():
        values = _item_values(rows, present)
        points = _points_of(rows)
        item = CheckItem.objects.filter(organization_id=actor.organization_id, code=code, is_current=True).first()
        if item is None:
            item = CheckItem(code=code, **values)
            item.set_tenant(actor)
            item.save()
            _write_points(actor, item, points)
            record(actor=actor, action="create", target=item, changes={k: [None, v] for k, v in values.items()}, note=note)
            result.created += 1
        else:
            diff = {k: [getattr(item, k), v] for k, v in values.items() if getattr(item, k) != v}
            old_points = [{f: getattr(p, f) for f in POINT_FIELDS} for p in item.points.all()]
            if with_points and old_points != points:
                diff["points"] = [len(old_points), len(points)]
            if not diff:
                result.unchanged += 1
            else:
                if item.tasks.exists():
                    # In use by a task: keep it as it was, the import makes version n+1.
                    new = CheckItem(
                        code=code, version=item.version + 1, previous=item,
                        **{f.attname: getattr(item, f.attname) for f in CheckItem._meta.concrete_fields
                           if f.name in ITEM_FIELDS},
                        change_reason=_("Excel 导入修订"),
                    )
                    for k, v in values.items():
                        setattr(new, k, v)
                    new.set_tenant(actor)
                    item.is_current = False
                    item.save(update_fields=["is_current", "updated_at"])
                    new.save()
                    _write_points(actor, new, points if with_points else old_points)
                    record(actor=actor, action="new_version", target=new, changes=diff, note=note)
                else:
                    for k, (_old, v) in diff.items():
                        if k != "points":
                            setattr(item, k, v)
                    item.save()
                    if with_points:
                        item.points.all().delete()
                        _write_points(actor, item, points)
                    record(actor=actor, action="update", target=item, changes=diff, note=note)
                result.updated += 1
        done += len(rows)
        progress(done)
    return result


def _write_points(actor: Actor, item: CheckItem, points: list[dict[str, Any]]) -> None:
    rows = []
    for order, values in enumerate(points, start=1):
        point = CheckPoint(item=item, order=order, **values)
        point.set_tenant(actor)
        rows.append(point)
    assert_writable(actor, rows)
    CheckPoint.objects.bulk_create(rows)


UPSERTS = {
    ImportJob.Kind.ENTITIES: upsert_entities,
    ImportJob.Kind.INSPECTORS: upsert_inspectors,
    ImportJob.Kind.ITEMS: upsert_items,
}
