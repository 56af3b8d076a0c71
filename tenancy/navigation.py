"""The side navigation: what each app registers in ``NAV`` from its ``AppConfig.ready()``.

Tenancy names no app: an app that is not built registers nothing, so the sidebar never shows a
placeholder. Contract of the two kinds of entry in ``NAV`` (keys unique across both):

* ``NavSection(key, label, order)``: a heading. Entries name it by key; a heading with no entry
  visible to the actor is not shown. Sections are listed by ``(order, key)``.
* ``NavEntry(key, label, url_name, section, order, visible)``: a link to a URL name without
  arguments. ``section`` is a ``NavSection`` key, or ``""`` for the links above every heading (the
  dashboard). Entries are listed by ``(order, key)`` within their section — never by the
  translated label, so the order is the same in every language.
* ``visible(actor) -> bool``: a policy predicate (the app's ``policies.py``, or a small function in
  the registering module) deciding from the actor alone — kind of organization, roles. It runs on
  every page, so it never queries. It says whom the link is offered to; the view still checks.
* An entry whose URL name does not resolve (its app's URLs are not mounted) is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from .context import Actor
from .registry import Registry


def members(actor: Actor) -> bool:
    """Every member of an organization, whatever its kind and roles."""
    return actor.is_member


def everyone(actor: Actor) -> bool:
    """Every signed-in user (the sidebar is drawn for signed-in users only)."""
    return True


@dataclass(frozen=True)
class NavSection:
    key: str
    label: str | Promise
    order: int = 100


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    url_name: str
    section: str = ""
    order: int = 100
    visible: Callable[[Actor], bool] = members


NAV: Registry[NavEntry | NavSection] = Registry(
    "navigation", doc="Sidebar sections and links, registered by each app; filtered by each entry's visible(actor)."
)


def nav_items(request: HttpRequest, actor: Actor) -> list[dict[str, Any]]:
    """The sidebar for ``actor``: ``{"section": label}`` headings, each followed by its links
    ``{"key", "label", "url", "active"}``; the links without a section come first."""
    registered = list(NAV)
    sections = [s for s in registered if isinstance(s, NavSection)]
    links: dict[str, list[dict[str, Any]]] = {}
    for entry in registered:
        if not isinstance(entry, NavEntry) or not entry.visible(actor):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # registered, but its app's URLs are not mounted
            continue
        active = path_is_under(request.path, url)
        links.setdefault(entry.section, []).append({"key": entry.key, "label": entry.label, "url": url, "active": active})
    items: list[dict[str, Any]] = list(links.get("", []))
    for section in sections:
        if links.get(section.key):
            items.append({"section": section.label, "key": section.key})
            items.extend(links[section.key])
    return items


def path_is_under(path: str, url: str) -> bool:
    """A link is active on its own page and the pages below it; the root only on itself."""
    return path == url if url == "/" else path.startswith(url)
