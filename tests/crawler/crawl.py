"""The crawler: a logged-in test client that follows every same-site link breadth-first (GET only),
then asks the pages it reached again with hostile query strings; it records every answer of 500
or more (and every download that breaks while streaming) with the first lines of its traceback.

Followed: ``<a href>``, every ``hx-get`` (asked with htmx's header: it answers a fragment) and each
``<form method=get>`` (its defaults, then each ``<select>`` option alone); never a POST form, never
the logout, login, language or organization switches, never another site.

Bounded: URLs are deduplicated per resolved URL name, at most ``max_objects`` distinct objects
(path arguments) per URL name, numbers in query strings collapsed (``?page=2`` and ``?page=3`` are
one), at most ``max_per_name`` URLs per URL name and ``max_requests`` requests per crawl; links to
``priority`` paths or URLs (the story's own objects, the audit log per type) pass the per-name
bounds.

Each request runs in a savepoint rolled back after it, so a failed or writing GET leaves the
database as it found it for the next one.
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve, reverse

MAX_OBJECTS = 3  # distinct path arguments per URL name
MAX_PER_NAME = 12  # URLs per URL name (objects × query variants)
MAX_SELECT_OPTIONS = 8  # a GET form's <select>: each option alone, at most this many
SKIP_PREFIXES = ("/static/", "/media/", "/i18n/", "/accounts/logout", "/accounts/login", "/switch-organization/")
TRACEBACK_LINES = 6

HUGE_ID = 2**63  # one past PostgreSQL's bigint
LONG = "9" * 10_000  # digits: a text filter sees 10,000 characters, a number parser an overflow
BAD_VALUES = {  # by the input's type, beside NUL and LONG
    "date": ("0300-11-05", "9999-99-99", "2026-02-30"),
    "datetime-local": ("0300-11-05T10:29", "9999-99-99T99:99"),
    "month": ("0300-11", "2026-13"),
    "number": ("-1", "1e999", "NaN"),
}
# Query strings any list page must answer below 500 (percent-encoded where they must be).
HOSTILE_QUERIES: tuple[str, ...] = (
    "q=%00",
    "q=%01",
    "page=-1",
    "page=99999999",
    "page=abc",
    "from=0300-11-05",
    "to=9999-99-99",
    "updated_since=" + quote("0300-11-05T10:29:13-22:15"),
)


@dataclass
class Failure:
    who: str
    url: str
    status: int | str
    error: str

    def __str__(self) -> str:
        return f"[{self.who}] GET {_short(self.url)} -> {self.status}\n      {self.error}"


@dataclass
class Visit:
    url: str
    name: str
    status: int
    content_type: str
    seconds: float = 0.0


@dataclass
class PageInfo:
    """What a page's HTML says about its query strings: the keys its GET forms and links use."""

    keys: set[str] = field(default_factory=set)
    types: dict[str, str] = field(default_factory=dict)  # key -> input type (date, number, …)


def _short(url: str, limit: int = 160) -> str:
    return url if len(url) <= limit else url[:limit] + f"…(+{len(url) - limit} chars)"


def _escape(text: str) -> str:
    """Control characters shown as escapes (an old row's name in a message must not break the report)."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def _digest(exc: BaseException) -> str:
    """The exception and the innermost frames of the project's own code (not Django's or the venv's)."""
    root = str(settings.BASE_DIR) + "/"
    frames = [
        f"{f.filename[len(root):]}:{f.lineno} {f.name}"
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(root) and "/.venv/" not in f.filename and "/site-packages/" not in f.filename
    ]
    message = _escape(" ".join(str(exc).split()))[:300]
    kind = type(exc).__qualname__ if type(exc).__module__ == "builtins" else f"{type(exc).__module__}.{type(exc).__qualname__}"
    return " <- ".join([f"{kind}: {message}", *reversed(frames[-(TRACEBACK_LINES - 1):])])


def report(title: str, failures: list[Failure], lines: list[str] = ()) -> str:  # type: ignore[assignment]
    """Failures grouped by page and error: how often, as whom, and a few of the URLs."""
    groups: dict[tuple[str, str, str], list[Failure]] = {}
    for f in failures:
        path = urlsplit(f.url).path
        try:
            where = resolve(path).view_name
        except Resolver404:
            where = path
        groups.setdefault((where, str(f.status), f.error), []).append(f)
    out = [f"{title}: {len(failures)} answers of 500 or more in {len(groups)} groups (page, status, error)", *lines]
    for (where, status, error), items in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        who = sorted({f.who for f in items})
        out.append(f"- {where} -> {status} ×{len(items)} as {', '.join(who)}")
        out.append(f"    {error}")
        for f in items[:3]:
            out.append(f"    e.g. GET {_short(f.url, 120)}")
    return "\n".join(out)


class LinkParser(HTMLParser):
    """``<a href>``, every ``hx-get``, and ``<form method=get>`` with its fields."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, bool]] = []  # (href, asked by htmx)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], False))
        if a.get("hx-get"):
            self.links.append((a["hx-get"], True))
        if tag == "form":
            if (a.get("method") or "get").lower() == "get":
                self._form = {"action": a.get("action", ""), "fields": [], "selects": [], "types": {}}
            else:
                self._form = None
        elif self._form is not None and a.get("name"):
            if tag == "input":
                kind = (a.get("type") or "text").lower()
                if kind in ("submit", "button", "image", "reset", "file"):
                    return
                if kind in ("checkbox", "radio"):
                    self._form["fields"].append((a["name"], a.get("value", "on"), "checked" in a))
                else:
                    self._form["fields"].append((a["name"], a.get("value", ""), True))
                if kind in ("date", "datetime-local", "month", "number"):
                    self._form["types"][a["name"]] = kind
            elif tag == "select":
                self._select = {"name": a["name"], "options": [], "selected": None}
            elif tag == "textarea":
                self._form["fields"].append((a["name"], "", True))
        if tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a:
                self._select["selected"] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._form is not None:
            s = self._select
            default = s["selected"] if s["selected"] is not None else (s["options"][0] if s["options"] else "")
            self._form["fields"].append((s["name"], default, True))
            self._form["selects"].append((s["name"], s["options"]))
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


class Crawler:
    """One logged-in client's crawl. ``failures`` collects, ``visits`` records what was reached."""

    def __init__(
        self, client: Client, who: str, *, max_requests: int = 400, max_objects: int = MAX_OBJECTS,
        max_per_name: int = MAX_PER_NAME, priority: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.max_objects = max_objects
        self.max_per_name = max_per_name
        # Paths (or whole URLs) the story needs seen: admitted whenever reached, past the bounds.
        self.priority = priority
        self.client.raise_request_exception = False
        self.who = who
        self.max_requests = max_requests
        self.requests = 0
        self.failures: list[Failure] = []
        self.visits: list[Visit] = []
        self.pages: dict[str, PageInfo] = {}  # URL name -> query keys its forms and links use
        self.first_url: dict[str, str] = {}  # URL name -> the first URL that answered 200
        self._seen: set[tuple[Any, ...]] = set()
        self._objects: dict[str, set[tuple[Any, ...]]] = {}
        self._per_name: Counter[str] = Counter()
        self._exceptions: list[BaseException] = []

    # -------------------------------------------------------------------------------- requests

    def _on_exception(self, sender: Any, request: Any = None, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None:
            self._exceptions.append(exc)

    def get(self, url: str, **headers: Any) -> HttpResponse | None:
        """GET ``url``; record a failure for a status of 500 or more or a download that breaks.

        Each request runs in a savepoint rolled back afterwards: a GET that failed in the database
        outside the request's own transaction (PostgreSQL then refuses every later query) or wrote
        something leaves nothing behind for the next one."""
        self.requests += 1
        self._exceptions.clear()
        sid = transaction.savepoint()  # None outside a transaction (a transactional test): nothing to undo
        try:
            return self._get(url, headers)
        finally:
            if sid is not None:
                transaction.savepoint_rollback(sid)
                # Back at the savepoint the transaction is sound, whatever the request left flagged.
                connection.needs_rollback = False

    def _get(self, url: str, headers: dict[str, Any]) -> HttpResponse | None:
        got_request_exception.connect(self._on_exception)
        try:
            response = self.client.get(url, **headers)
        except Exception as exc:  # noqa: BLE001 - anything that escapes the handler is a failure too
            self.failures.append(Failure(self.who, url, "raised", _digest(exc)))
            return None
        finally:
            got_request_exception.disconnect(self._on_exception)
        if response.status_code >= 500:
            # The first exception is the cause (a handler failing after it, say on an aborted
            # transaction, signals again).
            error = _digest(self._exceptions[0]) if self._exceptions else "(no exception: the view answered 5xx itself)"
            if len(self._exceptions) > 1:
                error += f" (then {len(self._exceptions) - 1} more: {_digest(self._exceptions[-1])[:120]})"
            self.failures.append(Failure(self.who, url, response.status_code, error))
        elif getattr(response, "streaming", False):
            # A download is generated while it is sent: read it all, as a browser would.
            try:
                response._crawled = b"".join(response.streaming_content)  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001
                self.failures.append(Failure(self.who, url, "200, broke while streaming", _digest(exc)))
        return response

    # ----------------------------------------------------------------------------------- crawl

    @staticmethod
    def normalize(base: str, href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            return None
        parts = urlsplit(urljoin("http://testserver" + base, href))
        if parts.netloc not in ("testserver", "") or parts.scheme not in ("http", "https", ""):
            return None
        if parts.path.startswith(SKIP_PREFIXES):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _admit(self, url: str, htmx: bool = False) -> str | None:
        """The URL's name when the bounds let it in (and mark it seen), else None."""
        parts = urlsplit(url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            return None
        name = match.view_name
        objects = tuple(sorted(match.kwargs.items()))
        query = tuple(sorted((k, "#" if re.fullmatch(r"-?\d+", v) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)))
        key = (name, objects, query, htmx)
        if key in self._seen:
            return None
        known = self._objects.setdefault(name, set())
        if parts.path not in self.priority and url not in self.priority and (
            self._per_name[name] >= self.max_per_name or (objects not in known and len(known) >= self.max_objects)
        ):
            return None
        known.add(objects)
        self._seen.add(key)
        self._per_name[name] += 1
        info = self.pages.setdefault(name, PageInfo())
        info.keys.update(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))
        return name

    def crawl(self, *starts: str) -> None:
        """Breadth-first from ``starts`` (the dashboard, and pages a user reaches only through a
        POST's redirect), GET only; links asked by htmx carry its header (they answer fragments)."""
        queue: deque[tuple[str, bool]] = deque((start, False) for start in starts or ("/",))
        while queue and self.requests < self.max_requests:
            url, htmx = queue.popleft()
            name = self._admit(url, htmx)
            if name is None:
                continue
            started = time.perf_counter()
            response = self.get(url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
            if response is None:
                continue
            content_type = response.get("Content-Type", "")
            self.visits.append(Visit(url, name, response.status_code, content_type, time.perf_counter() - started))
            if response.status_code in (301, 302, 303, 307, 308):
                target = self.normalize(url, response["Location"])
                if target:
                    queue.append((target, False))
                continue
            if response.status_code == 200 and not htmx:
                self.first_url.setdefault(name, url)
            if response.status_code != 200 or "text/html" not in content_type:
                continue
            parser = LinkParser()
            parser.feed(response.content.decode("utf-8", "replace"))
            for href, by_htmx in parser.links:
                target = self.normalize(url, href)
                if target:
                    queue.append((target, by_htmx))
            for form in parser.forms:
                action = self.normalize(url, form["action"] or url.split("?")[0])
                if not action:
                    continue
                action = action.split("?")[0]
                info = self.pages.setdefault(self._name_of(action) or name, PageInfo())
                info.keys.update(n for n, _, _ in form["fields"])
                info.types.update(form["types"])
                queue.append((action + "?" + urlencode([(n, v) for n, v, on in form["fields"] if on]), False))
                for select, options in form["selects"]:
                    for option in [o for o in options if o][:MAX_SELECT_OPTIONS]:
                        queue.append((action + "?" + urlencode({select: option}), False))

    @staticmethod
    def _name_of(path: str) -> str | None:
        try:
            return resolve(path).view_name
        except Resolver404:
            return None

    # ------------------------------------------------------------------------- hostile queries

    def list_pages(self) -> set[str]:
        """URL names of the lists reached: pages without path arguments whose forms or links
        carry a query string (filters, search, paging), and the exports that take the same."""
        return {name for name, url in self.first_url.items() if not resolve(url.split("?")[0]).kwargs and self.keys_of(name)}

    def keys_of(self, name: str) -> set[str]:
        """The query keys a page uses; an export (``x_export``) takes the filters of its list (``x_list``)."""
        keys = set(self.pages.get(name, PageInfo()).keys)
        if name.endswith("_export"):
            keys |= self.pages.get(name[: -len("_export")] + "_list", PageInfo()).keys
        return keys

    def hostile(self, asked: set[tuple[str, str]] | None = None) -> int:
        """GET each page reached (on its first URL) with hostile query strings: on a list the fixed
        ones, on every page each key its forms and links use set to NUL, to 10,000 characters and
        (by input type) to bad dates and numbers, and on an object's page an id past the integer
        range. ``asked``: (URL name, query) pairs asked already (by another role or organization),
        skipped, and the ones asked now are added. Returns the number of requests made."""
        asked = set() if asked is None else asked
        before = self.requests
        lists = self.list_pages()
        for name, url in sorted(self.first_url.items()):
            base = url.split("?")[0]
            queries = list(HOSTILE_QUERIES) if name in lists else []
            types = self.pages.get(name, PageInfo()).types
            for key in sorted(self.keys_of(name)):
                queries += [f"{quote(key)}=%00", f"{quote(key)}={LONG}"]
                queries += [f"{quote(key)}={quote(v)}" for v in BAD_VALUES.get(types.get(key, ""), ())]
            for query in dict.fromkeys(queries):  # once each (``q`` is in the fixed list and a form key)
                if (name, query) not in asked:
                    asked.add((name, query))
                    self.get(f"{base}?{query}")
            match = resolve(base)
            if any(isinstance(v, int) for v in match.kwargs.values()) and (name, "<id past bigint>") not in asked:
                # An id past the database's integer range is one that does not exist: 404.
                asked.add((name, "<id past bigint>"))
                self.get(reverse(name, kwargs={k: HUGE_ID if isinstance(v, int) else v for k, v in match.kwargs.items()}))
        return self.requests - before

    # ---------------------------------------------------------------------------------- report

    def reached(self) -> set[str]:
        return {v.name for v in self.visits}

    def reached_ok(self) -> set[str]:
        return {v.name for v in self.visits if v.status < 400}

    def visited_urls(self) -> set[str]:
        return {v.url.split("?")[0] for v in self.visits}

    def slowest(self, n: int = 8) -> str:
        per_name: Counter[str] = Counter()
        count: Counter[str] = Counter()
        for v in self.visits:
            per_name[v.name] += v.seconds
            count[v.name] += 1
        return ", ".join(f"{name} {secs:.1f}s/{count[name]}" for name, secs in per_name.most_common(n))

    def summary(self) -> str:
        statuses = Counter(v.status for v in self.visits)
        return f"{self.who}: {self.requests} requests, {len(self.reached())} URL names, statuses {dict(sorted(statuses.items()))}"
