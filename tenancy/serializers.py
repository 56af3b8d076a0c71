"""Serializer base classes of every API shape of our apps, and the tenancy shapes.

Every serializer derives from :class:`Serializer` or :class:`ModelSerializer`: each writable
text field refuses C0 control characters (tenancy/validators.py), the explicit ones too, and
the children of list and dict fields. ``tests/api/test_control_chars.py`` fails for a
serializer class of our apps that does not.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import Organization, Region
from .validators import MULTI_LINE, ONE_LINE, NoControlChars


def guard_serializer_field(field: serializers.Field) -> None:
    """The control-character rule on a writable text field (a textarea-styled one holds lines)."""
    if getattr(field, "read_only", False):
        return
    if isinstance(field, serializers.ListField | serializers.DictField):
        guard_serializer_field(field.child)
    elif isinstance(field, serializers.CharField) and not any(isinstance(v, NoControlChars) for v in field.validators):
        multiline = field.style.get("base_template") == "textarea.html"
        field.validators = [*field.validators, MULTI_LINE if multiline else ONE_LINE]


class TextInputsMixin:
    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()  # type: ignore[misc]
        for field in fields.values():
            guard_serializer_field(field)
        return fields


class Serializer(TextInputsMixin, serializers.Serializer):
    pass


class ModelSerializer(TextInputsMixin, serializers.ModelSerializer):
    pass


class RegionSerializer(ModelSerializer):
    # Provinces have no parent: the schema says so (it said a string, always).
    parent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="上级区划代码，省级为空 / parent code, null for a province"
    )

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class OrganizationSerializer(ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="行政区划代码 / region code")

    class Meta:
        model = Organization
        fields = ["code", "name", "short_name", "kind", "region", "is_active", "updated_at"]
