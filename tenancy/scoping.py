"""Scoped managers, the tenant model bases, the write guard, and the scope entry points.

This module is the only place (with the entry points in ``tenancy/``) that opens scopes. Every
tenant model's default manager filters by the active ``Actor``; a query with no active scope
raises ``ScopeError`` (django-scopes). Writes are checked by a ``pre_save``/``pre_delete`` guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from django.db import models
from django.db.models import Q
from django.db.models.signals import pre_delete, pre_save
from django_scopes import get_scope, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet

from .context import Actor

SCOPE_DIMENSION = "tenant"


class TenantWriteError(PermissionError):
    """A row was about to be written outside the active tenant scope."""


def current_actor() -> Actor | None:
    """The actor of the active scope, or ``None`` when no scope (or a disabled scope) is active."""
    return get_scope().get(SCOPE_DIMENSION)


def scoping_disabled() -> bool:
    return not get_scope().get("_enabled", True)


@contextmanager
def actor_scope(actor: Actor) -> Iterator[Actor]:
    """Open the tenant scope of ``actor``. Only entry points in ``tenancy/`` call this."""
    with scope(**{SCOPE_DIMENSION: actor}):
        yield actor


@contextmanager
def region_tally_scope(actor: Actor) -> Iterator[Actor]:
    """Read every organization of the actor's region subtree, for the rules that count across
    departments (at most 2 inspections per firm per year by anyone: 曲阳 §17). Callers aggregate
    (a count per entity) and never hand the rows on: it widens what is counted, not what is shown."""
    from .models import Organization  # here: tenancy.models imports this module

    with system_scope():
        orgs = frozenset(Organization.objects.filter(region_id__in=actor.visible_region_ids).values_list("id", flat=True))
    widened = replace(actor, visible_org_ids=actor.visible_org_ids | orgs, organization_kind="office")
    with scope(**{SCOPE_DIMENSION: widened}):
        yield widened


@contextmanager
def system_scope() -> Iterator[None]:
    """Unscoped access, for tenancy internals, migrations and system commands (seed, bulk loads)."""
    with scopes_disabled():
        yield


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """The default manager of every scoped model: rows visible to the active actor, else ScopeError."""

    def get_queryset(self) -> models.QuerySet:
        current = get_scope()
        if not current.get("_enabled", True):
            return super().get_queryset()
        actor = current.get(SCOPE_DIMENSION)
        if actor is None:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes=[SCOPE_DIMENSION])
        rule = self.model.public_q() if actor.is_public else self.model.scope_q(actor)
        return super().get_queryset().filter(rule)


class ScopedModel(models.Model):
    """Base of every model whose rows belong to a tenant. Subclasses say who sees and who writes."""

    objects = TenantManager()

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        raise NotImplementedError

    @classmethod
    def public_q(cls) -> Q:
        """What the public sees: nothing, unless a model publishes (publication issue)."""
        return Q(pk__in=[])

    def writable_by(self, actor: Actor) -> bool:
        raise NotImplementedError


class TenantModel(ScopedModel):
    """A row owned by one organization; its region is copied for region-wide reads."""

    # Tenant columns are set by services from the actor (never from input) and checked by the
    # write guard; organizations and regions are never deleted (PROTECT, checked by Django). A
    # database foreign key would add nothing but a check per inserted row — four of the nine an
    # imported entity costs, two of the five of a drawn target — so there is none.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="所属单位", db_constraint=False
    )
    region = models.ForeignKey(
        "tenancy.Region", on_delete=models.PROTECT, related_name="+", verbose_name="行政区划", db_constraint=False
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return Q(organization_id__in=actor.visible_org_ids)

    def writable_by(self, actor: Actor) -> bool:
        return actor.is_member and self.organization_id == actor.organization_id

    def set_tenant(self, actor: Actor) -> None:
        """Services set tenant columns from the actor, never from input."""
        self.organization_id = actor.organization_id
        self.region_id = actor.region_id


class RegionSharedModel(ScopedModel):
    """A row shared by every organization of a region (the entity registry: one entity, many
    departments). ``organization`` records who created it; visibility is by region."""

    # No database foreign keys on the tenant columns: see TenantModel.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="创建单位", db_constraint=False
    )
    region = models.ForeignKey(
        "tenancy.Region", on_delete=models.PROTECT, related_name="+", verbose_name="行政区划", db_constraint=False
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return Q(region_id__in=actor.visible_region_ids)

    def writable_by(self, actor: Actor) -> bool:
        return actor.is_member and self.region_id in actor.visible_region_ids


def assert_writable(actor: Actor, rows: Iterable[ScopedModel]) -> None:
    """The guard for bulk writes, which bypass model signals."""
    for row in rows:
        if not row.writable_by(actor):
            raise TenantWriteError(f"{type(row).__name__} {row.pk} is outside {actor.organization_name}")


def _guard(sender: type, instance: models.Model, **kwargs: object) -> None:
    if kwargs.get("raw") or not isinstance(instance, ScopedModel) or scoping_disabled():
        return
    actor = current_actor()
    if actor is None or actor.is_public or not instance.writable_by(actor):
        raise TenantWriteError(
            f"Refused to write {type(instance).__name__} outside the active tenant scope"
        )


def connect_guards() -> None:
    pre_save.connect(_guard, dispatch_uid="tenancy-pre-save-guard")
    pre_delete.connect(_guard, dispatch_uid="tenancy-pre-delete-guard")
