"""REST API: draws (list, detail) and their records (DRAW.md §6), read-only.

``GET /api/v1/draws/{id}/record/`` returns the filing record to the owner, a joint plan's
participants and the office of the draw's region, and the public record to everyone else
(``?variant=public`` asks for the public one explicitly).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from sampling.models import Draw
from sampling.selectors import draws as selectors
from sampling.serializers.draws import DrawSerializer
from tenancy.api import ScopedViewSet
from tenancy.filters import IntegerFilter, SyncFilterSet


class DrawFilter(SyncFilterSet):
    # Plain ids and values: FK filters would query the scoped tables at import time.
    task = IntegerFilter(field_name="task_id")
    plan = IntegerFilter(field_name="plan_id")

    class Meta:
        model = Draw
        fields = ["status", "task_uid"]


class DrawViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """随机抽取: commitments (abandoned ones included) and completed draws."""

    queryset = Draw.objects.none()
    serializer_class = DrawSerializer
    filterset_class = DrawFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Draw.objects.none()
        return selectors.draw_list(actor=self.actor).order_by()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "variant",
                str,
                location=OpenApiParameter.QUERY,
                enum=["public", "filing"],
                required=False,
                description=(
                    "Which record (DRAW.md §6): `public` — the published record, no inspector identities "
                    "(`inspector_pool` and `conflicts` left out, `assignments` and `substitutions` without "
                    "inspectors); `filing` — the full record as filed with the office (备案), inspectors "
                    "included, for the draw's department, a joint plan's participating departments and the "
                    "leading-group office (双随机办) of the draw's region; anyone else asking for it gets the "
                    "public record. Omitted: `filing` for those allowed, else `public`. Any other value is a 400."
                ),
            )
        ],
        responses={200: OpenApiTypes.OBJECT},
        description=(
            "The draw record (DRAW.md §6), verifiable with `hashrank verify`: the filing variant for those "
            "allowed, else the public one (`?variant=public` asks for the public one explicitly). 404 before "
            "the draw."
        ),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def record(self, request: Request, pk: str | None = None) -> Response:
        draw = self.get_object()
        if draw.status != Draw.Status.COMPLETED:
            raise Http404
        # The list query defers the blobs; read the full row once.
        draw = selectors.draw_get(actor=self.actor, pk=draw.pk)
        variant = selectors.record_variant_for(actor=self.actor, draw=draw)
        asked = request.query_params.get("variant")
        if asked is not None and asked not in ("public", "filing"):
            # The schema offers two values: anything else is refused, not read as the default.
            raise ValidationError({"variant": [_("应为 public 或 filing")]})
        if asked == "public":
            variant = "public"
        return Response(selectors.draw_record(draw, variant=variant))


def register(router) -> None:
    router.register("draws", DrawViewSet, basename="draw")
