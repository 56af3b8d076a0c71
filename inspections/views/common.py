"""What every inspection page shares: finding the inspection the actor may see (else 404, as a
foreign one), error texts, and answers for the page's script (JSON) or a browser without it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, JsonResponse

from inspections import policies
from inspections.models import Inspection

# A draw's frozen pool and excluded list: megabytes for a county, never shown on these pages.
DRAW_BLOBS = ("draw__pool_blob", "draw__excluded_blob")


def inspection_or_404(request: HttpRequest, pk: int) -> Inspection:
    """The inspection ``pk`` if the actor may see it: found in the actor's scope and allowed by
    ``policies.can_view`` (an inspector sees only those they are on). Otherwise 404."""
    inspection = (
        Inspection.objects.select_related("entity", "task", "draw", "plan", "organization", "signature")
        .defer(*DRAW_BLOBS).filter(pk=pk).first()
    )
    if inspection is None or not policies.can_view(request.actor, inspection):
        raise Http404("no such inspection")
    return inspection


def error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def error_dict(exc: ValidationError) -> dict[str, list[str]]:
    """A service's error by field (``__all__`` for one that names none)."""
    if hasattr(exc, "error_dict"):
        return {key: list(messages) for key, messages in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def wants_json(request: HttpRequest) -> bool:
    """The page's script asks (it sends JSON, or accepts JSON only)."""
    return request.content_type == "application/json" or request.headers.get("Accept", "").startswith("application/json")


def json_error(message: str, *, status: int, errors: dict[str, list[str]] | None = None, **extra: Any) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message, "errors": errors or {}, **extra}, status=status)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
