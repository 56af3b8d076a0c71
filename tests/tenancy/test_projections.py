"""Public projections (tenancy.projections): the public rows, only the public fields, each masked."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.models import Q

from inventory.models import MarketEntity
from tenancy import masks
from tenancy.context import Actor, Role
from tenancy.projections import (
    PROJECTIONS,
    Projection,
    PublicField,
    check_projections,
    mask_rows,
    project,
    projection_errors,
    projections_of,
    public_rows,
)
from tenancy.scoping import actor_scope, system_scope

KEY = "tests.individual_businesses"


def individual() -> Q:
    return Q(entity_type=MarketEntity.EntityType.INDIVIDUAL)


BUSINESSES = Projection(
    key=KEY, model="inventory.MarketEntity", label="个体工商户", public=individual,
    fields=(
        PublicField("code", "统一社会信用代码"),
        PublicField("name", "名称"),
        PublicField("legal_representative", "经营者", mask=masks.person_name),
        PublicField("address", "经营场所", mask=masks.address_detail),
        PublicField("region__name", "行政区划"),
    ),
)


@pytest.fixture
def businesses():
    PROJECTIONS.register(BUSINESSES)
    yield BUSINESSES
    PROJECTIONS.unregister(KEY)


def _entity(world, county: str, code: str, **fields) -> MarketEntity:
    org = world.orgs[f"{county}1"]
    with system_scope():
        return MarketEntity.objects.create(organization=org, region=org.region, code=code, **fields)


@pytest.mark.django_db
def test_project_gives_the_public_rows_masked_and_nothing_else(world, businesses, django_assert_num_queries):
    _entity(world, "A", "92140522MA0001", name="老王面馆", entity_type="individual", legal_representative="王建国",
            address="山西省阳城县凤城镇新阳东街12号", complaint_count=4, risk_class="D")
    _entity(world, "B", "92130634MA0002", name="曲阳石雕店", entity_type="individual", legal_representative="欧阳修文",
            address="河北省曲阳县羊平镇", on_abnormal_list=True)
    _entity(world, "A", "91140522MA0003", name="阳城煤业有限公司", entity_type="enterprise", legal_representative="李四")

    with django_assert_num_queries(1):
        rows = project(KEY, order_by=("code",))
    assert rows == [
        {"code": "92130634MA0002", "name": "曲阳石雕店", "legal_representative": "欧阳**", "address": "河北省曲阳县羊平镇",
         "region__name": "曲阳县"},
        {"code": "92140522MA0001", "name": "老王面馆", "legal_representative": "王**", "address": "山西省阳城县凤城镇****",
         "region__name": "阳城县"},
    ]
    # Only the declared fields were even read: the risk class and the complaints stay in the database.
    assert set(public_rows(KEY).query.values_select) == {"code", "name", "legal_representative", "address", "region__name"}
    assert project(KEY, where=Q(region__code="140522")) == [rows[1]]
    assert project(KEY, order_by=("-code",), limit=1) == [rows[1]]
    assert public_rows(KEY).count() == 2


@pytest.mark.django_db
def test_the_projection_is_the_rule_whatever_the_scope(world, businesses):
    _entity(world, "A", "92140522MA0001", name="老王面馆", entity_type="individual")
    _entity(world, "B", "92130634MA0002", name="曲阳石雕店", entity_type="individual")
    everywhere = [r["code"] for r in project(KEY, order_by=("code",))]
    for actor in (Actor.public(), world.actor("B1", Role.VIEWER)):
        with actor_scope(actor):
            assert [r["code"] for r in project(KEY, order_by=("code",))] == everywhere == ["92130634MA0002", "92140522MA0001"]


def test_mask_rows_applies_each_mask_and_drops_undeclared_keys(businesses):
    row = {"code": "X", "name": "店", "legal_representative": "张三丰", "address": "", "region__name": "阳城县", "phone": "13800138000"}
    assert mask_rows(KEY, [row]) == [
        {"code": "X", "name": "店", "legal_representative": "张**", "address": "", "region__name": "阳城县"}
    ]


def test_projections_of_a_model(businesses):
    assert BUSINESSES in projections_of(MarketEntity)
    assert all(p.model.lower() == "inventory.marketentity" for p in projections_of(MarketEntity))


def test_a_projection_that_does_not_resolve_is_refused_by_the_system_check(businesses):
    assert projection_errors(BUSINESSES) == []
    broken = Projection(
        key="tests.broken", model="sampling.SamplingPlan", label="坏的", public=individual,
        fields=(
            PublicField("pk", "编号"),
            PublicField("nmae", "名称"),
            PublicField("items__name", "事项"),
            PublicField("name__first", "名称"),
            PublicField("organization__name", "单位", mask="person_name"),  # type: ignore[arg-type]
        ),
    )
    assert projection_errors(broken) == [
        "tests.broken: 'nmae' is not a field of sampling.SamplingPlan",
        "tests.broken: 'items__name' goes through a to-many relation (it would repeat rows)",
        "tests.broken: 'name__first' goes through 'name', which is not a relation",
        "tests.broken: the mask of 'organization__name' is not callable",
    ]
    nowhere = Projection(key="tests.nowhere", model="nowhere.Thing", label="无", public=individual, fields=())
    assert projection_errors(nowhere) == ["tests.nowhere: no model 'nowhere.Thing'"]

    PROJECTIONS.register(broken)
    try:
        assert {e.id for e in check_projections()} == {"tenancy.E101"} and len(check_projections()) == 4
        with pytest.raises(SystemCheckError, match="items__name"):
            call_command("check")
    finally:
        PROJECTIONS.unregister("tests.broken")
    assert check_projections() == []


def test_a_key_is_registered_once(businesses):
    PROJECTIONS.register(BUSINESSES)  # the same entry again (ready() run twice) is no error
    with pytest.raises(ValueError, match="already registered"):
        PROJECTIONS.register(Projection(key=KEY, model="inventory.MarketEntity", label="另一个", public=individual, fields=()))
