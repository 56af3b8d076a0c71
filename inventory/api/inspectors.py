"""API of the inspector roster.
"""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import mixins

from inventory.models import Inspector
from inventory.selectors import inspectors as inspector_selectors
from inventory.serializers.inspectors import InspectorSerializer
from inventory.services import inspectors as inspector_services
from tenancy.api import ScopedViewSet
from tenancy.filters import IntegerFilter, SyncFilterSet


class InspectorFilter(SyncFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    # Plain ids: FK filters would query the scoped tables at import time.
    unit = IntegerFilter(field_name="unit_id")

    class Meta:
        model = Inspector
        fields = ["status", "cert_no"]


class InspectorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, ScopedViewSet):
    """执法检查人员名录库. ``phone`` is returned only to the inspector's own organization."""

    queryset = Inspector.objects.none()
    serializer_class = InspectorSerializer
    filterset_class = InspectorFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Inspector.objects.none()
        return inspector_selectors.inspector_list(actor=self.actor).order_by()

    def perform_create(self, serializer: InspectorSerializer) -> None:
        data = dict(serializer.validated_data)
        specialties = data.pop("specialties", [])
        serializer.instance = inspector_services.inspector_create(actor=self.actor, data=data, specialties=specialties)

    def perform_update(self, serializer: InspectorSerializer) -> None:
        data = dict(serializer.validated_data)
        specialties = data.pop("specialties", None)
        serializer.instance = inspector_services.inspector_update(
            actor=self.actor, inspector=serializer.instance, data=data, specialties=specialties
        )
