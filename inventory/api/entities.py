"""API of the entity registry (looked up by code, with the bulk upsert) and of registry entries.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import codes
from inventory.models import MarketEntity, RegistryEntry
from inventory.selectors import entities as entity_selectors
from inventory.serializers.entities import (
    BulkUpsertResultSerializer,
    EntitySerializer,
    RegistryEntrySerializer,
)
from inventory.services import entities as entity_services
from inventory.services.imports import entity_bulk_upsert  # the Excel importer's rules, shared
from tenancy.api import ScopedViewSet
from tenancy.filters import IntegerFilter, SyncFilterSet

BULK_LIMIT = 1000


# Computed, so its check character is right (a hand-typed example had a wrong one).
BULK_EXAMPLE_CODE = codes.make_uscc("91", "140522", "MA0K00000")


class EntityFilter(SyncFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="contains")
    code_prefix = django_filters.CharFilter(method="filter_code_prefix")
    industry = django_filters.CharFilter(field_name="industry_code", lookup_expr="startswith")

    class Meta:
        model = MarketEntity
        fields = ["entity_type", "status", "risk_class", "on_abnormal_list", "on_dishonest_list"]

    def filter_code_prefix(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(code__startswith=codes.normalize_code(value))


class RegistryEntryFilter(SyncFilterSet):
    entity = IntegerFilter(field_name="entity_id")
    entity_code = django_filters.CharFilter(field_name="entity__code")

    class Meta:
        model = RegistryEntry
        fields = ["status"]



class EntityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, ScopedViewSet):
    """检查对象名录库: a department's registry (or every entity of an office's/platform's region),
    looked up by code."""

    queryset = MarketEntity.objects.none()
    serializer_class = EntitySerializer
    filterset_class = EntityFilter
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return MarketEntity.objects.none()
        if self.action in ("retrieve", "partial_update", "update"):
            return MarketEntity.objects.select_related("region")
        return entity_selectors.entity_queryset(actor=self.actor).select_related("region")

    def get_object(self) -> MarketEntity:
        code = codes.normalize_code(self.kwargs["code"])
        matches = list(self.get_queryset().filter(code=code)[:2])
        if not matches:
            raise Http404
        # An office above county level may see the same code in two counties: its own region first.
        entity = next((e for e in matches if e.region_id == self.actor.region_id), matches[0])
        self.check_object_permissions(self.request, entity)
        return entity

    def perform_create(self, serializer: EntitySerializer) -> None:
        serializer.instance = entity_services.entity_create(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer: EntitySerializer) -> None:
        serializer.instance = entity_services.entity_update(
            actor=self.actor, entity=serializer.instance, data=dict(serializer.validated_data)
        )

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"}, "maxItems": BULK_LIMIT}},
        responses={200: BulkUpsertResultSerializer, 400: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("records", value=[{"code": BULK_EXAMPLE_CODE, "name": "阳城县某旅行社有限公司", "risk_class": "B"}], request_only=True)],
        description="Up to 1,000 entity records keyed by code; all-or-nothing and idempotent (a re-post changes nothing).",
    )
    @action(detail=False, methods=["post"], url_path="bulk_upsert", filter_backends=[], pagination_class=None)
    def bulk_upsert(self, request: Request) -> Response:
        records = request.data
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ApiValidationError({"non_field_errors": ["请求体应为对象数组（JSON array of objects）"]})
        if not records:
            raise ApiValidationError({"non_field_errors": ["没有数据"]})
        if len(records) > BULK_LIMIT:
            raise ApiValidationError({"non_field_errors": [f"一次最多 {BULK_LIMIT} 条，实为 {len(records)} 条"]})
        result = entity_bulk_upsert(actor=self.actor, records=records)
        body = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged, "errors": result.errors}
        return Response(body, status=status.HTTP_400_BAD_REQUEST if result.errors else status.HTTP_200_OK)


class RegistryEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Registry entries (an entity in a department's registry, with its tags). Read-only."""

    queryset = RegistryEntry.objects.none()
    serializer_class = RegistryEntrySerializer
    filterset_class = RegistryEntryFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return RegistryEntry.objects.none()
        return entity_selectors.registry_entry_list(actor=self.actor).select_related("organization")
