"""View guards: membership and roles. Object visibility is the scoped manager's job, not these."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def member_required(*roles: str, kinds: tuple[str, ...] = ()) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in, acting for an organization, holding one of ``roles`` (any role when empty)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = request.actor
            if not actor.is_member:
                raise PermissionDenied("no membership")
            if roles and not actor.has_role(*roles):
                raise PermissionDenied("role")
            if kinds and actor.organization_kind not in kinds:
                raise PermissionDenied("organization kind")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
