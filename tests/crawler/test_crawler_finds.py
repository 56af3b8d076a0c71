"""The crawler itself: it finds a 500, a download that breaks while streaming, a broken filter
option and a hostile query string, follows links, hx-get and GET forms, never posts, never leaves
the site or logs out, and keeps to its bounds. (A net with a hole would pass every site.)"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from .crawl import HOSTILE_QUERIES, Crawler

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="tests.crawler.selftest_urls")
def test_the_crawler_finds_every_kind_of_failure_and_keeps_to_its_bounds():
    crawler = Crawler(Client(), "anonymous", max_objects=3, max_per_name=6)
    crawler.crawl("/", "/after-post/")
    found = {(f.url.split("?")[0], str(f.status), f.error.split(":")[0]) for f in crawler.failures}
    assert ("/boom/", "500", "ValueError") in found
    assert ("/download/", "200, broke while streaming", "UnicodeEncodeError") in found
    assert ("/search/", "500", "KeyError") in found  # the form's <select> option b alone
    assert ("/polled/", "500", "LookupError") in found  # hx-get asked with htmx's header
    broken = next(f for f in crawler.failures if f.url == "/boom/")
    assert "selftest_urls.py" in broken.error and "boom on purpose" in broken.error
    names = crawler.reached()
    assert {"home", "boom", "polled", "deep", "search", "download", "listing", "item", "after_post"} <= names
    assert "posted" not in names  # a POST form's action is never requested
    assert not any("logout" in v.url or "example.com" in v.url for v in crawler.visits)
    items = {v.url for v in crawler.visits if v.name == "item"}
    assert len(items) == 3, items  # at most max_objects objects per URL name
    assert len([v for v in crawler.visits if v.name == "listing"]) == 1  # ?page=2, 3, 4 are one
    assert crawler.requests == len(crawler.visits)

    before = len(crawler.failures)
    made = crawler.hostile()
    hostile = crawler.failures[before:]
    assert made > 10
    assert any(f.url == "/list/?page=abc" for f in hostile)
    assert any(f.url.startswith("/search/?q=999") and "OverflowError" in f.error for f in hostile)
    assert any(f.url == "/search/?since=9999-99-99" and "ValueError" in f.error for f in hostile)  # a date input
    again = Crawler(Client(), "anonymous")
    again.crawl("/")
    asked: set[tuple[str, str]] = set()
    assert again.hostile(asked) == made and again.hostile(asked) == 0  # asked once, never twice
    assert ("listing", HOSTILE_QUERIES[0]) in asked


@override_settings(ROOT_URLCONF="tests.crawler.selftest_urls")
def test_the_crawler_stops_at_its_request_budget():
    crawler = Crawler(Client(), "anonymous", max_requests=4)
    crawler.crawl("/")
    assert crawler.requests == 4
