"""Both inspection lists (the department's and 我的检查) show the day of a 综合查一次."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tenancy.context import Role
from tests.inspections.test_combined import TODAY, _accept, _offer, _workday

pytestmark = pytest.mark.django_db


def _row_of(page: str, name: str) -> str:
    rows = re.findall(r'<tr data-testid="inspection-row">(.*?)</tr>', page, re.S)
    [row] = [r for r in rows if name in r]
    return row


def test_the_agreed_day_is_on_the_departments_list_and_on_my_inspections(world, login):
    entity, a1, a2 = _offer(world, team=True)
    day = _workday(TODAY, 2)
    _accept(world, [a1, a2], visit_on=day)
    said = f"综合查一次：{day.isoformat()} 上门"
    for user, url in ((world.user("A1", Role.PLANNER), "inspections:list"),
                      (world.user("A2", Role.LEADER), "inspections:list"),
                      (world.user("A1", Role.INSPECTOR), "inspections:mine")):
        page = login(user).get(reverse(url) + "?status=all").content.decode()
        assert said in _row_of(page, entity.name), (user.username, url)
