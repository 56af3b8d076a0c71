"""What tenancy registers in its own registries (called from ``TenancyConfig.ready``): the links
to its pages — the dashboard, and the audit log under the 管理 heading later apps add to."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import navigation, policies
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
