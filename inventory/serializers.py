"""API representations of the three registries. Writes go through inventory.services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tenancy.serializers import ModelSerializer, Serializer

from . import policies
from .forms import clean_phone
from .models import CheckItem, CheckPoint, Inspector, MarketEntity, RegistryEntry


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
            from tenancy.models import OrgUnit

            self.fields["responsible_unit"].queryset = OrgUnit.objects.filter(organization_id=request.actor.organization_id)


class EntitySerializer(ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = MarketEntity
        fields = [
            "id", "code", "code_kind", "is_legacy_code", "name", "entity_type", "legal_representative", "address",
            "industry_code", "industry_name", "established_on", "status", "risk_class", "on_abnormal_list",
            "on_dishonest_list", "complaint_count", "region", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "code_kind", "is_legacy_code", "region", "created_at", "updated_at"]
        extra_kwargs = {"code": {"validators": []}}


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
            from tenancy.models import OrgUnit

            self.fields["unit"].queryset = OrgUnit.objects.filter(organization_id=request.actor.organization_id)

    def to_representation(self, obj: Inspector) -> dict[str, Any]:
        data = super().to_representation(obj)
        request = self.context.get("request")
        actor = getattr(request, "actor", None)
        if actor is None or not policies.can_see_personal_fields(actor, obj):
            data.pop("phone", None)
        return data


class RegistryEntrySerializer(ModelSerializer):
    organization = serializers.CharField(source="organization.code", read_only=True)
    entity_code = serializers.CharField(source="entity.code", read_only=True)
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = RegistryEntry
        fields = ["id", "organization", "entity", "entity_code", "entity_name", "tags", "status", "retired_reason", "note", "created_at", "updated_at"]
        read_only_fields = fields

    def get_tags(self, obj: RegistryEntry) -> list[str]:
        return sorted(t.name for t in obj.tags.all())


class BulkUpsertResultSerializer(Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
