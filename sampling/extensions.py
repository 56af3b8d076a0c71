"""What sampling plugs into tenancy's registries, and the extension points it offers the apps
after it.

``DRAW_EXCLUSIONS``: who is left out of a draw's pool beyond sampling's own rules (deregistered,
covered by a higher-level plan, already drawn by the plan). An entry's ``excluded(actor=, plan=,
year=)`` gives ``(reason, entity ids)`` pairs: the reason is written into the draw record in
Chinese (mark it with ``gettext_noop``), the first rule that applies to an entity is its reason,
entries apply in ``(order, key)`` order. A rule that counts across departments asks
``tenancy.scoping.region_counts`` (numbers, never rows); ``sampling.pool.cap_exclusions`` turns
counts into pairs. Sampling registers the annual cap counted from selections
(``sampling.annual_cap``); a later app counting real inspections registers its own with
``replaces="sampling.annual_cap"``, and while both are registered only the replacing one applies
(iterating ``DRAW_EXCLUSIONS`` gives the rules in effect; ``replaced()`` what stands aside).

``TASK_SECTIONS``: cards of the task page (``sampling/task_detail.html``) from the apps after
sampling. An entry's ``selector(actor=, task=)`` returns the template's context (a dict, read
through the scoped managers, a few queries) or ``None`` when the section has nothing for this
reader; ``template`` renders it inside the card (``data`` holds the context, ``task`` the task),
under ``title``. Sections are shown in ``(order, key)`` order after the task's own cards.

``register_with_tenancy()`` (called from ``SamplingConfig.ready``) registers the 随机抽查 links
(``tenancy.navigation.NAV``; deadlines adds its due list under the same heading), who takes part
in a joint plan and what a participant writes (``tenancy.joint``: ``sampling.plan`` and the
fields ``sampling.policies.JOINT_FIELDS`` grants) and the dashboard's counts
(``tenancy.dashboard.DASHBOARD_CARDS``); ``register_with_inventory()`` (also
from ``ready()``) tells inventory which check items sampling uses (``inventory.extensions.ITEM_USAGE``)
and adds the draws to an entity's history (``inventory.extensions.ENTITY_HISTORY``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from inventory.extensions import ENTITY_HISTORY, ITEM_USAGE, EntityHistorySection, ItemUsage
from inventory.models import CheckItem, JointCheckItem, MarketEntity
from tenancy import dashboard, joint, navigation
from tenancy.context import Actor
from tenancy.navigation import NavEntry, NavSection
from tenancy.registry import Registry

from .models import PLAN_PARTICIPATION, DrawSelection, SamplingPlan, SamplingTask
from .policies import JOINT_FIELDS, joined_plans, works_in_department, works_on_plans

SECTION = "sampling.sampling"


@dataclass(frozen=True)
class DrawExclusion:
    key: str
    excluded: Callable[..., Iterable[tuple[str, Sequence[int]]]]
    order: int = 100
    # The key of a rule this one stands in for: the same rule counted better (the annual cap from
    # real inspections in place of selections), never both, or an entity would get either reason.
    replaces: str = ""


class DrawExclusionRegistry(Registry[DrawExclusion]):
    """``DRAW_EXCLUSIONS``: iterating gives the rules in effect — an entry that another registered
    entry ``replaces`` stands aside, and applies again once the replacing one is unregistered."""

    def replaced(self) -> dict[str, str]:
        """``{key standing aside: key of the entry replacing it}``."""
        everything = super().__iter__()
        return {e.replaces: e.key for e in everything if e.replaces and e.replaces in self and e.replaces != e.key}

    def __iter__(self) -> Iterator[DrawExclusion]:
        aside = self.replaced()
        return iter([e for e in super().__iter__() if e.key not in aside])


DRAW_EXCLUSIONS = DrawExclusionRegistry(
    "draw_exclusions", doc="Who a draw's pool leaves out, beyond sampling's own rules, with the reason recorded."
)


@dataclass(frozen=True)
class TaskSection:
    key: str
    title: str | Promise
    selector: Callable[..., dict[str, Any] | None]
    template: str
    order: int = 100


TASK_SECTIONS: Registry[TaskSection] = Registry(
    "task sections", doc="Cards of the task page from later apps: selector(actor=, task=) -> context or None."
)


def task_sections(*, actor: Actor, task: SamplingTask) -> list[dict[str, Any]]:
    """The registered sections that have something for ``actor`` on ``task``'s page, in order:
    key, testid, title, template and data (the selector's context)."""
    shown: list[dict[str, Any]] = []
    for section in TASK_SECTIONS:
        data = section.selector(actor=actor, task=task)
        if data is None:
            continue
        shown.append({
            "key": section.key, "testid": "task-section-" + section.key.replace(".", "-"),
            "title": section.title, "template": section.template, "data": data,
        })
    return shown


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
