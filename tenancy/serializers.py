from __future__ import annotations

from rest_framework import serializers

from .models import Organization, Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="上级区划代码 / parent code")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class OrganizationSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="行政区划代码 / region code")

    class Meta:
        model = Organization
        fields = ["code", "name", "short_name", "kind", "region", "is_active", "updated_at"]
