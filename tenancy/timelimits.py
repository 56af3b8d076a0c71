"""Time limits an earlier app needs to know without importing the app that computes them.

sampling stamps a filing with its deadline (``Filing.due_at``); the deadline is the deadlines
engine's (working days on China's calendar, the organization's own period). deadlines registers
a ``TimeLimit`` for the rule from its ``ready()``; sampling asks ``due_at(...)`` and falls back to
its own default when nothing is registered (the app not installed).

Contract of ``TimeLimit.due_at(*, actor, obj, start)``: the aware datetime by which the action
on ``obj`` that started at ``start`` is due, for the organization ``actor`` acts for (the end of
the due day, local time), or ``None`` when the rule is switched off for it. It reads through the
actor's scope and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .context import Actor
from .registry import Registry


@dataclass(frozen=True)
class TimeLimit:
    key: str  # the rule's key, e.g. "sampling.filing"
    due_at: Callable[..., dt.datetime | None]
    describe: Callable[..., str] = lambda *, actor: ""
    order: int = 100


TIME_LIMITS: Registry[TimeLimit] = Registry("time limits", doc="Deadlines computed by a later app, by rule key.")


def due_at(key: str, *, actor: Actor, obj: Any, start: dt.datetime, default: dt.timedelta) -> dt.datetime:
    """The registered deadline of ``key``, else ``start + default`` (calendar time)."""
    if key in TIME_LIMITS:
        value = TIME_LIMITS.get(key).due_at(actor=actor, obj=obj, start=start)
        if value is not None:
            return value
    return start + default


def describe(key: str, *, actor: Actor, default: str) -> str:
    """How the limit reads for ``actor``'s organization ("抽取后 2 个工作日内"), else ``default``."""
    if key in TIME_LIMITS:
        return TIME_LIMITS.get(key).describe(actor=actor) or default
    return default
