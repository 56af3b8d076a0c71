"""The Celery entry point: tasks take ids, rebuild the actor and re-open its scope."""

from __future__ import annotations

from typing import Any

from celery import Task

from .actors import actor_for
from .context import Actor
from .models import Organization, User
from .scoping import actor_scope, system_scope


def actor_ref(actor: Actor) -> dict[str, Any]:
    """What a task needs to rebuild the actor: ids only (tasks never carry tenant data)."""
    return {"user_id": actor.user_id, "organization_id": actor.organization_id, "via": actor.via}


class TenantTask(Task):
    """Base class of every task on tenant data. Call with ``actor=actor_ref(actor)`` as a kwarg;
    the task body receives the rebuilt ``Actor`` as ``actor`` and runs inside its scope."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ref = kwargs.pop("actor")
        with system_scope():
            organization = Organization.objects.select_related("region").get(pk=ref["organization_id"])
            user = User.objects.filter(pk=ref.get("user_id")).first() if ref.get("user_id") else None
        actor = actor_for(user, organization, via=ref.get("via") or "task")
        with actor_scope(actor):
            return super().__call__(*args, actor=actor, **kwargs)
