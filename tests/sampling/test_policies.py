"""sampling.policies: each rule's truth table for the world's roles, and the witness rule refused
on every way a draw starts (the service, the page, the plan-wide job, the command)."""

from __future__ import annotations

from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template import Context, Template
from django.urls import reverse
from django_scopes import scopes_disabled

from sampling import policies
from sampling.models import Draw, DrawSelection, PlanParticipant, SamplingTask
from sampling.services import draws as draw_services
from sampling.tasks import draw_plan_all_task
from tenancy.context import Role
from tenancy.jobs import job_create
from tenancy.models import Job
from tenancy.policies import POLICIES, allowed
from tenancy.scoping import actor_scope
from tenancy.tasks import actor_ref
from tests.factories import make_committed_draw, make_ready_task

pytestmark = pytest.mark.django_db

ROLES = Role.ALL  # admin, planner, inspector, leader, viewer
WRITERS = {Role.ADMIN, Role.PLANNER}
STAFF = {Role.ADMIN, Role.PLANNER, Role.LEADER}


def table(world, check, org_keys=("A1", "A2", "AO", "B1"), obj=None) -> dict[str, set[str]]:
    """For each organization, the roles ``check`` allows (on ``obj``, when given)."""
    return {
        key: {role for role in ROLES if (check(world.actor(key, role)) if obj is None else check(world.actor(key, role), obj))}
        for key in org_keys
    }


def owned_by(world, key: str, **fields):
    org = world.orgs[key]
    return SimpleNamespace(organization_id=org.pk, region_id=org.region_id, **fields)


def test_every_rule_is_registered_by_key():
    keys = {k for k in POLICIES.keys() if k.startswith("sampling.")}  # noqa: SIM118
    assert keys == {
        "sampling.work_on_plans", "sampling.work_in_department", "sampling.read_filing_record",
        "sampling.write_plans", "sampling.edit_plan", "sampling.decide_plan", "sampling.publish_plan",
        "sampling.cancel_task", "sampling.run_ceremony", "sampling.ask_recusals", "sampling.ask_recusal_for",
        "sampling.decide_recusal", "sampling.replace_target", "sampling.file_draws", "sampling.file_draw",
        "sampling.attach_to_filing", "sampling.resubmit_filing", "sampling.decide_filings", "sampling.decide_filing",
        "sampling.read_filed_record",
    }


def test_plans_and_tasks_truth_tables(world):
    a1_plan = owned_by(world, "A1")
    joint = owned_by(world, "AO")
    assert table(world, policies.works_on_plans) == {k: set(ROLES) for k in ("A1", "A2", "AO", "B1")}
    assert table(world, policies.works_in_department) == {"A1": set(ROLES), "A2": set(ROLES), "AO": set(), "B1": set(ROLES)}
    assert table(world, policies.can_write_plans) == dict.fromkeys(("A1", "A2", "AO", "B1"), WRITERS)
    # The owner's writers edit (an office its joint plans); a participant department reads only.
    assert table(world, policies.can_edit_plan, obj=a1_plan) == {"A1": WRITERS, "A2": set(), "AO": set(), "B1": set()}
    assert table(world, policies.can_edit_plan, obj=joint) == {"A1": set(), "A2": set(), "AO": WRITERS, "B1": set()}
    assert table(world, policies.can_decide_plan, obj=a1_plan) == {"A1": {Role.LEADER}, "A2": set(), "AO": set(), "B1": set()}
    assert table(world, policies.can_publish_plan, obj=a1_plan) == {"A1": STAFF, "A2": set(), "AO": set(), "B1": set()}
    assert table(world, policies.can_cancel_task, obj=joint) == {"A1": set(), "A2": set(), "AO": STAFF, "B1": set()}


def test_ceremony_and_record_truth_tables(world):
    """One rule for the ceremony — a task, a draw, a plan's ready tasks — and the filing record's
    readers: the owner, the office of its region and a joint plan's departments."""
    for obj in (owned_by(world, "A1"), owned_by(world, "A1", plan_id=0)):
        assert table(world, policies.can_run_ceremony, obj=obj) == {"A1": WRITERS, "A2": set(), "AO": set(), "B1": set()}
    task = make_ready_task(world, "AO", entities=8, inspectors=2)
    with scopes_disabled():
        PlanParticipant.objects.filter(plan=task.plan, department=world.orgs["A1"]).delete()
        assert list(PlanParticipant.objects.filter(plan=task.plan).values_list("department_id", flat=True)) == [
            world.orgs["A2"].pk
        ]
    draw = SimpleNamespace(organization_id=task.organization_id, region_id=task.region_id, plan_id=task.plan_id)
    assert table(world, policies.can_run_ceremony, obj=draw) == {"A1": set(), "A2": set(), "AO": WRITERS, "B1": set()}
    assert table(world, policies.can_read_filing_record, obj=draw) == {
        "A1": set(), "A2": set(ROLES), "AO": set(ROLES), "B1": set(),
    }
    department_draw = owned_by(world, "A1", plan_id=task.plan_id + 10_000)
    assert table(world, policies.can_read_filing_record, obj=department_draw) == {
        "A1": set(ROLES), "A2": set(), "AO": set(ROLES), "B1": set(),
    }


def test_recusal_truth_tables(world):
    a1, a2 = world.orgs["A1"], world.orgs["A2"]
    joint_draw = owned_by(world, "AO")
    # A2's inspector on the office's joint draw, linked to A2's inspector user.
    inspector = SimpleNamespace(organization_id=a2.pk, user_id=world.user("A2", Role.INSPECTOR).pk)
    place = policies.TeamPlace(draw=joint_draw, inspector=inspector)
    assert table(world, policies.can_ask_recusals) == {k: {Role.INSPECTOR} | WRITERS for k in ("A1", "A2", "AO", "B1")}
    # The inspector for their own place; the writers of the draw's owner or of the inspector's department.
    assert table(world, policies.can_ask_recusal_for, obj=place) == {
        "A1": set(), "A2": {Role.INSPECTOR} | WRITERS, "AO": WRITERS, "B1": set(),
    }
    request = SimpleNamespace(inspector=inspector)
    assert table(world, policies.can_decide_recusal, obj=request) == {"A1": set(), "A2": {Role.LEADER}, "AO": set(), "B1": set()}
    assert table(world, policies.can_replace_target, obj=owned_by(world, "A1")) == {
        "A1": {Role.LEADER}, "A2": set(), "AO": set(), "B1": set(),
    }
    assert a1.pk != a2.pk


def test_filing_truth_tables(world):
    draw = owned_by(world, "A1")
    filing = owned_by(world, "A1", office_id=world.orgs["AO"].pk)
    assert table(world, policies.can_file) == dict.fromkeys(("A1", "A2", "AO", "B1"), STAFF)
    assert table(world, policies.can_file_draw, obj=draw) == {"A1": STAFF, "A2": set(), "AO": set(), "B1": set()}
    assert table(world, policies.can_attach_to_filing, obj=filing) == {"A1": STAFF, "A2": set(), "AO": set(), "B1": set()}
    assert table(world, policies.can_resubmit_filing, obj=filing) == {"A1": STAFF, "A2": set(), "AO": set(), "B1": set()}
    assert table(world, policies.can_decide_filings) == {"A1": set(), "A2": set(), "AO": STAFF, "B1": set()}
    assert table(world, policies.can_decide_filing, obj=filing) == {"A1": set(), "A2": set(), "AO": STAFF, "B1": set()}
    # Another county's office decides nothing of this county's.
    assert table(world, policies.can_decide_filing, obj=filing, org_keys=("BO",)) == {"BO": set()}
    assert table(world, policies.can_read_filed_record, obj=filing) == {
        "A1": set(ROLES), "A2": set(), "AO": set(ROLES), "B1": set(),
    }


def test_a_template_and_a_view_ask_the_same_rule(world):
    draw = owned_by(world, "A1")
    tpl = Template('{% load policies %}{% allowed "sampling.replace_target" draw as ok %}{{ ok }}')
    for role in ROLES:
        actor = world.actor("A1", role)
        assert tpl.render(Context({"actor": actor, "draw": draw})) == str(policies.can_replace_target(actor, draw))
        assert allowed("sampling.replace_target", actor, draw) == (role == Role.LEADER)


# --------------------------------------------------------------------------------------------
# The witness rule, on every path


def test_the_service_refuses_a_draw_without_a_witness(world):
    draw = make_committed_draw(world, "A1", entities=12, inspectors=3)
    actor = world.actor("A1", Role.PLANNER)
    with actor_scope(actor):
        for call in (
            lambda: draw_services.draw_execute(actor=actor, draw=draw, public_entropy="1"),
            lambda: draw_services.draw_execute(actor=actor, draw=draw, witnesses=[" ", ""]),
            lambda: draw_services.draw_start(actor=actor, draw=draw, witnesses=[]),
            lambda: draw_services.draw_start(actor=actor, draw=draw, witnesses=[], background=True),
        ):
            with pytest.raises(ValidationError) as refused:
                call()
            assert refused.value.message_dict == {"witnesses": ["请至少填写一名见证人。"]}
        assert Draw.objects.get(pk=draw.pk).status == Draw.Status.COMMITTED
        assert not DrawSelection.objects.filter(draw=draw).exists()
        assert not Job.objects.filter(kind="draw").exists()  # nothing queued either
        done = draw_services.draw_start(actor=actor, draw=draw, witnesses=["县纪委 李明"])
    assert done.job is None and done.draw.status == Draw.Status.COMPLETED and done.draw.witnesses == ["县纪委 李明"]


def test_draw_run_refuses_before_committing(world):
    task = make_ready_task(world, "A1", entities=12, inspectors=3)
    actor = world.actor("A1", Role.PLANNER)
    with actor_scope(actor), pytest.raises(ValidationError, match="至少填写一名见证人"):
        draw_services.draw_run(actor=actor, task=task, public_entropy="7")
    with scopes_disabled():
        assert not Draw.objects.filter(task=task).exists()


def test_the_command_refuses_a_draw_without_a_witness(world):
    task = make_ready_task(world, "A1", entities=12, inspectors=3)
    with pytest.raises(CommandError, match="请至少填写一名见证人"):
        call_command("draw_run", str(task.pk), "--entropy", "12", stdout=StringIO())
    with scopes_disabled():
        assert not Draw.objects.filter(task=task).exists()
    out = StringIO()
    call_command("draw_run", str(task.pk), "--witness", "张三", stdout=out)
    with scopes_disabled():
        assert Draw.objects.get(pk=int(out.getvalue())).witnesses == ["张三"]


def test_the_page_refuses_a_draw_without_a_witness_and_keeps_what_was_typed(world, login):
    draw = make_committed_draw(world, "A1", entities=12, inspectors=3)
    client = login(world.user("A1", Role.PLANNER))
    response = client.post(reverse("sampling:draw_execute", args=[draw.pk]), {"public_entropy": "08 15 23", "witnesses": " 、 "})
    assert response.status_code == 400
    form = response.context["execute_form"]
    assert form.errors == {"witnesses": ["请至少填写一名见证人。"]}
    assert 'value="08 15 23"' in response.content.decode()
    with scopes_disabled():
        assert Draw.objects.get(pk=draw.pk).status == Draw.Status.COMMITTED


def test_the_plan_wide_draw_needs_witnesses_and_gives_them_to_every_task(world, login, django_capture_on_commit_callbacks):
    task = make_ready_task(world, "A1", entities=12, inspectors=3)
    client = login(world.user("A1", Role.PLANNER))
    url = reverse("sampling:draw_plan_all", args=[task.plan_id])
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(url, {"witnesses": ""})
    assert refused.status_code == 302 and refused.url == reverse("sampling:plan_detail", args=[task.plan_id])
    with scopes_disabled():
        assert not Job.objects.filter(kind="draw_plan").exists() and not Draw.objects.filter(task=task).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"witnesses": "甲、乙"})
    with scopes_disabled():
        assert Draw.objects.get(task=task).witnesses == ["甲", "乙"]


def test_the_plan_wide_job_refuses_tasks_without_witnesses_before_any_commitment(world):
    task = make_ready_task(world, "A1", entities=12, inspectors=3)
    actor = world.actor("A1", Role.PLANNER)
    with actor_scope(actor):
        job = job_create(actor=actor, kind="draw_plan", label="x", params={})
    result = draw_plan_all_task.apply(args=[task.plan_id, job.pk], kwargs={"actor": actor_ref(actor)}).get()
    assert result["done"] == [] and [f["task"] for f in result["failed"]] == [task.uid]
    assert "至少填写一名见证人" in result["failed"][0]["error"]
    with scopes_disabled():
        assert not Draw.objects.filter(task=task).exists()
        assert SamplingTask.objects.get(pk=task.pk).status == SamplingTask.Status.READY


def test_another_departments_writer_may_not_start_the_draw(world):
    draw = make_committed_draw(world, "A1", entities=12, inspectors=3)
    with scopes_disabled():
        draw = Draw.objects.get(pk=draw.pk)
    other = world.actor("A2", Role.PLANNER)
    with pytest.raises(PermissionDenied, match="只有任务所属单位的计划编制人员或管理员可以进行抽取"):
        draw_services.draw_start(actor=other, draw=draw, witnesses=["甲"])
