"""The API entry point: authentication by token, the scope per call, errors as 4xx with fields."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, viewsets
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .actors import SESSION_ORG_KEY, actor_for, actor_for_request_user
from .authentication import ApiTokenAuthentication, hash_key  # noqa: F401  (re-exported)
from .context import Actor
from .models import ApiToken
from .scoping import TenantWriteError, actor_scope


class IsMember(permissions.BasePermission):
    """Signed in and acting for an organization."""

    message = "需要登录并属于某个单位 / membership required"

    def has_permission(self, request: Request, view: APIView) -> bool:
        actor = getattr(request, "actor", None)
        return bool(actor and actor.is_member)


class ScopedAPIMixin:
    """Re-opens the tenant scope after DRF has authenticated the caller (token or session)."""

    permission_classes = [IsMember]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The scope opened in initial() is closed here, whatever happens inside the view.
        with ExitStack() as self._scope_stack:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        user = request.user  # triggers authentication
        actor: Actor | None = None
        if user is not None and user.is_authenticated:
            if isinstance(request.auth, ApiToken):
                actor = actor_for(user, request.auth.organization, via="api")
            else:
                actor = actor_for_request_user(user, request.session.get(SESSION_ORG_KEY), via="api")
        request.actor = request._request.actor = actor or Actor.public()
        self._scope_stack.enter_context(actor_scope(request.actor))
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def actor(self) -> Actor:
        return self.request.actor  # type: ignore[attr-defined]


class ScopedViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    pass


JSON_PARSE_ERROR = "JSON parse error - "  # rest_framework.parsers.JSONParser's prefix


def non_field_key(detail: Any) -> Any:
    """Django's key for an error of no field (``__all__``, a service's or a model's ``clean()``)
    under DRF's (``non_field_errors``), at every level: a client handles one key, not two."""
    if not isinstance(detail, dict):
        return detail
    renamed: dict[str, Any] = {}
    for key, value in detail.items():
        key = api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key
        value = non_field_key(value)
        if key in renamed and isinstance(renamed[key], list) and isinstance(value, list):
            renamed[key] = [*renamed[key], *value]
        else:
            renamed[key] = value
    return renamed


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """Domain errors become 4xx with field errors; not found and forbidden objects are both 404."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, ObjectDoesNotExist | Http404 | TenantWriteError):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith(JSON_PARSE_ERROR):
        # DRF's English "JSON parse error - …": say what is wrong in the UI's language, keep the
        # parser's position for the developer.
        reason = str(exc.detail).removeprefix(JSON_PARSE_ERROR)
        exc = exceptions.ParseError(_("请求体不是有效的 JSON（%(reason)s）。请求体应为一个 JSON 对象。") % {"reason": reason})
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = non_field_key(response.data)
    return response
