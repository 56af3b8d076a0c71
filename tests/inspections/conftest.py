"""Draws whose inspectors have accounts: each inspector of the task's departments is linked to a
user of its own (a membership with the inspector role only), before the draw, so the team's
grants are given when the inspections are made."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django_scopes import scopes_disabled

from inventory.models import Inspector
from sampling.models import Draw, SamplingTask
from tenancy.actors import actor_for
from tenancy.context import Actor
from tenancy.models import Membership, Organization, User
from tests import factories


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@dataclass
class Drawn:
    draw: Draw
    users: dict[int, User] = field(default_factory=dict)  # inspector id -> account

    def actor_of(self, inspector_id: int) -> Actor:
        with scopes_disabled():
            inspector = Inspector.objects.get(pk=inspector_id)
            org = Organization.objects.get(pk=inspector.organization_id)
        return actor_for(self.users[inspector_id], org)


def link_inspectors(task: SamplingTask) -> dict[int, User]:
    """An account for every inspector of the departments the task draws from."""
    users: dict[int, User] = {}
    with scopes_disabled():
        departments = [r["department"] for r in task.team_requirements]
        for inspector in Inspector.objects.filter(organization_id__in=departments, user__isnull=True).order_by("pk"):
            user = User.objects.create_user(username=f"insp{inspector.pk}", password="x", display_name=inspector.name)
            Membership.objects.create(
                user=user, organization_id=inspector.organization_id, region_id=inspector.region_id,
                is_inspector=True, is_viewer=False,
            )
            inspector.user = user
            inspector.save(update_fields=["user"])
            users[inspector.pk] = user
    return users


def drawn(world, org_key: str = "A1", **options) -> Drawn:
    """A completed draw of ``org_key`` (a county office's: joint) whose inspectors have accounts."""
    task = factories.make_ready_task(world, org_key, **options)
    users = link_inspectors(task)
    draw = factories.draw_task(world, task)
    return Drawn(draw=draw, users=users)
