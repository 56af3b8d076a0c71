"""Serializers of plans and tasks (read-only API)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sampling.models import SamplingPlan, SamplingTask
from tenancy.serializers import ModelSerializer


class PlanSerializer(ModelSerializer):
    organization = serializers.CharField(source="organization.name", read_only=True)
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    items = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()

    class Meta:
        model = SamplingPlan
        fields = [
            "id", "kind", "year", "name", "doc_no", "status", "version", "previous", "adjustment_reason",
            "organization", "organization_code", "items", "participants", "scope", "frequency", "batches",
            "strata_mode", "strata", "focus_ratio", "focus_complaints", "exclude_inspected_by_plan", "annual_cap",
            "exclude_higher_plan", "exclude_inactive", "coverage_target", "submitted_at", "approved_at",
            "published_at", "created_at", "updated_at",
        ]

    def get_items(self, obj: SamplingPlan) -> list[dict[str, Any]]:
        # The scoped item manager: a participant department sees its own items of a joint plan.
        return [{"id": i.pk, "code": i.code, "name": i.name, "version": i.version} for i in obj.items.order_by("code")]

    def get_participants(self, obj: SamplingPlan) -> list[dict[str, Any]]:
        return [
            {"department": p.department_id, "name": p.department.name}
            for p in obj.participants.select_related("department").order_by("department__code")
        ]


class TaskSerializer(ModelSerializer):
    organization = serializers.CharField(source="organization.name", read_only=True)
    plan_name = serializers.CharField(source="plan.__str__", read_only=True)
    year = serializers.IntegerField(source="plan.year", read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = SamplingTask
        fields = [
            "id", "uid", "plan", "plan_name", "year", "batch_no", "name", "status", "organization", "items",
            "scope", "strata", "reserve_size", "team_requirements", "specialties", "window_start", "window_end",
            "created_at", "updated_at",
        ]

    def get_items(self, obj: SamplingTask) -> list[dict[str, Any]]:
        return [{"id": i.pk, "code": i.code, "name": i.name} for i in obj.items.order_by("code")]
