"""API representations of inspectors (phones only for their own organization).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from inventory import policies
from inventory.forms import clean_phone
from inventory.models import Inspector
from tenancy.models import OrgUnit
from tenancy.serializers import ModelSerializer


class TagNamesField(serializers.ListField):
    """Tags as a list of names (written as names too; unknown names become new tags)."""

    child = serializers.CharField(max_length=40)

    def to_representation(self, value: Any) -> list[str]:
        return sorted(t.name for t in value.all())


class InspectorSerializer(ModelSerializer):
    organization = serializers.CharField(source="organization.code", read_only=True)
    specialties = TagNamesField(required=False)
    eligible = serializers.SerializerMethodField()

    class Meta:
        model = Inspector
        fields = [
            "id", "organization", "unit", "name", "position", "cert_no", "cert_expires_on", "post", "phone",
            "specialties", "status", "eligible", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "organization", "eligible", "created_at", "updated_at"]
        extra_kwargs = {"cert_no": {"validators": []}}

    def get_eligible(self, obj: Inspector) -> bool:
        return obj.eligible_on()

    def validate_phone(self, value: str) -> str:
        return clean_phone(value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "actor", None) is not None and "unit" in self.fields:
            self.fields["unit"].queryset = OrgUnit.objects.filter(organization_id=request.actor.organization_id)

    def to_representation(self, obj: Inspector) -> dict[str, Any]:
        data = super().to_representation(obj)
        request = self.context.get("request")
        actor = getattr(request, "actor", None)
        if actor is None or not policies.can_see_personal_fields(actor, obj):
            data.pop("phone", None)
        return data
