"""Who may: the one surface every app's ``policies.py`` builds on.

A policy is a pure predicate over an actor and, for object rules, one object: it reads the
actor's roles and organization and the object's fields (a relation at most), never the request.
Each app declares its predicates in ``<app>/policies.py`` with :func:`policy`, which also files
them in ``POLICIES`` under a key (``"sampling.run_ceremony"``) with the message a refusal shows.

* services call :func:`ensure` — so a view, the API, a Celery task and a command meet the same
  rule — which raises ``PermissionDenied`` with that message;
* views call the predicate to decide what to offer; templates ask ``{% allowed "key" obj as x %}``
  (``tenancy/templatetags/policies.py``); the leak matrix reads the same predicates.

Scoping is not a policy: an object of another tenant is not found (404) before any policy runs.
A policy answers, for a visible object, whether this actor may act on it (403 when not).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .context import Actor, Role
from .registry import Registry

Predicate = Callable[..., bool]
P = TypeVar("P", bound=Predicate)


@dataclass(frozen=True)
class Policy:
    """``check(actor)`` or ``check(actor, obj)``; ``message`` is what a refusal says."""

    key: str
    check: Predicate
    message: str | Promise
    order: int = 100


POLICIES: Registry[Policy] = Registry("policies", doc="Every app's who-may predicates, by key.")
_BY_FUNCTION: dict[Predicate, Policy] = {}


def policy(key: str, message: str | Promise) -> Callable[[P], P]:
    """Declare the decorated predicate as the policy ``key`` (its refusal says ``message``)."""

    def register(fn: P) -> P:
        entry = POLICIES.register(Policy(key=key, check=fn, message=message))
        _BY_FUNCTION[fn] = entry
        return fn

    return register


def allowed(key: str, actor: Actor, obj: Any = None) -> bool:
    """Whether the policy ``key`` lets ``actor`` act (on ``obj``, for object rules)."""
    check = POLICIES.get(key).check
    return bool(check(actor) if obj is None else check(actor, obj))


def ensure(predicate: Predicate, actor: Actor, obj: Any = None, *, message: str | Promise | None = None) -> None:
    """Raise ``PermissionDenied`` (with the policy's message) unless ``predicate`` allows it."""
    ok = predicate(actor) if obj is None else predicate(actor, obj)
    if not ok:
        registered = _BY_FUNCTION.get(predicate)
        raise PermissionDenied(str(message or (registered.message if registered else "无权执行此操作")))


# --------------------------------------------------------------------------- building blocks

# The roles that write an organization's registers, plans and draws (what "staff" means here).
WRITERS = (Role.PLANNER, Role.ADMIN)


def acts_for(actor: Actor, organization_id: int | None) -> bool:
    """``actor`` is a member acting for ``organization_id`` (the object's owner, say)."""
    return actor.is_member and organization_id is not None and actor.organization_id == organization_id


def holds(actor: Actor, *roles: str) -> bool:
    """``actor`` holds one of ``roles`` in the organization it acts for."""
    return actor.has_role(*roles)


# --------------------------------------------------------------------------- tenancy's own rules


@policy("tenancy.read_audit_log", _("只有管理员或分管领导可以查看审计日志。"))
def can_read_audit_log(actor: Actor) -> bool:
    return holds(actor, Role.ADMIN, Role.LEADER)
