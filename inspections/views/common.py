"""What every inspection page shares: finding the inspection the actor may see (else 404, as a
foreign one), error texts, and answers for the page's script (JSON) or a browser without it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect

from inspections.models import Inspection
from inspections.selectors import inspections as sel
from tenancy.i18n import join_clauses


def inspection_or_404(request: HttpRequest, pk: int) -> Inspection:
    """The inspection ``pk`` if the actor may see it (an inspector only those they are on),
    else 404 — the same answer as for one that does not exist."""
    return sel.inspection_get(actor=request.actor, pk=pk)


def error_text(exc: ValidationError) -> str:
    return join_clauses(exc.messages)


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


def post_only(page: str, *, keep: tuple[str, ...] = ("pk",)) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A POST-only action that answers a GET (a reloaded refused form, a restored tab, a shared
    link) with a redirect to the page it belongs to (``page`` with the URL's ``keep`` arguments)
    instead of a bare 405. The page itself decides what the actor sees: nothing is looked up here."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                return redirect(page, **{name: kwargs[name] for name in keep if name in kwargs})
            return HttpResponseNotAllowed(["POST"])

        return wrapped

    return decorator
