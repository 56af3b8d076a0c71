"""The office's dashboard panel of inspections (``tenancy.dashboard.PANELS``, loaded after the
page): the joint visits its region's departments could make (综合查一次) and how often the firms
were inspected this year."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inspections.selectors.sections import office_visits_panel
from tenancy.context import OrgKind
from tenancy.permissions import member_required


@member_required(kinds=(OrgKind.OFFICE,))
def panel_visits(request: HttpRequest) -> HttpResponse:
    return render(request, "inspections/sections/panel_visits.html", office_visits_panel(actor=request.actor))
