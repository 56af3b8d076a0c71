"""What deadlines plugs into tenancy's registries (called from ``DeadlinesConfig.ready``):

* its rules (``deadlines.rules.RULES``), and one handler on every event a rule listens to
  (``tenancy.events``) — sampling and inventory emit, never import;
* the filing deadline sampling stamps on a filing (``tenancy.timelimits``);
* the periodic jobs Celery beat runs (``tenancy.periodic.JOBS``);
* its demo data for ``seed_demo`` (``tenancy.demo.DEMO_SEEDERS``);
* its dashboard cards and panels (``tenancy.dashboard.DASHBOARD_CARDS``, ``PANELS``) and the
  joint-task milestones sampling's data holds (``deadlines.milestones.MILESTONES``, which the apps
  after it extend);
* its links in the sidebar (``tenancy.navigation.NAV``): the due list under sampling's 随机抽查
  heading, the rules, holidays and failed jobs under tenancy's 管理 heading.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery.schedules import crontab
from django.utils.translation import gettext_lazy

from tenancy import dashboard, demo, events, navigation, periodic, timelimits
from tenancy.context import Actor, Role
from tenancy.navigation import NavEntry

from . import builtin, jobs, milestones
from .rules import RULES, events_listened


def _filing_due_at(*, actor: Actor, obj: Any, start: dt.datetime) -> dt.datetime | None:
    from .services import count_due, effective_setting, end_of_day  # noqa: PLC0415  (models at call time)

    rule = RULES.get(builtin.FILING)
    setting = effective_setting(rule, organization_id=actor.organization_id, organization_kind=actor.organization_kind or "")
    if not setting.enabled:
        return None
    return end_of_day(count_due(anchor=start, period=setting.period, unit=setting.unit).date)


def _filing_describe(*, actor: Actor) -> str:
    from django.utils.translation import gettext as _  # noqa: PLC0415

    from .services import describe_period, effective_setting  # noqa: PLC0415

    rule = RULES.get(builtin.FILING)
    setting = effective_setting(rule, organization_id=actor.organization_id, organization_kind=actor.organization_kind or "")
    return _("抽取后 %(limit)s内（%(source)s）") % {"limit": describe_period(setting.period, setting.unit), "source": setting.source}


def _handle(**kwargs: Any) -> None:
    from .services import handle_event  # noqa: PLC0415

    handle_event(**kwargs)


def _seed_demo(**kwargs: Any) -> None:
    from .demo import seed  # noqa: PLC0415  (the demo drives sampling's services: loaded when used)

    seed(**kwargs)


def register() -> None:
    for rule in builtin.RULES:
        RULES.register(rule)
    events.subscribe(key="deadlines.rules", events=sorted(events_listened()), handler=_handle)
    timelimits.TIME_LIMITS.register(
        timelimits.TimeLimit(key=builtin.FILING, due_at=_filing_due_at, describe=_filing_describe)
    )
    interval = jobs.scan_interval()
    periodic.JOBS.register(periodic.PeriodicJob(
        key="deadlines.scan", schedule=interval, run=jobs.scan_job, expires=interval.total_seconds(), order=10,
        description="提醒与逾期通报：每 15 分钟",
    ))
    periodic.JOBS.register(periodic.PeriodicJob(
        key="deadlines.morning", schedule=crontab(hour=8, minute=30), run=jobs.morning_job, expires=3600, order=11,
        description="工作日 08:30 发送当日提醒",
    ))
    periodic.JOBS.register(periodic.PeriodicJob(
        key="deadlines.recount", schedule=crontab(hour=3, minute=10), run=jobs.recount_job, expires=6 * 3600, order=12,
        description="节假日安排录入后重新计算截止日期",
    ))
    demo.DEMO_SEEDERS.register(demo.DemoSeeder(key="deadlines.demo", seed=_seed_demo, order=30))
    for panel in PANELS:
        dashboard.PANELS.register(panel)
    from . import selectors  # noqa: PLC0415  (models at call time)

    dashboard.DASHBOARD_CARDS.register(dashboard.DashboardCards(key="deadlines", provider=selectors.dashboard_cards, order=30))
    for entry in NAV:
        navigation.NAV.register(entry)
    for milestone in milestones.BUILTIN:
        milestones.MILESTONES.register(milestone)


def _works_on_deadlines(actor: Actor) -> bool:
    return actor.is_department or actor.is_office


def _department_leader(actor: Actor) -> bool:
    return actor.is_department and actor.has_role(Role.LEADER)


def _office(actor: Actor) -> bool:
    return actor.is_office


def _reads_rules(actor: Actor) -> bool:
    return (actor.is_department or actor.is_office) and actor.has_role(Role.ADMIN, Role.LEADER)


def _admin(actor: Actor) -> bool:
    return actor.has_role(Role.ADMIN)


PANELS = (
    dashboard.DashboardPanel(key="deadlines.mine", title=gettext_lazy("我的待办"), url_name="deadlines:panel_mine",
                             visible=_works_on_deadlines, order=10),
    dashboard.DashboardPanel(key="deadlines.organization", title=gettext_lazy("本单位待办期限"),
                             url_name="deadlines:panel_organization", visible=_department_leader, order=20),
    dashboard.DashboardPanel(key="deadlines.region", title=gettext_lazy("各单位逾期事项"),
                             url_name="deadlines:panel_region", visible=_office, order=30),
    dashboard.DashboardPanel(key="deadlines.joint", title=gettext_lazy("联合抽查进度"),
                             url_name="deadlines:panel_joint", visible=_office, order=40),
)

# Keys of the headings: sampling's (the due list sits with the plans and filings it tracks) and
# tenancy's 管理 (an entry under a heading nobody registered is not shown).
SAMPLING_SECTION = "sampling.sampling"
ADMIN_SECTION = "tenancy.admin"

NAV = (
    NavEntry(key="deadlines.due", label=gettext_lazy("待办期限"), url_name="deadlines:due_list",
             section=SAMPLING_SECTION, order=50, visible=_works_on_deadlines),
    NavEntry(key="deadlines.rules", label=gettext_lazy("期限规则"), url_name="deadlines:rule_list",
             section=ADMIN_SECTION, order=20, visible=_reads_rules),
    NavEntry(key="deadlines.holidays", label=gettext_lazy("节假日安排"), url_name="deadlines:holiday_list",
             section=ADMIN_SECTION, order=30, visible=_admin),
    NavEntry(key="deadlines.failures", label=gettext_lazy("失败的后台任务"), url_name="deadlines:failure_list",
             section=ADMIN_SECTION, order=40, visible=_admin),
)
