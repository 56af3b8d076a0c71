from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .context import Actor
from .navigation import nav_items


def tenant(request: HttpRequest) -> dict[str, Any]:
    actor: Actor = getattr(request, "actor", None) or Actor.public()
    user = getattr(request, "user", None)
    return {
        "actor": actor,
        "memberships": getattr(request, "memberships", []),
        "nav_items": nav_items(request, actor) if user is not None and user.is_authenticated else [],
    }
