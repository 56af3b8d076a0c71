"""Joint work: rows owned by one organization that other organizations take part in.

A joint plan (部门联合抽查) is written by a leading-group office and carried out by departments;
an inspection of a joint task is one visit that each department fills its part of. Two rules,
each declared once by the app that owns the rows, make such a row visible and writable beyond
its owner — tenancy names no app:

* **who takes part** — ``PARTICIPATIONS``: an app registers ``Participation(key, joined)``;
  ``joined(actor)`` is a query of the ids of the joint objects (the plans, say) the actor's
  organization takes part in, or ``None`` when it takes part in none. A ``JointVisibleModel``
  names its participation (``participation``) and the lookup from its rows to the joint object
  (``joint_path``): its rows are seen by their owner and by those taking part.
* **who writes what** — ``JOINT_WRITES``: an app registers ``JointWrite(key=<model label>,
  fields)``; ``fields(actor, row)`` is the set of fields a participant (not the owner) may
  change in that row. The write guard (``tenancy.scoping``) lets a save through when the actor
  owns the row, or when it names its fields (``save(update_fields=…)``) and they are all among
  those. A new row belongs to whoever creates it; deleting needs the owner. No write goes
  around the guard: a service never updates rows it does not own with ``QuerySet.update()``.

For example, sampling lets the leader of a department taking part in a joint draw change a
selection's ``team`` (曲阳 §16: an inspector's recusal is decided by their own unit), and an
inspections app may let each department write its part of one joint visit and the visit's
shared fields only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import Q, QuerySet

from .context import Actor
from .registry import Registry
from .scoping import TenantModel


@dataclass(frozen=True)
class Participation:
    """``joined(actor)``: the ids of the joint objects the actor's organization takes part in (a
    query, evaluated inside the visibility rule), or ``None`` when it takes part in none."""

    key: str
    joined: Callable[[Actor], QuerySet | None]
    order: int = 100


@dataclass(frozen=True)
class JointWrite:
    """``fields(actor, row)``: the fields of ``row`` (a joint row the actor does not own) the
    actor may change; empty when none. ``key`` is the model's label (``"sampling.drawselection"``)."""

    key: str
    fields: Callable[[Actor, Any], frozenset[str]]
    order: int = 100


PARTICIPATIONS: Registry[Participation] = Registry(
    "participations", doc="Who takes part in which joint objects, by key (one per kind of joint work)."
)
JOINT_WRITES: Registry[JointWrite] = Registry(
    "joint_writes", doc="Which fields of a joint row a participant may write, by model label."
)

# Written with every save; never a field a rule has to name.
ALWAYS_WRITTEN = frozenset({"updated_at"})


class JointVisibleModel(TenantModel):
    """Owned by one organization; also seen by the organizations taking part in its joint object,
    which write the fields ``JOINT_WRITES`` grants them."""

    # The key of the model's entry in PARTICIPATIONS.
    participation: ClassVar[str] = ""
    # The lookup from a row to its joint object ("" for the joint object itself).
    joint_path: ClassVar[str] = "plan"

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        own = Q(organization_id__in=actor.visible_org_ids)
        joined = PARTICIPATIONS.get(cls.participation).joined(actor)
        if joined is None:
            return own
        lookup = f"{cls.joint_path}_id__in" if cls.joint_path else "pk__in"
        return own | Q(**{lookup: joined})

    def writable_fields(self, actor: Actor) -> frozenset[str]:
        key = self._meta.label_lower
        if key not in JOINT_WRITES or not actor.is_member:
            return frozenset()
        return frozenset(JOINT_WRITES.get(key).fields(actor, self))
