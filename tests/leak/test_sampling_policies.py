"""The leak matrix's other half for sampling's actions: on its own organization's object, a role
gets 403 exactly when the policy the service enforces refuses it — the page, the service and the
matrix read one rule (``sampling.policies``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from tenancy.context import Role
from tenancy.policies import allowed
from tests.factories import (
    make_committed_draw,
    make_completed_draw,
    make_filing,
    make_ready_task,
    make_recusal,
    make_submitted_plan,
    make_task,
)

pytestmark = pytest.mark.django_db

# url name, policy key, org whose roles post, factory, the object the policy is asked about, kwargs, data
ACTIONS: list[tuple[str, str, str, Callable[..., Any], Callable[[Any], Any], Callable[[Any], dict], dict]] = [
    ("sampling:draw_execute", "sampling.run_ceremony", "A1", make_committed_draw, lambda d: d,
     lambda d: {"pk": d.pk}, {"witnesses": "甲"}),
    ("sampling:draw_plan_all", "sampling.run_ceremony", "A1", make_ready_task, lambda t: t.plan,
     lambda t: {"pk": t.plan_id}, {"witnesses": "甲"}),
    ("sampling:draw_commit", "sampling.run_ceremony", "AO", make_ready_task, lambda t: t,
     lambda t: {"pk": t.pk}, {}),
    ("sampling:replacement_create", "sampling.replace_target", "A1", make_completed_draw, lambda d: d,
     lambda d: {"pk": d.pk}, {"reason": "已注销"}),
    ("sampling:recusal_decide", "sampling.decide_recusal", "A1", make_recusal, lambda r: r,
     lambda r: {"pk": r.pk}, {"decision": "reject", "note": "不同意"}),
    ("sampling:plan_approve", "sampling.decide_plan", "A1", make_submitted_plan, lambda p: p,
     lambda p: {"pk": p.pk}, {"opinion": "同意"}),
    ("sampling:task_cancel", "sampling.cancel_task", "A1", make_task, lambda t: t,
     lambda t: {"pk": t.pk}, {"reason": "取消"}),
    ("sampling:filing_decide", "sampling.decide_filing", "AO", make_filing, lambda f: f,
     lambda f: {"pk": f.pk}, {"decision": "acknowledged"}),
]


@pytest.mark.parametrize("action", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_a_role_is_refused_exactly_when_the_policy_refuses(world, action, django_capture_on_commit_callbacks):
    name, key, org, make, subject, kwargs, data = action
    obj = make(world, "A1" if org == "A1" or name != "sampling:draw_commit" else "AO")
    url = reverse(name, kwargs=kwargs(obj))
    seen: dict[str, tuple[bool, int]] = {}
    # The roles that may act last: the first allowed post changes the object's state.
    roles = sorted(Role.ALL, key=lambda r: allowed(key, world.actor(org, r), _fresh(subject(obj))))
    for role in roles:
        client = Client()
        client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
        may = allowed(key, world.actor(org, role), _fresh(subject(obj)))
        with django_capture_on_commit_callbacks(execute=False):
            status = client.post(url, data).status_code
        seen[role] = (may, status)
        assert status < 500, (name, role, status)
        assert (status == 403) == (not may), (name, seen)
    assert any(may for may, _status in seen.values()), f"{name}: no role may act — the check proves nothing"


def _fresh(obj: Any) -> Any:
    with scopes_disabled():
        obj.refresh_from_db()
    return obj
