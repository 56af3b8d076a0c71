"""/api/v1/regions/ (public reference data) and /api/v1/organizations/ (scoped)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, permissions, viewsets

from . import selectors
from .api import ScopedViewSet
from .filters import SyncFilterSet
from .models import Organization, Region
from .serializers import OrganizationSerializer, RegionSerializer


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """GB/T 2260 administrative divisions known to this installation (行政区划)."""

    serializer_class = RegionSerializer
    queryset = Region.objects.select_related("parent").order_by("code")
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "code"
    pagination_class = None


class OrganizationFilter(SyncFilterSet):
    class Meta:
        model = Organization
        fields = ["kind"]


class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Organizations the caller may see: its own region's departments, offices and platforms (单位)."""

    serializer_class = OrganizationSerializer
    queryset = Organization.objects.none()
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = OrganizationFilter

    def get_queryset(self) -> QuerySet[Organization]:
        return selectors.organization_list(actor=self.actor).order_by("updated_at", "id")


def register(router) -> None:
    router.register("regions", RegionViewSet, basename="region")
    router.register("organizations", OrganizationViewSet, basename="organization")
