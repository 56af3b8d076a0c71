"""seed_demo leaves 阳城县 with due items through the real services: a draw of 县发改局 not filed in
its 2 working days, overdue and escalated to the bureau's leader and the county's office (in the
app, with e-mail); a recusal and next year's plan waiting for the leader; idempotent."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django_scopes import scopes_disabled

from deadlines import builtin
from deadlines.models import DueItem, Notification
from tenancy.demo import DEMO_SEEDERS

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
    assert sorted(m.to[0] for m in mail.outbox if "抽取结果报送备案" in m.subject) == sorted(f"{u}@example.com" for u in told)
    assert "log in as yc_fg_leader" in out.getvalue()
    # Run again: nothing more.
    call_command("seed_demo", "--entities", "60", "--quiet-accounts", stdout=io.StringIO())
    with scopes_disabled():
        assert DueItem.objects.filter(organization__code="140522-FGJ").count() == len(items)
        assert Notification.objects.filter(due_item=fgj[builtin.FILING]).count() == len(told)
