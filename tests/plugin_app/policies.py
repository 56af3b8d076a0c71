"""Who may open the plug-in's workbench: a department's inspectors (an office has none of its own)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tenancy.context import Actor, Role
from tenancy.policies import holds, policy


@policy("tests_plugin.open_workbench", _("只有部门的执法检查人员可以打开检查工作台"))
def may_open_workbench(actor: Actor) -> bool:
    return actor.is_department and holds(actor, Role.INSPECTOR)
