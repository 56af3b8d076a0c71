"""The sidebar: what each app registers in ``tenancy.navigation.NAV``, and what each role sees."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tenancy.navigation import NAV, NavEntry, NavSection
from tests.deadlines.conftest import add_platform

pytestmark = pytest.mark.django_db

OURS = ("tenancy.", "inventory.", "sampling.", "deadlines.", "inspections.")

SIDEBAR = re.compile(r'<nav class="sidenav".*?</nav>', re.S)
TOKEN = re.compile(r'<div class="section">([^<]*)</div>|<a href="([^"]*)" class="(active)?" data-testid="nav-([\w.]+)">([^<]*)</a>')

DEPARTMENT = [
    "tenancy.dashboard",
    "一单两库", "inventory.items", "inventory.joint_items", "inventory.entities", "inventory.inspectors", "inventory.imports",
    "随机抽查", "sampling.plans", "sampling.tasks", "sampling.recusals", "sampling.filings", "deadlines.due",
]
# A department's staff read its inspections; an inspector has "我的检查" at the top instead.
INSPECTIONS = ["检查实施", "inspections.list", "inspections.handlings", "inspections.combined"]
INSPECTOR = [DEPARTMENT[0], "inspections.mine", *DEPARTMENT[1:]]


def sidebar(client: Client, path: str = "/") -> list[str]:
    """The sidebar of the page at ``path``, in order: headings by their text, links by their key."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    nav = SIDEBAR.search(response.content.decode())
    assert nav, "no sidebar"
    return [m.group(1) if m.group(1) is not None else m.group(4) for m in TOKEN.finditer(nav.group(0))]


def active_links(client: Client, path: str) -> list[str]:
    nav = SIDEBAR.search(client.get(path).content.decode())
    return [m.group(4) for m in TOKEN.finditer(nav.group(0)) if m.group(3)]


def as_user(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_registry_holds_each_apps_entries_in_order():
    ours = [e for e in NAV if e.key.startswith(OURS)]
    assert ours == sorted(ours, key=lambda e: (e.order, e.key))
    sections = {e.key: e for e in NAV if isinstance(e, NavSection)}
    assert sorted(s for s in sections if s.startswith(OURS)) == [
        "inspections.inspections", "inventory.registers", "sampling.sampling", "tenancy.admin",
    ]
    # Every entry sits at the top or under a registered heading (else it could never be shown).
    assert all(e.section in sections for e in NAV if isinstance(e, NavEntry) and e.section)
    by_section: dict[str, list[str]] = {}
    for e in ours:
        if isinstance(e, NavEntry):
            by_section.setdefault(e.section, []).append(e.key)
    assert by_section == {
        "": ["tenancy.dashboard", "inspections.mine"],
        "inventory.registers": [
            "inventory.items", "inventory.joint_items", "inventory.entities", "inventory.inspectors", "inventory.imports",
        ],
        "sampling.sampling": ["sampling.plans", "sampling.tasks", "sampling.recusals", "sampling.filings", "deadlines.due"],
        "inspections.inspections": ["inspections.list", "inspections.handlings", "inspections.combined"],
        "tenancy.admin": ["tenancy.audit_log", "deadlines.rules", "deadlines.holidays", "deadlines.failures"],
    }
    # No placeholder for an app that is not built: nothing points at publication.
    assert not [e for e in NAV if isinstance(e, NavEntry) and e.url_name.startswith("publication")]


@pytest.mark.parametrize(
    ("org", "role", "expected"),
    [
        ("A1", "planner", [*DEPARTMENT, *INSPECTIONS]),
        ("A1", "inspector", INSPECTOR),
        ("A1", "leader", [*DEPARTMENT, *INSPECTIONS, "管理", "tenancy.audit_log", "deadlines.rules"]),
        ("AO", "leader", [
            "tenancy.dashboard",
            "一单两库", "inventory.items", "inventory.joint_items", "inventory.entities", "inventory.inspectors",
            "inventory.imports",
            "随机抽查", "sampling.plans", "sampling.tasks", "sampling.filings", "deadlines.due", *INSPECTIONS,
            "管理", "tenancy.audit_log", "deadlines.rules",
        ]),
        ("A1", "admin", [
            *DEPARTMENT, *INSPECTIONS, "管理", "tenancy.audit_log", "deadlines.rules", "deadlines.holidays", "deadlines.failures",
        ]),
    ],
)
def test_each_role_sees_its_entries(world, org, role, expected):
    assert _mine(sidebar(as_user(world.user(org, role)))) == expected


def test_platform_admin_sees_the_registry_and_administration(world):
    _org, user = add_platform(world)
    assert _mine(sidebar(as_user(user))) == [
        "tenancy.dashboard", "一单两库", "inventory.entities",
        "管理", "tenancy.audit_log", "deadlines.holidays", "deadlines.failures",
    ]


def test_order_is_the_same_in_english(world):
    client = as_user(world.user("AO", "leader"))
    chinese = [t for t in sidebar(client) if "." in t]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = sidebar(client)
    assert [t for t in english if "." in t] == chinese
    assert "一单两库" not in english  # headings are translated; their place is not


def test_active_link_is_the_page_and_its_subpages(world):
    client = as_user(world.user("A1", "planner"))
    assert active_links(client, "/") == ["tenancy.dashboard"]
    entities = "/inventory/entities/"
    assert active_links(client, entities) == ["inventory.entities"]
    assert active_links(client, entities + "new/") == ["inventory.entities"]


def test_an_entry_whose_url_does_not_resolve_is_skipped(world):
    extra = (
        NavSection(key="zz_test.section", label="未挂载的应用", order=95),
        NavEntry(key="zz_test.missing", label="未挂载的页面", url_name="nowhere:list", section="zz_test.section"),
        NavEntry(key="zz_test.top", label="顶部未挂载", url_name="nowhere:top"),
    )
    for entry in extra:
        NAV.register(entry)
    try:
        items = sidebar(as_user(world.user("A1", "admin")))
    finally:
        for entry in extra:
            NAV.unregister(entry.key)
    # The page renders; the unmounted links are gone, and so is the heading with nothing under it.
    assert not [t for t in items if t.startswith("zz_test") or t == "未挂载的应用"]
    assert items[0] == "tenancy.dashboard" and "deadlines.failures" in items


def test_a_heading_with_no_visible_entry_is_dropped(world):
    # The department planner's sidebar has no 管理 heading: every entry under it is for admins/leaders.
    assert "管理" not in sidebar(as_user(world.user("A1", "planner")))


def _mine(tokens: list[str]) -> list[str]:
    """Our apps' links and headings (a test app in INSTALLED_APPS may add its own elsewhere)."""
    return [t for t in tokens if "." not in t or t.startswith(OURS)]
