"""Sessions: a request that only read the session does not write back what it read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy.actors import SESSION_ORG_KEY
from tenancy.models import Membership
from tenancy.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _stored(key: str) -> dict:
    return SessionStore(session_key=key).load()


def test_a_request_that_only_read_keeps_a_switch_made_meanwhile_and_moves_the_expiry():
    first = SessionStore()
    first[SESSION_ORG_KEY] = 1
    first.save()
    key = first.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    slow_panel = SessionStore(session_key=key)
    assert slow_panel.get(SESSION_ORG_KEY) == 1  # loaded before the switch
    switch = SessionStore(session_key=key)
    switch[SESSION_ORG_KEY] = 2
    switch.save()
    slow_panel.save()  # what SESSION_SAVE_EVERY_REQUEST does at the end of the panel's request
    assert _stored(key)[SESSION_ORG_KEY] == 2
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + dt.timedelta(hours=1)  # the idle clock restarted


def test_a_session_gone_meanwhile_is_not_brought_back():
    store = SessionStore()
    store["x"] = 1
    store.save()
    reader = SessionStore(session_key=store.session_key)
    assert reader.get("x") == 1
    SessionStore(session_key=store.session_key).delete()  # logged out in another tab
    with pytest.raises(UpdateError):
        reader.save()
    assert not Session.objects.filter(session_key=store.session_key).exists()


def test_switching_organization_through_the_site_survives_a_stale_request(world):
    """The header's switcher, then the end of a request that loaded the session before the switch."""
    user = world.user("A1", "planner")
    with scopes_disabled():
        a2 = world.orgs["A2"]
        Membership.objects.create(user=user, organization=a2, region=a2.region, is_planner=True)
    client = Client()
    client.force_login(user)
    assert 'data-testid="active-org">测试单位A1<' in client.get(reverse("dashboard")).content.decode()
    stale = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert stale.get(SESSION_ORG_KEY) is None  # the panel's request read it: no switch yet, the first membership
    switched = client.post(reverse("switch_organization"), {"organization": a2.pk}, follow=True).content.decode()
    assert 'data-testid="active-org">测试单位A2<' in switched
    stale.save()
    assert 'data-testid="active-org">测试单位A2<' in client.get(reverse("dashboard")).content.decode()
