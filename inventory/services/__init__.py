"""State changes of 一单两库, by area: items.py (check items, versioned, with their check points;
the joint-inspection item list), entities.py (market entities and registry entries, with bulk
actions), inspectors.py (inspectors and their declared conflicts), imports.py (spreadsheet imports
and the API's bulk upsert). Import from the submodule.

Every function is keyword-only, atomic and audited (tenancy.audit). Errors are
``ValidationError`` with Chinese messages keyed by field; who may is ``inventory.policies``,
ensured here: a refusal is ``PermissionDenied`` with the policy's message (403 in views and the API).
This module holds the helpers the areas share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from inventory import codes
from inventory.models import (
    Tag,
)
from tenancy.context import Actor
from tenancy.models import OrgUnit


def own_unit(actor: Actor, unit: OrgUnit | None) -> OrgUnit | None:
    if unit is not None and unit.organization_id != actor.organization_id:
        raise ValidationError({"unit": _("所选股室不属于本单位")})
    return unit


def apply_fields(obj: Any, data: dict[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in data:
            setattr(obj, name, data[name])


def full_clean(obj: Any, exclude: Sequence[str] = ()) -> None:
    # Model validation with the tenant columns excluded (they come from the actor).
    obj.full_clean(exclude=["organization", "region", *exclude], validate_unique=False, validate_constraints=False)


def tags_named(actor: Actor, names: Iterable[str], kind: str = Tag.Kind.ENTITY) -> list[Tag]:
    out: list[Tag] = []
    for raw in names:
        name = codes.normalize_text(raw)[:40]
        if not name:
            continue
        tag = Tag.objects.filter(organization_id=actor.organization_id, kind=kind, name=name).first()
        if tag is None:
            tag = Tag(kind=kind, name=name)
            tag.set_tenant(actor)
            tag.save()
        out.append(tag)
    return out
