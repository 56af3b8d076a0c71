"""API representations of entities, registry entries and a bulk upsert's result.
"""

from __future__ import annotations

from rest_framework import serializers

from inventory.models import MarketEntity, RegistryEntry
from tenancy.serializers import ModelSerializer, Serializer


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
