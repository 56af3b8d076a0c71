"""REST API: plans and tasks, read-only (``/api/v1/plans/``, ``/api/v1/tasks/``).

Lists take ``year``, ``status`` and (tasks) ``plan`` filters; paging is the cursor of every list.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins

from sampling.models import SamplingPlan, SamplingTask
from sampling.selectors import plans as selectors
from sampling.serializers_plans import PlanSerializer, TaskSerializer
from tenancy.api import ScopedViewSet


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = SamplingPlan.objects.none()
    serializer_class = PlanSerializer

    def get_queryset(self) -> QuerySet[SamplingPlan]:
        q = self.request.query_params
        return selectors.plan_list(actor=self.actor, year=_int(q.get("year")), status=q.get("status", ""))


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = SamplingTask.objects.none()
    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[SamplingTask]:
        q = self.request.query_params
        return selectors.task_list(
            actor=self.actor, plan_id=_int(q.get("plan")), year=_int(q.get("year")), status=q.get("status", "")
        )


def register(router) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("tasks", TaskViewSet, basename="task")
