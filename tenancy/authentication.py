"""API token authentication (its own module: DRF imports it while loading its settings)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .models import ApiToken
from .scoping import system_scope


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <prefix>.<secret>``; the token binds the caller to one organization."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("令牌格式错误 / malformed token header")
        key = parts[1].decode(errors="replace")
        prefix = key.split(".", 1)[0]
        with system_scope():
            token = ApiToken.objects.filter(prefix=prefix).select_related("user", "organization__region").first()
            if token is None or not hmac.compare_digest(token.key_hash, hash_key(key)) or not token.is_usable:
                raise exceptions.AuthenticationFailed("令牌无效或已过期 / invalid or expired token")
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed("用户已停用 / user inactive")
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
