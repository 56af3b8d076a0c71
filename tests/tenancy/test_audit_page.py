"""The audit page: every entry's changes read as (label, before, after) rows, whatever keys a
service logged — a plan change logs ``items``, which a template looking into the JSON resolved
instead of the dict's method (the page answered 500 to a leader)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from sampling.services.plans import plan_create, plan_update
from tenancy import audit
from tenancy.audit_display import MAX_CHARS, MAX_NAMES, present
from tenancy.models import AuditEntry
from tenancy.scoping import actor_scope
from tests.sampling.test_plans_world import DEFAULT_STRATA, item

pytestmark = pytest.mark.django_db


def data(items, **extra):
    values = {
        "year": 2026, "name": "2026年度双随机抽查计划", "doc_no": "", "items": items, "frequency": "quarterly",
        "strata_mode": "risk", "strata": DEFAULT_STRATA, "coverage_target": Decimal("0.2"), "annual_cap": 2,
    }
    return values | extra


def _changes(page: str) -> list[str]:
    """The text of every change row on the page, tags removed."""
    rows = re.findall(r'<div data-testid="audit-change">(.*?)</div>', page, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", r)).strip() for r in rows]


def test_leader_reads_a_logged_plan_change_with_item_names(world, login):
    first = item(world.orgs["A1"], name="消防安全检查")
    second = item(world.orgs["A1"], name="营业执照公示检查")
    actor = world.actor("A1", "planner")
    with actor_scope(actor):
        plan = plan_create(actor=actor, data=data([first]))
        plan_update(actor=actor, plan=plan, data=data([first, second], name="改名后的计划"))

    response = login(world.user("A1", "leader")).get(reverse("audit_list"))
    assert response.status_code == 200
    rows = _changes(response.content.decode())
    # The creation and the update, by field label; ids of the items became their names.
    assert "计划名称: 2026年度双随机抽查计划 → 改名后的计划" in rows
    assert "抽查事项: 消防安全检查 → 消防安全检查、营业执照公示检查" in rows
    assert "抽查事项: — → 消防安全检查" in rows
    # A creation lists what was set, not every empty field.
    assert not any(r.startswith(("上一版本:", "文号:", "批准时间:")) for r in rows)
    # Choices read as their labels, not their codes.
    assert any(r.startswith("状态: — → ") and "draft" not in r for r in rows)


def test_keys_named_like_dict_methods_and_nested_values(world, login):
    actor = world.actor("A1", "admin")
    nested = {"risk": ["A", "B"], "tags": {"any": ["餐饮"]}}
    with actor_scope(actor):
        audit.record(
            actor=actor, action="update", target_type="sampling.samplingplan", target_id="7", target_repr="某计划",
            changes={
                "items": [None, [999001, 999002]],  # ids of nothing visible: kept as ids
                "keys": ["a", "b"],
                "values": [{"x": 1}, nested],
                "get": [False, True],
                "huge": [None, "长" * 5000],
                "created": 12,  # a summary value, not a pair
            },
        )
    page = login(world.user("A1", "leader")).get(reverse("audit_list")).content.decode()
    rows = _changes(page)
    assert "抽查事项: — → #999001、#999002" in rows
    assert "keys: a → b" in rows
    assert 'values: {"x":1} → {"risk":["A","B"],"tags":{"any":["餐饮"]}}' in rows
    assert "get: 否 → 是" in rows
    assert "新增: 12" in rows
    huge = next(r for r in rows if r.startswith("huge"))
    assert "长" * MAX_CHARS in huge and "长" * (MAX_CHARS + 1) not in huge and "共 5000 字" in huge


def test_names_of_other_organizations_are_not_shown(world):
    """Names come through the actor's scope: an id of another county's item stays an id."""
    theirs = item(world.orgs["B1"], name="B县的事项")
    ours = item(world.orgs["A1"], name="A县的事项")
    many = [item(world.orgs["A1"], name=f"事项{i}") for i in range(MAX_NAMES + 3)]
    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        audit.record(actor=actor, action="update", target_type="sampling.samplingtask", target_id="1",
                     changes={"items": [[ours.pk], [ours.pk, theirs.pk]], "plan": [None, "not-an-id"]})
        audit.record(actor=actor, action="update", target_type="sampling.samplingtask", target_id="2",
                     changes={"items": [None, [i.pk for i in many]]})
        rows = present(list(AuditEntry.objects.filter(target_type="sampling.samplingtask").order_by("id")))
    first, second = rows
    by_key = {c.key: c for c in first.changes}
    assert (by_key["items"].before, by_key["items"].after) == ("A县的事项", f"A县的事项、#{theirs.pk}")
    assert by_key["plan"].after == "not-an-id"
    assert first.type_label == "抽查任务"  # the model's verbose name
    listed = second.changes[0].after
    assert listed.count("、") == MAX_NAMES - 1 and f"等 {MAX_NAMES + 3} 项" in listed


def test_unknown_target_type_and_odd_shapes(world):
    actor = world.actor("A1", "admin")
    with actor_scope(actor):
        audit.record(actor=actor, action="x", target_type="gone.model", target_id="1", changes={"a": [1, 2, 3]})
        with scopes_disabled():
            entries = list(AuditEntry.objects.filter(target_type="gone.model"))
        (row,) = present(entries)
    assert row.type_label == "gone.model"
    (change,) = row.changes
    assert change.single and change.after == "[1,2,3]"


def test_names_cost_one_query_per_model_not_per_entry(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = world.actor("A1", "admin")
    client = login(world.user("A1", "leader"))

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit_list")).status_code == 200
        return len(ctx.captured_queries)

    def log(n: int) -> None:
        with actor_scope(actor):
            for i in range(n):
                it = item(world.orgs["A1"], name=f"事项{i}")
                audit.record(actor=actor, action="update", target_type="sampling.samplingtask", target_id=str(i),
                             changes={"items": [[], [it.pk]], "created_by": [None, world.user("A1", "planner").pk]})

    log(2)
    few = page_queries()
    log(40)
    assert page_queries() == few
