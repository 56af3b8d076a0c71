"""REST API: plans and tasks, read-only (``/api/v1/plans/``, ``/api/v1/tasks/``).

Lists take ``year``, ``status``, ``updated_since`` and (plans) ``kind``, (tasks) ``plan`` filters,
strict as every API filter (a value they cannot use is a 400); paging is the cursor of every list.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins

from sampling.models import SamplingPlan, SamplingTask
from sampling.selectors import plans as selectors
from sampling.serializers.plans import PlanSerializer, TaskSerializer
from tenancy.api import ScopedViewSet
from tenancy.filters import IntegerFilter, SyncFilterSet


class PlanFilter(SyncFilterSet):
    class Meta:
        model = SamplingPlan
        fields = ["year", "status", "kind"]


class TaskFilter(SyncFilterSet):
    # Plain ids and values: FK filters would query the scoped tables at import time.
    plan = IntegerFilter(field_name="plan_id")
    year = IntegerFilter(field_name="plan__year")

    class Meta:
        model = SamplingTask
        fields = ["status"]


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = SamplingPlan.objects.none()
    serializer_class = PlanSerializer
    filterset_class = PlanFilter

    def get_queryset(self) -> QuerySet[SamplingPlan]:
        return selectors.plan_list(actor=self.actor)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = SamplingTask.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self) -> QuerySet[SamplingTask]:
        return selectors.task_list(actor=self.actor)


def register(router) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("tasks", TaskViewSet, basename="task")
