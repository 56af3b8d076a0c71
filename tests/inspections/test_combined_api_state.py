"""``GET /api/v1/combined-visits/`` lists the active visits unless ``?state=`` asks otherwise — the
filter's label says active is the default, as the page (``/inspections/combined/``) lists them.
And the list's parties are read in a fixed number of queries, however many visits it shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from inspections.models import Inspection
from inspections.selectors import combined as sel
from inspections.services import combined as svc
from tenancy.context import Role
from tenancy.scoping import actor_scope
from tests.leak.cases_inspections_integration import make_joint_visit_offer

pytestmark = pytest.mark.django_db


def _combined(world):
    """A combined visit by AO of a new offer of A1's and A2's inspections."""
    entity = make_joint_visit_offer(world, "A1")
    with scopes_disabled():
        ids = list(Inspection.objects.filter(entity=entity, is_current=True).values_list("pk", flat=True))
    office = world.actor("AO", Role.PLANNER)
    with actor_scope(office):
        return svc.combined_visit_accept(
            actor=office, inspections=ids, visit_on=svc.first_day(None, None, today=timezone.localdate()),
        )


def test_the_default_list_leaves_out_cancelled_visits(world):
    kept, called_off = _combined(world), _combined(world)
    office = world.actor("AO", Role.LEADER)
    with actor_scope(office):
        svc.combined_visit_cancel(actor=office, combined=called_off, reason="企业停业整顿")
    for org, role in (("AO", Role.PLANNER), ("A1", Role.PLANNER)):
        api = APIClient()
        api.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")

        def listed(query: str = "", api: APIClient = api) -> set[int]:
            response = api.get(f"/api/v1/combined-visits/{query}")
            assert response.status_code == 200, response.content
            return {row["id"] for row in response.json()["results"]}

        assert listed() == {kept.pk}, (org, role)
        assert listed("?state=active") == {kept.pk}, (org, role)
        assert listed("?state=cancelled") == {called_off.pk}, (org, role)
        assert listed("?state=all") == {kept.pk, called_off.pk}, (org, role)
        # The default and the filters combine.
        code = kept.entity.code
        assert listed(f"?entity_code={code}") == {kept.pk}
        assert listed(f"?state=cancelled&entity_code={code}") == set()


def test_the_parties_of_many_visits_are_read_in_as_many_queries_as_of_one(world):
    """The parts of each inspection are read once for the list (its departments, whether the
    reader's organization takes part, whether it may open it), not again per inspection."""
    _combined(world)

    def queries(org: str, role: Role) -> int:
        actor = world.actor(org, role)
        with actor_scope(actor):
            rows = list(sel.combined_visit_list(actor=actor, state="all"))
            with CaptureQueriesContext(connection) as ctx:
                sel.combined_views(actor=actor, rows=rows)
        return len(ctx.captured_queries)

    readers = [("AO", Role.PLANNER), ("A1", Role.LEADER), ("A2", Role.PLANNER)]
    one = {reader: queries(*reader) for reader in readers}
    _combined(world), _combined(world)
    assert {reader: queries(*reader) for reader in readers} == one
