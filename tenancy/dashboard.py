"""What apps show on the dashboard: cards (counts, computed with the page) and panels (lists,
each loaded by a request of its own).

Contract of a ``DashboardCards`` entry of ``DASHBOARD_CARDS`` (registered from the app's ``ready()``):

* ``key`` ``"<app>"`` or ``"<app>.<name>"``; ``order`` places the app's cards among the others'.
* ``provider(actor=actor)`` returns the app's cards for a member, in order (an empty list when it
  has none for this actor): dicts ``{"key", "label", "value", "url"}`` with optional ``"state"``
  (``ok``/``warn``/``bad``) and ``"note"``; ``key`` is unique on the page (``data-testid``). It
  runs inside the actor's scope on every dashboard view: counts through the scoped managers, a
  few queries, never a list.

A panel is a list (what is due this week, a joint task's progress) too costly for every page view. The dashboard
renders each visible panel as a placeholder that fetches its URL once the page has loaded
(``hx-get`` + ``hx-trigger="load"``), so the page itself stays fast and a slow panel delays
nobody but itself (pretix's lazily loaded widgets).

Contract of a ``DashboardPanel`` (registered from the app's ``ready()``):

* ``key`` ``"<app>.<name>"``; ``title`` shown while the panel loads; ``order`` on the page.
* ``url_name``: a GET view without arguments that answers the panel's HTML fragment (its own
  heading included) for ``request.actor``, through the scoped managers like any page — so it is
  tenant-scoped and joins the leak matrix.
* ``visible(actor)``: whether the panel is shown to this actor at all. It runs on every
  dashboard view: decide from the actor alone (kind, roles), never by querying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from .context import Actor
from .registry import Registry


def _members(actor: Actor) -> bool:
    return actor.is_member


@dataclass(frozen=True)
class DashboardPanel:
    key: str
    title: str | Promise
    url_name: str
    visible: Callable[[Actor], bool] = _members
    order: int = 100


PANELS: Registry[DashboardPanel] = Registry(
    "dashboard panels", doc="Lists on the dashboard, each loaded lazily from its own tenant-scoped URL."
)


@dataclass(frozen=True)
class DashboardCards:
    key: str
    provider: Callable[..., list[dict[str, Any]]]
    order: int = 100


DASHBOARD_CARDS: Registry[DashboardCards] = Registry(
    "dashboard cards", doc="Each app's counts on the dashboard, computed with the page by provider(actor=actor)."
)


def cards_for(actor: Actor) -> list[dict[str, Any]]:
    """Every registered provider's cards for ``actor``, providers in order."""
    if not actor.is_member:
        return []
    cards: list[dict[str, Any]] = []
    for entry in DASHBOARD_CARDS:
        cards.extend(entry.provider(actor=actor))
    return cards


def panels_for(actor: Actor) -> list[dict[str, Any]]:
    """The panels ``actor`` sees, in order: key, title and the URL the placeholder loads."""
    if not actor.is_member:
        return []
    shown: list[dict[str, Any]] = []
    for panel in PANELS:
        if not panel.visible(actor):
            continue
        try:
            url = reverse(panel.url_name)
        except NoReverseMatch:  # an app registered a panel but its URLs are not mounted
            continue
        shown.append({"key": panel.key.replace(".", "-"), "title": panel.title, "url": url})
    return shown
