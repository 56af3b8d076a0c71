"""What sampling plugs into tenancy's registries, and (below, as they come) the extension points
it offers the apps after it.

``register_with_tenancy()`` (called from ``SamplingConfig.ready``) registers the 随机抽查 links
(``tenancy.navigation.NAV``; deadlines adds its due list under the same heading) and the
dashboard's counts (``tenancy.dashboard.DASHBOARD_CARDS``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tenancy import dashboard, navigation
from tenancy.context import Actor
from tenancy.navigation import NavEntry, NavSection

SECTION = "sampling.sampling"


def works_on_plans(actor: Actor) -> bool:
    """Departments draft and draw; offices approve, draw joint tasks and take filings."""
    return actor.is_member and (actor.is_department or actor.is_office)


def works_in_department(actor: Actor) -> bool:
    """Recusals are asked and decided inside the inspectors' own department."""
    return actor.is_member and actor.is_department


def register_with_tenancy() -> None:
    from . import selectors  # noqa: PLC0415  (called from ready(): the models are loaded)

    for entry in (
        NavSection(key=SECTION, label=_("随机抽查"), order=30),
        NavEntry(key="sampling.plans", label=_("年度抽查计划"), url_name="sampling:plan_list", section=SECTION,
                 order=10, visible=works_on_plans),
        NavEntry(key="sampling.tasks", label=_("抽查任务"), url_name="sampling:task_list", section=SECTION,
                 order=20, visible=works_on_plans),
        NavEntry(key="sampling.recusals", label=_("回避申请"), url_name="sampling:recusal_list", section=SECTION,
                 order=30, visible=works_in_department),
        NavEntry(key="sampling.filings", label=_("备案"), url_name="sampling:filing_list", section=SECTION,
                 order=40, visible=works_on_plans),
    ):
        navigation.NAV.register(entry)
    dashboard.DASHBOARD_CARDS.register(dashboard.DashboardCards(key="sampling", provider=selectors.dashboard_cards, order=20))
