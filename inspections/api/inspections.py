"""REST API: inspections — the list (strict filters, the keyset cursor of every list), the detail
with answers, result codes and follow-up, the writes of a result (confirm, draft, submit,
approve, return) through the same services and policies as the pages, and the 检查记录表 PDF.

What the caller may see is ``policies.can_view`` (an inspector: the inspections whose team they
are on); anything else is the same 404 as a foreign row. A write the policy refuses is a 403 with
its reason, a value the service refuses a 400 keyed by field (``point_<id>`` for a check point).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from inspections.documents.archive import member_name
from inspections.documents.records import items_of_parts, record_of
from inspections.documents.render import document_pdf
from inspections.models import Answer, Handling, HandlingStep, Inspection, InspectionPart, Review
from inspections.selectors.combined import with_combined
from inspections.selectors.inspections import visible_inspections
from inspections.serializers.inspections import (
    CommentSerializer,
    ConfirmSerializer,
    DraftResultSerializer,
    DraftSerializer,
    InspectionDetailSerializer,
    InspectionSerializer,
)
from inspections.services import inspections as services
from inspections.services import reviews
from sampling.models import Draw
from tenancy.api import ScopedViewSet
from tenancy.filters import InstantFilter, IntegerFilter, SyncFilterSet


class PDFRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; an error on the way (a 404) is still
    JSON, said so in its content type."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


class InspectionFilter(SyncFilterSet):
    # Plain ids and values: FK filters would query the scoped tables at import time.
    task = IntegerFilter(field_name="task_id", label="抽查任务 id / task id")
    draw = IntegerFilter(field_name="draw_id", label="抽取 id / draw id")
    # The payload's name (entity_code); ``entity`` stays as the alias earlier clients use.
    entity_code = django_filters.CharFilter(
        field_name="entity__code", max_length=40, label="检查对象统一社会信用代码/编码 / entity code (the payload's entity_code)",
    )
    entity = django_filters.CharFilter(
        field_name="entity__code", max_length=40,
        label="已弃用：同 entity_code，请改用 entity_code / deprecated alias of entity_code",
    )
    updated_since = InstantFilter(
        method="changed_since",
        label="该检查或其部门检查情况、检查要点结果、后续处置自此时刻起有更新 (ISO 8601; without an offset, "
              "Asia/Shanghai) / the inspection, a department's part, an answer or a follow-up changed since",
    )

    class Meta:
        model = Inspection
        fields = ["status"]

    def changed_since(self, queryset: QuerySet[Inspection], name: str, value: Any) -> QuerySet[Inspection]:
        # Answers and follow-up are rows of their own: a sync client asking what changed since its
        # last run gets the inspections any of them changed on (the detail holds them).
        parts = InspectionPart._base_manager.filter(updated_at__gte=value).values("inspection_id")
        answers = Answer._base_manager.filter(updated_at__gte=value).values("part__inspection_id")
        handlings = Handling._base_manager.filter(updated_at__gte=value).values("inspection_id")
        return queryset.filter(
            Q(updated_at__gte=value) | Q(pk__in=parts) | Q(pk__in=answers) | Q(pk__in=handlings)
        )


def _detail_queryset(rows: QuerySet[Inspection]) -> QuerySet[Inspection]:
    return with_combined(rows).select_related("task", "entity", "organization", "signature").prefetch_related(
        "results",
        Prefetch("parts", queryset=InspectionPart.objects.select_related("organization").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.order_by("item_id", "point_id"))
        ).order_by("pk")),
        Prefetch("handlings", queryset=Handling.objects.select_related("organization", "transfer_to").prefetch_related(
            Prefetch("steps", queryset=HandlingStep.objects.order_by("at", "pk"))
        ).order_by("created_at", "pk")),
        Prefetch("reviews", queryset=Review.objects.select_related("department", "by").order_by("at", "pk")),
    )


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """检查: one selected target of a completed draw, its answers, result and follow-up."""

    queryset = Inspection.objects.none()
    serializer_class = InspectionDetailSerializer
    filterset_class = InspectionFilter

    def get_queryset(self) -> QuerySet[Inspection]:
        if getattr(self, "swagger_fake_view", False):
            return Inspection.objects.none()
        rows = visible_inspections(self.actor)
        if self.action == "record_pdf":
            return rows
        if self.action == "list":
            return with_combined(rows).select_related("task", "entity", "organization").prefetch_related("results")
        return _detail_queryset(rows)

    def get_serializer_class(self) -> type:
        return InspectionSerializer if self.action == "list" else InspectionDetailSerializer

    def _context_for(self, inspection: Inspection) -> dict[str, Any]:
        """The team's names as the draw froze them, and each part's items with their points
        (read below the scope for a joint visit's other departments: ``items_of_parts``)."""
        pool = Draw.objects.filter(pk=inspection.draw_id).values_list("inspector_pool", flat=True).first() or []
        names = {int(e["id"]): {"name": e.get("name", ""), "department": e.get("department")} for e in pool if e.get("id") is not None}
        items = items_of_parts(p.pk for p in inspection.parts.all())
        return {**self.get_serializer_context(), "inspector_names": names, "part_items": items}

    def _detail(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        inspection = _detail_queryset(visible_inspections(self.actor)).get(pk=pk)
        return Response(InspectionDetailSerializer(inspection, context=self._context_for(inspection)).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        inspection = self.get_object()
        return Response(InspectionDetailSerializer(inspection, context=self._context_for(inspection)).data)

    # ------------------------------------------------------------------------ writes

    @extend_schema(request=ConfirmSerializer, responses={200: InspectionDetailSerializer},
                   description="比对和确认：本部门确认派发的检查对象（曲阳 §17）。")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        inspection = self.get_object()
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.inspection_confirm(actor=self.actor, inspection=inspection, note=body.validated_data["note"])
        return self._detail(inspection.pk)

    @extend_schema(request=DraftSerializer, responses={200: DraftResultSerializer},
                   description="保存草稿：只传有变化的内容及读取时的修订号；他人已先保存时两份内容均保留，"
                               "并在 conflict 中列出。 / Save the draft: only the changed values and the "
                               "revisions loaded; a stale save keeps both texts and reports the conflict.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def draft(self, request: Request, pk: str | None = None) -> Response:
        inspection = self.get_object()
        body = DraftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        part = None
        if data.get("answers") or "note" in data:
            part = InspectionPart.objects.filter(inspection=inspection, organization_id=self.actor.organization_id).first()
            if part is None:
                raise ValidationError({"non_field_errors": [_("本单位不参与该检查。")]})
        result = services.inspection_save(
            actor=self.actor, inspection=inspection, revision=data.get("revision"), visit=data.get("visit"),
            part=part, part_revision=data.get("part_revision"), answers=data.get("answers"), note=data.get("note"),
        )
        detail = _detail_queryset(visible_inspections(self.actor)).get(pk=inspection.pk)
        conflict = result.conflict
        return Response({
            "applied": list(result.applied),
            "conflict": {"id": conflict.pk, "fields": conflict.fields} if conflict is not None else None,
            "inspection": InspectionDetailSerializer(detail, context=self._context_for(detail)).data,
        })

    @extend_schema(request=CommentSerializer, responses={200: InspectionDetailSerializer},
                   description="提交审核：结果不完整或不一致时 400，按字段列出全部原因。")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._review(reviews.inspection_submit)

    @extend_schema(request=CommentSerializer, responses={200: InspectionDetailSerializer},
                   description="审核通过（分管领导，本部门部分；联合检查各部门均通过后锁定）。")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._review(reviews.inspection_approve)

    @extend_schema(request=CommentSerializer, responses={200: InspectionDetailSerializer},
                   description="退回修改（分管领导，须填写意见）。")
    @action(detail=True, methods=["post"], url_path="return", url_name="return", filter_backends=[], pagination_class=None)
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._review(reviews.inspection_return)

    def _review(self, service: Any) -> Response:
        inspection = self.get_object()
        body = CommentSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        service(actor=self.actor, inspection=inspection, comment=body.validated_data["comment"])
        return self._detail(inspection.pk)

    def handle_exception(self, exc: Exception) -> Response:
        # A write the policy refuses says why (the policy's message), as the page does.
        if isinstance(exc, DjangoPermissionDenied) and exc.args:
            exc = exceptions.PermissionDenied(detail=str(exc))
        return super().handle_exception(exc)

    # ------------------------------------------------------------------------ the record

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="检查记录表 (PDF)")},
        description="检查记录表（PDF，一企一表：联合检查含各部门的检查情况）。",
    )
    def record_pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        inspection = self.get_object()
        record = record_of(inspection)
        response = HttpResponse(document_pdf("record", record), content_type="application/pdf")
        name = member_name(record, 0).replace("0000-", f"{_('检查记录表')}-", 1)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
        return response



# ``GET /api/v1/inspections/{id}/record.pdf``: no trailing slash (a file name), so not a router
# route (the router adds one); filters and paging do not apply to one object.
record_pdf_view = InspectionViewSet.as_view(
    {"get": "record_pdf"}, filter_backends=[], pagination_class=None, renderer_classes=[JSONRenderer, PDFRenderer],
)
