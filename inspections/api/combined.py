"""REST API: combined visits (综合查一次), read-only — ``GET /api/v1/combined-visits/`` (filters:
``state`` active (the default, as on the page)/cancelled/all, ``entity_code`` (alias ``entity``),
``updated_since``) and ``/api/v1/combined-visits/{id}/``. Who reads which is ``selectors.combined``
(the office, and the departments and inspectors of its inspections); anything else is the same 404
as a foreign row."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from inspections.models import CombinedVisit
from inspections.selectors import combined as sel
from inspections.serializers.combined import CombinedVisitSerializer
from tenancy.api import ScopedViewSet
from tenancy.filters import InstantFilter, SyncFilterSet


class CombinedVisitFilter(SyncFilterSet):
    state = django_filters.ChoiceFilter(
        method="in_state", choices=[(s, s) for s in sel.STATES], label="active（默认）/ cancelled / all",
    )
    entity_code = django_filters.CharFilter(
        field_name="entity__code", max_length=40, label="检查对象统一社会信用代码/编码 / entity code (the payload's entity_code)",
    )
    entity = django_filters.CharFilter(
        field_name="entity__code", max_length=40,
        label="已弃用：同 entity_code，请改用 entity_code / deprecated alias of entity_code",
    )
    updated_since = InstantFilter(field_name="updated_at", lookup_expr="gte", label="自此时刻起有更新 (ISO 8601)")

    class Meta:
        model = CombinedVisit
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[CombinedVisit]) -> QuerySet[CombinedVisit]:
        # No ``?state=``: the active visits, as the label says and the page lists (django-filter
        # calls a filter's method only for a value given).
        if not self.form.cleaned_data.get("state"):
            queryset = self.in_state(queryset, "state", "active")
        return super().filter_queryset(queryset)

    def in_state(self, queryset: QuerySet[CombinedVisit], name: str, value: str) -> QuerySet[CombinedVisit]:
        if value == "active":
            return queryset.filter(cancelled_at__isnull=True)
        if value == "cancelled":
            return queryset.filter(cancelled_at__isnull=False)
        return queryset


class CombinedVisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """综合查一次: several departments' inspections of one firm visited together on an agreed day."""

    queryset = CombinedVisit.objects.none()
    serializer_class = CombinedVisitSerializer
    filterset_class = CombinedVisitFilter

    def get_queryset(self) -> QuerySet[CombinedVisit]:
        if getattr(self, "swagger_fake_view", False):
            return CombinedVisit.objects.none()
        return sel.combined_visit_list(actor=self.actor, state="all").order_by("pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        views = sel.combined_views(actor=self.actor, rows=page)
        return self.get_paginated_response(CombinedVisitSerializer(views, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        combined = sel.combined_visit_get(actor=self.actor, pk=int(kwargs["pk"]) if str(kwargs["pk"]).isdigit() else 0)
        return Response(CombinedVisitSerializer(sel.combined_view(actor=self.actor, combined=combined)).data)
