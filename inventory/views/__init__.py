"""Pages of 一单两库 by area: items (the check-item list with check forms and versions, the joint
item list), entities (the target registry), inspectors (the roster and conflicts), imports.
Thin: parse, call one service or selector, render. This module holds the helpers they share.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, QueryDict

from inventory.xlsx import export_response
from tenancy.permissions import member_required
from tenancy.policies import Predicate, ensure

View = Callable[..., HttpResponse]


def requires(predicate: Predicate) -> Callable[[View], View]:
    """A signed-in member whom the policy ``predicate`` allows (from the actor alone); object
    rules are asked once the view has read the object."""

    def decorator(view: View) -> View:
        @member_required()
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            ensure(predicate, request.actor)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_or_404(fn: Any, **kwargs: Any) -> Any:
    """A scoped read; not found and not visible are the same 404."""
    try:
        return fn(**kwargs)
    except ObjectDoesNotExist:
        raise Http404


def query_without(q: QueryDict, *drop: str) -> QueryDict:
    params = q.copy()
    for key in drop:
        params.pop(key, None)
    return params


def export(request: HttpRequest, *, kind: str, queryset: Any, filename: str) -> HttpResponse:
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    return export_response(kind=kind, queryset=queryset, fmt=fmt, filename=filename)
