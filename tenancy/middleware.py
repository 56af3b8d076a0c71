"""The staff entry point: every request runs inside exactly one tenant scope."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .actors import SESSION_ORG_KEY, actor_for_request_user, memberships_of
from .context import Actor
from .scoping import actor_scope


class TenantScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor: Actor | None = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.memberships = memberships_of(user)
            actor = actor_for_request_user(
                user, request.session.get(SESSION_ORG_KEY), memberships=request.memberships
            )
        else:
            request.memberships = []
        # A signed-in user without any membership sees only what the public sees.
        request.actor = actor or Actor.public()
        with actor_scope(request.actor):
            return self.get_response(request)
