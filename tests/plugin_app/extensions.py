"""Everything the plug-in registers, called from its ``AppConfig.ready()``: tenancy's and
inventory's registries are filled from here, and none of their files names this app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from inventory.extensions import ENTITY_HISTORY, EntityHistorySection
from inventory.models import MarketEntity
from tenancy import navigation, periodic, projections
from tenancy.context import Actor
from tenancy.navigation import NavEntry, NavSection

from . import jobs, policies
from .projections import PROJECTIONS

SECTION = "tests_plugin.section"
ENTITY_PROJECTION = "tests_plugin.individual_businesses"


def public_view(*, actor: Actor, entity: MarketEntity) -> list[tuple[Any, Any]]:
    """The entity as the public sees it (its own fields through the projection's masks; no query),
    or nothing when the projection does not publish its kind."""
    projection = projections.PROJECTIONS.get(ENTITY_PROJECTION)
    if entity.entity_type != MarketEntity.EntityType.INDIVIDUAL:
        return []
    own_fields = [f for f in projection.fields if "__" not in f.name]
    return [(f.label, f.mask(getattr(entity, f.name)) if f.mask else getattr(entity, f.name)) for f in own_fields]


def register() -> None:
    navigation.NAV.register(NavSection(key=SECTION, label=_("现场检查"), order=40))
    navigation.NAV.register(NavEntry(
        key="tests_plugin.workbench", label=_("检查工作台"), url_name="tests_plugin:workbench", section=SECTION, order=10,
        visible=policies.may_open_workbench,
    ))
    ENTITY_HISTORY.register(EntityHistorySection(
        key="tests_plugin.public_view", title=_("公示信息"), selector=public_view,
        template="tests_plugin/_history_public.html", order=90,
    ))
    periodic.JOBS.register(periodic.PeriodicJob(
        key="tests_plugin.census", schedule=timedelta(hours=24), run=jobs.census_job, expires=3600,
        description="每日统计各部门的执法检查人员",
    ))
    for projection in PROJECTIONS:
        projections.PROJECTIONS.register(projection)
