"""REST API of inspections, registered on the /api/v1/ router (``register``), plus the one route
the router cannot make (``urlpatterns``: the record's PDF, a file name without a trailing slash)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from .combined import CombinedVisitViewSet
from .inspections import InspectionViewSet, record_pdf_view
from .progress import TaskProgressViewSet


def register(router: Any) -> None:
    router.register("inspections", InspectionViewSet, basename="inspection")
    router.register("inspection-progress", TaskProgressViewSet, basename="inspectionprogress")
    router.register("combined-visits", CombinedVisitViewSet, basename="combinedvisit")


urlpatterns = [
    path("inspections/<int:pk>/record.pdf", record_pdf_view, name="inspection-record-pdf"),
]
