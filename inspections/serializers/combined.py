"""API shape of a combined visit (综合查一次), read-only: the firm, the agreed day, the note, its
cancellation, and each inspection as the caller may see it — the departments and the team's
names always; the inspection's id and task only when the caller may read that inspection."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inspections.selectors.combined import CombinedView
from tenancy.serializers import Serializer


class CombinedPartySerializer(Serializer):
    inspection = serializers.IntegerField(allow_null=True, help_text="检查 id；无权查看该检查时为 null")
    departments = serializers.ListField(child=serializers.CharField(), help_text="检查部门 / departments")
    team = serializers.ListField(child=serializers.CharField(), help_text="检查组人员 / the team's names")
    task_name = serializers.CharField(allow_blank=True, help_text="抽查任务；无权查看该检查时为空")


class CombinedVisitSerializer(Serializer):
    """综合查一次 (serialized from ``selectors.combined.CombinedView``)."""

    id = serializers.IntegerField(source="combined.pk")
    organization = serializers.CharField(source="combined.organization.code", help_text="安排单位代码（双随机办）")
    entity_code = serializers.CharField(source="combined.entity.code")
    entity_name = serializers.CharField(source="combined.entity.name")
    visit_on = serializers.DateField(source="combined.visit_on", help_text="上门日期 / agreed visit day")
    note = serializers.CharField(source="combined.note")
    active = serializers.BooleanField(source="combined.is_active")
    cancelled_at = serializers.DateTimeField(source="combined.cancelled_at", allow_null=True)
    cancel_reason = serializers.CharField(source="combined.cancel_reason")
    created_at = serializers.DateTimeField(source="combined.created_at")
    updated_at = serializers.DateTimeField(source="combined.updated_at")
    parties = serializers.SerializerMethodField()

    @extend_schema_field(CombinedPartySerializer(many=True))
    def get_parties(self, view: CombinedView) -> list[dict[str, Any]]:
        return [
            {"inspection": p.inspection.pk if p.readable else None, "departments": p.departments, "team": p.team,
             "task_name": p.task}
            for p in view.parties
        ]
