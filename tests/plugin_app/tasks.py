"""The plug-in's per-organization task: what the census job queues for each department."""

from __future__ import annotations

from celery import shared_task

from inventory.models import Inspector
from tenancy.context import Actor
from tenancy.tasks import OrganizationTask

# What each run saw, for the tests: (organization id queued, organization acted for, via, inspectors seen).
RUNS: list[tuple[int, int | None, str, int]] = []


@shared_task(base=OrganizationTask, name="tests_plugin.census_organization")
def census_organization(organization_id: int, *, actor: Actor) -> int:
    """Count the inspectors this organization sees (its own: the scope of its system actor)."""
    seen = Inspector.objects.count()
    RUNS.append((organization_id, actor.organization_id, actor.via, seen))
    return seen
