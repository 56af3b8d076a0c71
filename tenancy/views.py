"""Dashboard, organization switcher, audit log and error pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import audit_display, selectors, services
from .context import Role
from .dashboard import cards_for, leads_for, panels_for
from .models import ROLE_LABELS
from .permissions import member_required


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    # A lead (an inspector's 我的检查) comes first; for a member whose whole work it is, the
    # organization's counts are not shown at all.
    leads, cards_hidden = leads_for(actor)
    cards = [] if cards_hidden else cards_for(actor)
    role_names = [ROLE_LABELS[r] for r in Role.ALL if r in actor.roles]  # joined in the reader's language
    # Panels are placeholders here: each loads its list from its own URL once the page is shown.
    panels = panels_for(actor)
    return render(request, "tenancy/dashboard.html", {
        "leads": leads, "cards": cards, "cards_hidden": cards_hidden, "role_names": role_names, "panels": panels,
    })


@login_required
@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError:
        organization_id = 0
    if services.organization_switch(session=request.session, user=request.user, organization_id=organization_id):
        messages.success(request, _("已切换单位"))
    else:
        messages.error(request, _("您不属于该单位"))
    return redirect("dashboard")


def _parse_date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@member_required(Role.ADMIN, Role.LEADER)
def audit_list(request: HttpRequest) -> HttpResponse:
    q = request.GET
    entries = selectors.audit_list(
        actor=request.actor,
        action=q.get("action", ""),
        target_type=q.get("target_type", ""),
        user_query=q.get("user", "").strip(),
        text=q.get("q", "").strip(),
        date_from=_parse_date(q.get("from")),
        date_to=_parse_date(q.get("to")),
    )
    page = Paginator(entries, 50).get_page(q.get("page"))
    params = q.copy()
    params.pop("page", None)
    return render(
        request,
        "tenancy/audit_list.html",
        {
            "page": page,
            # Changes reach the template as rows: a template looking into the JSON itself would
            # resolve a logged key such as ``items`` instead of the dict's method.
            "rows": audit_display.present(page.object_list),
            "facets": selectors.audit_facets(actor=request.actor),
            "q": q,
            "query": params.urlencode(),
        },
    )


def locked_out(request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)


def health(request: HttpRequest) -> HttpResponse:
    """For the container health check: the process serves and the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
