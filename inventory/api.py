"""REST API of inventory (registered on the /api/v1/ router): read with filters and cursor paging
by (updated_at, id) for incremental sync (``updated_since``), write through the same services."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from tenancy.api import ScopedViewSet
from tenancy.filters import IntegerFilter, SyncFilterSet
from tenancy.policies import ensure

from . import codes, policies, selectors, services
from .models import CheckItem, Inspector, MarketEntity, RegistryEntry
from .serializers import (
    BulkUpsertResultSerializer,
    CheckItemSerializer,
    EntitySerializer,
    InspectorSerializer,
    RegistryEntrySerializer,
)

BULK_LIMIT = 1000
# Computed, so its check character is right (a hand-typed example had a wrong one).
BULK_EXAMPLE_CODE = codes.make_uscc("91", "140522", "MA0K00000")


class CheckItemFilter(SyncFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = CheckItem
        fields = ["code", "category", "method", "status", "is_current"]


class EntityFilter(SyncFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="contains")
    code_prefix = django_filters.CharFilter(method="filter_code_prefix")
    industry = django_filters.CharFilter(field_name="industry_code", lookup_expr="startswith")

    class Meta:
        model = MarketEntity
        fields = ["entity_type", "status", "risk_class", "on_abnormal_list", "on_dishonest_list"]

    def filter_code_prefix(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(code__startswith=codes.normalize_code(value))


class InspectorFilter(SyncFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    # Plain ids: FK filters would query the scoped tables at import time.
    unit = IntegerFilter(field_name="unit_id")

    class Meta:
        model = Inspector
        fields = ["status", "cert_no"]


class RegistryEntryFilter(SyncFilterSet):
    entity = IntegerFilter(field_name="entity_id")
    entity_code = django_filters.CharFilter(field_name="entity__code")

    class Meta:
        model = RegistryEntry
        fields = ["status"]


def _api_errors(exc: ValidationError) -> ApiValidationError:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return ApiValidationError(detail=detail)


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
        return selectors.item_list(actor=self.actor, history=True).prefetch_related("points").order_by()

    def perform_create(self, serializer: CheckItemSerializer) -> None:
        data = dict(serializer.validated_data)
        points = data.pop("points", [])
        data.pop("change_reason", None)
        try:
            serializer.instance = services.checkitem_create(actor=self.actor, data=data, points=points)
        except ValidationError as e:
            raise _api_errors(e)

    def perform_update(self, serializer: CheckItemSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("points", None)  # check points are edited one by one (the web editor)
        data.pop("code", None)
        reason = data.pop("change_reason", "")
        try:
            serializer.instance = services.checkitem_update(actor=self.actor, item=serializer.instance, data=data, reason=reason)
        except ValidationError as e:
            raise _api_errors(e)


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
        return selectors.entity_queryset(actor=self.actor).select_related("region")

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
        try:
            serializer.instance = services.entity_create(actor=self.actor, data=dict(serializer.validated_data))
        except ValidationError as e:
            raise _api_errors(e)

    def perform_update(self, serializer: EntitySerializer) -> None:
        try:
            serializer.instance = services.entity_update(
                actor=self.actor, entity=serializer.instance, data=dict(serializer.validated_data)
            )
        except ValidationError as e:
            raise _api_errors(e)

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"}, "maxItems": BULK_LIMIT}},
        responses={200: BulkUpsertResultSerializer, 400: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("records", value=[{"code": BULK_EXAMPLE_CODE, "name": "阳城县某旅行社有限公司", "risk_class": "B"}], request_only=True)],
        description="Up to 1,000 entity records keyed by code; all-or-nothing and idempotent (a re-post changes nothing).",
    )
    @action(detail=False, methods=["post"], url_path="bulk_upsert", filter_backends=[], pagination_class=None)
    def bulk_upsert(self, request: Request) -> Response:
        from .importing import entity_bulk_upsert  # the Excel importer's rules, shared

        records = request.data
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ApiValidationError({"non_field_errors": ["请求体应为对象数组（JSON array of objects）"]})
        if not records:
            raise ApiValidationError({"non_field_errors": ["没有数据"]})
        if len(records) > BULK_LIMIT:
            raise ApiValidationError({"non_field_errors": [f"一次最多 {BULK_LIMIT} 条，实为 {len(records)} 条"]})
        ensure(policies.can_bulk_upsert_entities, self.actor)
        try:
            result = entity_bulk_upsert(actor=self.actor, records=records)
        except ValidationError as e:
            raise _api_errors(e)
        body = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged, "errors": result.errors}
        return Response(body, status=status.HTTP_400_BAD_REQUEST if result.errors else status.HTTP_200_OK)


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
        return selectors.inspector_list(actor=self.actor).order_by()

    def perform_create(self, serializer: InspectorSerializer) -> None:
        data = dict(serializer.validated_data)
        specialties = data.pop("specialties", [])
        try:
            serializer.instance = services.inspector_create(actor=self.actor, data=data, specialties=specialties)
        except ValidationError as e:
            raise _api_errors(e)

    def perform_update(self, serializer: InspectorSerializer) -> None:
        data = dict(serializer.validated_data)
        specialties = data.pop("specialties", None)
        try:
            serializer.instance = services.inspector_update(
                actor=self.actor, inspector=serializer.instance, data=data, specialties=specialties
            )
        except ValidationError as e:
            raise _api_errors(e)


class RegistryEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Registry entries (an entity in a department's registry, with its tags). Read-only."""

    queryset = RegistryEntry.objects.none()
    serializer_class = RegistryEntrySerializer
    filterset_class = RegistryEntryFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return RegistryEntry.objects.none()
        return selectors.registry_entry_list(actor=self.actor).select_related("organization")


def register(router: Any) -> None:
    router.register("check-items", CheckItemViewSet, basename="checkitem")
    router.register("entities", EntityViewSet, basename="entity")
    router.register("inspectors", InspectorViewSet, basename="inspector")
    router.register("registry-entries", RegistryEntryViewSet, basename="registryentry")
