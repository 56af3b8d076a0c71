"""The dashboard's cards come from ``tenancy.dashboard.DASHBOARD_CARDS``: each app's provider, in order."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tenancy.dashboard import DASHBOARD_CARDS, DashboardCards, cards_for
from tenancy.scoping import actor_scope

pytestmark = pytest.mark.django_db

CARD = re.compile(r'data-testid="card-([\w-]+)"')


def test_each_app_registers_its_provider_in_order():
    assert [c.key for c in DASHBOARD_CARDS if c.key in ("inventory", "sampling", "deadlines")] == [
        "inventory", "sampling", "deadlines",
    ]


def test_page_shows_the_providers_cards_in_registry_order(world):
    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        expected = [c["key"] for c in cards_for(actor)]
    client = Client()
    client.force_login(world.user("A1", "admin"), backend="django.contrib.auth.backends.ModelBackend")
    shown = CARD.findall(client.get("/").content.decode())
    assert shown == expected
    assert shown[:3] == ["items", "entities", "inspectors"]  # inventory's first, as the setting had it
    assert "due-items" in shown  # deadlines' last


def test_a_registered_provider_adds_its_cards(world):
    def provider(*, actor):
        return [{"key": "extra-card", "label": "额外", "value": actor.organization_id, "url": "/"}]

    DASHBOARD_CARDS.register(DashboardCards(key="zz_test", provider=provider, order=999))
    try:
        actor = world.actor("A1", "viewer")
        with actor_scope(actor):
            cards = cards_for(actor)
    finally:
        DASHBOARD_CARDS.unregister("zz_test")
    assert cards[-1] == {"key": "extra-card", "label": "额外", "value": world.orgs["A1"].pk, "url": "/"}
