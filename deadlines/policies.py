"""Who may do what with due items, rule settings and the calendar: pure predicates over the actor
(and object), with ``ensure_*`` versions the services call.

The holiday calendar is national reference data that every organization's due dates depend on,
so no tenant role changes it: it is kept by the **platform administrators** — members with the
admin role of a platform organization (河北省双随机监管工作平台). That keeps the one permission
model (memberships and roles, shown in the audit log under the platform's name) instead of a
second one (Django's ``is_staff``, which this site's pages do not otherwise use).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from tenancy.context import Actor, OrgKind, Role

# Who sees the due list and acts on items (a viewer sees; an inspector has no due items yet).
WAIVER_ROLES = (Role.ADMIN, Role.LEADER)
RULE_SETTER_ROLES = (Role.ADMIN,)


def can_edit_calendar(*, actor: Actor) -> bool:
    return actor.is_platform and actor.has_role(Role.ADMIN)


def ensure_can_edit_calendar(*, actor: Actor) -> None:
    if not can_edit_calendar(actor=actor):
        raise PermissionDenied(_("只有平台管理员可以录入节假日安排。"))


def can_waive(*, actor: Actor, item: Any) -> bool:
    """An admin or leader of the organization whose action it is."""
    return actor.has_role(*WAIVER_ROLES) and item.organization_id == actor.organization_id


def ensure_can_waive(*, actor: Actor, item: Any) -> None:
    if not can_waive(actor=actor, item=item):
        raise PermissionDenied(_("只有本单位的管理员或分管领导可以免除期限。"))


def can_set_rules(*, actor: Actor, rule: Any = None, for_departments: bool = False) -> bool:
    """An organization's admin sets its own limits; an office's admin also sets its departments'
    defaults for the rules that allow it (leaders' decisions)."""
    if not (actor.has_role(*RULE_SETTER_ROLES) and actor.organization_kind in (OrgKind.DEPARTMENT, OrgKind.OFFICE)):
        return False
    if for_departments:
        return actor.is_office and (rule is None or rule.office_default)
    return True


def ensure_can_set_rules(*, actor: Actor, rule: Any, for_departments: bool) -> None:
    if not can_set_rules(actor=actor, rule=rule, for_departments=for_departments):
        raise PermissionDenied(_("只有本单位管理员可以设置期限规则。"))


def can_see_failures(*, actor: Actor) -> bool:
    return actor.has_role(Role.ADMIN)
