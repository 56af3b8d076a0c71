"""The inspections an actor may read, as one queryset: ``policies.can_view`` over a list.

The scope finds the rows (the owner, the offices above it, a joint plan's departments); inside
it, ``can_view`` admits a participating department's readers, an office's members for its own and
its region's joint inspections, and the inspectors holding the team's grant. The same three, as
filters of one query (the grants as a subquery).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from inspections import policies
from inspections.models import Inspection, InspectionPart
from tenancy.context import Actor, Role
from tenancy.grants import objects_granted
from tenancy.policies import holds


def visible_inspections(actor: Actor) -> QuerySet[Inspection]:
    rows = Inspection.objects.all()
    if not actor.is_member:
        return rows.none()
    allowed = Q(pk__in=[])
    if actor.is_department and holds(actor, *policies.DEPARTMENT_READERS):
        parts = InspectionPart.objects.filter(organization_id=actor.organization_id).values("inspection_id")
        allowed |= Q(pk__in=parts)
    if actor.is_office:
        allowed |= Q(organization_id=actor.organization_id)
        allowed |= Q(organization_id__in=actor.visible_org_ids, plan__kind="joint")
    if holds(actor, Role.INSPECTOR):
        allowed |= Q(pk__in=objects_granted(actor, policies.TEAM_PERMISSION, rows).values("pk"))
    return rows.filter(allowed)
