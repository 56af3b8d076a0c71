"""The firm's ledger: the entity page's "检查记录" lists its inspections as the reader may see
them (a department its own and its joint visits; another department of the county none of them)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.inspections.conftest import drawn
from tests.inspections.support import confirm_all, fill, first, submit

pytestmark = pytest.mark.django_db


def test_the_entity_page_lists_the_firms_inspections_to_those_who_may_see_them(world, client, login):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    confirm_all(world, inspection)
    fill(d, inspection, results=["01"])
    submit(d, inspection)
    url = reverse("inventory:entity_detail", kwargs={"pk": inspection.entity_id})
    page = login(world.user("A1", "planner")).get(url).content.decode()
    assert 'data-testid="entity-inspections"' in page and "检查记录" in page
    assert d.draw.task.name in page and "未发现问题" in page and "已提交" in page
    assert reverse("inspections:detail", kwargs={"pk": inspection.pk}) in page
    client.logout()
    other = login(world.user("A2", "planner")).get(url).content.decode()
    assert "暂无您可查看的检查记录。" in other and d.draw.task.name not in other
