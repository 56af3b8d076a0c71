"""Filters every sync list shares: ``updated_since`` through the one instant parser."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .validators import InstantField


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantFilter(django_filters.Filter):
    """An ISO 8601 instant (``tenancy.validators.parse_instant``): out-of-range values and an
    empty parameter are 400 field errors instead of a database error or no filter at all."""

    field_class = InstantField


class SyncFilterSet(django_filters.FilterSet):
    updated_since = InstantFilter(
        field_name="updated_at", lookup_expr="gte",
        label="updated_at ≥ (ISO 8601; without an offset, Asia/Shanghai)",
    )
