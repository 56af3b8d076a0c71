"""Market entities (the region's shared registry; every change of a code kept as an
``EntityCodeChange``) and a department's registry entries, with the list's bulk actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import codes, policies
from inventory.models import (
    EntityCodeChange,
    MarketEntity,
    RegistryEntry,
)
from inventory.services import apply_fields, full_clean, tags_named
from tenancy import audit
from tenancy.context import Actor
from tenancy.i18n import translate_stored
from tenancy.policies import ensure
from tenancy.scoping import assert_writable

BULK_MAX = 5000


ENTITY_FIELDS = (
    "name", "entity_type", "legal_representative", "address", "industry_code", "industry_name",
    "established_on", "status", "risk_class", "on_abnormal_list", "on_dishonest_list", "complaint_count",
)


def clean_entity_code(raw: str, *, region_id: int | None, exclude_pk: int | None = None) -> codes.CodeCheck:
    """Validate a code with GB 32100 / the 注册号 check (Chinese message) and refuse a duplicate in
    the region (one entity, many departments: the same code is never two rows)."""
    check = codes.classify_code(raw or "")
    if not check.valid:
        raise ValidationError({"code": translate_stored(check.error) if check.error else _("代码无效")})
    clash = MarketEntity.objects.filter(region_id=region_id, code=check.normalized)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.first()
    if other is not None:
        raise ValidationError(
            {"code": _("代码 %(code)s 已登记为“%(name)s”，同一地区不能重复登记；如需纳入本部门名录库，请在该对象页面点击“加入本部门名录库”")
             % {"code": check.normalized, "name": other.name}}
        )
    return check


def _entity_clean(entity: MarketEntity) -> None:
    entity.name = codes.normalize_text(entity.name or "")
    if not entity.name:
        raise ValidationError({"name": _("请填写名称")})
    industry = codes.normalize_code(entity.industry_code or "")
    if industry:
        canonical = codes.canonical_industry_code(industry)
        if canonical is None:
            raise ValidationError({"industry_code": _(codes.INDUSTRY_CODE_ERROR)})
        industry = canonical
    entity.industry_code = industry
    full_clean(entity)


@transaction.atomic
def entity_create(
    *, actor: Actor, data: dict[str, Any], tags: Sequence[str] = (), note: str = ""
) -> MarketEntity:
    """A new entity of the actor's region, put into the actor's registry when it is a department."""
    ensure(policies.can_write_entities, actor)
    check = clean_entity_code(data.get("code", ""), region_id=actor.region_id)
    entity = MarketEntity(code=check.normalized, code_kind=check.kind, is_legacy_code=check.legacy)
    apply_fields(entity, data, ENTITY_FIELDS)
    entity.organization_id = actor.organization_id
    entity.region_id = actor.region_id
    _entity_clean(entity)
    entity.save()
    audit.record_create(actor=actor, obj=entity)
    if actor.is_department:
        registry_entry_add(actor=actor, entity=entity, tags=tags, note=note)
    return entity


@transaction.atomic
def entity_update(*, actor: Actor, entity: MarketEntity, data: dict[str, Any]) -> MarketEntity:
    ensure(policies.can_edit_entity, actor, entity)
    before = audit.snapshot(entity)
    old_code = entity.code
    if "code" in data and data["code"] is not None:
        check = clean_entity_code(data["code"], region_id=entity.region_id, exclude_pk=entity.pk)
        entity.code, entity.code_kind, entity.is_legacy_code = check.normalized, check.kind, check.legacy
    apply_fields(entity, data, ENTITY_FIELDS)
    _entity_clean(entity)
    entity.save()
    if entity.code != old_code:
        _record_code_change(actor, entity, old_code)
    audit.record_update(actor=actor, obj=entity, before=before)
    return entity


def _record_code_change(actor: Actor, entity: MarketEntity, old_code: str) -> EntityCodeChange:
    change = EntityCodeChange(
        entity=entity, old_code=old_code, new_code=entity.code, changed_by_id=actor.user_id,
        actor_name=actor.username, via=actor.via, organization_id=actor.organization_id, region_id=entity.region_id,
    )
    change.save()
    return change


@transaction.atomic
def registry_entry_add(
    *, actor: Actor, entity: MarketEntity, tags: Sequence[str] = (), note: str = ""
) -> RegistryEntry:
    """Put a region's entity into the department's registry (or back in, if it was retired)."""
    ensure(policies.can_keep_registers, actor)
    entry = RegistryEntry.objects.filter(organization_id=actor.organization_id, entity=entity).first()
    if entry is None:
        entry = RegistryEntry(entity=entity, note=note[:300])
        entry.set_tenant(actor)
        entry.save()
        audit.record_create(actor=actor, obj=entry)
    elif entry.status == RegistryEntry.Status.RETIRED:
        before = audit.snapshot(entry, ["status", "retired_reason"])
        entry.status, entry.retired_reason = RegistryEntry.Status.ACTIVE, ""
        entry.save(update_fields=["status", "retired_reason", "updated_at"])
        audit.record_update(actor=actor, obj=entry, before=before, action="restore")
    if tags:
        entry.tags.add(*tags_named(actor, tags))
    return entry


def _entries_for(actor: Actor, entity_ids: Sequence[int]) -> list[RegistryEntry]:
    ids = list(dict.fromkeys(int(i) for i in entity_ids))
    if not ids:
        raise ValidationError({"ids": _("请先勾选检查对象")})
    if len(ids) > BULK_MAX:
        raise ValidationError({"ids": _("一次最多处理 %(n)s 条") % {"n": BULK_MAX}})
    entries = list(
        RegistryEntry.objects.select_related("entity").filter(
            organization_id=actor.organization_id, entity_id__in=ids, status=RegistryEntry.Status.ACTIVE
        )
    )
    assert_writable(actor, entries)
    return entries


@transaction.atomic
def registry_bulk_tag(*, actor: Actor, entity_ids: Sequence[int], tag_name: str) -> int:
    """Add a tag (分类标注) to the selected entries of the department's registry. Returns rows tagged."""
    ensure(policies.can_keep_registers, actor)
    tags = tags_named(actor, [tag_name])
    if not tags:
        raise ValidationError({"tag": _("请填写标签名称")})
    tag = tags[0]
    entries = _entries_for(actor, entity_ids)
    through = RegistryEntry.tags.through
    have = set(through.objects.filter(tag=tag, registryentry__in=entries).values_list("registryentry_id", flat=True))
    new = [e for e in entries if e.pk not in have]
    through.objects.bulk_create([through(registryentry_id=e.pk, tag_id=tag.pk) for e in new])
    audit.record_many(
        actor=actor, entries=[audit.new_entry(actor=actor, action="tag", target=e, changes={"tags": [None, tag.name]}) for e in new]
    )
    return len(new)


@transaction.atomic
def entity_bulk_set_risk(*, actor: Actor, entity_ids: Sequence[int], risk_class: str) -> int:
    """Set the credit risk class of the selected entities (of the department's registry)."""
    ensure(policies.can_keep_registers, actor)
    if risk_class not in MarketEntity.Risk.values:
        raise ValidationError({"risk_class": _("请选择风险等级 A/B/C/D")})
    entries = _entries_for(actor, entity_ids)
    changed = [e.entity for e in entries if e.entity.risk_class != risk_class]
    assert_writable(actor, changed)
    now = timezone.now()
    log = [
        audit.new_entry(actor=actor, action="set_risk", target=e, changes={"risk_class": [e.risk_class, risk_class]})
        for e in changed
    ]
    MarketEntity.objects.filter(pk__in=[e.pk for e in changed]).update(risk_class=risk_class, updated_at=now)
    audit.record_many(actor=actor, entries=log)
    return len(changed)


@transaction.atomic
def registry_bulk_retire(*, actor: Actor, entity_ids: Sequence[int], reason: str) -> int:
    """Move the selected entities out of the department's registry (the entity itself stays)."""
    ensure(policies.can_keep_registers, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写移出原因")})
    entries = _entries_for(actor, entity_ids)
    RegistryEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        status=RegistryEntry.Status.RETIRED, retired_reason=reason[:200], updated_at=timezone.now()
    )
    audit.record_many(actor=actor, entries=[
        audit.new_entry(actor=actor, action="retire", target=e, changes={"status": ["active", "retired"]}, note=reason)
        for e in entries
    ])
    return len(entries)
