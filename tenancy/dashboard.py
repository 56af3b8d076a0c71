"""What apps show on the dashboard: leads (a member's own work, first), cards (counts, computed
with the page) and panels (lists, each loaded by a request of its own).

Contract of a ``DashboardLead`` of ``LEADS`` (registered from the app's ``ready()``): the first
thing a member whose work it is sees (an inspector's 我的检查), before the counts.

* ``key`` ``"<app>.<name>"``; ``order`` among the leads; ``template`` renders ``lead`` (the
  provider's context), its own heading and testids included.
* ``provider(actor=actor)`` returns that context, or ``None`` when the actor has no such work;
  it runs with the page inside the actor's scope: a few queries, bounded by the actor's own work.
* ``replaces_cards(actor)``: the lead is this member's whole work (an inspector and nothing
  more), so the organization's counts — registry statistics, plans, filings — are left out for
  them, their providers not even run. Decide from the actor alone (kind, roles).

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


def _nobody(actor: Actor) -> bool:
    return False


@dataclass(frozen=True)
class DashboardLead:
    key: str
    template: str
    provider: Callable[..., dict[str, Any] | None]
    replaces_cards: Callable[[Actor], bool] = _nobody
    order: int = 100


LEADS: Registry[DashboardLead] = Registry(
    "dashboard leads", doc="A member's own work, first on the dashboard (before the counts)."
)


@dataclass(frozen=True)
class DashboardCards:
    key: str
    provider: Callable[..., list[dict[str, Any]]]
    order: int = 100


DASHBOARD_CARDS: Registry[DashboardCards] = Registry(
    "dashboard cards", doc="Each app's counts on the dashboard, computed with the page by provider(actor=actor)."
)


def leads_for(actor: Actor) -> tuple[list[dict[str, Any]], bool]:
    """The leads shown to ``actor``, in order (key, template, context), and whether one of them
    stands in for the counts."""
    if not actor.is_member:
        return [], False
    shown: list[dict[str, Any]] = []
    replaces = False
    for lead in LEADS:
        context = lead.provider(actor=actor)
        if context is None:
            continue
        shown.append({"key": lead.key.replace(".", "-"), "template": lead.template, "context": context})
        replaces = replaces or lead.replaces_cards(actor)
    return shown, replaces


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
