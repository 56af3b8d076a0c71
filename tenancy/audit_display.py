"""How audit entries read on the audit page: each entry's changes as rows of (field label, before,
after), computed in code before a template sees them.

An entry's ``changes`` is a JSON object written by services with whatever keys they log (field
names, relation names such as ``items``, summary counts). A template must never look into it
directly: ``changes.items`` in Django's template language resolves the key ``items`` before the
dict method, and likewise ``keys``, ``values`` or ``get``. Here every value becomes a short string:
names instead of ids for foreign keys and many-to-many relations (one query per related model for
a whole page), choice labels instead of codes, and long or nested values cut to a readable length.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from .models import AuditEntry

#: A value longer than this many characters is cut (an inspector pool, a frozen scope).
MAX_CHARS = 200
#: A list of related objects shows this many names, then how many more there are.
MAX_NAMES = 10
#: Ids looked up per related model for one page; the rest show as ``#id`` (a page never waits on
#: a hundred thousand names).
MAX_LOOKUPS = 500

# Keys that services log for a relation that is not a field of the target model (the plan's
# participating departments are rows of their own, logged as the departments' ids).
EXTRA_RELATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("sampling.samplingplan", "participants"): ("参与部门", "tenancy.Organization"),
}
# Summary keys written by the importers' job entries.
SUMMARY_LABELS = {"created": "新增", "updated": "更新", "unchanged": "未变"}


@dataclass(frozen=True)
class ChangeRow:
    """One line of an entry's changes. ``single`` rows carry a value, not a before/after pair
    (an import's counts); ``before``/``after`` are display strings, None when there was none."""

    key: str
    label: str
    before: str | None
    after: str | None
    single: bool = False


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    type_label: str
    changes: list[ChangeRow] = field(default_factory=list)


@dataclass(frozen=True)
class _Field:
    label: str
    related: type[models.Model] | None = None
    choices: dict[Any, str] | None = None


def _model(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, target_type: str, key: str) -> _Field:
    extra = EXTRA_RELATIONS.get((target_type, key))
    if extra is not None:
        return _Field(label=_(extra[0]), related=apps.get_model(extra[1]))
    if model is None:
        return _Field(label=_(SUMMARY_LABELS[key]) if key in SUMMARY_LABELS else key)
    try:
        f = model._meta.get_field(key)
    except FieldDoesNotExist:
        return _Field(label=_(SUMMARY_LABELS[key]) if key in SUMMARY_LABELS else key)
    if not isinstance(f, models.Field):  # a reverse relation: its ids are not the related model's
        return _Field(label=key)
    label = str(f.verbose_name) if f.verbose_name else key
    if f.is_relation and (f.many_to_one or f.one_to_one or f.many_to_many) and f.related_model is not None:
        return _Field(label=label, related=f.related_model)
    if f.choices:
        return _Field(label=label, choices={k: str(v) for k, v in f.flatchoices})
    return _Field(label=label)


def _pair(value: Any) -> tuple[Any, Any] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None


def _is_id(value: Any) -> bool:
    # Snapshots store foreign keys as integer ids; a relation logged by name (tags) stays as written.
    return isinstance(value, int) and not isinstance(value, bool)


def _ids(value: Any) -> list[int]:
    if isinstance(value, list | tuple):
        return [v for v in value if _is_id(v)]
    return [value] if _is_id(value) else []


def truncate(text: str, limit: int = MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    return _("%(head)s…（共 %(n)s 字）") % {"head": text[:limit], "n": len(text)}


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, str):
        return truncate(value)
    if isinstance(value, dict | list | tuple):
        return truncate(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))
    return truncate(str(value))


class _Names:
    """Display names of related objects, fetched once per model for a page of entries."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[int]] = defaultdict(set)
        self.names: dict[tuple[type[models.Model], int], str] = {}

    def want(self, model: type[models.Model], ids: Iterable[int]) -> None:
        bucket = self.wanted[model]
        for i in ids:
            if len(bucket) >= MAX_LOOKUPS:
                return
            bucket.add(i)

    def load(self) -> None:
        for model, ids in self.wanted.items():
            # The default manager: a tenant model shows only what the actor may see; an object
            # of another organization (or gone) keeps its id.
            for obj in model._default_manager.filter(pk__in=ids):
                self.names[(model, obj.pk)] = str(obj)

    def name(self, model: type[models.Model], value: Any) -> str:
        if not _is_id(value):
            return _plain(value)
        return self.names.get((model, value)) or f"#{value}"


def _display(value: Any, spec: _Field, names: _Names) -> str | None:
    if value is None:
        return None
    if spec.related is not None:
        if _is_id(value):
            return truncate(names.name(spec.related, value))
        if isinstance(value, list | tuple) and all(_is_id(v) or isinstance(v, str) for v in value):
            if not value:
                return "—"
            shown = "、".join(names.name(spec.related, v) for v in value[:MAX_NAMES])
            if len(value) > MAX_NAMES:
                shown += _(" … 等 %(n)s 项") % {"n": len(value)}
            return truncate(shown, MAX_CHARS * 2)
    if spec.choices is not None and isinstance(value, str | int) and value in spec.choices:
        return spec.choices[value]
    return _plain(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _items(changes: Any) -> list[tuple[str, Any]]:
    if isinstance(changes, dict):
        return [(str(k), v) for k, v in changes.items()]
    if changes in (None, "", [], {}):
        return []
    return [("", changes)]


def present(entries: Sequence[AuditEntry]) -> list[AuditRow]:
    """The page's entries with their changes as rows, names of related objects filled in."""
    names = _Names()
    planned: list[tuple[AuditEntry, str, list[tuple[str, _Field, Any]]]] = []
    for entry in entries:
        model = _model(entry.target_type)
        type_label = str(model._meta.verbose_name) if model is not None else entry.target_type
        fields = []
        for key, value in _items(entry.changes):
            spec = _field(model, entry.target_type, key)
            if spec.related is not None:
                pair = _pair(value)
                for v in pair if pair is not None else (value,):
                    # Only the names a row will show.
                    names.want(spec.related, _ids(v[:MAX_NAMES] if isinstance(v, list | tuple) else v))
            fields.append((key, spec, value))
        planned.append((entry, type_label, fields))
    names.load()
    rows = []
    for entry, type_label, fields in planned:
        changes = []
        for key, spec, value in fields:
            pair = _pair(value)
            if pair is None:
                changes.append(ChangeRow(key, spec.label, None, _display(value, spec, names), single=True))
            elif _empty(pair[0]) and _empty(pair[1]):
                continue  # a created row's unset field: nothing to read
            else:
                changes.append(ChangeRow(key, spec.label, _display(pair[0], spec, names), _display(pair[1], spec, names)))
        rows.append(AuditRow(entry=entry, type_label=type_label, changes=changes))
    return rows
