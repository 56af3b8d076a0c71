"""Query filters of the API: strict (a value a filter cannot use is a 400 field error, never a
filter silently left out; a parameter that is no filter, nor one the paging or DRF reads, is a 400
too) and ``updated_since`` through the one instant parser.

django-filter ignores what it cannot read: ``entity_type=`` or ``on_abnormal_list=maybe`` gave
the whole list, as if the client had asked for it. A sync client that sent a filter meant it;
one that misspelt it (``?taks=9``, ``?entity_code=`` where the filter was ``entity``) got every
row as if filtered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
import django_filters.rest_framework
from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from .forms import Form
from .validators import InstantField

BOOLEAN_VALUES = {"true": True, "false": False, "True": True, "False": False, "1": True, "0": False}


def view_parameters(view: Any) -> list[str]:
    """The query parameters a view reads besides its filters: DRF's format override, its
    paginator's (``cursor``, ``page_size``; any ``*_query_param``) and those of its other filter
    backends (``ordering``, ``search``), whichever it has."""
    names = [api_settings.URL_FORMAT_OVERRIDE] if api_settings.URL_FORMAT_OVERRIDE else []
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names += [
            value for attr in dir(paginator)
            if attr.endswith("_query_param") and isinstance(value := getattr(paginator, attr, None), str)
        ]
    for backend in getattr(view, "filter_backends", None) or ():
        names += [value for attr in ("ordering_param", "search_param") if isinstance(value := getattr(backend, attr, None), str)]
    return list(dict.fromkeys(names))


def unknown_parameters(data: Mapping[str, Any], known: Iterable[str]) -> dict[str, list[str]]:
    """A field error per query parameter nobody reads, naming those that are read."""
    known = list(dict.fromkeys(known))
    unknown = [name for name in data if name not in known]
    if not unknown:
        return {}
    message = _("未知的查询参数（拼写错误？）。可用的参数：%(names)s") % {"names": ", ".join(known) or "—"}
    return {name: [message] for name in unknown}


class StrictFilterForm(Form):
    """A parameter given empty is refused, and a boolean must be one (true/false, 1/0); text
    refuses control characters as every form's (tenancy.forms). A parameter that is neither a
    filter nor one of ``other_parameters`` (the paging's, ``format``) is refused by name."""

    other_parameters: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, messages in unknown_parameters(self.data, [*self.fields, *self.other_parameters]).items():
            # Not a field of the form (add_error refuses it): keyed by the parameter all the same.
            self._errors[name] = self.error_class([forms.ValidationError(m, code="unknown") for m in messages])
        for name, field in self.fields.items():
            if name not in self.data:
                continue
            raw = self.data.get(name)
            if raw in ("", None):
                self.add_error(name, forms.ValidationError(_("参数不能为空：不筛选请不要传该参数"), code="empty"))
            elif isinstance(field, forms.NullBooleanField) and raw not in BOOLEAN_VALUES:
                self.add_error(name, forms.ValidationError(_("应为 true 或 false"), code="invalid"))
        return cleaned


class StrictFilterSet(django_filters.FilterSet):
    def __init__(self, *args: Any, other_parameters: Iterable[str] = (), **kwargs: Any) -> None:
        # The parameters the view reads besides the filters (StrictFilterBackend passes them).
        self.other_parameters = tuple(other_parameters)
        super().__init__(*args, **kwargs)

    def get_form_class(self) -> type[forms.Form]:
        # Here rather than Meta.form: a subclass's own Meta would drop it.
        base = self._meta.form if issubclass(self._meta.form, StrictFilterForm) else StrictFilterForm
        fields: dict[str, Any] = {name: filter_.field for name, filter_ in self.filters.items()}
        return type(f"{type(self).__name__}Form", (base,), {**fields, "other_parameters": self.other_parameters})


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantFilter(django_filters.Filter):
    """An ISO 8601 instant (``tenancy.validators.parse_instant``): out-of-range values and an
    empty parameter are 400 field errors instead of a database error or no filter at all."""

    field_class = InstantField


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """An integer (a primary key, a year), where NumberFilter takes decimals."""

    field_class = forms.IntegerField


class SyncFilterSet(StrictFilterSet):
    updated_since = InstantFilter(
        field_name="updated_at", lookup_expr="gte",
        label="updated_at ≥ (ISO 8601; without an offset, Asia/Shanghai)",
    )


class StrictFilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """The API's filter backend: FilterSets it makes from ``filterset_fields`` are strict too, and
    an unknown query parameter is a 400 keyed by its name, on a view without filters as well."""

    filterset_base = StrictFilterSet

    def get_filterset_kwargs(self, request: Any, queryset: Any, view: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        if issubclass(self.get_filterset_class(view, queryset) or object, StrictFilterSet):
            kwargs["other_parameters"] = view_parameters(view)
        return kwargs

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if self.get_filterset_class(view, queryset) is None:
            errors = unknown_parameters(request.query_params, view_parameters(view))
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)
