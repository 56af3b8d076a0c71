"""What tenancy registers in its own registries (called from ``TenancyConfig.ready``): the links
to its pages — the dashboard, and the audit log under the 管理 heading later apps add to — and the
periodic sweep that fails background jobs whose worker died (``tenancy.jobs``)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from . import jobs, navigation, periodic, policies
from .navigation import NavEntry, NavSection

ADMIN_SECTION = "tenancy.admin"


def register() -> None:
    for entry in (
        NavEntry(key="tenancy.dashboard", label=_("工作台"), url_name="dashboard", order=10, visible=navigation.everyone),
        NavSection(key=ADMIN_SECTION, label=_("管理"), order=90),
        NavEntry(key="tenancy.audit_log", label=_("审计日志"), url_name="audit_list", section=ADMIN_SECTION, order=10,
                 visible=policies.can_read_audit_log),
    ):
        navigation.NAV.register(entry)
    periodic.JOBS.register(periodic.PeriodicJob(
        key="tenancy.stale_jobs", schedule=dt.timedelta(minutes=1), run=jobs.fail_stale_jobs, expires=60, order=1,
        description="后台任务超过规定时间没有心跳即标记失败：每分钟",
    ))
