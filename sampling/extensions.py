"""What sampling plugs into tenancy's registries, and the extension points it offers the apps
after it.

``DRAW_EXCLUSIONS``: who is left out of a draw's pool beyond sampling's own rules (deregistered,
covered by a higher-level plan, already drawn by the plan). An entry's ``excluded(actor=, plan=,
year=)`` gives ``(reason, entity ids)`` pairs: the reason is written into the draw record in
Chinese (mark it with ``gettext_noop``), the first rule that applies to an entity is its reason,
entries apply in ``(order, key)`` order. A rule that counts across departments asks
``tenancy.scoping.region_counts`` (numbers, never rows); ``sampling.pool.cap_exclusions`` turns
counts into pairs. Sampling registers the annual cap counted from selections
(``sampling.annual_cap``); an inspections app may add one counting real inspections.

``register_with_tenancy()`` (called from ``SamplingConfig.ready``) registers the 随机抽查 links
(``tenancy.navigation.NAV``; deadlines adds its due list under the same heading), who takes part
in a joint plan and what a participant writes (``tenancy.joint``: ``sampling.plan`` and the
fields ``sampling.policies.JOINT_FIELDS`` grants) and the dashboard's counts
(``tenancy.dashboard.DASHBOARD_CARDS``); ``register_with_inventory()`` (also
from ``ready()``) tells inventory which check items sampling uses (``inventory.extensions.ITEM_USAGE``)
and adds the draws to an entity's history (``inventory.extensions.ENTITY_HISTORY``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from inventory.extensions import ENTITY_HISTORY, ITEM_USAGE, EntityHistorySection, ItemUsage
from inventory.models import CheckItem, JointCheckItem, MarketEntity
from tenancy import dashboard, joint, navigation
from tenancy.context import Actor
from tenancy.navigation import NavEntry, NavSection
from tenancy.registry import Registry

from .models import PLAN_PARTICIPATION, DrawSelection, SamplingPlan
from .policies import JOINT_FIELDS, joined_plans, works_in_department, works_on_plans

SECTION = "sampling.sampling"


@dataclass(frozen=True)
class DrawExclusion:
    key: str
    excluded: Callable[..., Iterable[tuple[str, Sequence[int]]]]
    order: int = 100


DRAW_EXCLUSIONS: Registry[DrawExclusion] = Registry(
    "draw_exclusions", doc="Who a draw's pool leaves out, beyond sampling's own rules, with the reason recorded."
)


def register_own() -> None:
    """Sampling's own entries in the registries it offers."""
    from .selectors.pool import drawn_times_excluded  # noqa: PLC0415  (called from ready(): the models are loaded)

    DRAW_EXCLUSIONS.register(DrawExclusion(key="sampling.annual_cap", excluded=drawn_times_excluded, order=10))


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
    joint.PARTICIPATIONS.register(joint.Participation(key=PLAN_PARTICIPATION, joined=joined_plans))
    for label, fields in JOINT_FIELDS.items():
        joint.JOINT_WRITES.register(joint.JointWrite(key=label, fields=fields))
    dashboard.DASHBOARD_CARDS.register(dashboard.DashboardCards(key="sampling", provider=selectors.dashboard_cards, order=20))


def register_with_inventory() -> None:
    ITEM_USAGE.register(ItemUsage(key="sampling.plans_and_tasks", uses=checkitem_use, order=10))
    ENTITY_HISTORY.register(EntityHistorySection(
        key="sampling.draws", title=_("抽查记录"), selector=entity_draws, template="sampling/_entity_draws.html", order=30,
    ))


def checkitem_use(item: CheckItem) -> str | Promise | None:
    """A task uses the item, or a plan that was approved or published names it — directly, or
    through a joint item. Counted unscoped: a joint task or plan the department cannot list still
    freezes the item."""
    if CheckItem.tasks.through._base_manager.filter(checkitem_id=item.pk).exists():
        return _("抽查任务")
    # Superseded plans were approved (and published) before they were adjusted: they still count.
    frozen = (SamplingPlan.Status.APPROVED, SamplingPlan.Status.PUBLISHED, SamplingPlan.Status.SUPERSEDED)
    if CheckItem.plans.through._base_manager.filter(checkitem_id=item.pk, samplingplan__status__in=frozen).exists():
        return _("已批准的抽查计划")
    if JointCheckItem.items.through._base_manager.filter(
        checkitem_id=item.pk, jointcheckitem__plans__status__in=frozen
    ).exists():
        return _("已批准的抽查计划")
    return None


def entity_draws(*, actor: Actor, entity: MarketEntity) -> list[DrawSelection]:
    """The entity's draws the actor may see (scoped), the latest 200."""
    return list(
        DrawSelection.objects.filter(entity=entity)
        .select_related("draw", "draw__task", "plan", "organization")
        .order_by("-draw__drawn_at", "-id")[:200]
    )
