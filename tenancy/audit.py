"""The audit log: services record every create, update and delete with before/after values."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from .context import Actor
from .models import AuditEntry


def jsonable(value: Any) -> Any:
    """A value as it is stored in an entry's JSON (bulk writers prepare their entries with it)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


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
