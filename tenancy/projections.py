"""Public projections: what of each app's rows the public may see, registered by the app.

The publication app serves public pages and a public API; it does not know each app's models and
must never leak what is private (inspectors' data, an individual owner's full name, an ID number).
So each app registers in ``PROJECTIONS``, from its ``AppConfig.ready()``, one ``Projection`` per
kind of public record:

* ``key`` (``"sampling.published_plans"``) and ``label``; ``model`` as ``"app_label.ModelName"``;
* ``public() -> Q``: which rows are public (a published plan, a draw whose embargo has ended); a
  callable, evaluated at each read, so it may depend on today's date;
* ``fields``: the public fields, each a field or a forward lookup path of the model
  (``"organization__name"``; no to-many relation, which would repeat rows) with a ``label`` and
  an optional ``mask`` from ``tenancy/masks.py`` (or any pure function of the stored value).

``project(key, where=…, order_by=…)`` reads them in one query that selects only the public
fields, and returns plain dicts with every mask applied: a public page receives no model
instance, so no template can reach past the projection (``row.inspector.phone``). A field not
listed is not public. The public rows are read past the tenant scope on purpose: the projection
is the rule of what the public sees; ``where`` narrows it (a region, a year, a search).

A system check (``tenancy.E101``…) refuses a projection whose model or fields do not resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise

from .registry import Registry

Mask = Callable[[Any], Any]


@dataclass(frozen=True)
class PublicField:
    """One public field: ``name`` a field or forward lookup path; ``mask`` applied to its value."""

    name: str
    label: str | Promise
    mask: Mask | None = None


@dataclass(frozen=True)
class Projection:
    key: str
    model: str
    label: str | Promise
    public: Callable[[], Q]
    fields: tuple[PublicField, ...]
    order: int = 100
    description: str = field(default="", compare=False)

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


PROJECTIONS: Registry[Projection] = Registry(
    "public projections", doc="What the public may see of each app's rows: the rows, the fields, each field's mask."
)


def _projection(key: str | Projection) -> Projection:
    return key if isinstance(key, Projection) else PROJECTIONS.get(key)


def public_rows(key: str | Projection, *, where: Q | None = None, order_by: Sequence[str] = ("pk",)) -> models.QuerySet:
    """The public rows of projection ``key`` as a ``values()`` queryset of its public fields, unmasked:
    for counting and paging (``.count()``, slices); pass the rows to ``mask_rows`` before showing them."""
    projection = _projection(key)
    queryset = projection.model_class()._base_manager.filter(projection.public())
    if where is not None:
        queryset = queryset.filter(where)
    return queryset.order_by(*order_by).values(*projection.field_names)


def mask_rows(key: str | Projection, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each row's public fields with their masks applied (fields not declared are dropped)."""
    projection = _projection(key)
    return [
        {f.name: (f.mask(row[f.name]) if f.mask is not None else row[f.name]) for f in projection.fields} for row in rows
    ]


def project(
    key: str | Projection, *, where: Q | None = None, order_by: Sequence[str] = ("pk",), limit: int | None = None
) -> list[dict[str, Any]]:
    """The public, masked rows of projection ``key``: one query, plain dicts keyed by field name."""
    rows = public_rows(key, where=where, order_by=order_by)
    return mask_rows(key, rows[:limit] if limit is not None else rows)


def projections_of(model: type[models.Model]) -> list[Projection]:
    """The projections that publish rows of ``model``."""
    label = model._meta.label_lower
    return [p for p in PROJECTIONS if p.model.lower() == label]


# --------------------------------------------------------------------------- checks


def projection_errors(projection: Projection) -> list[str]:
    """What is wrong with ``projection``: an unknown model, a field that does not resolve, a path
    through a to-many relation, a mask that is not callable."""
    try:
        model = projection.model_class()
    except (LookupError, ValueError):
        return [f"{projection.key}: no model {projection.model!r}"]
    errors: list[str] = []
    if not projection.fields:
        errors.append(f"{projection.key}: no public field")
    for public_field in projection.fields:
        problem = _path_problem(model, public_field.name)
        if problem:
            errors.append(f"{projection.key}: {public_field.name!r} {problem}")
        if public_field.mask is not None and not callable(public_field.mask):
            errors.append(f"{projection.key}: the mask of {public_field.name!r} is not callable")
    return errors


def _path_problem(model: type[models.Model], path: str) -> str:
    current = model
    parts = path.split("__")
    for i, part in enumerate(parts):
        try:
            model_field = current._meta.pk if part == "pk" else current._meta.get_field(part)
        except FieldDoesNotExist:
            return f"is not a field of {current._meta.label}"
        if model_field.many_to_many or model_field.one_to_many:
            return "goes through a to-many relation (it would repeat rows)"
        if i < len(parts) - 1:
            if not model_field.is_relation:
                return f"goes through {part!r}, which is not a relation"
            current = model_field.related_model
    return ""


def check_projections(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Django system check: every registered projection resolves (``manage.py check``)."""
    return [checks.Error(message, id="tenancy.E101") for projection in PROJECTIONS for message in projection_errors(projection)]
