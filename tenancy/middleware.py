"""The staff entry point: every request runs inside exactly one tenant scope; and a URL holding
a NUL is refused before any view can hand it to the database."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

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


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class RefuseNulMiddleware:
    """A NUL (``%00``) in the path or in any query parameter is a 400 before the view runs.

    PostgreSQL refuses NUL in text, so a view that filtered on ``?q=%00`` or looked up
    ``/entities/%00/`` answered 500. Form and serializer fields refuse it themselves (as every
    control character, tenancy/validators.py); this covers what views read from the URL.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            message = _("请求地址或查询参数中含有空字符（NUL），已拒绝。请检查链接或输入后重试。")
            if is_api_request(request):
                return JsonResponse({"detail": message}, status=400)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
