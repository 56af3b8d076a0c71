"""The sync cursor pages by the key (updated_at, id): thousands of rows written in one statement
share one updated_at, and every one of them comes exactly once; a row changed while a client
pages comes again later (its updated_at is past everything seen), no other row repeats or goes
missing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from inventory.codes import make_uscc
from inventory.models import Inspector, MarketEntity, RegistryEntry

pytestmark = pytest.mark.django_db

TIED = 1250


def api(world, org: str = "A1", role: str = "viewer") -> APIClient:
    client = APIClient()
    client.force_login(world.user(org, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def tied_entities(world, count: int) -> dt.datetime:
    """``count`` entities in A1's registry, all with one updated_at (as a bulk write leaves them)."""
    org = world.orgs["A1"]
    at = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    with scopes_disabled():
        entities = MarketEntity.objects.bulk_create(
            MarketEntity(organization=org, region=org.region, code=make_uscc("91", "140522", f"T{i:08d}"), name=f"同时{i}")
            for i in range(count)
        )
        RegistryEntry.objects.bulk_create(
            RegistryEntry(organization=org, region=org.region, entity=e) for e in entities
        )
        MarketEntity.objects.filter(pk__in=[e.pk for e in entities]).update(updated_at=at)
    return at


def pages(client: APIClient, url: str, **params):
    body = client.get(url, params).json()
    while True:
        yield body["results"]
        if not body["next"]:
            return
        body = client.get(body["next"]).json()


def test_more_than_a_thousand_tied_rows_each_come_once(world):
    tied_entities(world, TIED)
    client = api(world)
    seen: list[str] = []
    for number, page in enumerate(pages(client, "/api/v1/entities/", page_size=100)):
        assert number < 20, "the cursor loops"
        seen += [row["code"] for row in page]
    assert len(seen) == TIED and len(set(seen)) == TIED


def test_a_row_changed_while_paging_comes_again_later_and_nothing_else_repeats(world):
    tied_entities(world, 450)
    client = api(world)
    walk = pages(client, "/api/v1/entities/", page_size=100)
    seen = [row["code"] for row in next(walk)] + [row["code"] for row in next(walk)]
    changed_seen, changed_unseen = seen[5], None
    with scopes_disabled():
        codes = list(MarketEntity.objects.order_by("updated_at", "id").values_list("code", flat=True))
        changed_unseen = codes[300]  # not reached yet: it moves to the end, still once
        for code in (changed_seen, changed_unseen):
            entity = MarketEntity.objects.get(code=code)
            entity.complaint_count = 9
            entity.save()  # auto_now: a new updated_at, past every row seen
    for page in walk:
        seen += [row["code"] for row in page]
    assert seen.count(changed_seen) == 2 and seen[-2:] == [changed_seen, changed_unseen]
    assert seen.count(changed_unseen) == 1
    others = [c for c in seen if c not in (changed_seen, changed_unseen)]
    assert len(others) == len(set(others)) == 448


def test_updated_since_and_the_cursor_together(world):
    at = tied_entities(world, 30)
    client = api(world)
    with scopes_disabled():
        later = MarketEntity.objects.order_by("id")[3]
        later.name = "后改"
        later.save()
    since = (at + dt.timedelta(seconds=1)).isoformat()
    rows = [r for page in pages(client, "/api/v1/entities/", updated_since=since, page_size=10) for r in page]
    assert [r["name"] for r in rows] == ["后改"]


def test_every_sync_list_pages_by_the_key(world):
    org = world.orgs["A1"]
    at = timezone.now() - dt.timedelta(hours=1)
    with scopes_disabled():
        Inspector.objects.bulk_create(
            Inspector(organization=org, region=org.region, name=f"人{i}", cert_no=f"C{i:05d}") for i in range(130)
        )
        Inspector.objects.update(updated_at=at)
    client = api(world)
    names = [r["name"] for page in pages(client, "/api/v1/inspectors/", page_size=50) for r in page]
    assert len(names) == len(set(names)) == 130


def test_a_bad_cursor_or_page_size_is_a_4xx(world):
    client = api(world)
    assert "cursor" in client.get("/api/v1/entities/", {"cursor": "not-a-cursor"}).json()
    assert client.get("/api/v1/entities/", {"page_size": "0"}).status_code == 400
    assert client.get("/api/v1/entities/", {"page_size": "abc"}).status_code == 400
    assert client.get("/api/v1/entities/", {"page_size": "1001"}).status_code == 400


def test_the_schema_describes_the_cursor(world, login):
    client = login(world.user("A1", "viewer"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/entities/"]["get"]["parameters"]}
    assert "(updated_at, id)" in params["cursor"]["description"]
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    page = schema["components"]["schemas"]["PaginatedEntityList"]
    assert set(page["properties"]) == {"next", "results"} and page["properties"]["next"]["nullable"] is True
