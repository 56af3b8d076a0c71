"""sampling's and inventory's services emit the events the rules listen to: due items open and
close through the real services, and a draw not filed in its 2 working days ends, through the
command, in a reminder and then an escalation to the office — in the app and by e-mail."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines import builtin
from deadlines.calendar import current_calendar
from deadlines.models import DueItem, Notification
from inventory.services import inspectors as inspector_services
from sampling.models import Filing, RecusalRequest, SamplingPlan
from sampling.services import draws as draw_services
from sampling.services import filings as filing_services
from sampling.services import plans as plan_services
from sampling.services import recusals as recusal_services
from tenancy.context import Role
from tenancy.models import User
from tenancy.scoping import actor_scope
from tests.factories import make_ready_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def items(**filters) -> list[DueItem]:
    with scopes_disabled():
        return list(DueItem.objects.filter(**filters).order_by("id"))


def _drawn(world, org_key="A1"):
    task = make_ready_task(world, org_key, entities=12, inspectors=4)
    with actor_scope(world.actor(org_key, Role.PLANNER)) as actor:
        return draw_services.draw_run(actor=actor, task=task, public_entropy="41 07 93", witnesses=["见证人"])


def _confirm_dispatch(world, draw) -> None:
    from inspections.models import Dispatch  # noqa: PLC0415  (a later app: its own due item for the draw's targets)
    from inspections.services.inspections import dispatch_confirm  # noqa: PLC0415

    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        dispatch_confirm(actor=actor, dispatch=Dispatch.objects.get(draw=draw))


def test_a_draw_not_filed_in_two_working_days_is_reminded_then_escalated_to_the_office(world):
    with scopes_disabled():
        for (org, role), user in world.users.items():
            User.objects.filter(pk=user.pk).update(email=f"{org.lower()}.{role}@example.cn")
    draw = _drawn(world)
    _confirm_dispatch(world, draw)  # the department confirms its targets at once: only the filing is left to remind
    [item] = items(rule=builtin.FILING)
    calendar = current_calendar()
    due = calendar.add_workdays(timezone.localdate(draw.drawn_at), 2).date
    assert item.due_on == due and item.target_id == str(draw.pk)
    day_before = next(due - dt.timedelta(days=n) for n in range(1, 15) if calendar.is_workday(due - dt.timedelta(days=n)))
    day_after = next(due + dt.timedelta(days=n) for n in range(1, 15) if calendar.is_workday(due + dt.timedelta(days=n)))

    def scan(day: dt.date) -> str:
        out = io.StringIO()
        call_command("deadlines_scan", "--now", f"{day.isoformat()}T09:00:00", stdout=out)
        return out.getvalue().splitlines()[-1]

    assert scan(day_before) == "due 1, overdue 0, sent 2"
    assert scan(day_after) == "due 0, overdue 1, sent 4"
    with scopes_disabled():
        told = sorted((n.kind, n.user.username) for n in Notification.objects.select_related("user"))
    assert told == [
        ("escalation", "a1_leader"), ("escalation", "ao_admin"), ("escalation", "ao_leader"), ("escalation", "ao_planner"),
        ("reminder", "a1_admin"), ("reminder", "a1_planner"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"{u.replace('_', '.')}@example.cn" for _kind, u in told
    )
    assert all(draw.task.name in m.subject for m in mail.outbox)
    assert any(m.subject.startswith("[双随机监管平台] 已逾期：抽取结果报送备案") for m in mail.outbox)


def test_filing_closes_the_draws_item_opens_the_offices_and_a_return_reopens_it(world):
    draw = _drawn(world)
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        filing = filing_services.filing_submit(actor=actor, draw=draw)
    # The filing's deadline is the engine's: the end of the item's due day.
    [done] = items(rule=builtin.FILING)
    assert done.state == DueItem.State.DONE
    assert timezone.localdate(filing.due_at) == done.due_on and timezone.localtime(filing.due_at).time() == dt.time(23, 59, 59)
    [ack] = items(rule=builtin.FILING_ACK)
    assert (ack.organization_id, ack.state) == (world.orgs["AO"].pk, DueItem.State.OPEN)
    with actor_scope(world.actor("AO", Role.LEADER)) as actor:
        filing_services.filing_return(actor=actor, filing=filing, reason="缺少见证人签字")
    assert items(rule=builtin.FILING_ACK)[0].state == DueItem.State.DONE
    reopened = items(rule=builtin.FILING, state=DueItem.State.OPEN)
    assert len(reopened) == 1
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        again = filing_services.filing_resubmit(actor=actor, filing=filing, note="已补签")
    assert not items(rule=builtin.FILING, state__in=DueItem.ACTIVE)
    assert again.previous_id == filing.pk
    with actor_scope(world.actor("AO", Role.LEADER)) as actor:
        filing_services.filing_acknowledge(actor=actor, filing=again)
    assert not items(state__in=DueItem.ACTIVE, rule__in=[builtin.FILING, builtin.FILING_ACK])


def test_a_recusal_is_due_for_the_leader_until_decided(world):
    draw = _drawn(world)
    with scopes_disabled():
        selection = draw.selections.filter(rank__isnull=False).first()
        from inventory.models import Inspector

        inspector = Inspector.objects.get(pk=selection.team[0])
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        req = recusal_services.recusal_request(actor=actor, draw=draw, selection=selection, inspector=inspector,
                                            kind=RecusalRequest.Kind.RECUSAL, reason="与负责人系亲属")
    [item] = items(rule=builtin.RECUSAL)
    assert item.roles == [Role.LEADER] and item.target_url == f"/sampling/recusals/{req.pk}/"
    with actor_scope(world.actor("A1", Role.LEADER)) as actor:
        recusal_services.recusal_decide(actor=actor, request=req, approve=False, note="理由不充分")
    assert items(rule=builtin.RECUSAL)[0].state == DueItem.State.DONE


def test_a_plan_is_due_for_approval_then_for_its_batches(world):
    org = world.orgs["A1"]
    year = timezone.localdate().year
    with scopes_disabled():
        from inventory.models import CheckItem

        plan = SamplingPlan.objects.create(organization=org, region=org.region, year=year, name="计划", frequency="quarterly",
                                           batches=4)
        item = CheckItem.objects.filter(organization=org).first()
        if item is None:
            item = CheckItem.objects.create(organization=org, region=org.region, code="X-1", name="事项")
        plan.items.add(item)
    with actor_scope(world.actor("A1", Role.PLANNER)) as actor:
        plan_services.plan_submit(actor=actor, plan=plan)
    [approval] = items(rule=builtin.PLAN_APPROVAL)
    assert approval.state == DueItem.State.OPEN and approval.roles == [Role.LEADER]
    with actor_scope(world.actor("A1", Role.LEADER)) as actor:
        plan_services.plan_approve(actor=actor, plan=plan, opinion="同意")
    assert items(rule=builtin.PLAN_APPROVAL)[0].state == DueItem.State.DONE
    batch = items(rule=builtin.BATCH)
    assert [i.state for i in batch] == [DueItem.State.OPEN]  # this year's next batch (the fourth quarter in December)


def test_an_inspectors_certificate_is_due_through_the_inventory_services(world):
    with actor_scope(world.actor("A1", Role.ADMIN)) as actor:
        inspector = inspector_services.inspector_create(
            actor=actor, data={"name": "王五", "cert_no": "J-001", "cert_expires_on": dt.date(2027, 6, 30)}
        )
    [item] = items(rule=builtin.CERT_EXPIRY)
    assert item.due_on == dt.date(2027, 5, 31)
    with actor_scope(world.actor("A1", Role.ADMIN)) as actor:
        inspector_services.inspector_update(actor=actor, inspector=inspector, data={"cert_expires_on": dt.date(2032, 6, 30)})
    states = [(i.state, i.due_on) for i in items(rule=builtin.CERT_EXPIRY)]
    assert states == [(DueItem.State.DONE, dt.date(2027, 5, 31)), (DueItem.State.OPEN, dt.date(2032, 5, 31))]


def test_a_filing_of_a_joint_draw_the_office_files_with_itself_opens_nothing_for_it(world):
    with scopes_disabled():
        assert not Filing.objects.exists()
    draw = _drawn(world, "AO")
    [item] = items(rule=builtin.FILING)
    assert item.organization_id == world.orgs["AO"].pk and item.escalate_to_id is None
    with actor_scope(world.actor("AO", Role.PLANNER)) as actor:
        filing_services.filing_submit(actor=actor, draw=draw)
    assert not items(state__in=DueItem.ACTIVE, rule__in=[builtin.FILING, builtin.FILING_ACK])
