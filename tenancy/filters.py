"""Query filters of the API: strict (a value a filter cannot use is a 400 field error, never a
filter silently left out) and ``updated_since`` through the one instant parser.

django-filter ignores what it cannot read: ``entity_type=`` or ``on_abnormal_list=maybe`` gave
the whole list, as if the client had asked for it. A sync client that sent a filter meant it.
"""

from __future__ import annotations

from typing import Any

import django_filters
import django_filters.rest_framework
from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .forms import Form
from .validators import InstantField

BOOLEAN_VALUES = {"true": True, "false": False, "True": True, "False": False, "1": True, "0": False}


class StrictFilterForm(Form):
    """A parameter given empty is refused, and a boolean must be one (true/false, 1/0); text
    refuses control characters as every form's (tenancy.forms)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
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
    def get_form_class(self) -> type[forms.Form]:
        # Here rather than Meta.form: a subclass's own Meta would drop it.
        base = self._meta.form if issubclass(self._meta.form, StrictFilterForm) else StrictFilterForm
        fields = {name: filter_.field for name, filter_ in self.filters.items()}
        return type(f"{type(self).__name__}Form", (base,), fields)


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
    """The API's filter backend: FilterSets it makes from ``filterset_fields`` are strict too."""

    filterset_base = StrictFilterSet
