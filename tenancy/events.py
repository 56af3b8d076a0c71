"""Domain events: how a later app learns that an earlier app's object changed, without the earlier
app importing it (sampling never imports deadlines; deadlines subscribes to sampling's events).

Contract:

* The emitting app **declares** the events it emits, once, from its ``AppConfig.ready()``:
  ``declare("sampling", sampling.events.EVENTS)`` where ``EVENTS`` is a documented tuple of
  ``(name, description)`` pairs in ``<app>/events.py``. Names are ``"<app>.<object>.<verb>"``.
* A later app **subscribes** from its ``ready()``:
  ``HANDLERS.register(EventHandler(key="deadlines.rules", event="sampling.draw.completed", handler=f))``.
  A test checks that every handler subscribes to a declared event.
* A service **emits** inside its own transaction, after the change is saved:
  ``emit("sampling.draw.completed", actor=actor, obj=draw)``. Every handler of the event runs at
  once, synchronously, in the caller's transaction and scope: a service that rolls back takes
  what the handlers wrote with it, and a handler that raises rolls the service back.
  ``handler(event=..., actor=..., obj=..., **data)``; its return value is ignored.

Emitting an undeclared event is a programming error (ValueError), so a misspelt name fails in
the first test that reaches it instead of silently reaching nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .context import Actor
from .registry import Registry


@dataclass(frozen=True)
class EventHandler:
    """``handler`` runs on every ``emit`` of ``event``; ``key`` is ``"<app>.<name>"`` (unique per event)."""

    key: str
    event: str
    handler: Callable[..., Any]
    order: int = 100


# Keyed by "<event> <handler key>" so that one app may subscribe the same function to many events.
HANDLERS: Registry[EventHandler] = Registry(
    "events", doc="Handlers of domain events, run synchronously inside the emitting service's transaction."
)
# event name -> (emitting app, description)
_DECLARED: dict[str, tuple[str, str]] = {}


def declare(app_label: str, events: Iterable[tuple[str, str]]) -> None:
    """Declare the events ``app_label`` emits (from its ``ready()``)."""
    for name, description in events:
        if not name.startswith(f"{app_label}."):
            raise ValueError(f"{app_label} may only declare its own events, not {name!r}")
        existing = _DECLARED.get(name)
        if existing is not None and existing != (app_label, description):
            raise ValueError(f"event {name!r} is declared twice")
        _DECLARED[name] = (app_label, description)


def declared() -> dict[str, tuple[str, str]]:
    return dict(_DECLARED)


def subscribe(*, key: str, events: Iterable[str], handler: Callable[..., Any], order: int = 100) -> None:
    """Register ``handler`` for each of ``events`` under ``key``."""
    for event in events:
        HANDLERS.register(EventHandler(key=f"{event} {key}", event=event, handler=handler, order=order))


def handlers_of(event: str) -> list[EventHandler]:
    return HANDLERS.filter(lambda h: h.event == event)


def emit(event: str, *, actor: Actor, obj: Any, **data: Any) -> None:
    """Run every handler of ``event`` now, in the caller's transaction and scope."""
    if event not in _DECLARED:
        raise ValueError(f"event {event!r} was never declared (tenancy.events.declare)")
    for entry in handlers_of(event):
        entry.handler(event=event, actor=actor, obj=obj, **data)
