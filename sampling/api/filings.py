"""REST API: filings (备案) — list/detail for the office and the department, and the office's
decision (``POST /api/v1/filings/{id}/decide/`` with ``decision`` and ``reason``)."""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sampling.models import Filing
from sampling.policies import can_decide_filings
from sampling.selectors import filings as selectors
from sampling.serializers.filings import FilingDecideSerializer, FilingSerializer
from sampling.services import filings as services
from tenancy.api import ScopedViewSet
from tenancy.filters import SyncFilterSet
from tenancy.policies import ensure


class FilingFilter(SyncFilterSet):
    # The tab is applied by the selector (get_queryset); the filter documents and checks it.
    tab = django_filters.ChoiceFilter(
        choices=[(t, t) for t in selectors.TABS], method="by_tab",
        label="pending | overdue | acknowledged | returned | all (default: all)",
    )

    class Meta:
        model = Filing
        fields = ["kind"]

    def by_tab(self, queryset: Any, name: str, value: str) -> Any:
        return queryset


class FilingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Filings the caller sees: an office its inbox, a department its own (``?tab=`` as the page)."""

    queryset = Filing.objects.none()
    serializer_class = FilingSerializer
    filterset_class = FilingFilter

    def get_queryset(self):
        if self.action == "list":
            tab = self.request.query_params.get("tab", "all")
            return selectors.filing_list(actor=self.actor, tab=tab if tab in selectors.TABS else "all")
        return selectors.filing_queryset(actor=self.actor)

    @action(detail=True, methods=["post"], serializer_class=FilingDecideSerializer)
    def decide(self, request: Request, pk: str | None = None) -> Response:
        filing = self.get_object()
        ensure(can_decide_filings, self.actor)
        serializer = FilingDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.filing_decide(actor=self.actor, filing=filing, **serializer.validated_data)
        filing = selectors.filing_get(actor=self.actor, pk=filing.pk)
        return Response(FilingSerializer(filing).data, status=status.HTTP_200_OK)


def register(router) -> None:
    router.register("filings", FilingViewSet, basename="filing")
