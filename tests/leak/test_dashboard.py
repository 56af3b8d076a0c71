"""The dashboard is not in the object matrix (it shows counts, not rows): prove instead that no
card of office A's users moves when the other department and the other county add data."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import make_committed_draw, make_recusal
from tests.leak.cases_inventory import FACTORIES as INVENTORY

pytestmark = pytest.mark.django_db

CARD = re.compile(r'data-testid="card-([\w-]+)">\s*<div class="value">([^<]*)</div>')


def _cards(world, org: str, role: str) -> dict[str, str]:
    client = Client()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return dict(CARD.findall(client.get("/").content.decode()))


def _add_everything(world, org: str) -> None:
    make_recusal(world, org)
    make_committed_draw(world, org)
    for factory in INVENTORY.values():
        factory(world, org)


def test_dashboard_counts_only_the_viewers_own_rows(world):
    department = [("A1", "leader"), ("A1", "planner"), ("A1", "admin")]
    make_recusal(world, "A1")
    make_committed_draw(world, "A1")
    before = {v: _cards(world, *v) for v in department}
    assert before[("A1", "leader")]["recusals-pending"] == "1"
    assert before[("A1", "planner")]["draws-open"] == "1"
    _add_everything(world, "A2")  # same county: A1 must not count it; its office does
    office_before = _cards(world, "AO", "leader")
    _add_everything(world, "B1")  # other county: nobody in A counts it
    assert {v: _cards(world, *v) for v in department} == before
    assert _cards(world, "AO", "leader") == office_before
    # And the cards do move for the owner: the harness would see a leak.
    make_committed_draw(world, "A1")
    assert _cards(world, "A1", "planner")["draws-open"] == "2"
