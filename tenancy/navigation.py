"""The side navigation: one entry per app, shown by role; apps still to be built say so."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .context import Actor, Role


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: tuple[str, ...] = ()  # empty: every member
    kinds: tuple[str, ...] = ()  # empty: every kind of organization
    coming: bool = False
    section: str = ""


ENTRIES: tuple[NavEntry, ...] = (
    NavEntry(_("工作台"), "dashboard"),
    NavEntry(_("一单两库"), "", section=_("一单两库")),
    NavEntry(_("抽查事项清单"), "inventory:item_list", kinds=("department", "office")),
    NavEntry(_("联合抽查事项清单"), "inventory:joint_list", kinds=("department", "office")),
    NavEntry(_("检查对象名录库"), "inventory:entity_list"),
    NavEntry(_("执法检查人员名录库"), "inventory:inspector_list", kinds=("department", "office")),
    NavEntry(_("导入记录"), "inventory:import_list", kinds=("department", "office")),
    NavEntry(_("抽查"), "", section=_("随机抽查")),
    NavEntry(_("年度抽查计划"), "sampling:plan_list", kinds=("department", "office")),
    NavEntry(_("抽查任务"), "sampling:task_list", kinds=("department", "office")),
    NavEntry(_("回避申请"), "sampling:recusal_list", kinds=("department",)),
    NavEntry(_("备案"), "sampling:filing_list", kinds=("department", "office")),
    NavEntry(_("待办期限"), "deadlines:due_list", kinds=("department", "office")),
    NavEntry(_("检查实施"), "coming", coming=True, kinds=("department", "office")),
    NavEntry(_("结果公示"), "coming", coming=True, kinds=("department", "office")),
    NavEntry(_("管理"), "", section=_("管理"), roles=(Role.ADMIN, Role.LEADER)),
    NavEntry(_("审计日志"), "audit_list", roles=(Role.ADMIN, Role.LEADER)),
    NavEntry(_("期限规则"), "deadlines:rule_list", roles=(Role.ADMIN, Role.LEADER), kinds=("department", "office")),
    NavEntry(_("节假日安排"), "deadlines:holiday_list", roles=(Role.ADMIN,)),
    NavEntry(_("失败的后台任务"), "deadlines:failure_list", roles=(Role.ADMIN,)),
)


def nav_items(request: HttpRequest, actor: Actor) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    path = request.path
    for entry in ENTRIES:
        if entry.roles and not actor.has_role(*entry.roles):
            continue
        if entry.kinds and actor.organization_kind not in entry.kinds:
            continue
        if entry.section:
            items.append({"section": entry.section})
            continue
        try:
            url = reverse(entry.url_name, kwargs={"slug": str(entry.label)} if entry.coming else None)
        except NoReverseMatch:
            # An app whose pages are not mounted yet.
            url, coming = reverse("coming", kwargs={"slug": str(entry.label)}), True
        else:
            coming = entry.coming
        active = url != "/" and path.startswith(url) if not coming else path == url
        items.append({"label": entry.label, "url": url, "active": active or (url == "/" and path == "/"), "coming": coming})
    # Drop section headings with nothing under them.
    return [item for i, item in enumerate(items) if "section" not in item or (i + 1 < len(items) and "section" not in items[i + 1])]
