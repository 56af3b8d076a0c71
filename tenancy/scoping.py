"""Scoped managers, the tenant model bases, the write guard, and the scope entry points.

This module is the only place (with the entry points in ``tenancy/``) that opens scopes. Every
tenant model's default manager filters by the active ``Actor``; a query with no active scope
raises ``ScopeError`` (django-scopes). Writes are checked by a ``pre_save``/``pre_delete`` guard:
the owner writes a row; an organization taking part in joint work writes the fields its app
grants it (``tenancy.joint``), and only by naming them (``save(update_fields=…)``).

Rules that count across the organizations of a region (at most 2 inspections of a firm a year,
by anyone) ask ``region_counts``: numbers, never the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models
from django.db.models import Count, Q
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
    def visible_ids(cls, actor: Actor) -> models.QuerySet:
        """The ids of the rows ``actor`` sees, as a subquery: for the scope rule of rows that
        hang on these (read unscoped inside the rule, which applies the scope itself)."""
        return cls._base_manager.filter(cls.scope_q(actor)).values("pk")

    @classmethod
    def public_q(cls) -> Q:
        """What the public sees: nothing, unless a model publishes (publication issue)."""
        return Q(pk__in=[])

    def writable_by(self, actor: Actor) -> bool:
        """Whether ``actor`` may write the whole row (create, change any field, delete)."""
        raise NotImplementedError

    def writable_fields(self, actor: Actor) -> frozenset[str]:
        """The fields ``actor`` may change in a row it may not write whole (joint work:
        ``tenancy.joint.JointVisibleModel``); none by default."""
        return frozenset()


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

    @classmethod
    def scope_through(cls, actor: Actor, lookup: str, parent: type[ScopedModel]) -> Q:
        """Own rows, and the rows that hang (by the foreign key ``lookup``) on a ``parent`` row the
        actor sees: an attachment, an answer, a step is seen with what it belongs to."""
        return Q(organization_id__in=actor.visible_org_ids) | Q(**{f"{lookup}_id__in": parent.visible_ids(actor)})

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


def _fields_granted(actor: Actor, instance: ScopedModel, update_fields: Iterable[str] | None) -> bool:
    """A save of named fields of an existing row, every one granted to ``actor`` (joint work)."""
    if update_fields is None or instance._state.adding:
        return False
    named = set(update_fields) - {"updated_at"}
    return bool(named) and named <= instance.writable_fields(actor)


def _guard(sender: type, instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw") or not isinstance(instance, ScopedModel) or scoping_disabled():
        return
    actor = current_actor()
    if actor is None or actor.is_public:
        allowed = False
    else:
        allowed = instance.writable_by(actor) or _fields_granted(actor, instance, kwargs.get("update_fields"))
    if not allowed:
        fields = kwargs.get("update_fields")
        detail = f" (fields {sorted(fields)})" if fields else ""
        raise TenantWriteError(
            f"Refused to write {type(instance).__name__}{detail} outside the active tenant scope"
        )


def region_counts(actor: Actor, model: type[models.Model], *, by: str, where: Q, at_least: int = 1) -> dict[Any, int]:
    """How many rows of ``model`` match ``where`` in every organization of the actor's region
    subtree, per value of ``by`` (an entity id, say), for the values counted ``at_least`` times.

    For rules that count across departments (at most 2 inspections of a firm a year, by anyone:
    曲阳 §17): the caller gets numbers, never a row of another organization.
    """
    from .models import Organization  # here: tenancy.models imports this module

    with system_scope():
        orgs = set(Organization.objects.filter(region_id__in=actor.visible_region_ids).values_list("id", flat=True))
        rows = (
            model._base_manager.filter(organization_id__in=orgs | set(actor.visible_org_ids)).filter(where)
            .values(by).annotate(times=Count("pk")).filter(times__gte=at_least).order_by()
            .values_list(by, "times")
        )
        return dict(rows)


def connect_guards() -> None:
    pre_save.connect(_guard, dispatch_uid="tenancy-pre-save-guard")
    pre_delete.connect(_guard, dispatch_uid="tenancy-pre-delete-guard")
