"""The due-item rules: a registry later apps (inspections, publication) fill from ``ready()``.

The engine knows no rule by name: it asks the registry which rules listen to an event, and each
rule says what to do. Contract of a ``Rule``:

* ``key`` ``"<app>.<name>"``; ``label`` what is due ("抽取结果报送备案"); ``order`` for lists.
* ``period`` + ``unit`` the default time limit: ``workdays`` (N working days after the anchor's
  date, the anchor day not counted), ``days`` (N calendar days after it) or ``days_before``
  (N calendar days before the anchor: an expiry). ``source`` the document and section it comes
  from, shown with every due date. Each organization may override all three (``RuleSetting``);
  with ``office_default`` an office may also set them for the departments of its region.
* ``target_type`` (``"app_label.model_name"``) the kind of object an item is about.
* ``events``: event name → actions, in order: ``"open"`` (open an item for the subject, or bring
  the open one up to date) and ``"close"`` (mark the subject's open item done). ``subject(event,
  obj, data)`` gives the object whose item the event concerns (default: ``obj``), a list of
  them, or ``None`` when the event does not concern this rule (a substitution's filing, for the
  draw's rule).
* ``should_open(subject)``: whether an item is due at all (an inspector without an expiry date:
  no); ``anchor(subject, event, obj)``: the datetime (or date) the period counts from (the
  event and its object say which: a returned filing counts from the return); ``None`` = no item.
  ``replace_when_moved``: when the anchor of an open item moves, the old obligation was met (a
  renewed certificate, a batch drawn) — it is marked done and a new item opened; otherwise the
  open item is brought up to date.
* ``responsible(subject)``: the ``Organization`` whose action it is (owns the item); ``roles``:
  which of its members act; ``escalate_to(subject)``: an organization told when it is overdue,
  besides the owner's leaders (the office, for filings), or ``None``.
* ``assignees(items)``, optional: when not every member with ``roles`` acts but named people do
  (the inspectors on a visit's team), ``{item id: [user]}`` for open items of this rule, read in
  the owner's scope each time someone is reminded or shown their own items — so it follows the
  people as they change. An item it leaves out falls back to ``roles``; an item's ``assignee``,
  when set, comes first.
* ``describe(subject)`` → (text, url name, url kwargs) for the item's target: how lists name it
  and where its link goes (the page where the action is taken).

Handlers run inside the emitting service's transaction: they read through the objects handed
to them and write only due items (deadlines.services).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from tenancy.context import Role
from tenancy.registry import Registry

from .models import Unit

OPEN = "open"
CLOSE = "close"


def _identity(event: str, obj: Any, data: Mapping[str, Any]) -> Any:
    return obj


def _always(subject: Any) -> bool:
    return True


def _nobody(subject: Any) -> Any:
    return None


@dataclass(frozen=True)
class Rule:
    key: str
    label: str | Promise
    target_type: str
    period: int
    unit: str
    source: str
    events: Mapping[str, tuple[str, ...]]
    responsible: Callable[[Any], Any]
    anchor: Callable[[Any, str, Any], dt.datetime | dt.date | None]
    describe: Callable[[Any], tuple[str, str, dict[str, Any]]]
    roles: tuple[str, ...] = (Role.PLANNER, Role.ADMIN)
    subject: Callable[[str, Any, Mapping[str, Any]], Any] = _identity
    should_open: Callable[[Any], bool] = _always
    escalate_to: Callable[[Any], Any] = _nobody
    assignees: Callable[[Sequence[Any]], Mapping[int, list[Any]]] | None = None
    office_default: bool = False
    replace_when_moved: bool = False
    order: int = 100
    # What the due date reads as in lists ("抽取后", "到期前"), before the period.
    counted_from: str | Promise = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.unit not in Unit.values:
            raise ValueError(f"rule {self.key}: unknown unit {self.unit!r}")
        for event, actions in self.events.items():
            if not set(actions) <= {OPEN, CLOSE}:
                raise ValueError(f"rule {self.key}: unknown action in {event}: {actions}")


RULES: Registry[Rule] = Registry("due-item rules", doc="Rules that open and close due items on domain events.")


def rules_for(event: str) -> list[Rule]:
    return RULES.filter(lambda rule: event in rule.events)


def events_listened() -> set[str]:
    return {event for rule in RULES for event in rule.events}
