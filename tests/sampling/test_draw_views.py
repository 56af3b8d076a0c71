"""The ceremony through the browser pages: commit → entropy/witnesses → draw → results → verify."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from inventory.models import Inspector
from sampling import hashrank
from sampling.models import Draw, DrawSelection, RecusalRequest, SamplingTask, Substitution
from tenancy.models import Job
from tenancy.scoping import actor_scope
from tests.factories import block_all_but_one, make_completed_draw, make_ready_task

pytestmark = pytest.mark.django_db


def _client(world, org: str, role: str) -> Client:
    client = Client()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_ceremony_in_the_browser(world):
    task = make_ready_task(world, "A1", entities=40, inspectors=6)
    planner = _client(world, "A1", "planner")

    page = planner.get(reverse("sampling:draw_start", args=[task.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="commit-form"' in body
    assert 'data-testid="pool-size">40<' in body  # 4 strata × 10 entities frozen
    assert "A-低风险" in body

    response = planner.post(reverse("sampling:draw_commit", args=[task.pk]))
    with scopes_disabled():
        draw = Draw.objects.get(task=task)
    assert response.status_code == 302 and response.url == reverse("sampling:draw_detail", args=[draw.pk])
    detail = planner.get(response.url).content.decode()
    assert draw.commitment in detail and 'data-testid="execute-form"' in detail
    assert draw.secret not in detail  # the secret stays hidden until the draw

    # Missing witness: the form comes back with an error and keeps the typed entropy.
    bad = planner.post(reverse("sampling:draw_execute", args=[draw.pk]), {"public_entropy": "31 07 19", "witnesses": " "})
    assert bad.status_code == 400
    assert "请至少填写一名见证人" in bad.content.decode() and 'value="31 07 19"' in bad.content.decode()

    done = planner.post(
        reverse("sampling:draw_execute", args=[draw.pk]), {"public_entropy": "31 07 19", "witnesses": "王五、赵六"}
    )
    assert done.status_code == 302
    result = planner.get(done.url).content.decode()
    with scopes_disabled():
        draw.refresh_from_db()
        first = DrawSelection.objects.get(draw=draw, rank=1)
        names = {e["id"]: e["name"] for e in draw.inspector_pool}
    assert draw.status == "completed" and draw.witnesses == ["王五", "赵六"]
    assert draw.secret in result and draw.seed in result and "王五、赵六" in result
    assert result.count('data-testid="selected-row"') == 5
    assert names[first.team[0]] in result and first.key in result

    verify = planner.get(reverse("sampling:draw_verify", args=[draw.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "验证通过" in verify and verify.count("✓") == 8 and "<html" not in verify

    record = json.loads(planner.get(reverse("sampling:draw_record", args=[draw.pk])).content)
    public = json.loads(planner.get(reverse("sampling:draw_record", args=[draw.pk]) + "?variant=public").content)
    assert "inspector_pool" in record and "inspector_pool" not in public
    assert hashrank.verify(record) == [] and hashrank.verify(public) == []

    # The task's page now lists the commitment as completed and offers no new commit.
    start = planner.get(reverse("sampling:draw_start", args=[task.pk])).content.decode()
    assert 'data-testid="draw-row-completed"' in start and 'data-testid="commit-form"' not in start


def test_a_planned_draw_time_is_not_in_the_past_nor_after_the_window(world):
    import datetime as dt

    from django.utils import timezone

    task = make_ready_task(world, "A1", entities=12, inspectors=3)
    now = timezone.localtime()
    with scopes_disabled():
        SamplingTask.objects.filter(pk=task.pk).update(window_end=now.date() + dt.timedelta(days=10))
    planner = _client(world, "A1", "planner")
    url = reverse("sampling:draw_commit", args=[task.pk])
    past = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = planner.post(url, {"scheduled_at": past})
    body = response.content.decode()
    assert response.status_code == 400
    field = body.split('data-testid="commit-form"')[1].split("</form>")[0]
    assert "计划抽取时间不能早于发布承诺的时间" in field and f'value="{past}"' in field  # beside the field, kept
    late = (now + dt.timedelta(days=11)).strftime("%Y-%m-%dT%H:%M")
    body = planner.post(url, {"scheduled_at": late}).content.decode()
    assert f"计划抽取时间不能晚于检查截止日期（{(now.date() + dt.timedelta(days=10)).isoformat()}）" in body
    assert "格式不正确" in planner.post(url, {"scheduled_at": "明天上午"}).content.decode()
    with scopes_disabled():
        assert not Draw.objects.filter(task=task).exists()
    # The service refuses it whoever calls it (commands, API).
    from sampling.services import draws as svc
    from tenancy.scoping import actor_scope

    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        with pytest.raises(ValidationError) as exc:
            svc.draw_commit(actor=actor, task=task, scheduled_at=timezone.now() - dt.timedelta(hours=1))
        assert list(exc.value.message_dict) == ["scheduled_at"]
        soon = timezone.now() + dt.timedelta(hours=1)
        if soon.date() <= now.date() + dt.timedelta(days=10):
            assert svc.draw_commit(actor=actor, task=task, scheduled_at=soon).scheduled_at == soon


def test_draw_error_shows_a_chinese_message_and_saves_nothing(world):
    task = make_ready_task(world, "A1", entities=8, inspectors=3)
    block_all_but_one(world, task)
    planner = _client(world, "A1", "planner")
    planner.post(reverse("sampling:draw_commit", args=[task.pk]))
    with scopes_disabled():
        draw = Draw.objects.get(task=task)
    response = planner.post(reverse("sampling:draw_execute", args=[draw.pk]), {"public_entropy": "9", "witnesses": "甲"})
    assert response.status_code == 400 and "执法人员不足" in response.content.decode()
    with scopes_disabled():
        assert Draw.objects.get(pk=draw.pk).status == "committed"
        assert not DrawSelection.objects.filter(draw=draw).exists()


def test_commit_refused_with_too_few_inspectors_shows_why(world):
    task = make_ready_task(world, "A1", entities=8, inspectors=1)
    planner = _client(world, "A1", "planner")
    response = planner.post(reverse("sampling:draw_commit", args=[task.pk]), follow=True)
    assert "只有 1 名符合条件的执法人员" in response.content.decode()
    with scopes_disabled():
        assert not Draw.objects.filter(task=task).exists()


def test_abandon_keeps_the_commitment_listed(world):
    task = make_ready_task(world, "A1")
    planner = _client(world, "A1", "planner")
    planner.post(reverse("sampling:draw_commit", args=[task.pk]))
    with scopes_disabled():
        draw = Draw.objects.get(task=task)
    response = planner.post(reverse("sampling:draw_abandon", args=[draw.pk]), {"reason": "对象池范围有误"})
    assert response.url == reverse("sampling:draw_start", args=[task.pk])
    page = planner.get(response.url).content.decode()
    assert 'data-testid="draw-row-abandoned"' in page and "对象池范围有误" in page
    assert 'data-testid="commit-form"' in page  # a new commitment is possible now


def test_viewer_sees_results_but_cannot_draw(world):
    task = make_ready_task(world, "A1")
    viewer = _client(world, "A1", "viewer")
    assert viewer.post(reverse("sampling:draw_commit", args=[task.pk])).status_code == 403
    page = viewer.get(reverse("sampling:draw_start", args=[task.pk])).content.decode()
    assert 'data-testid="commit-form"' not in page
    draw = make_completed_draw(world, "A2")
    # Another department's draw is 404, not 403.
    assert viewer.get(reverse("sampling:draw_detail", args=[draw.pk])).status_code == 404


def test_record_variants_by_caller(world):
    draw = make_completed_draw(world, "A1")
    url = reverse("sampling:draw_record", args=[draw.pk])
    owner = json.loads(_client(world, "A1", "viewer").get(url).content)
    office = json.loads(_client(world, "AO", "viewer").get(url).content)
    assert "inspector_pool" in owner and "inspector_pool" in office  # the office of its region files it
    assert _client(world, "B1", "viewer").get(url).status_code == 404


def test_recusal_through_the_pages(world, monkeypatch):
    from sampling.services import recusals as svc

    filed = []
    monkeypatch.setattr(svc, "_file", lambda **kw: filed.append(kw["kind"]))
    draw = make_completed_draw(world, "A1", inspectors=6)
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        me = Inspector.objects.get(pk=first.team[0])
        Inspector.objects.filter(pk=me.pk).update(user=world.user("A1", "inspector"))
    inspector = _client(world, "A1", "inspector")
    form = inspector.get(reverse("sampling:recusal_request", args=[draw.pk])).content.decode()
    assert f'value="{first.pk}:{me.pk}"' in form
    response = inspector.post(
        reverse("sampling:recusal_request", args=[draw.pk]), {"slot": f"{first.pk}:{me.pk}", "kind": "recusal", "reason": "亲属"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        req = RecusalRequest.objects.get(draw=draw)
    # An inspector cannot pick a slot that is not theirs (not among the choices).
    with scopes_disabled():
        other = next(i for i in first.team if i != me.pk)
    refused = inspector.post(
        reverse("sampling:recusal_request", args=[draw.pk]), {"slot": f"{first.pk}:{other}", "kind": "recusal", "reason": "x"}
    )
    assert refused.status_code == 400
    assert inspector.post(reverse("sampling:recusal_decide", args=[req.pk]), {"decision": "approve"}).status_code == 403

    leader = _client(world, "A1", "leader")
    listing = leader.get(reverse("sampling:recusal_list") + "?status=pending").content.decode()
    assert "亲属" in listing
    kept = leader.post(reverse("sampling:recusal_decide", args=[req.pk]), {"decision": "reject", "note": ""})
    assert kept.status_code == 400 and "驳回时请填写意见" in kept.content.decode()
    ok = leader.post(reverse("sampling:recusal_decide", args=[req.pk]), {"decision": "approve", "note": "同意"})
    assert ok.status_code == 302
    page = leader.get(ok.url).content.decode()
    with scopes_disabled():
        sub = Substitution.objects.get(draw=draw)
        names = {e["id"]: e["name"] for e in draw.inspector_pool}
    assert 'data-testid="substitute"' in page and names[sub.in_inspector_id] in page
    assert filed == ["substitution"]


def test_replacement_through_the_page(world, monkeypatch):
    from sampling.services import recusals as svc

    monkeypatch.setattr(svc, "_file", lambda **kw: None)
    draw = make_completed_draw(world, "A1")
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        reserve = DrawSelection.objects.filter(draw=draw, stratum=first.stratum, status="reserve").order_by("reserve_order")[0]
    assert _client(world, "A1", "planner").get(reverse("sampling:replacement_create", args=[draw.pk])).status_code == 403
    leader = _client(world, "A1", "leader")
    empty = leader.post(reverse("sampling:replacement_create", args=[draw.pk]), {"selection": first.pk, "reason": ""})
    assert empty.status_code == 400
    response = leader.post(reverse("sampling:replacement_create", args=[draw.pk]), {"selection": first.pk, "reason": "已注销"})
    assert response.status_code == 302
    page = leader.get(response.url).content.decode()
    assert 'data-testid="replacements"' in page and reserve.key in page


def test_a_large_draws_forms_list_some_targets_and_find_the_rest(world, monkeypatch):
    from sampling.selectors import recusals as sel
    from sampling.services import recusals as svc

    monkeypatch.setattr(svc, "_file", lambda **kw: None)
    monkeypatch.setattr(sel, "TARGETS_LISTED", 2)
    draw = make_completed_draw(world, "A1")
    with scopes_disabled():
        ranked = list(DrawSelection.objects.filter(draw=draw, rank__isnull=False).order_by("rank"))
    assert len(ranked) > 2
    third = ranked[2]
    url = reverse("sampling:recusal_request", args=[draw.pk])
    planner = _client(world, "A1", "planner")
    page = planner.get(url).content.decode()
    assert 'data-testid="target-search"' in page and f"共 {len(ranked)} 个检查对象" in page
    listed = {int(v.split(":")[0]) for v in __import__("re").findall(r'value="(\d+:\d+)"', page)}
    assert listed == {ranked[0].pk, ranked[1].pk}  # the first two only
    found = planner.get(url + f"?q={third.key[-6:].lower()}").content.decode()  # a fragment, any case
    assert f'value="{third.pk}:{third.team[0]}"' in found and f'value="{ranked[0].pk}:' not in found
    assert 'data-testid="no-match"' in planner.get(url + "?q=NOSUCHCODE").content.decode()
    # A target that was not listed is still a valid choice when posted.
    done = planner.post(url, {"slot": f"{third.pk}:{third.team[0]}", "kind": "absence", "reason": "出差"})
    assert done.status_code == 302
    with scopes_disabled():
        assert RecusalRequest.objects.get(draw=draw).selection_id == third.pk
    # Not a target of this draw: refused, and what was typed is kept.
    bad = planner.post(url, {"slot": f"999999:{third.team[0]}", "kind": "absence", "reason": "出差两天"})
    assert bad.status_code == 400 and "出差两天" in bad.content.decode()

    leader = _client(world, "A1", "leader")
    replace = reverse("sampling:replacement_create", args=[draw.pk])
    assert 'data-testid="target-search"' in leader.get(replace).content.decode()
    assert 'data-testid="no-match"' in leader.get(replace + "?q=NOSUCHCODE").content.decode()
    response = leader.post(replace, {"selection": third.pk, "reason": "已注销"})
    assert response.status_code == 302


def test_large_pool_draws_in_celery_with_progress(world, settings, django_capture_on_commit_callbacks):
    settings.ASYNC_DRAW_POOL_THRESHOLD = 10
    task = make_ready_task(world, "A1", entities=40)
    planner = _client(world, "A1", "planner")
    planner.post(reverse("sampling:draw_commit", args=[task.pk]))
    with scopes_disabled():
        draw = Draw.objects.get(task=task)
    with django_capture_on_commit_callbacks(execute=True):
        response = planner.post(reverse("sampling:draw_execute", args=[draw.pk]), {"public_entropy": "5", "witnesses": "甲"})
    with scopes_disabled():
        job = Job.objects.get(kind="draw")
        draw.refresh_from_db()
    assert response.url == reverse("sampling:draw_progress", args=[job.pk])
    assert job.status == "done" and job.progress == 100 and job.result == {"draw_id": draw.pk}
    assert draw.status == "completed" and draw.public_entropy == "5"
    panel = planner.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="100"' in panel and "every 2s" not in panel
    assert reverse("sampling:draw_detail", args=[draw.pk]) in panel


def test_celery_failure_leaves_the_commitment_to_run_again(world, settings, django_capture_on_commit_callbacks):
    settings.ASYNC_DRAW_POOL_THRESHOLD = 1
    task = make_ready_task(world, "A1", entities=8, inspectors=3)
    block_all_but_one(world, task)
    planner = _client(world, "A1", "planner")
    planner.post(reverse("sampling:draw_commit", args=[task.pk]))
    with scopes_disabled():
        draw = Draw.objects.get(task=task)
    with django_capture_on_commit_callbacks(execute=True):
        planner.post(reverse("sampling:draw_execute", args=[draw.pk]), {"witnesses": "甲"})
    with scopes_disabled():
        job = Job.objects.get(kind="draw")
        assert job.status == "failed" and "执法人员不足" in job.message
        assert Draw.objects.get(pk=draw.pk).status == "committed"
        assert not DrawSelection.objects.filter(draw=draw).exists()
        Inspector.objects.create(
            organization=task.organization, region=task.region, name="新增", cert_no="A1-NEW", cert_expires_on="2099-01-01"
        )
    # The same commitment runs again (its inspector side is frozen, so it fails the same way).
    with django_capture_on_commit_callbacks(execute=True):
        planner.post(reverse("sampling:draw_execute", args=[draw.pk]), {"witnesses": "甲"})
    with scopes_disabled():
        assert Job.objects.filter(kind="draw", status="failed").count() == 2
        assert Draw.objects.get(pk=draw.pk).status == "committed"


def test_draw_all_ready_tasks_of_a_plan(world, django_capture_on_commit_callbacks):
    task = make_ready_task(world, "A1", entities=20)
    with scopes_disabled():
        second = SamplingTask.objects.create(
            organization=task.organization, region=task.region, plan=task.plan, name="第二批", uid=task.uid + "-2",
            batch_no=2, status="ready", team_requirements=task.team_requirements,
        )
    planner = _client(world, "A1", "planner")
    with django_capture_on_commit_callbacks(execute=True):
        response = planner.post(reverse("sampling:draw_plan_all", args=[task.plan_id]), {"witnesses": "甲、乙"})
    with scopes_disabled():
        job = Job.objects.get(kind="draw_plan")
        assert job.status == "done" and len(job.result["done"]) == 2
        assert Draw.objects.filter(task__in=[task, second], status="completed").count() == 2
    page = planner.get(response.url).content.decode()
    assert "第二批" in page
    assert _client(world, "A1", "viewer").post(reverse("sampling:draw_plan_all", args=[task.plan_id]), {"witnesses": "甲"}).status_code == 403


def test_frozen_pool_lists_the_excluded_with_reasons(world):
    from inventory.models import MarketEntity

    task = make_ready_task(world, "A1", entities=40)
    with scopes_disabled():
        gone = MarketEntity.objects.filter(organization=world.orgs["A1"]).order_by("code")[0]
        MarketEntity.objects.filter(pk=gone.pk).update(status="deregistered")
    body = _client(world, "A1", "planner").get(reverse("sampling:draw_start", args=[task.pk])).content.decode()
    assert 'data-testid="pool-size">39<' in body
    assert "已注销/吊销：1" in body and gone.code in body
    assert '<details data-testid="excluded-list" open>' in body  # a short list is shown unfolded


def test_a_long_excluded_list_is_folded_and_says_when_it_is_cut(world, monkeypatch):
    from inventory.models import MarketEntity
    from sampling.views import draws as views

    task = make_ready_task(world, "A1", entities=40)
    with scopes_disabled():
        gone = list(MarketEntity.objects.filter(organization=world.orgs["A1"]).order_by("code").values_list("pk", flat=True)[:12])
        MarketEntity.objects.filter(pk__in=gone).update(status="deregistered")
    client = _client(world, "A1", "planner")
    body = client.get(reverse("sampling:draw_start", args=[task.pk])).content.decode()
    assert '<details data-testid="excluded-list">' in body and "已注销/吊销：12" in body
    assert "显示前" not in body  # all 12 listed
    monkeypatch.setattr(views, "EXCLUDED_SHOWN", 5)
    body = client.get(reverse("sampling:draw_start", args=[task.pk])).content.decode()
    assert "查看排除名单（显示前 5 户，完整名单随抽取记录公开）" in body
    assert body.split('data-testid="excluded-list"')[1].split("</details>")[0].count("<tr>") == 6  # header + 5


def test_leader_dashboard_counts_pending_recusals(world):
    from sampling.services import recusals as svc
    from tenancy.scoping import actor_scope

    draw = make_completed_draw(world, "A1")
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        first = DrawSelection.objects.get(draw=draw, rank=1)
        svc.recusal_request(
            actor=planner, draw=draw, selection=first, inspector=Inspector.objects.get(pk=first.team[0]),
            kind="recusal", reason="亲属",
        )
    body = _client(world, "A1", "leader").get(reverse("dashboard")).content.decode()
    assert 'data-testid="card-recusals-pending"' in body
    card = body.split('data-testid="card-recusals-pending"')[1]
    assert '<div class="value">1</div>' in card.split("</a>")[0]


def test_task_page_leads_every_reader_to_the_results(world):
    """After the draw the task page lists its commitments, so owner and office reach the results."""
    draw = make_completed_draw(world, "A1")
    link = reverse("sampling:draw_detail", args=[draw.pk])
    for org, role in (("A1", "planner"), ("A1", "viewer"), ("AO", "viewer")):
        body = _client(world, org, role).get(reverse("sampling:task_detail", args=[draw.task_id])).content.decode()
        assert 'data-testid="draw-row-completed"' in body and f'href="{link}"' in body, (org, role)
    # Another county's office gets the same 404 as for a task that does not exist.
    assert _client(world, "BO", "viewer").get(reverse("sampling:task_detail", args=[draw.task_id])).status_code == 404


def test_plan_page_offers_draw_all_only_while_a_task_is_ready(world, django_capture_on_commit_callbacks):
    task = make_ready_task(world, "A1", entities=12, inspectors=3)
    url = reverse("sampling:plan_detail", args=[task.plan_id])
    assert 'data-testid="draw-plan-all"' in _client(world, "A1", "planner").get(url).content.decode()
    assert 'data-testid="draw-plan-all"' not in _client(world, "A1", "viewer").get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _client(world, "A1", "planner").post(reverse("sampling:draw_plan_all", args=[task.plan_id]), {"witnesses": "甲"})
    with scopes_disabled():
        task.refresh_from_db()
        assert Draw.objects.filter(task=task, status="completed").count() == 1
    assert task.status != SamplingTask.Status.READY
    assert 'data-testid="draw-plan-all"' not in _client(world, "A1", "planner").get(url).content.decode()


def _addresses(draw) -> dict[int, tuple[str, str, str]]:
    """Give every drawn entity an address; (name, address, code) by selection id."""
    from inventory.models import MarketEntity

    with scopes_disabled():
        out = {}
        for s in DrawSelection.objects.filter(draw=draw):
            MarketEntity.objects.filter(pk=s.entity_id).update(address=f"凤城镇东关街{s.pk}号")
            e = MarketEntity.objects.get(pk=s.entity_id)
            out[s.pk] = (e.name, e.address, e.code)
    return out


def test_recusal_pages_name_the_firm_not_its_code(world, monkeypatch):
    """"17 · 91140522600000577X · 黄海鹏": a leader decides on a firm, so every page names it."""
    import html

    from sampling.services import recusals as svc
    from sampling.views import recusals as views

    monkeypatch.setattr(svc, "_file", lambda **kw: None)
    draw = make_completed_draw(world, "A1", inspectors=6)
    firms = _addresses(draw)
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        me = Inspector.objects.get(pk=first.team[0])
        Inspector.objects.filter(pk=me.pk).update(user=world.user("A1", "inspector"))
    name, address, code = firms[first.pk]
    inspector = _client(world, "A1", "inspector")
    form = html.unescape(inspector.get(reverse("sampling:recusal_request", args=[draw.pk])).content.decode())
    # The inspector's few places: a card per target with its name, address and code.
    card = form.split('data-testid="slot-card"')[1].split("</label>")[0]
    assert f"<strong>1 · {name}</strong>" in card and address in card and code in card
    assert f'value="{first.pk}:{me.pk}"' in card and f"{me.name}（" in card
    # A planner's long list is a drop-down: grouped by target, each option still naming the firm.
    monkeypatch.setattr(views, "SLOT_CARDS_UP_TO", 0)
    listed = html.unescape(_client(world, "A1", "planner").get(reverse("sampling:recusal_request", args=[draw.pk])).content.decode())
    assert f'<optgroup label="1 · {name} · {address} · {code}">' in listed
    assert f'<option value="{first.pk}:{me.pk}">1 · {name} · {me.name}（' in listed
    inspector.post(reverse("sampling:recusal_request", args=[draw.pk]),
                   {"slot": f"{first.pk}:{me.pk}", "kind": "recusal", "reason": "与该店负责人系亲属"})
    with scopes_disabled():
        req = RecusalRequest.objects.get(draw=draw)
    leader = _client(world, "A1", "leader")
    listing = leader.get(reverse("sampling:recusal_list")).content.decode()
    row = listing.split('data-testid="recusal-row"')[1].split("</tr>")[0]
    assert name in row and address in row and "与该店负责人系亲属" in row
    decide = leader.get(reverse("sampling:recusal_decide", args=[req.pk])).content.decode()
    target = decide.split('data-testid="recusal-target"')[1].split("</dd>")[0]
    assert f'href="{reverse("inventory:entity_detail", args=[first.entity_id])}"' in target
    assert name in target and address in target and code in target
    assert f'href="{reverse("inventory:inspector_detail", args=[me.pk])}"' in decide
    # The draw page's list of requests names the firm too.
    events = leader.get(reverse("sampling:draw_detail", args=[draw.pk])).content.decode().split('data-testid="recusals"')[1]
    assert name in events.split("</table>")[0]


def test_replacement_page_names_targets_and_finds_them_by_name(world, monkeypatch):
    import html

    from inventory.models import MarketEntity
    from sampling.selectors import recusals as sel
    from sampling.services import recusals as svc

    monkeypatch.setattr(svc, "_file", lambda **kw: None)
    monkeypatch.setattr(sel, "TARGETS_LISTED", 2)
    draw = make_completed_draw(world, "A1")
    firms = _addresses(draw)
    with scopes_disabled():
        third = DrawSelection.objects.get(draw=draw, rank=3)
        # The fixture's names end in a number ("对象2918-2"), so any fragment of one is also in its
        # siblings' ("对象2918-20"): which two of them are listed then depends on the draw.
        MarketEntity.objects.filter(pk=third.entity_id).update(name="阳城县凤城镇晓明百货商店")
    _, address, code = firms[third.pk]
    name = "阳城县凤城镇晓明百货商店"
    leader = _client(world, "A1", "leader")
    url = reverse("sampling:replacement_create", args=[draw.pk])
    found = html.unescape(leader.get(url + "?q=晓明百货").content.decode())  # a fragment of the name
    assert f'<option value="{third.pk}">3 · {name} · {address} · {code}</option>' in found
    assert f'<optgroup label="{third.stratum}">' in found
    assert "名称或代码（部分即可），或序号" in found
    response = leader.post(url, {"selection": third.pk, "reason": "已注销"}, follow=True)
    with scopes_disabled():
        new = DrawSelection.objects.get(replaces__replaced=third)
    assert f"已由备选对象 {firms[new.pk][0]} 递补 {name}" in response.content.decode()


def test_results_are_grouped_by_stratum_with_names_linked_and_verification_below(world):
    draw = make_completed_draw(world, "A1", entities=40, inspectors=6)
    with scopes_disabled():
        ranked = list(DrawSelection.objects.filter(draw=draw, rank__isnull=False).order_by("rank"))
        me = Inspector.objects.get(pk=ranked[0].team[0])
        Inspector.objects.filter(pk=me.pk).update(user=world.user("A1", "inspector"))
        draw.refresh_from_db()
    body = _client(world, "A1", "planner").get(reverse("sampling:draw_detail", args=[draw.pk])).content.decode()
    groups = body.split('data-testid="stratum-group"')[1:]
    assert [g.split("<h2>")[1].split(" ")[0] for g in groups] == [a["stratum"] for a in draw.allocation]
    for g, a in zip(groups, draw.allocation, strict=True):
        section = g.split("</section>")[0]
        assert section.count('data-testid="selected-row"') == a["selected"]
        assert f"抽中 {a['selected']} 户（共 {a['eligible']} 户）" in section
    assert body.count('data-testid="selected-row"') == 5
    assert f'href="{reverse("inventory:entity_detail", args=[ranked[0].entity_id])}"' in body
    assert f'href="{reverse("inventory:inspector_detail", args=[me.pk])}"' in body
    team = body.split(f'href="{reverse("inventory:entity_detail", args=[ranked[0].entity_id])}"')[1].split("</tr>")[0]
    assert '<details class="team"><summary>' in team and me.name in team
    # Hashes and the seed come after every result, folded; the verify button stays at the top.
    seed_at, last_row_at = body.index('data-testid="seed-panel"'), body.rindex('data-testid="selected-row"')
    assert seed_at > last_row_at and '<details class="card" data-testid="seed-panel">' in body
    assert body.index(draw.seed) > seed_at and body.index('data-testid="verify-button"') < body.index('data-testid="stratum-group"')
    # An inspector sees their own targets first.
    mine = _client(world, "A1", "inspector").get(reverse("sampling:draw_detail", args=[draw.pk])).content.decode()
    assert mine.index('data-testid="my-targets"') < mine.index('data-testid="stratum-group"')
    assert 'data-testid="my-targets"' not in body


def test_target_list_downloads_as_xlsx(world):
    import io

    from openpyxl import load_workbook

    from inventory.models import MarketEntity
    from sampling.selectors import draws as sel

    draw = make_completed_draw(world, "A1", entities=40, inspectors=6)
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        MarketEntity.objects.filter(pk=first.entity_id).update(name="黄河\x01商店", address="=HYPERLINK(\"x\")")
        names = {e["id"]: e["name"] for e in draw.inspector_pool}
        total = DrawSelection.objects.filter(draw=draw).count()
    response = _client(world, "A1", "viewer").get(reverse("sampling:draw_targets_xlsx", args=[draw.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "备选顺序", "层", "状态", "统一社会信用代码/代码", "名称") and rows[0][8] == "检查组"
    assert len(rows) == 1 + total
    assert rows[1][0] == 1 and rows[1][4] == first.key and rows[1][5] == "黄河商店"  # control character stripped
    assert rows[1][6] == "'=HYPERLINK(\"x\")"  # not a formula
    assert rows[1][8] == "、".join(names[i] for i in first.team) and rows[1][3] == "抽中"
    assert [r[1] for r in rows[6:]] == list(range(1, total - 5 + 1))  # then the reserve list in order
    # The public variant names no inspectors.
    with actor_scope(world.actor("A1", "viewer")):
        public = list(sel.draw_target_rows(actor=world.actor("A1", "viewer"), draw=draw, variant="public"))
    assert len(public[0]) == 8 and len(sel.draw_target_header(variant="public")) == 8
    assert _client(world, "B1", "viewer").get(reverse("sampling:draw_targets_xlsx", args=[draw.pk])).status_code == 404


def test_lists_turn_into_labelled_cards_on_a_phone(world):
    """table.stack: every cell carries the label its card shows below 640 px."""
    import re

    draw = make_completed_draw(world, "A1")
    planner = world.actor("A1", "planner")
    with actor_scope(planner):
        first = DrawSelection.objects.get(draw=draw, rank=1)
        from sampling.services import recusals as svc

        svc.recusal_request(actor=planner, draw=draw, selection=first, inspector=Inspector.objects.get(pk=first.team[0]),
                            kind="recusal", reason="亲属")
    client = _client(world, "A1", "leader")
    for url, testid in ((reverse("sampling:task_list"), "task-table"), (reverse("sampling:recusal_list"), "recusal-list"),
                        (reverse("sampling:plan_list"), "plan-table")):
        body = client.get(url).content.decode()
        table = body.split(f'data-testid="{testid}"')[0].rsplit("<table", 1)[1] + body.split(f'data-testid="{testid}"')[1]
        table = table.split("</table>")[0]
        assert 'class="stack"' in table, url
        cells = re.findall(r"<td[^>]*>", table.split("<tbody>")[1])
        assert cells and all("data-label=" in c for c in cells), (url, cells[:3])


def test_a_recusal_request_takes_a_signed_scan_the_leader_downloads(world, monkeypatch, settings, tmp_path):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from sampling.models import RecusalAttachment
    from sampling.services import recusals as svc

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(svc, "_file", lambda **kw: None)
    draw = make_completed_draw(world, "A1", inspectors=6)
    with scopes_disabled():
        first = DrawSelection.objects.get(draw=draw, rank=1)
        me = Inspector.objects.get(pk=first.team[0])
        Inspector.objects.filter(pk=me.pk).update(user=world.user("A1", "inspector"))
    inspector = _client(world, "A1", "inspector")
    url = reverse("sampling:recusal_request", args=[draw.pk])
    form = inspector.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'type="file" name="attachments"' in form
    # A text file called .pdf is refused by its content; what was typed stays.
    fake = SimpleUploadedFile("申请书.pdf", b"I am not a PDF", "application/pdf")
    refused = inspector.post(url, {"slot": f"{first.pk}:{me.pk}", "kind": "absence", "reason": "参加培训", "attachments": fake})
    body = refused.content.decode()
    assert refused.status_code == 400 and "“申请书.pdf”的内容不是 PDF、JPG、PNG 文件" in body and "参加培训" in body
    with scopes_disabled():
        assert not RecusalRequest.objects.exists()
    content = b"%PDF-1.7\n% signed application\n%%EOF\n"
    scan = SimpleUploadedFile("签字申请书.pdf", content, "application/pdf")
    done = inspector.post(url, {"slot": f"{first.pk}:{me.pk}", "kind": "absence", "reason": "参加培训", "attachments": scan})
    assert done.status_code == 302
    with scopes_disabled():
        req = RecusalRequest.objects.get(draw=draw)
        attachment = RecusalAttachment.objects.get(request=req)
    assert (attachment.original_name, attachment.size, attachment.content_type) == ("签字申请书.pdf", len(content), "application/pdf")
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    # The leader who decides sees it on the decide page and downloads it.
    leader = _client(world, "A1", "leader")
    page = leader.get(reverse("sampling:recusal_decide", args=[req.pk])).content.decode()
    link = reverse("sampling:recusal_attachment", args=[attachment.pk])
    assert f'href="{link}"' in page and "签字申请书.pdf" in page and attachment.sha256 in page
    download = leader.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf" and download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]
    # Another department's leader sees neither the request nor its file.
    assert _client(world, "A2", "leader").get(link).status_code == 404
