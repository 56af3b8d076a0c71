"""Steps of an inspection as the people who take them would: confirm, fill, sign, submit."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

from inspections.models import Inspection, InspectionPart
from inspections.services import inspections as svc
from inspections.services import reviews
from inventory.models import CheckPoint
from tenancy.context import Actor
from tenancy.scoping import actor_scope
from tenancy.uploads import check_upload
from tests.inspections.conftest import Drawn


def as_user(user) -> Client:
    """A test client logged in as ``user``."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def detail(inspection: Inspection) -> str:
    """The inspection's page."""
    return reverse("inspections:detail", args=[inspection.pk])


def png(name: str = "签字.png", size: tuple[int, int] = (40, 20)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def first(d: Drawn) -> Inspection:
    with scopes_disabled():
        return Inspection.objects.filter(draw=d.draw).order_by("selection__rank").first()


def fresh(inspection: Inspection) -> Inspection:
    with scopes_disabled():
        return Inspection.objects.get(pk=inspection.pk)


def points_of(inspection: Inspection, org_id: int | None = None) -> list[CheckPoint]:
    with scopes_disabled():
        parts = InspectionPart.objects.filter(inspection=inspection)
        if org_id is not None:
            parts = parts.filter(organization_id=org_id)
        return list(CheckPoint.objects.filter(item__in=[i for p in parts for i in p.items.all()]).order_by("pk"))


def confirm_all(world, inspection: Inspection) -> None:
    with scopes_disabled():
        orgs = list(InspectionPart.objects.filter(inspection=inspection).values_list("organization_id", flat=True))
    keys = {o.pk: k for k, o in world.orgs.items()}
    for org_id in orgs:
        planner = world.actor(keys[org_id], "planner")
        with actor_scope(planner):
            svc.inspection_confirm(actor=planner, inspection=inspection)


def member_of(d: Drawn, inspection: Inspection, org_id: int | None = None) -> Actor:
    """A team member's actor (of ``org_id``'s part, when given)."""
    for inspector_id in inspection.team:
        actor = d.actor_of(inspector_id)
        if org_id is None or actor.organization_id == org_id:
            return actor
    raise LookupError("no team member of that department")


def fill(d: Drawn, inspection: Inspection, *, status: str = "normal", **visit: Any) -> None:
    """Every department's part answered with ``status``, the visit's fields, a signature."""
    with scopes_disabled():
        orgs = list(InspectionPart.objects.filter(inspection=inspection).values_list("organization_id", flat=True))
    today = timezone.localdate()
    values = {"method": "onsite", "started_on": today, "ended_on": today, "results": ["01"], **visit}
    for n, org_id in enumerate(orgs):
        actor = member_of(d, inspection, org_id)
        with actor_scope(actor):
            answers = {p.pk: {"status": status} for p in points_of(inspection, org_id)}
            svc.inspection_save(actor=actor, inspection=inspection, visit=values if n == 0 else None, answers=answers)
    actor = member_of(d, inspection)
    with actor_scope(actor):
        svc.evidence_add(actor=actor, inspection=inspection, upload=check_upload(png()), kind="signature")


def refuse_signature(world, d: Drawn, inspection: Inspection, reason: str) -> Inspection:
    """Confirmed and filled, with the firm's refusal to sign recorded (and its reason) instead."""
    confirm_all(world, inspection)
    fill(d, inspection)
    actor = member_of(d, inspection)
    with actor_scope(actor):
        current = fresh(inspection)
        svc.inspection_save(actor=actor, inspection=current, revision=current.revision,
                            visit={"signature_refused": True, "refusal_reason": reason})
    return fresh(inspection)


def submit(d: Drawn, inspection: Inspection) -> Inspection:
    actor = member_of(d, inspection)
    with actor_scope(actor):
        return reviews.inspection_submit(actor=actor, inspection=inspection)
