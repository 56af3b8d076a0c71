"""State changes of tenancy data. Keyword-only, typed, atomic, audited."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import audit
from .actors import SESSION_ORG_KEY, memberships_of
from .authentication import hash_key
from .context import Actor, Role
from .models import ApiToken, Membership, User


def organization_switch(*, session: dict, user: User, organization_id: int) -> bool:
    """Make ``organization_id`` the active organization, if the user is a member of it."""
    if any(m.organization_id == organization_id for m in memberships_of(user)):
        session[SESSION_ORG_KEY] = organization_id
        return True
    return False


@transaction.atomic
def membership_set_roles(*, actor: Actor, membership: Membership, roles: set[str]) -> Membership:
    if not actor.has_role(Role.ADMIN):
        raise ValidationError("只有管理员可以设置角色")
    unknown = roles - set(Role.ALL)
    if unknown:
        raise ValidationError({"roles": f"未知角色：{', '.join(sorted(unknown))}"})
    before = audit.snapshot(membership)
    for role in Role.ALL:
        setattr(membership, f"is_{role}", role in roles)
    membership.save()
    audit.record_update(actor=actor, obj=membership, before=before)
    return membership


@transaction.atomic
def api_token_create(*, actor: Actor, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` in the actor's organization. Returns the key, shown only once."""
    if not actor.has_role(Role.ADMIN):
        raise ValidationError("只有管理员可以签发接口令牌")
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    token = ApiToken(user=user, name=name, prefix=prefix, key_hash=hash_key(key), expires_at=expires_at)
    token.set_tenant(actor)
    token.save()
    audit.record(actor=actor, action="create", target=token, changes={"name": [None, name]})
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    before = audit.snapshot(token, ["revoked_at"])
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit.record_update(actor=actor, obj=token, before=before, action="revoke")
    return token


def user_get_or_create(*, username: str, display_name: str, password: str) -> User:
    """Set-up helper for seed and admin commands (users are global; memberships carry the tenant)."""
    model = get_user_model()
    user, created = model.objects.get_or_create(username=username, defaults={"display_name": display_name})
    if created:
        user.set_password(password)
        user.save()
    return user
