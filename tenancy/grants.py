"""Object grants: one user may do one thing to one row (an inspector on the inspection they carry out).

Roles (``Membership``) say what a user may do across their organization; a grant narrows it to
named rows. Grants are stored by django-guardian (``UserObjectPermission``: user, permission,
content type, object id) and read only through this module, so they obey tenancy:

* a grant never crosses tenants. ``grant`` refuses (``CrossTenantGrant``) an object the granting
  actor does not see, or one no organization of the grantee sees (a 县市场监管局 inspector on an
  inspection of another county); reads keep the actor's scope as the outer filter, so a grant
  left on a row that has since moved out of the actor's sight grants nothing;
* ``has_grant`` answers for one object in one query; ``objects_granted`` filters a queryset to the
  granted rows in the same query (a subquery, never a check per row); ``grant_many`` grants many
  (user, row) pairs in a handful of queries however many they are;
* only users hold grants: the public never does (``ANONYMOUS_USER_NAME = None``), nor the
  system actor, and a superuser gets no implicit grant;
* ``grant`` and ``revoke`` write the audit log on the object.

The permission is a model permission of the object's model, ``"app_label.codename"`` or the bare
codename (``"inspections.change_inspection"``, ``"change_inspection"``): Django's default
``view_``/``change_``/… or one declared in the model's ``Meta.permissions``.

Policies combine the two: ``acts_for(actor, obj.organization_id) and holds(actor, Role.LEADER)
or has_grant(actor, "inspections.change_inspection", obj)`` (``tenancy/policies.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from guardian.models import UserObjectPermission

from . import audit
from .actors import actor_for, memberships_of
from .context import Actor
from .models import User
from .scoping import ScopedModel, TenantWriteError, current_actor


class CrossTenantGrant(TenantWriteError):
    """A grant on a row outside the granting actor's or the grantee's organizations."""


def grant(user: User, perm: str, obj: ScopedModel, *, actor: Actor | None = None) -> bool:
    """Let ``user`` do ``perm`` on ``obj``; ``actor`` (default: the active scope's) grants it.

    Returns whether a grant was added (``False``: the user held it already). Raises
    ``CrossTenantGrant`` when ``actor`` or ``user`` cannot see ``obj``.
    """
    actor = _granting_actor(actor)
    permission = _permission(perm, obj)
    if not _visible_to_any(obj, [actor]):
        raise CrossTenantGrant(f"{actor.organization_name} cannot grant on {_label(obj)}: not in its scope")
    if not _visible_to_any(obj, _actors_of(user)):
        raise CrossTenantGrant(f"{user.username} belongs to no organization that sees {_label(obj)}")
    _, created = UserObjectPermission.objects.get_or_create(
        user=user, permission=permission, content_type=permission.content_type, object_pk=str(obj.pk)
    )
    if created:
        changes = _change(user, permission.content_type, permission.codename, granted=True)
        audit.record(actor=actor, action="grant", target=obj, changes=changes)
    return created


def grant_many(perm: str, pairs: Iterable[tuple[User, ScopedModel]], *, actor: Actor | None = None) -> int:
    """``grant`` for many (user, row) pairs of one model at once — the team of every inspection of a
    draw: a visibility query for the actor, one per distinct user, one read of the grants held
    already, one insert and one audit write. All or nothing: ``CrossTenantGrant`` if any pair
    would cross tenants. Returns how many grants were added."""
    actor = _granting_actor(actor)
    wanted = list({(user.pk, obj.pk): (user, obj) for user, obj in pairs}.values())
    if not wanted:
        return 0
    model = type(wanted[0][1])
    if not issubclass(model, ScopedModel) or any(type(obj) is not model or obj.pk is None for _, obj in wanted):
        raise TypeError("grant_many grants on saved tenant rows of one model")
    permission = _permission(perm, wanted[0][1])
    unseen = _not_visible(model, {obj.pk for _, obj in wanted}, [actor])
    if unseen:
        raise CrossTenantGrant(f"{actor.organization_name} cannot grant on {model._meta.label} {sorted(unseen)}")
    by_user: dict[int, tuple[User, set[Any]]] = {}
    for user, obj in wanted:
        by_user.setdefault(user.pk, (user, set()))[1].add(obj.pk)
    for user, pks in by_user.values():
        unseen = _not_visible(model, pks, _actors_of(user))
        if unseen:
            raise CrossTenantGrant(f"{user.username} belongs to no organization that sees {model._meta.label} {sorted(unseen)}")
    held = set(
        UserObjectPermission.objects.filter(
            permission=permission, content_type=permission.content_type, user_id__in=list(by_user),
            object_pk__in=list({str(obj.pk) for _, obj in wanted}),
        ).values_list("user_id", "object_pk")
    )
    new = [(user, obj) for user, obj in wanted if (user.pk, str(obj.pk)) not in held]
    UserObjectPermission.objects.bulk_create(
        [UserObjectPermission(user=user, permission=permission, content_type=permission.content_type, object_pk=str(obj.pk))
         for user, obj in new]
    )
    audit.record_many(actor=actor, entries=[
        audit.new_entry(actor=actor, action="grant", target=obj,
                        changes=_change(user, permission.content_type, permission.codename, granted=True))
        for user, obj in new
    ])
    return len(new)


def revoke(user: User, perm: str, obj: ScopedModel, *, actor: Actor | None = None) -> bool:
    """Take ``perm`` on ``obj`` back from ``user``; returns whether they held it.

    Refused (``CrossTenantGrant``) when ``actor`` does not see ``obj``: only an organization that
    sees a row manages who holds grants on it.
    """
    actor = _granting_actor(actor)
    content_type, codename = _codename(perm, type(obj))
    if not _visible_to_any(obj, [actor]):
        raise CrossTenantGrant(f"{actor.organization_name} cannot revoke on {_label(obj)}: not in its scope")
    deleted, _ = UserObjectPermission.objects.filter(
        user=user, content_type=content_type, permission__codename=codename, object_pk=str(obj.pk)
    ).delete()
    if deleted:
        audit.record(actor=actor, action="grant_revoke", target=obj, changes=_change(user, content_type, codename, granted=False))
    return bool(deleted)


def has_grant(user_or_actor: User | Actor, perm: str, obj: ScopedModel) -> bool:
    """Whether the user holds ``perm`` on ``obj``, within a tenant scope (one query).

    Given an ``Actor``, the scope is the actor's own (no active scope needed); given a ``User``,
    the active scope's (``ScopeError`` outside one), as every scoped read.
    """
    model = type(obj)
    if isinstance(user_or_actor, Actor):
        actor = user_or_actor
        if actor.is_public or actor.user_id is None:
            return False
        rows = model._base_manager.filter(model.scope_q(actor))
        user_id = actor.user_id
    else:
        if not user_or_actor.is_active:
            return False
        rows = model.objects.all()
        user_id = user_or_actor.pk
    return rows.filter(pk=obj.pk, pk__in=_granted_pks(user_id, perm, model)).exists()


def objects_granted(actor: Actor, perm: str, queryset: models.QuerySet) -> models.QuerySet:
    """The rows of ``queryset`` (a scoped queryset: the outer filter) on which ``actor``'s user
    holds ``perm``: one query with the grants as a subquery. Nothing for the public and the system."""
    if actor.is_public or actor.user_id is None:
        return queryset.none()
    return queryset.filter(pk__in=_granted_pks(actor.user_id, perm, queryset.model))


def holders(perm: str, obj: ScopedModel) -> models.QuerySet:
    """The users who hold ``perm`` on ``obj`` (to list who may act on it)."""
    content_type, codename = _codename(perm, type(obj))
    granted = UserObjectPermission.objects.filter(
        content_type=content_type, permission__codename=codename, object_pk=str(obj.pk)
    ).values("user_id")
    return User.objects.filter(pk__in=granted, is_active=True)


# --------------------------------------------------------------------------- internals


def _granting_actor(actor: Actor | None) -> Actor:
    actor = actor or current_actor()
    if actor is None or not actor.is_member:
        raise CrossTenantGrant("only a member acting for an organization grants or revokes")
    return actor


def _codename(perm: str, model: type[models.Model]) -> tuple[ContentType, str]:
    """The content type and codename of ``perm``, checked against the permissions Django creates
    for ``model`` (its default ones and ``Meta.permissions``) without a query: a misspelt or
    foreign permission is a ``ValueError``, not a silent refusal."""
    opts = model._meta.concrete_model._meta
    app_label, _, codename = perm.rpartition(".")
    known = {f"{action}_{opts.model_name}" for action in opts.default_permissions}
    known.update(name for name, _label in opts.permissions)
    if (app_label and app_label != opts.app_label) or codename not in known:
        raise ValueError(f"{perm!r} is not a permission of {opts.label}")
    return ContentType.objects.get_for_model(model), codename


def _permission(perm: str, obj: models.Model) -> Permission:
    content_type, codename = _codename(perm, type(obj))
    return Permission.objects.select_related("content_type").get(content_type=content_type, codename=codename)


def _granted_pks(user_id: int, perm: str, model: type[models.Model]) -> models.QuerySet:
    """The ids of ``model``'s rows granted to ``user_id`` as a subquery, cast to the primary key's
    type (guardian stores them as text) so the outer query compares keys with keys."""
    content_type, codename = _codename(perm, model)
    pk_field = model._meta.pk
    if pk_field.is_relation:  # a child of multi-table inheritance: its key is the parent's
        pk_field = pk_field.target_field
    internal = pk_field.get_internal_type()
    if internal in {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"}:
        object_pk: Any = Cast("object_pk", output_field=models.BigIntegerField())
    elif internal == "UUIDField":
        object_pk = Cast("object_pk", output_field=models.UUIDField())
    else:
        object_pk = models.F("object_pk")
    return (
        UserObjectPermission.objects.filter(
            user_id=user_id, content_type=content_type, permission__content_type=content_type, permission__codename=codename
        )
        .annotate(granted_pk=object_pk)
        .values("granted_pk")
    )


def _actors_of(user: User) -> list[Actor]:
    if not user.is_active:
        return []
    return [actor_for(user, m.organization, roles=m.roles) for m in memberships_of(user)]


def _not_visible(model: type[ScopedModel], pks: set[Any], actors: list[Actor]) -> set[Any]:
    """Which of ``pks`` no actor of ``actors`` sees (one query)."""
    if not actors:
        return set(pks)
    seen = Q()
    for actor in actors:
        seen |= model.scope_q(actor)
    return set(pks) - set(model._base_manager.filter(seen, pk__in=list(pks)).values_list("pk", flat=True))


def _visible_to_any(obj: ScopedModel, actors: list[Actor]) -> bool:
    if not isinstance(obj, ScopedModel) or obj.pk is None:
        raise TypeError(f"grants are on saved tenant rows, not {obj!r}")
    if not actors:
        return False
    model = type(obj)
    seen = Q()
    for actor in actors:
        seen |= model.scope_q(actor)
    return model._base_manager.filter(seen, pk=obj.pk).exists()


def _label(obj: models.Model) -> str:
    return f"{obj._meta.label} {obj.pk}"


def _change(user: User, content_type: ContentType, codename: str, *, granted: bool) -> dict[str, list[Any]]:
    perm = f"{content_type.app_label}.{codename}"
    value = {"user": user.pk, "username": user.username, "permission": perm}
    return {"grant": [None, value] if granted else [value, None]}
