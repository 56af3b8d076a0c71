"""API shapes of draws. The record itself is the DRAW.md §6 JSON (``sampling.selectors.draws.draw_record``)."""

from __future__ import annotations

from rest_framework import serializers

from sampling.models import Draw
from tenancy.serializers import ModelSerializer


class DrawSerializer(ModelSerializer):
    """A draw as listed: the commitment event and, once drawn, the revealed values and counts.
    The secret appears only after the draw (DRAW.md §1)."""

    task_name = serializers.CharField(source="task.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    secret = serializers.SerializerMethodField()
    record_url = serializers.SerializerMethodField()

    class Meta:
        model = Draw
        fields = [
            "id", "task", "task_uid", "task_name", "plan", "organization", "status", "status_display", "spec",
            "commitment", "pool_hash", "pool_size", "excluded_count", "strata", "reserve_size",
            "inspector_pool_hash", "scheduled_at", "committed_at", "secret", "public_entropy", "seed",
            "allocation", "witnesses", "drawn_at", "abandoned_reason", "updated_at", "record_url",
        ]
        read_only_fields = fields

    def get_secret(self, draw: Draw) -> str | None:
        return draw.secret if draw.status == Draw.Status.COMPLETED else None

    def get_record_url(self, draw: Draw) -> str | None:
        if draw.status != Draw.Status.COMPLETED:
            return None
        request = self.context.get("request")
        path = f"/api/v1/draws/{draw.pk}/record/"
        return request.build_absolute_uri(path) if request is not None else path
