"""seed_demo leaves 阳城县 with due items through the real services: a draw of 县发改局 not filed in
its 2 working days, overdue and escalated to the bureau's leader and the county's office (in the
app, with e-mail); a recusal and next year's plan waiting for the leader; the office's joint task
drawn and not filed, with a recusal 县市场监管局's leader has not decided; a certificate renewal
due this week for the inspector linked to yc_fg_inspector — and the users' dashboards list exactly
what the rules opened for them; idempotent."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines import builtin
from deadlines.dashboard import is_late, week_end
from deadlines.models import DueItem, Notification
from inventory.models import Inspector
from tenancy.demo import DEMO_SEEDERS
from tenancy.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_county_has_an_overdue_filing_escalated_a_recusal_and_a_plan_waiting(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert "deadlines.demo" in DEMO_SEEDERS  # registered by deadlines, not named by tenancy
    out = io.StringIO()
    call_command("seed_demo", "--entities", "60", "--quiet-accounts", stdout=out)
    with scopes_disabled():
        items = list(DueItem.objects.filter(organization__code="140522-FGJ"))
        fgj = {i.rule: i for i in items}
        assert fgj[builtin.FILING].state == DueItem.State.OVERDUE and fgj[builtin.FILING].escalated_at
        assert fgj[builtin.RECUSAL].state == DueItem.State.OPEN
        assert fgj[builtin.PLAN_APPROVAL].state == DueItem.State.OPEN
        told = set(
            Notification.objects.filter(due_item=fgj[builtin.FILING], kind="escalation").values_list("user__username", flat=True)
        )
    assert told == {"yc_fg_leader", "yc_office_admin", "yc_office_leader", "yc_office_planner"}
    sent = [m.to[0] for m in mail.outbox if "抽取结果报送备案" in m.subject and "140522-FGJ" in m.subject]
    assert sorted(sent) == sorted(f"{u}@example.com" for u in told)
    assert "log in as yc_fg_leader" in out.getvalue()
    _dashboards_show_what_the_rules_opened()
    # Run again: nothing more.
    call_command("seed_demo", "--entities", "60", "--quiet-accounts", stdout=io.StringIO())
    with scopes_disabled():
        assert DueItem.objects.filter(organization__code="140522-FGJ").count() == len(items)
        assert Notification.objects.filter(due_item=fgj[builtin.FILING]).count() == len(told)


def _panel(username: str, name: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse(f"deadlines:panel_{name}"))
    assert response.status_code == 200, (username, name)
    return response.content.decode()


def _number(body: str, testid: str) -> int:
    return int(re.search(rf'data-testid="{testid}">(\d+)<', body).group(1))


def _dashboards_show_what_the_rules_opened() -> None:
    """The dashboards of 阳城县's users list exactly the items the rules opened for them."""
    today = timezone.localdate()
    end = week_end(today)
    with scopes_disabled():
        fgj = list(DueItem.objects.filter(organization__code="140522-FGJ", state__in=DueItem.ACTIVE))
        linked = Inspector.objects.get(organization__code="140522-FGJ", user__username="yc_fg_inspector")
        own_cert = DueItem.objects.get(rule=builtin.CERT_EXPIRY, target_id=str(linked.pk), state__in=DueItem.ACTIVE)
        joint_filing = DueItem.objects.get(rule=builtin.FILING, organization__code="140522-SSJB")
        sj_recusal = DueItem.objects.get(rule=builtin.RECUSAL, organization__code="140522-SJJ")
        late_by_org = {}
        for item in DueItem.objects.filter(organization__region__code="140522", state__in=DueItem.ACTIVE):
            if is_late(item, today):
                late_by_org[item.organization.name] = late_by_org.get(item.organization.name, 0) + 1

    def late(item: DueItem) -> bool:
        return is_late(item, today)

    planner_items = [i for i in fgj if "planner" in i.roles and i.due_on <= end]
    body = _panel("yc_fg_planner", "mine")
    assert _number(body, "mine-late-count") == sum(late(i) for i in planner_items) == 1
    assert _number(body, "mine-week-count") == sum(not late(i) for i in planner_items) >= 1
    assert linked.name in body and own_cert.due_on <= end
    body = _panel("yc_fg_inspector", "mine")
    assert _number(body, "mine-week-count") == 1 and linked.name in body and ">本人<" in body
    body = _panel("yc_fg_leader", "organization")
    assert _number(body, "org-count-late") == sum(late(i) for i in fgj)
    assert _number(body, "org-count-open") == sum(not late(i) for i in fgj)
    body = _panel("yc_sj_leader", "mine")
    assert _number(body, "mine-late-count") == 1 and sj_recusal.target_repr in body and late(sj_recusal)
    body = _panel("yc_office_leader", "region")
    groups = dict(re.findall(r'data-testid="region-org">([^<]+)<.*?data-testid="region-count">(\d+)', body, re.S))
    assert {k: int(v) for k, v in groups.items()} == late_by_org
    assert {"阳城县发展和改革局", "阳城县市场监督管理局"} <= set(groups)
    body = _panel("yc_office_leader", "joint")
    assert body.count('data-testid="joint-task"') == 1 and body.count('data-testid="joint-row"') == 2
    assert late(joint_filing) and "阳城县双随机办（报送备案）" in body and "县市场监管局（回避审批）" in body
