"""Inspector registry: create/edit, eligibility and expired certificates, conflicts, personal fields."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from inventory.models import ConflictOfInterest, Inspector
from inventory.selectors import inspectors as inspector_selectors
from inventory.services import inspectors as inspector_services
from tenancy.models import AuditEntry, OrgUnit
from tenancy.scoping import actor_scope
from tests.factories import make_entity, make_inspector

pytestmark = pytest.mark.django_db


def test_create_update_with_specialties_unit_and_user(world):
    actor = world.actor("A1", "admin")
    with scopes_disabled():
        unit = OrgUnit.objects.create(organization=world.orgs["A1"], region=world.orgs["A1"].region, name="执法队")
        foreign_unit = OrgUnit.objects.create(organization=world.orgs["A2"], region=world.orgs["A2"].region, name="别人的股室")
    with actor_scope(actor):
        inspector = inspector_services.inspector_create(
            actor=actor, data={"name": " 王正斌 ", "cert_no": "14052201001", "unit": unit, "status": "active",
                               "user": world.user("A1", "inspector")},
            specialties=["旅行社", "网吧"],
        )
        assert inspector.name == "王正斌" and sorted(t.name for t in inspector.specialties.all()) == ["旅行社", "网吧"]
        with pytest.raises(ValidationError) as e:
            inspector_services.inspector_create(actor=actor, data={"name": "重复", "cert_no": "14052201001"})
        assert "已在本单位名录库中" in e.value.message_dict["cert_no"][0]
        with pytest.raises(ValidationError) as e:
            inspector_services.inspector_create(actor=actor, data={"name": "x", "cert_no": "X1", "user": world.user("A2", "inspector")})
        assert "本单位成员" in e.value.message_dict["user"][0]
        with pytest.raises(ValidationError):
            inspector_services.inspector_update(actor=actor, inspector=inspector, data={"unit": foreign_unit})
        inspector.refresh_from_db()
        assert inspector.unit_id == unit.pk
        inspector_services.inspector_update(actor=actor, inspector=inspector, data={"status": "leave"}, specialties=["旅行社"])
        inspector.refresh_from_db()
        assert inspector.status == "leave" and not inspector.eligible_on()
        assert AuditEntry.objects.filter(target_type="inventory.inspector", action="update").exists()


def test_expired_certificate_is_ineligible_and_red(world, login):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    expired = make_inspector(world, "A1", name="李过期", cert_expires_on=yesterday)
    valid = make_inspector(world, "A1", name="张有效", cert_expires_on=timezone.localdate() + dt.timedelta(days=30))
    assert not expired.eligible_on() and valid.eligible_on()
    actor = world.actor("A1", "viewer")
    with actor_scope(actor):
        only_expired = inspector_selectors.inspector_list(actor=actor, filters=inspector_selectors.InspectorFilters(expired=True))
        assert [i.name for i in only_expired] == ["李过期"]
    client = login(world.user("A1", "viewer"))
    body = client.get(reverse("inventory:inspector_list")).content.decode()
    assert body.count('data-testid="cert-expired"') == 1 and "row-bad" in body
    detail = client.get(reverse("inventory:inspector_detail", args=[expired.pk])).content.decode()
    assert 'data-testid="ineligible"' in detail and "执法证已过期，不可抽取" in detail
    ok = client.get(reverse("inventory:inspector_detail", args=[valid.pk])).content.decode()
    assert 'data-testid="eligible"' in ok


def test_phone_only_for_own_organization(world, login):
    inspector = make_inspector(world, "A1", name="赵电话", phone="13912345678")
    own = login(world.user("A1", "viewer")).get(reverse("inventory:inspector_detail", args=[inspector.pk])).content.decode()
    assert "13912345678" in own
    office_client = login(world.user("AO", "viewer"))
    office = office_client.get(reverse("inventory:inspector_detail", args=[inspector.pk])).content.decode()
    assert "赵电话" in office and "13912345678" not in office
    assert "13912345678" not in office_client.get(reverse("inventory:inspector_list")).content.decode()


def test_conflicts_declare_and_withdraw(world, login):
    inspector = make_inspector(world, "A1")
    entity = make_entity(world, "A2")  # same county, another department's registry: still declarable
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        conflict = inspector_services.conflict_declare(actor=actor, inspector=inspector, entity=entity, reason="配偶在该公司任职", approved_by="王局长")
        with pytest.raises(ValidationError):
            inspector_services.conflict_declare(actor=actor, inspector=inspector, entity=entity, reason="再次申报")
        inspector_services.conflict_withdraw(actor=actor, conflict=conflict)
        assert not ConflictOfInterest.objects.get(pk=conflict.pk).is_active
        with pytest.raises(ValidationError):
            inspector_services.conflict_withdraw(actor=actor, conflict=conflict)
    client = login(world.user("A1", "planner"))
    response = client.post(reverse("inventory:conflict_add", args=[inspector.pk]), {"entity_code": entity.code.lower(), "reason": "近亲属"})
    assert response.status_code == 302
    missing = client.post(reverse("inventory:conflict_add", args=[inspector.pk]), {"entity_code": "91140522MA0K00000X", "reason": "近亲属"})
    assert "没有代码为" in missing.content.decode() and "近亲属" in missing.content.decode()
    with scopes_disabled():
        active = ConflictOfInterest.objects.get(is_active=True)
    detail = client.get(reverse("inventory:inspector_detail", args=[inspector.pk])).content.decode()
    assert "近亲属" in detail
    assert client.post(reverse("inventory:conflict_withdraw", args=[active.pk])).status_code == 302
    with scopes_disabled():
        assert not ConflictOfInterest.objects.filter(is_active=True).exists()


def test_inspector_form_page(world, login):
    client = login(world.user("A1", "admin"))
    response = client.post(reverse("inventory:inspector_create"), {
        "name": "刘新", "cert_no": "14052209999", "status": "active", "cert_expires_on": "2030-12-31",
        "phone": "13700000000", "specialties_text": "娱乐场所，网吧",
    })
    assert response.status_code == 302
    with scopes_disabled():
        inspector = Inspector.objects.get(cert_no="14052209999")
        assert sorted(t.name for t in inspector.specialties.all()) == ["娱乐场所", "网吧"]
    dup = client.post(reverse("inventory:inspector_create"), {"name": "刘二", "cert_no": "14052209999", "status": "active"})
    assert dup.status_code == 200 and "刘二" in dup.content.decode() and "已在本单位名录库中" in dup.content.decode()
    assert login(world.user("A1", "inspector")).get(reverse("inventory:inspector_create")).status_code == 403
