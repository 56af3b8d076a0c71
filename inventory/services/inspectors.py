"""Inspectors of a department's roster and their declared conflicts of interest (利害关系申报).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import codes, policies
from inventory.models import (
    ConflictOfInterest,
    Inspector,
    MarketEntity,
    Tag,
)
from inventory.services import apply_fields, full_clean, own_unit, tags_named
from tenancy import audit, events
from tenancy.context import Actor
from tenancy.models import Membership
from tenancy.policies import ensure

INSPECTOR_FIELDS = ("unit", "name", "position", "cert_no", "cert_expires_on", "post", "phone", "status", "user")


def _inspector_checks(actor: Actor, inspector: Inspector) -> None:
    inspector.cert_no = codes.normalize_code(inspector.cert_no or "")
    inspector.name = codes.normalize_text(inspector.name or "")
    if not inspector.cert_no:
        raise ValidationError({"cert_no": _("请填写执法证号")})
    clash = Inspector.objects.filter(organization_id=actor.organization_id, cert_no=inspector.cert_no)
    if inspector.pk:
        clash = clash.exclude(pk=inspector.pk)
    if clash.exists():
        raise ValidationError({"cert_no": _("执法证号 %(cert)s 已在本单位名录库中") % {"cert": inspector.cert_no}})
    own_unit(actor, inspector.unit)
    if inspector.user_id and not Membership.objects.filter(
        organization_id=actor.organization_id, user_id=inspector.user_id, is_active=True
    ).exists():
        raise ValidationError({"user": _("关联账号须为本单位成员")})
    full_clean(inspector, exclude=["unit", "user"])


@transaction.atomic
def inspector_create(*, actor: Actor, data: dict[str, Any], specialties: Sequence[str] = ()) -> Inspector:
    ensure(policies.can_keep_registers, actor)
    inspector = Inspector()
    apply_fields(inspector, data, INSPECTOR_FIELDS)
    inspector.set_tenant(actor)
    _inspector_checks(actor, inspector)
    inspector.save()
    if specialties:
        inspector.specialties.set(tags_named(actor, specialties, Tag.Kind.INSPECTOR))
    audit.record_create(actor=actor, obj=inspector)
    events.emit("inventory.inspector.saved", actor=actor, obj=inspector)
    return inspector


@transaction.atomic
def inspector_update(
    *, actor: Actor, inspector: Inspector, data: dict[str, Any], specialties: Sequence[str] | None = None
) -> Inspector:
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_edit_inspector, actor, inspector)
    before = audit.snapshot(inspector)
    before_tags = sorted(inspector.specialties.values_list("name", flat=True))
    apply_fields(inspector, data, INSPECTOR_FIELDS)
    _inspector_checks(actor, inspector)
    inspector.save()
    if specialties is not None:
        inspector.specialties.set(tags_named(actor, specialties, Tag.Kind.INSPECTOR))
    after_tags = sorted(inspector.specialties.values_list("name", flat=True))
    entry = audit.record_update(actor=actor, obj=inspector, before=before)
    if entry is None and before_tags != after_tags:
        audit.record(actor=actor, action="update", target=inspector, changes={"specialties": [before_tags, after_tags]})
    events.emit("inventory.inspector.saved", actor=actor, obj=inspector)
    return inspector


@transaction.atomic
def conflict_declare(
    *, actor: Actor, inspector: Inspector, entity: MarketEntity, reason: str,
    declared_on: dt.date | None = None, approved_by: str = "",
) -> ConflictOfInterest:
    """利害关系申报: the inspector will never be drawn for the entity (曲阳 §16 回避)."""
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_edit_inspector, actor, inspector, message=_("不能为其他单位的执法人员申报"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写回避事由")})
    if ConflictOfInterest.objects.filter(inspector=inspector, entity=entity, is_active=True).exists():
        raise ValidationError({"entity": _("%(inspector)s 与“%(entity)s”的利害关系已申报") % {"inspector": inspector.name, "entity": entity.name}})
    conflict = ConflictOfInterest(
        inspector=inspector, entity=entity, reason=reason[:200],
        declared_on=declared_on or timezone.localdate(), approved_by=(approved_by or "")[:50],
    )
    conflict.set_tenant(actor)
    conflict.save()
    audit.record_create(actor=actor, obj=conflict)
    return conflict


@transaction.atomic
def conflict_withdraw(*, actor: Actor, conflict: ConflictOfInterest, reason: str = "") -> ConflictOfInterest:
    ensure(policies.can_keep_registers, actor)
    ensure(policies.can_withdraw_conflict, actor, conflict)
    if not conflict.is_active:
        raise ValidationError(_("该申报已撤回"))
    before = audit.snapshot(conflict, ["is_active"])
    conflict.is_active = False
    conflict.save(update_fields=["is_active", "updated_at"])
    audit.record_update(actor=actor, obj=conflict, before=before, action="withdraw", note=reason)
    return conflict
