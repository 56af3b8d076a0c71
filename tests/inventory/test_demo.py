"""The inventory demo data: realistic, valid, idempotent, fast."""

from __future__ import annotations

import io
import time
from collections import Counter

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from inventory import demo
from inventory.codes import classify_code
from inventory.models import (
    CheckItem,
    ConflictOfInterest,
    Inspector,
    JointCheckItem,
    MarketEntity,
    RegistryEntry,
    Tag,
)
from tenancy.demo import seed_organizations

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (MarketEntity, RegistryEntry, Inspector, CheckItem, JointCheckItem, ConflictOfInterest, Tag))


def test_seed_twice_creates_nothing_new_and_codes_are_valid():
    with scopes_disabled():
        orgs, _ = seed_organizations("Demo-Pass-2026")
        started = time.monotonic()
        demo.seed(orgs=orgs, entities=150, stdout=io.StringIO())
        elapsed = time.monotonic() - started
        first = counts()
        demo.seed(orgs=orgs, entities=150, stdout=io.StringIO())
        assert counts() == first
        assert elapsed < 20
        departments = [o for o in orgs.values() if o.kind == "department"]
        for org in departments:
            n = RegistryEntry.objects.filter(organization=org).count()
            assert n >= 150, org.code
            inspectors = Inspector.objects.filter(organization=org)
            assert 20 <= inspectors.count() <= 40
            assert CheckItem.objects.filter(organization=org).count() >= 3
            for item in CheckItem.objects.filter(organization=org):
                assert 3 <= item.points.count() <= 6
        for code in MarketEntity.objects.values_list("code", flat=True):
            check = classify_code(code)
            assert check.valid, (code, check.error)
        # Shared entities: one entity in two departments' registries of 阳城县.
        per_entity = Counter(RegistryEntry.objects.values_list("entity_id", flat=True))
        assert sum(1 for c in per_entity.values() if c > 1) >= 20
        risk = Counter(MarketEntity.objects.values_list("risk_class", flat=True))
        total = sum(risk.values())
        assert 0.3 < risk["A"] / total < 0.5 and 0.02 < risk["D"] / total < 0.14
        assert MarketEntity.objects.filter(is_legacy_code=True).exists()
        assert MarketEntity.objects.exclude(status="active").exists()
        wl = orgs["140522-WLJ"]
        names = set(CheckItem.objects.filter(organization=wl).values_list("name", flat=True))
        assert {"旅行社经营行为检查", "互联网上网服务营业场所经营活动检查", "娱乐场所经营活动检查"} <= names
        assert Inspector.objects.filter(organization=wl, user__username="yc_wl_inspector").count() == 1
        assert JointCheckItem.objects.get(name="旅游市场联合检查").initiator == wl
        assert ConflictOfInterest.objects.count() >= len(departments)
        assert Inspector.objects.filter(cert_expires_on__lt=timezone.localdate()).exists()
