"""The crawler test (issue 9, "Checks"): after a realistic story, every page and export reachable
by links, as every role of a department, of the leading-group office and of a platform client,
plus each page with hostile query strings, plus the API with hostile parameters — answers below 500.

Each test collects every failure (URL, role, status, the exception and the innermost frames of
ours) and fails once at the end with the whole list. The story is built once for the module (in a
transaction rolled back afterwards); each request runs in a savepoint of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django_scopes import scopes_disabled

from sampling.models import Filing, FilingAttachment, FilingDecision, RecusalAttachment
from tenancy.audit import AuditEntry
from tenancy.context import Role

from .crawl import Crawler, Failure, report
from .story import DEPARTMENT, OFFICE, PLATFORM, SETTINGS, Story, build_story

pytestmark = [pytest.mark.xdist_group("crawler"), pytest.mark.django_db]

ROLES = {
    # Admin first: the hostile queries are asked once per page, by the first role that reached
    # it, and the admin reaches the most. "leader/en": the leader again with
    # English pages (a translation whose placeholders differ from its msgid answers 500).
    DEPARTMENT: (Role.ADMIN, Role.LEADER, Role.PLANNER, Role.INSPECTOR, Role.VIEWER, "leader/en"),
    OFFICE: (Role.ADMIN, Role.LEADER, Role.PLANNER, Role.INSPECTOR, Role.VIEWER, "leader/en"),
    PLATFORM: (Role.ADMIN, Role.VIEWER, "admin/en"),
}
MAX_REQUESTS_PER_ROLE = 400
# The admin (first) crawls wide; the other roles see the same pages with their own buttons and
# refusals, so one object per URL name (and one query variant) shows what differs.
BOUNDS = {Role.ADMIN: {"max_objects": 3, "max_per_name": 6}}
OTHER_BOUNDS = {"max_objects": 1, "max_per_name": 2}
# Pages each kind of organization must reach, so the test cannot pass by crawling nothing.
KEY_PAGES = {
    DEPARTMENT: {
        "dashboard", "inventory:entity_list", "inventory:entity_detail", "inventory:inspector_list", "inventory:item_list",
        "inventory:import_list", "inventory:import_detail", "sampling:plan_list", "sampling:plan_detail",
        "sampling:task_detail", "sampling:draw_detail", "sampling:filing_list", "sampling:filing_detail",
        "sampling:recusal_list", "audit_list", "inventory:entity_export", "inventory:inspector_export",
        "inventory:item_export", "sampling:filing_annex", "sampling:filing_attachment", "sampling:recusal_attachment",
        "sampling:draw_record", "sampling:filing_pdf", "deadlines:due_list",
    },
    OFFICE: {
        "dashboard", "inventory:entity_list", "sampling:plan_list", "sampling:plan_detail", "sampling:draw_detail",
        "sampling:filing_list", "sampling:filing_detail", "audit_list", "sampling:draw_progress", "deadlines:due_list",
    },
    PLATFORM: {"dashboard", "inventory:entity_list"},
}
AUDIT_ROLES = (Role.ADMIN, Role.LEADER)
MIN_NAMES = {DEPARTMENT: 20, OFFICE: 12, PLATFORM: 2}  # distinct URL names the admin reaches


@pytest.fixture(scope="module")
def story(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Story]:
    """The story, once for the module, in a transaction rolled back at the end."""
    media = tmp_path_factory.mktemp("crawler-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media), **SETTINGS), transaction.atomic():
        started = time.monotonic()
        built = build_story()
        print(f"\ncrawler story built in {time.monotonic() - started:.1f}s ({settings.DATABASES['default']['ENGINE']})")
        yield built
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def hostile_asked() -> set[tuple[str, str]]:
    """(URL name, hostile query) pairs asked in this module: once each is enough — the office's
    list parses a query the department's asked already as the department's does, while its own
    keys (an inbox tab, say) are asked by the office. A test run alone asks everything itself."""
    return set()


def _client(user, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _page_names() -> set[str]:
    from tests.leak.test_leak_matrix import url_names

    return {n for n in url_names() if not n.startswith("api:")}


def _after_post(story: Story, org: str) -> list[str]:
    """Pages a user reaches only through a POST's redirect (a batch draw's and an import's progress)."""
    if org == DEPARTMENT:
        pages = [reverse("inventory:import_progress", kwargs={"pk": j.pk}) for j in (story.import_job, story.refused_job)]
        if story.records_job is not None:
            pages.append(reverse("inspections:records_job", kwargs={"pk": story.records_job.pk}))
        return pages
    if org == OFFICE:
        return [reverse("sampling:draw_progress", kwargs={"pk": j.pk}) for j in story.draw_jobs]
    return []


def _audit_by_type() -> list[str]:
    """The audit log filtered by each type of object it holds: every kind of change the story
    logged is rendered (unfiltered, the first page shows only the latest 50 entries)."""
    with scopes_disabled():
        types = sorted(set(AuditEntry.objects.values_list("target_type", flat=True)))
    return [f"{reverse('audit_list')}?{urlencode({'target_type': t})}" for t in types]


def _story_paths(story: Story) -> frozenset[str]:
    """The pages of the story's own objects: a link to one is always followed."""
    paths = {
        reverse("sampling:plan_detail", kwargs={"pk": story.plan.pk}),
        reverse("sampling:plan_detail", kwargs={"pk": story.adjusted_plan.pk}),
        reverse("sampling:draw_detail", kwargs={"pk": story.draw.pk}),
        reverse("sampling:draw_detail", kwargs={"pk": story.open_draw.pk}),
        reverse("sampling:draw_detail", kwargs={"pk": story.abandoned_draw.pk}),
        reverse("sampling:draw_record", kwargs={"pk": story.draw.pk}),
        reverse("sampling:filing_detail", kwargs={"pk": story.returned_filing.pk}),
        reverse("sampling:filing_detail", kwargs={"pk": story.resubmitted_filing.pk}),
        reverse("inventory:import_detail", kwargs={"pk": story.import_job.pk}),
        reverse("inventory:import_detail", kwargs={"pk": story.refused_job.pk}),
        reverse("inventory:entity_detail", kwargs={"pk": story.control_entity.pk}),
        reverse("inventory:inspector_detail", kwargs={"pk": story.control_inspector.pk}),
        reverse("inventory:item_detail", kwargs={"pk": story.control_item.pk}),
    }
    if story.joint_draw is not None:
        paths.add(reverse("sampling:draw_detail", kwargs={"pk": story.joint_draw.pk}))
    for combined in (story.combined_visit, story.cancelled_combined_visit):  # 综合查一次 and its one record
        if combined is None:
            continue
        for name in ("inspections:combined_detail", "inspections:combined_record"):
            paths.add(reverse(name, kwargs={"pk": combined.pk}))
    # The demo's inspections, one in each state, and their documents.
    for inspection in story.inspections.values():
        for name in ("inspections:detail", "inspections:record_preview", "inspections:notice_preview"):
            paths.add(reverse(name, kwargs={"pk": inspection.pk}))
    return frozenset(paths)


def test_the_story_holds_the_states_the_crawl_must_meet(story: Story):
    """The crawl is only as good as the states it walks through: check the story made them."""
    with scopes_disabled():
        plan_changes = AuditEntry.objects.filter(target_type="sampling.samplingplan", target_id=str(story.plan.pk), action="update")
        assert any("items" in (e.changes or {}) for e in plan_changes), "a plan change whose key is `items`"
        assert AuditEntry.objects.filter(target_type="sampling.samplingplan", action="return").exists()
        assert FilingDecision.objects.get(filing=story.returned_filing).decision == FilingDecision.Decision.RETURNED
        assert FilingDecision.objects.get(filing=story.resubmitted_filing).decision == FilingDecision.Decision.ACKNOWLEDGED
        assert story.resubmitted_filing.previous_id == story.returned_filing.pk
        kinds = set(Filing.objects.filter(draw=story.draw).values_list("kind", flat=True))
        assert {"draw", "substitution"} <= kinds
        assert story.draw.substitutions.exists() and story.draw.recusal_requests.filter(status="pending").exists()
        assert Filing.objects.filter(draw=story.draw).exclude(annex="").exists(), "a filing with its .xlsx annex"
        assert FilingAttachment.objects.filter(filing=story.resubmitted_filing).exists()
        assert RecusalAttachment.objects.filter(request__draw=story.draw).exists()
        assert story.open_draw.status == "committed" and story.abandoned_draw.status == "abandoned"
        assert story.joint_draw is not None and story.joint_draw.status == "completed"
        assert story.import_job.status == "done" and story.import_job.rejected_count >= 3
        assert story.refused_job.status == "refused"
        assert {j.status for j in story.draw_jobs} == {"queued", "failed"}
        assert "\x01" in story.control_entity.name and "\x02" in story.control_inspector.name
        assert "\x0c" in story.control_item.name
        assert set(story.api_keys) >= {"dept_planner"}
        assert set(story.inspections) >= {"pending", "todo", "draft", "submitted", "returned", "approved", "followup_open",
                                          "followup_closed"}, sorted(story.inspections)
        assert story.records_job.status == "done" and story.records_job.result["count"] >= len(story.inspections)
        from deadlines.models import DueItem, Notification

        states = set(DueItem.objects.values_list("state", flat=True))
        assert {DueItem.State.OVERDUE, DueItem.State.WAIVED} <= states, states
        assert Notification.objects.exists()
    assert not story.notes, story.notes
    if story.cancelled_combined_visit is not None:  # the demo's draws took one firm twice (chance)
        with scopes_disabled():
            assert story.combined_visit.cancelled_at is None
            assert story.cancelled_combined_visit.cancelled_at is not None, "a 综合查一次 called off"
            assert Notification.objects.filter(kind=Notification.Kind.NOTICE).exists(), "the notices of 综合查一次"


@pytest.mark.parametrize("org", [DEPARTMENT, OFFICE, PLATFORM], ids=["department", "office", "platform"])
def test_every_page_as_every_role_answers_below_500(story: Story, hostile_asked: set[tuple[str, str]], org: str):
    failures: list[Failure] = []
    lines: list[str] = []
    reached: dict[str, set[str]] = {}
    visited: dict[str, set[str]] = {}
    started, cpu = time.monotonic(), time.process_time()
    for label in ROLES[org]:
        role, _, language = label.partition("/")
        if (org, role) not in story.users:
            continue
        if language:
            # The pages are really in that language (not the default with a header ignored).
            assert f'<html lang="{language}"' in _client(story.user(org, role), language).get("/").content.decode()
        audit = _audit_by_type() if role in AUDIT_ROLES else []
        crawler = Crawler(
            _client(story.user(org, role), language or "zh-hans"), f"{org} {label}", max_requests=MAX_REQUESTS_PER_ROLE,
            priority=_story_paths(story) | set(audit), **(OTHER_BOUNDS if language else BOUNDS.get(role, OTHER_BOUNDS)),
        )
        crawler.crawl("/", *_after_post(story, org), *audit)
        crawled = crawler.requests
        hostile = crawler.hostile(hostile_asked)
        failures += crawler.failures
        reached[label] = crawler.reached()
        visited[label] = crawler.visited_urls()
        lines.append(f"  {crawler.summary()}; {crawled} crawling, {hostile} hostile, {len(crawler.failures)} failures")
        lines.append(f"    slowest: {crawler.slowest()}")
    lines.append(f"  {time.monotonic() - started:.1f}s ({time.process_time() - cpu:.1f}s of this process's CPU)")
    print("\n" + "\n".join(lines))

    # The crawl reached what it must, or it proves nothing.
    every = set().union(*reached.values())
    lines.append(f"  never reached (POST-only or not linked for this organization): {sorted(_page_names() - every)}")
    print(lines[-1])
    missing = KEY_PAGES[org] - every
    problems = [f"key pages never reached: {sorted(missing)}"] if missing else []
    if len(reached[Role.ADMIN]) < MIN_NAMES[org]:
        problems.append(f"the admin reached only {len(reached[Role.ADMIN])} URL names: {sorted(reached[Role.ADMIN])}")
    for role in AUDIT_ROLES:
        if role in reached and "audit_list" not in reached[role] and org != PLATFORM:
            problems.append(f"{role} never reached the audit log")
    if org == DEPARTMENT:
        wanted = {
            reverse("sampling:plan_detail", kwargs={"pk": story.plan.pk}): "the plan returned and approved",
            reverse("sampling:draw_detail", kwargs={"pk": story.draw.pk}): "the draw with a substitution",
            reverse("sampling:filing_detail", kwargs={"pk": story.returned_filing.pk}): "the returned filing",
            reverse("inventory:entity_detail", kwargs={"pk": story.control_entity.pk}): "the entity with a control character",
        }
        seen = set().union(*visited.values())
        problems += [f"never visited {what}: {url}" for url, what in wanted.items() if url not in seen]
    if org == OFFICE:
        seen = set().union(*visited.values())
        url = reverse("sampling:filing_detail", kwargs={"pk": story.returned_filing.pk})
        if url not in seen:
            problems.append(f"the office never visited the returned filing: {url}")
    assert not (problems or failures), report(f"crawl of {org}", failures, problems + lines)


API_QUERIES = (
    "",
    "updated_since=" + quote("0300-11-05T10:29:13-22:15"),
    "updated_since=",
    "cursor=junk",
    "page_size=-5",
    "page_size=abc",
    "q=%00",
)


def _api_list_urls() -> dict[str, str]:
    """Every list endpoint of /api/v1/: from the router, checked against the OpenAPI schema."""
    from config.api_urls import router

    urls: dict[str, str] = {}
    for prefix, _viewset, basename in router.registry:
        try:
            urls[basename] = reverse(f"api:{basename}-list")
        except Exception:  # noqa: BLE001 - a viewset without a list route
            continue
        assert urls[basename] == f"/api/v1/{prefix}/"
    return urls


@pytest.mark.parametrize("token", ["dept_planner", "office_planner", "platform_admin"])
def test_every_api_list_with_hostile_parameters_answers_below_500(story: Story, token: str):
    from config.api_urls import router

    key = story.api_keys.get(token)
    assert key, f"the story made no {token} token"
    crawler = Crawler(Client(HTTP_AUTHORIZATION=f"Token {key}"), f"api {token}")
    schema = crawler.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema is not None and schema.status_code == 200, getattr(schema, "status_code", None)
    paths = set(schema.json()["paths"])
    lists = _api_list_urls()
    assert set(lists.values()) <= paths, set(lists.values()) - paths
    lists_in_schema = {p for p in paths if "{" not in p and p.startswith("/api/v1/")}
    ok_lists = 0
    for url in sorted(set(lists.values()) | lists_in_schema):
        for query in API_QUERIES:
            response = crawler.get(f"{url}?{query}" if query else url)
            if query == "" and response is not None and response.status_code == 200:
                ok_lists += 1
        # A NUL as the object's id, and each extra route of the object.
        crawler.get(f"{url}%00/")
    for prefix, viewset, _basename in router.registry:
        for action in getattr(viewset, "get_extra_actions", lambda: [])():
            if action.detail:
                crawler.get(f"/api/v1/{prefix}/%00/{action.url_path}/")
    print(f"\n{crawler.summary()}; {ok_lists} lists answered 200")
    assert ok_lists >= len(lists) // 2, f"only {ok_lists} of {len(lists)} API lists answered 200: the token works?"
    assert not crawler.failures, report(f"API as {token}", crawler.failures, [crawler.summary()])
