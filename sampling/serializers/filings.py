"""API shapes of filings (备案) and the office's decision on one."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sampling.models import Filing, FilingDecision
from sampling.selectors import filings as selectors
from tenancy.serializers import ModelSerializer, Serializer


class FilingDecisionSerializer(ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.__str__", read_only=True, default="")

    class Meta:
        model = FilingDecision
        fields = ["decision", "reason", "decided_by", "created_at"]


class FilingSerializer(ModelSerializer):
    state = serializers.SerializerMethodField()
    organization = serializers.CharField(source="organization.name", read_only=True)
    office = serializers.CharField(source="office.name", read_only=True)
    task_name = serializers.CharField(source="draw.task.name", read_only=True)
    task_uid = serializers.CharField(source="draw.task_uid", read_only=True)
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Filing
        fields = [
            "id", "kind", "state", "draw", "task_uid", "task_name", "organization", "office", "previous",
            "submitted_at", "due_at", "note", "record_sha256", "decision",
        ]

    def get_state(self, obj: Filing) -> str:
        return selectors.filing_state(obj)

    def get_decision(self, obj: Filing) -> dict[str, Any] | None:
        decision = FilingDecision.objects.filter(filing=obj).select_related("decided_by").first()
        return FilingDecisionSerializer(decision).data if decision else None


class FilingDecideSerializer(Serializer):
    decision = serializers.ChoiceField(choices=FilingDecision.Decision.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["decision"] == FilingDecision.Decision.RETURNED and not data.get("reason", "").strip():
            raise serializers.ValidationError({"reason": "退回时必须填写退回原因。"})
        return data
