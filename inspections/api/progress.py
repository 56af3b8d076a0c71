"""REST API: progress per task (抽查进度) — ``GET /api/v1/inspection-progress/`` and
``/api/v1/inspection-progress/{task id}/``: drawn, confirmed, inspected, approved, problems found,
handled and overdue (``inspections.selectors.progress.task_progress``, counted in the caller's
scope), for each task in the caller's scope that has inspections. ``updated_since``: tasks whose
inspections (or the task) changed since. A task's numbers take a few queries: pages are short.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from inspections.models import Inspection
from inspections.selectors.progress import task_progress
from inspections.serializers.inspections import TaskProgressSerializer
from sampling.models import SamplingTask
from tenancy.api import ScopedViewSet
from tenancy.filters import InstantFilter, IntegerFilter, SyncFilterSet
from tenancy.pagination import CodeCursorPagination


class TaskProgressFilter(SyncFilterSet):
    plan = IntegerFilter(field_name="plan_id", label="年度计划 id / plan id")
    updated_since = InstantFilter(
        method="changed_since",
        label="任务或其检查自此时刻起有更新 (ISO 8601; without an offset, Asia/Shanghai) / the task or one of its inspections changed since",
    )

    class Meta:
        model = SamplingTask
        fields: list[str] = []

    def changed_since(self, queryset: QuerySet[SamplingTask], name: str, value: Any) -> QuerySet[SamplingTask]:
        touched = Inspection._base_manager.filter(updated_at__gte=value).values("task_id")
        return queryset.filter(Q(updated_at__gte=value) | Q(pk__in=touched))


class ProgressPagination(CodeCursorPagination):
    page_size = 20
    max_page_size = 100


def _row(task: SamplingTask, numbers: dict[str, int]) -> dict[str, Any]:
    return {
        "task": task.pk, "task_uid": task.uid, "task_name": task.name, "organization": task.organization.code,
        "window_start": task.window_start, "window_end": task.window_end, "updated_at": task.updated_at, **numbers,
    }


class TaskProgressViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """抽查进度: each task with inspections, and its numbers."""

    queryset = SamplingTask.objects.none()
    serializer_class = TaskProgressSerializer
    filterset_class = TaskProgressFilter
    pagination_class = ProgressPagination

    def get_queryset(self) -> QuerySet[SamplingTask]:
        if getattr(self, "swagger_fake_view", False):
            return SamplingTask.objects.none()
        # Tasks in the caller's scope that have inspections (the subquery is below the scope:
        # the task's visibility is what decides).
        with_inspections = Inspection._base_manager.values("task_id")
        return SamplingTask.objects.filter(pk__in=with_inspections).select_related("organization")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = [_row(t, task_progress(actor=self.actor, task=t).as_dict()) for t in page]
        return self.get_paginated_response(TaskProgressSerializer(rows, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        return Response(TaskProgressSerializer(_row(task, task_progress(actor=self.actor, task=task).as_dict())).data)
