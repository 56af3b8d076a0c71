"""API of the check-item list.
"""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import mixins

from inventory.models import CheckItem
from inventory.selectors import items as item_selectors
from inventory.serializers.items import CheckItemSerializer
from inventory.services import items as item_services
from tenancy.api import ScopedViewSet
from tenancy.filters import SyncFilterSet


class CheckItemFilter(SyncFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = CheckItem
        fields = ["code", "category", "method", "status", "is_current"]


class CheckItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, ScopedViewSet):
    """抽查事项清单. Editing an item used by a task creates a new version (the response is the new row)."""

    queryset = CheckItem.objects.none()
    serializer_class = CheckItemSerializer
    filterset_class = CheckItemFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CheckItem.objects.none()
        return item_selectors.item_list(actor=self.actor, history=True).prefetch_related("points").order_by()

    def perform_create(self, serializer: CheckItemSerializer) -> None:
        data = dict(serializer.validated_data)
        points = data.pop("points", [])
        data.pop("change_reason", None)
        serializer.instance = item_services.checkitem_create(actor=self.actor, data=data, points=points)

    def perform_update(self, serializer: CheckItemSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("points", None)  # check points are edited one by one (the web editor)
        data.pop("code", None)
        reason = data.pop("change_reason", "")
        serializer.instance = item_services.checkitem_update(actor=self.actor, item=serializer.instance, data=data, reason=reason)
