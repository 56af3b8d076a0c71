"""The generated leak matrix (DESIGN.md §3): every URL and API route, as each role of one office,
against the objects of another office: 404 for each object, no foreign row in any list."""

from __future__ import annotations

import contextlib

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenancy.context import Role
from tests.factories import marker

from .registry import load

CASES, PUBLIC, FACTORIES = load()


def url_names(patterns=None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            names.add(prefix + (p.name or f"<unnamed {p.pattern}>"))
    return names


def test_every_url_is_in_the_matrix_or_public():
    names = url_names()
    unclassified = sorted(names - set(CASES) - set(PUBLIC))
    assert not unclassified, f"URLs in neither the leak matrix nor the public list: {unclassified}"
    stale = sorted((set(CASES) | set(PUBLIC)) - names)
    assert not stale, f"Matrix entries for URLs that no longer exist: {stale}"
    missing_factories = sorted({c.factory for c in CASES.values()} - set(FACTORIES))
    assert not missing_factories, missing_factories


def _request(client: Client, case, obj) -> object:
    url = reverse(case_name_of(case), kwargs=case.kwargs(obj) if case.kind == "object" else None)
    if case.query:
        url += ("&" if "?" in url else "?") + case.query
    if case.method == "post":
        if url.startswith("/api/"):  # the API takes JSON bodies only
            return client.post(url, case.data, content_type="application/json")
        return client.post(url, case.data)
    return client.get(url)


_NAMES = {id(c): n for n, c in CASES.items()}


def case_name_of(case) -> str:
    return _NAMES[id(case)]


OBJECT_CASES = sorted(n for n, c in CASES.items() if c.kind == "object")
LIST_CASES = sorted(n for n, c in CASES.items() if c.kind == "list")


@pytest.mark.parametrize("name", OBJECT_CASES)
def test_object_url_refuses_other_offices_objects(name, world):
    case = CASES[name]
    make = FACTORIES[case.factory]
    served_own = False
    for viewer in case.viewers:
        foreign_objs = [make(world, key) for key in case.foreign(viewer)]
        for role in Role.ALL:
            client = Client()
            client.force_login(world.user(viewer, role), backend="django.contrib.auth.backends.ModelBackend")
            statuses = {key: _request(client, case, obj).status_code for key, obj in zip(case.foreign(viewer), foreign_objs, strict=True)}
            own_status = _request(client, case, make(world, case.own[viewer])).status_code
            if own_status == 403:
                # The role may not use this URL at all: foreign objects must not answer otherwise.
                assert set(statuses.values()) <= {403, 404}, (name, viewer, role, statuses)
            else:
                assert set(statuses.values()) == {404}, (name, viewer, role, statuses, own_status)
                served_own = served_own or own_status < 400
    if case.expect_owner_ok:
        assert served_own, f"{name}: no role could use the URL on its own object — the check proves nothing"


@pytest.mark.parametrize("name", LIST_CASES)
def test_list_url_shows_no_foreign_rows(name, world):
    case = CASES[name]
    make = FACTORIES[case.factory]
    for key in ("A1", "A2", "B1", "BO", "AO"):
        # Some objects have no meaning for some kinds of organization (an office owns no entity import).
        with contextlib.suppress(Exception):
            make(world, key)
    shown_own = False
    for viewer in case.viewers:
        for role in Role.ALL:
            client = Client()
            client.force_login(world.user(viewer, role), backend="django.contrib.auth.backends.ModelBackend")
            response = _request(client, case, None)
            if response.status_code in (403, 404):
                continue
            body = response.content.decode()
            for key in case.foreign(viewer):
                assert marker(key) not in body, (name, viewer, role, key)
            shown_own = shown_own or marker(case.own[viewer]) in body
    assert shown_own, f"{name}: no role saw its own rows — the check proves nothing"
