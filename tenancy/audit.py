"""The audit log: services record every create, update and delete with before/after values.

One entry: ``record``/``record_create``/``record_update``/``record_delete``. Many at once (a bulk
retag, an import's rows): ``record_many`` with entries made by ``new_entry``, or with plain row
dicts built on ``row_template`` where a hundred thousand model instances would cost too much."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models

from .bulk import bulk_insert
from .context import Actor
from .models import AuditEntry
from .values import jsonable


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as ids), ready for JSON."""
    wanted = set(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in {"created_at", "updated_at"} or (wanted is not None and field.name not in wanted):
            continue
        values[field.name] = jsonable(getattr(obj, field.attname))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def _target_type(obj: models.Model | type[models.Model]) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def new_entry(
    *,
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """An unsaved entry, for bulk writers that save many at once with ``bulk_create``."""
    entry = AuditEntry(
        organization_id=actor.organization_id,
        region_id=actor.region_id,
        user_id=actor.user_id,
        actor_name=actor.username,
        via=actor.via,
        action=action,
        target_type=_target_type(target) if target is not None else target_type,
        target_id=str(target.pk) if target is not None else target_id,
        target_repr=(str(target) if target is not None else target_repr)[:200],
        changes=jsonable(changes or {}),
        note=note,
    )
    return entry


def record(**kwargs: Any) -> AuditEntry:
    entry = new_entry(**kwargs)
    entry.save()
    return entry


def record_create(*, actor: Actor, obj: models.Model, note: str = "") -> AuditEntry:
    after = snapshot(obj)
    return record(actor=actor, action="create", target=obj, changes={k: [None, v] for k, v in after.items()}, note=note)


def record_update(
    *, actor: Actor, obj: models.Model, before: dict[str, Any], action: str = "update", note: str = ""
) -> AuditEntry | None:
    """Write an entry with the changed fields only; nothing when nothing changed."""
    changes = diff(before, snapshot(obj, before.keys()))
    if not changes and not note:
        return None
    return record(actor=actor, action=action, target=obj, changes=changes, note=note)


def record_delete(*, actor: Actor, obj: models.Model, note: str = "") -> AuditEntry:
    before = snapshot(obj)
    return record(actor=actor, action="delete", target=obj, changes={k: [v, None] for k, v in before.items()}, note=note)


def row_template(*, actor: Actor, target_type: str, note: str = "") -> dict[str, Any]:
    """The columns every entry of one bulk write shares, as ``new_entry`` sets them; a caller adds
    ``action``, ``target_id``, ``target_repr``, ``changes`` (jsonable) and ``at`` per row."""
    entry = new_entry(actor=actor, action="", target_type=target_type, note=note)
    per_row = {"id", "action", "target_id", "target_repr", "changes", "at", "created_at", "updated_at"}
    return {f.attname: getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields if f.attname not in per_row}


def record_many(*, actor: Actor, entries: Sequence[AuditEntry] | Sequence[Mapping[str, Any]]) -> int:
    """Save many entries in one write (COPY on PostgreSQL): unsaved ``new_entry`` results, or row
    dicts from ``row_template``. Returns how many were written."""
    if not entries:
        return 0
    return bulk_insert(actor=actor, model=AuditEntry, rows=entries)  # type: ignore[return-value]
