"""Target registry: create/edit validation, list filters, keyset paging, bulk actions, detail history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from inventory import selectors
from inventory.codes import make_regno, make_uscc
from inventory.models import MarketEntity, RegistryEntry, Tag
from inventory.selectors import entities as entity_selectors
from inventory.services import entities as entity_services
from inventory.services import imports as import_services
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests.factories import draw_selecting, make_conflict, make_entity, make_inspector, make_plan

pytestmark = pytest.mark.django_db

A_REGION = "140522"


def test_create_validates_code_flags_legacy_and_refuses_duplicates(world):
    actor = world.actor("A1", "planner")
    good = make_uscc("91", A_REGION, "MA0K12345")
    with actor_scope(actor):
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        with pytest.raises(ValidationError) as e:
            entity_services.entity_create(actor=actor, data={"code": bad, "name": "某公司"})
        assert "校验位错误" in e.value.message_dict["code"][0]
        entity = entity_services.entity_create(actor=actor, data={"code": good.lower(), "name": "阳城县皇城旅行社有限公司"}, tags=["旅行社"])
        assert entity.code == good and entity.code_kind == "uscc" and not entity.is_legacy_code
        entry = RegistryEntry.objects.get(entity=entity)
        assert entry.organization_id == world.orgs["A1"].pk and [t.name for t in entry.tags.all()] == ["旅行社"]
        legacy = entity_services.entity_create(actor=actor, data={"code": make_regno(A_REGION + "00000001"), "name": "老字号饭店"})
        assert legacy.is_legacy_code and legacy.code_kind == "regno"
    # The same code from another department of the county: a clear error, then "join".
    other = world.actor("A2", "admin")
    with actor_scope(other):
        with pytest.raises(ValidationError) as e:
            entity_services.entity_create(actor=other, data={"code": good, "name": "重复"})
        assert "阳城县皇城旅行社有限公司" in e.value.message_dict["code"][0]
        entity_services.registry_entry_add(actor=other, entity=entity)
        assert RegistryEntry.objects.filter(entity=entity).count() == 1  # A2 sees only its own entry
    with scopes_disabled():
        assert RegistryEntry.objects.filter(entity=entity).count() == 2
        assert MarketEntity.objects.filter(code=good).count() == 1


def test_viewer_cannot_create(world):
    actor = world.actor("A1", "viewer")
    with actor_scope(actor), pytest.raises(PermissionDenied):
        entity_services.entity_create(actor=actor, data={"code": make_uscc("91", A_REGION, "000000001"), "name": "x"})


def _codes(page) -> list[str]:
    return [e.code for e in page.rows]


@pytest.mark.parametrize("sort", ["code", "name", "risk", "complaints", "updated"])
def test_keyset_paging_never_skips_or_repeats(world, sort):
    for i in range(23):
        make_entity(world, "A1", name=f"实体{i % 5}", risk_class="ABCD"[i % 4], complaint_count=i % 3)
    make_entity(world, "A2")  # another department's registry: not in A1's list
    actor = world.actor("A1", "viewer")
    with actor_scope(actor):
        expected = set(entity_selectors.entity_queryset(actor=actor).values_list("code", flat=True))
        assert len(expected) == 23
        seen: list[str] = []
        pages = []
        page = entity_selectors.entity_page(actor=actor, filters=entity_selectors.EntityFilters(), sort=sort, size=5)
        while True:
            pages.append(page)
            seen += _codes(page)
            if not page.next_cursor:
                break
            page = entity_selectors.entity_page(actor=actor, filters=entity_selectors.EntityFilters(), sort=sort, after=page.next_cursor, size=5)
        assert len(seen) == 23 and set(seen) == expected
        assert [len(p.rows) for p in pages] == [5, 5, 5, 5, 3]
        assert pages[0].prev_cursor is None and pages[-1].next_cursor is None
        # Walking back from the last page gives the same pages in reverse.
        back = entity_selectors.entity_page(actor=actor, filters=entity_selectors.EntityFilters(), sort=sort, before=pages[-1].prev_cursor, size=5)
        assert _codes(back) == _codes(pages[-2])
        # A tampered cursor is the first page, not an error.
        first = entity_selectors.entity_page(actor=actor, filters=entity_selectors.EntityFilters(), sort=sort, after="garbage!", size=5)
        assert _codes(first) == _codes(pages[0])


def test_filters_and_search(world):
    hotel = make_entity(world, "A1", name="阳城县皇城相府大酒店", risk_class="D", complaint_count=5, on_abnormal_list=True, industry_code="H6110")
    make_entity(world, "A1", name="阳城县网吧", risk_class="A", industry_code="R9013")
    make_entity(world, "A1", name="阳城县某合作社", entity_type="cooperative", status="revoked", on_dishonest_list=True)
    actor = world.actor("A1", "viewer")
    F = entity_selectors.EntityFilters

    def names(**kw):
        with actor_scope(actor):
            return sorted(e.name for e in entity_selectors.entity_queryset(actor=actor, filters=F(**kw)))

    assert names(q="相府") == ["阳城县皇城相府大酒店"]
    assert len(names(q=hotel.code[:8].lower())) == 3  # a code prefix shared by all three
    assert names(q=hotel.code[:17]) == ["阳城县皇城相府大酒店"]
    assert names(q=hotel.code) == ["阳城县皇城相府大酒店"]
    assert names(risk=["D"]) == ["阳城县皇城相府大酒店"]
    assert names(industry="h61") == ["阳城县皇城相府大酒店"]
    assert names(abnormal=True) == ["阳城县皇城相府大酒店"]
    assert names(dishonest=True) == ["阳城县某合作社"]
    assert names(status="revoked", entity_type="cooperative") == ["阳城县某合作社"]
    assert names(complaints_min=3) == ["阳城县皇城相府大酒店"]
    with actor_scope(actor := world.actor("A1", "planner")):
        entity_services.registry_bulk_tag(actor=actor, entity_ids=[hotel.pk], tag_name="星级饭店")
        tag = Tag.objects.get(name="星级饭店")
    assert names(tag=tag.pk) == ["阳城县皇城相府大酒店"]


def test_office_lists_the_whole_region(world):
    make_entity(world, "A1", name="甲部门对象")
    make_entity(world, "A2", name="乙部门对象")
    make_entity(world, "B1", name="外县对象")
    actor = world.actor("AO", "viewer")
    with actor_scope(actor):
        assert sorted(e.name for e in entity_selectors.entity_queryset(actor=actor)) == ["乙部门对象", "甲部门对象"]


def test_bulk_actions_count_and_audit(world):
    mine = [make_entity(world, "A1", risk_class="A") for _ in range(3)]
    foreign = make_entity(world, "A2")
    actor = world.actor("A1", "planner")
    ids = [e.pk for e in mine] + [foreign.pk]
    with actor_scope(actor):
        assert entity_services.registry_bulk_tag(actor=actor, entity_ids=ids, tag_name="网吧") == 3
        assert entity_services.registry_bulk_tag(actor=actor, entity_ids=ids, tag_name="网吧") == 0  # idempotent
        assert entity_services.entity_bulk_set_risk(actor=actor, entity_ids=ids, risk_class="C") == 3
        assert AuditEntry.objects.filter(action="set_risk").count() == 3
        with pytest.raises(ValidationError):
            entity_services.registry_bulk_retire(actor=actor, entity_ids=ids, reason="")
        assert entity_services.registry_bulk_retire(actor=actor, entity_ids=ids[:2], reason="已注销") == 2
        assert AuditEntry.objects.filter(action="retire", note="已注销").count() == 2
        assert entity_selectors.entity_queryset(actor=actor).count() == 1
    with scopes_disabled():
        assert MarketEntity.objects.get(pk=foreign.pk).risk_class == "B"  # not in A1's registry: untouched
        assert set(MarketEntity.objects.filter(pk__in=[e.pk for e in mine]).values_list("risk_class", flat=True)) == {"C"}


def test_bulk_page_confirms_then_acts(world, login):
    rows = [make_entity(world, "A1") for _ in range(2)]
    client = login(world.user("A1", "planner"))
    data = {"action": "risk", "risk_class": "D", "ids": [r.pk for r in rows], "back": "sort=name"}
    confirm = client.post(reverse("inventory:entity_bulk"), data)
    assert confirm.status_code == 200 and "将对勾选的 2 个检查对象执行" in confirm.content.decode()
    with scopes_disabled():
        assert not MarketEntity.objects.filter(risk_class="D").exists()
    done = client.post(reverse("inventory:entity_bulk"), {**data, "confirm": "1"})
    assert done.status_code == 302 and done["Location"].endswith("?sort=name")
    with scopes_disabled():
        assert MarketEntity.objects.filter(risk_class="D").count() == 2
    assert login(world.user("A1", "viewer")).post(reverse("inventory:entity_bulk"), data).status_code == 403


def test_list_page_paging_links_and_filters(world, login):
    for i in range(55):
        make_entity(world, "A1", name=f"阳城县第{i:02d}号超市")
    client = login(world.user("A1", "viewer"))
    body = client.get(reverse("inventory:entity_list") + "?sort=name").content.decode()
    assert body.count('data-testid="entity-row"') == 50 and "第00号" in body and "第49号" in body
    nxt = re.search(r'href="\?([^"]*after=[^"]*)"', body).group(1).replace("&amp;", "&")
    page2 = client.get(reverse("inventory:entity_list") + "?" + nxt).content.decode()
    assert page2.count('data-testid="entity-row"') == 5 and "第54号" in page2 and "第00号" not in page2
    assert "before=" in page2 and "sort=name" in page2
    assert 'data-testid="bulk-form"' not in page2  # viewers get no bulk actions


def test_entity_form_keeps_input_and_shows_chinese_error(world, login):
    client = login(world.user("A1", "admin"))
    valid = make_uscc("91", "140522", "MA0K1234X")
    response = client.post(reverse("inventory:entity_create"), {
        "code": valid[:17] + "0", "name": "我的新公司", "entity_type": "enterprise", "status": "active",
        "risk_class": "B", "complaint_count": 0,
    })
    body = response.content.decode()
    assert response.status_code == 200 and 'value="我的新公司"' in body
    assert f"统一社会信用代码校验位错误：应为 {valid[17]}，实为 0" in body


def _draw_for(world, org_key, entity, uid):
    plan = make_plan(world, org_key, status="approved", name=f"{uid}计划")
    return draw_selecting(plan, [entity], name=f"{uid}任务", uid=uid)


def test_detail_history_shows_only_visible_draws_and_conflicts(world, login):
    entity = make_entity(world, "A1", name="共享对象")
    with scopes_disabled():
        RegistryEntry.objects.create(organization=world.orgs["A2"], region=entity.region, entity=entity)
    _draw_for(world, "A1", entity, "A1-2026-Q1")
    _draw_for(world, "A2", entity, "A2-2026-Q1")
    a1 = login(world.user("A1", "viewer")).get(reverse("inventory:entity_detail", args=[entity.pk])).content.decode()
    assert "A1-2026-Q1任务" in a1 and "A2-2026-Q1" not in a1
    assert "测试单位A1" in a1 and "测试单位A2" not in a1
    office = login(world.user("AO", "viewer")).get(reverse("inventory:entity_detail", args=[entity.pk])).content.decode()
    assert "A1-2026-Q1任务" in office and "A2-2026-Q1任务" in office
    conflict = make_conflict(world, "A1")
    page = login(world.user("A1", "viewer")).get(reverse("inventory:entity_detail", args=[conflict.entity_id])).content.decode()
    assert "近亲属任该公司股东" in page


def test_export_uses_the_filtered_list(world, login):
    make_entity(world, "A1", name="导出甲", risk_class="D")
    make_entity(world, "A1", name="导出乙", risk_class="A")
    response = login(world.user("A1", "viewer")).get(reverse("inventory:entity_export") + "?risk=D&format=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else response.content.decode()
    assert response.status_code == 200 and "导出甲" in body and "导出乙" not in body


def test_dashboard_cards(world, login):
    make_entity(world, "A1")
    make_entity(world, "A1")
    make_inspector(world, "A1", cert_expires_on=timezone.localdate() - dt.timedelta(days=3))
    make_inspector(world, "A1")
    actor = world.actor("A1", "viewer")
    with actor_scope(actor):
        cards = {c["key"]: c for c in selectors.dashboard_cards(actor=actor)}
    assert cards["entities"]["value"] == 2 and cards["inspectors"]["value"] == 1
    assert cards["expired_certs"]["value"] == 1 and cards["expired_certs"]["state"] == "bad"
    body = login(world.user("A1", "viewer")).get(reverse("dashboard")).content.decode()
    assert 'data-testid="card-expired_certs"' in body


def test_bad_query_parameters_never_500(world, login):
    make_entity(world, "A1", name="参数测试对象")
    client = login(world.user("A1", "viewer"))
    for query in ("complaints_min=abc", "sort=zzz", "tag=999999", "after=%%%", "before=eyJ4Ijox", "risk=Q", "industry=%27;--"):
        response = client.get(reverse("inventory:entity_list") + "?" + query)
        assert response.status_code == 200, query
    assert login(world.user("A1", "planner")).post(reverse("inventory:entity_bulk"), {"action": "tag", "ids": ["x"]}).status_code == 302


# ------------------------------------------------------------------ total, code label, establishment date


def _count_text(body: str) -> str:
    return re.search(r'data-testid="entity-count"[^>]*>([^<]*)<', body).group(1)


def test_list_shows_the_total_counted_in_the_database(world, login):
    for i in range(57):
        make_entity(world, "A1", name=f"阳城县第{i:02d}号超市", risk_class="D" if i < 7 else "B")
    make_entity(world, "A2")  # another department's registry
    make_entity(world, "AO")
    client = login(world.user("A1", "viewer"))
    assert _count_text(client.get(reverse("inventory:entity_list")).content.decode()) == "共 57 条"
    # The total is the whole filtered list's, on every page of it.
    first = client.get(reverse("inventory:entity_list") + "?risk=D").content.decode()
    assert _count_text(first) == "共 7 条"
    body = client.get(reverse("inventory:entity_list") + "?sort=name").content.decode()
    nxt = re.search(r'href="\?([^"]*after=[^"]*)"', body).group(1).replace("&amp;", "&")
    assert _count_text(client.get(reverse("inventory:entity_list") + "?" + nxt).content.decode()) == "共 57 条"
    assert _count_text(client.get(reverse("inventory:entity_list") + "?q=不存在").content.decode()) == "共 0 条"
    office = login(world.user("AO", "viewer")).get(reverse("inventory:entity_list")).content.decode()
    assert _count_text(office) == "共 59 条"  # the county: A1's 57, A2's and the office's own


def test_total_past_the_cap_says_so(world, monkeypatch):
    for i in range(6):
        make_entity(world, "A1", risk_class="D" if i < 4 else "A")
    actor = world.actor("A1", "viewer")
    monkeypatch.setattr(entity_selectors, "COUNT_CAP", 3)
    F = entity_selectors.EntityFilters
    with actor_scope(actor):
        assert entity_selectors.entity_total(actor=actor, filters=F(risk=["A"])) == entity_selectors.Total(2)
        assert entity_selectors.entity_total(actor=actor, filters=F(risk=["D"])) == entity_selectors.Total(3, "more")
        whole = entity_selectors.entity_total(actor=actor, filters=F())
        if connection.vendor == "postgresql":
            # The planner's estimate for a registry past the cap; no row is counted.
            assert whole.kind in ("about", "more") and whole.value >= 3
        else:
            assert whole == entity_selectors.Total(6)  # SQLite has no estimate: counted


def test_large_filtered_count_is_deferred_to_its_own_request(world, login, monkeypatch):
    for _ in range(5):
        make_entity(world, "A1", risk_class="D")
    # PostgreSQL's statistics of a registry of a million rows, which a test database cannot have.
    monkeypatch.setattr(entity_selectors, "_estimated_rows", lambda queryset: 10 * entity_selectors.COUNT_CAP)
    client = login(world.user("A1", "viewer"))
    body = client.get(reverse("inventory:entity_list") + "?risk=D").content.decode()
    placeholder = re.search(r'<p[^>]*data-testid="entity-count"[^>]*>', body).group(0)
    assert 'hx-trigger="load"' in placeholder and "part=count" in placeholder and "risk=D" in placeholder
    counted = client.get(reverse("inventory:entity_list") + "?risk=D&part=count").content.decode()
    assert _count_text(counted) == "共 5 条" and "<table" not in counted
    unfiltered = client.get(reverse("inventory:entity_list")).content.decode()
    assert "约 " in _count_text(unfiltered) and "估算" in _count_text(unfiltered)


def test_legacy_code_has_one_label(world, login):
    entity = make_entity(world, "A1", code=make_regno(A_REGION + "00000007"), code_kind="regno", is_legacy_code=True)
    client = login(world.user("A1", "viewer"))
    detail = client.get(reverse("inventory:entity_detail", args=[entity.pk])).content.decode()
    props = re.search(r'data-testid="entity-props">.*?</dl>', detail, re.S).group(0)
    assert props.count("注册号（旧）") == 1 and "旧注册号" not in props
    row = re.search(r'data-testid="entity-row">.*?</tr>', client.get(reverse("inventory:entity_list")).content.decode(), re.S).group(0)
    assert row.count("注册号（旧）") == 1 and "旧注册号" not in row


def test_establishment_date_cannot_be_in_the_future(world, login):
    import datetime as dt

    from rest_framework.test import APIClient

    from inventory.models import ImportJob

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    actor = world.actor("A1", "planner")
    # Service (the form's and the API's path): the model's clean.
    with actor_scope(actor):
        with pytest.raises(ValidationError) as e:
            entity_services.entity_create(
                actor=actor, data={"code": make_uscc("91", A_REGION, "MA0K30001"), "name": "未来公司", "established_on": dt.date(2030, 1, 1)}
            )
        assert "成立日期不能晚于今天" in e.value.message_dict["established_on"][0]
        today = entity_services.entity_create(
            actor=actor, data={"code": make_uscc("91", A_REGION, "MA0K30002"), "name": "今天成立", "established_on": timezone.localdate()}
        )
        assert today.established_on == timezone.localdate()
        with pytest.raises(ValidationError):
            entity_services.entity_update(actor=actor, entity=today, data={"established_on": tomorrow})
    # The form keeps what was typed and says why.
    client = login(world.user("A1", "planner"))
    response = client.post(reverse("inventory:entity_create"), {
        "code": make_uscc("91", A_REGION, "MA0K30003"), "name": "表单未来公司", "entity_type": "enterprise", "status": "active",
        "risk_class": "B", "complaint_count": 0, "established_on": "2030-06-01",
    })
    body = response.content.decode()
    assert response.status_code == 200 and "成立日期不能晚于今天" in body and "2030-06-01" in body and "表单未来公司" in body
    # The API: a 400 with the field's error.
    api = APIClient()
    api.force_login(world.user("A1", "planner"), backend="django.contrib.auth.backends.ModelBackend")
    posted = api.post(reverse("api:entity-list"), {"code": make_uscc("91", A_REGION, "MA0K30004"), "name": "接口未来公司",
                                                   "established_on": "2030-01-01"}, format="json")
    assert posted.status_code == 400 and "成立日期不能晚于今天" in posted.json()["established_on"][0]
    # The import and the bulk API: a row error on the column.
    with actor_scope(actor):
        job = import_services.import_preview(
            actor=actor, kind=ImportJob.Kind.ENTITIES, filename="future.csv",
            data=f"统一社会信用代码,主体名称,成立日期\n{make_uscc('91', A_REGION, 'MA0K30005')},导入未来公司,2030-01-01\n".encode(),
        )
        result = import_services.entity_bulk_upsert(actor=actor, records=[
            {"code": make_uscc("91", A_REGION, "MA0K30006"), "name": "批量未来公司", "established_on": "2030-01-01"}
        ])
    assert job.rejected_count == 1 and "成立日期不能晚于今天" in job.errors[0]["reason"]
    assert result.errors and "成立日期不能晚于今天" in result.errors[0]["reason"]
    with scopes_disabled():
        assert not MarketEntity.objects.filter(name__contains="未来公司").exists()


def test_industry_codes_are_stored_with_their_section_letter_by_form_api_and_import(world):
    """"5211" and "F5211" are one code (GB/T 4754 section F holds divisions 51-52): the service
    (form and API) and the importer store "F5211", and refuse a letter that is not the division's."""
    from inventory.models import ImportJob

    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        digits = entity_services.entity_create(actor=actor, data={"code": make_uscc("91", A_REGION, "MA0K40001"), "name": "数字行业", "industry_code": "5211"})
        lettered = entity_services.entity_create(actor=actor, data={"code": make_uscc("91", A_REGION, "MA0K40002"), "name": "字母行业", "industry_code": "f5211"})
        with pytest.raises(ValidationError) as e:
            entity_services.entity_create(actor=actor, data={"code": make_uscc("91", A_REGION, "MA0K40003"), "name": "错门类", "industry_code": "A5211"})
        assert "GB/T 4754" in e.value.message_dict["industry_code"][0]
        job = import_services.import_preview(
            actor=actor, kind=ImportJob.Kind.ENTITIES, filename="industry.csv",
            data=(f"统一社会信用代码,主体名称,行业代码\n{make_uscc('91', A_REGION, 'MA0K40004')},导入行业,5211\n"
                  f"{make_uscc('91', A_REGION, 'MA0K40005')},导入错门类,A5211\n").encode(),
        )
    assert (digits.industry_code, lettered.industry_code) == ("F5211", "F5211")
    assert job.rejected_count == 1 and job.errors[0]["row"] == 3 and "GB/T 4754" in job.errors[0]["reason"]
