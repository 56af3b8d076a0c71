"""API representations of check items with their points. Writes go through inventory.services.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from inventory.models import CheckItem, CheckPoint
from tenancy.models import OrgUnit
from tenancy.serializers import ModelSerializer


class CheckPointSerializer(ModelSerializer):
    class Meta:
        model = CheckPoint
        fields = ["id", "order", "project", "sub_item", "content", "basis", "answer_kind", "photo_required"]
        read_only_fields = ["id", "order"]


class CheckItemSerializer(ModelSerializer):
    points = CheckPointSerializer(many=True, required=False)
    organization = serializers.CharField(source="organization.code", read_only=True)
    change_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        model = CheckItem
        fields = [
            "id", "organization", "code", "version", "is_current", "previous", "name", "category", "target_type",
            "legal_basis", "method", "content", "responsible_unit", "status", "retired_reason", "change_reason",
            "points", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "version", "is_current", "previous", "status", "retired_reason", "created_at", "updated_at"]
        extra_kwargs = {"code": {"validators": []}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "actor", None) is not None and "responsible_unit" in self.fields:
            self.fields["responsible_unit"].queryset = OrgUnit.objects.filter(organization_id=request.actor.organization_id)
