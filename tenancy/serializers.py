"""Serializer base classes of every API shape of our apps, and the tenancy shapes.

Every serializer derives from :class:`Serializer` or :class:`ModelSerializer`: each writable
text field refuses C0 control characters (tenancy/validators.py), the explicit ones too, and
the children of list and dict fields. ``tests/api/test_control_chars.py`` fails for a
serializer class of our apps that does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from .models import Organization, Region
from .validators import MULTI_LINE, ONE_LINE, NoControlChars


def guard_serializer_field(field: serializers.Field) -> None:
    """The control-character rule on a writable text field (a textarea-styled one holds lines)."""
    if getattr(field, "read_only", False):
        return
    if isinstance(field, serializers.ListField | serializers.DictField):
        guard_serializer_field(field.child)
    elif isinstance(field, serializers.CharField):
        # Ours names a NUL (U+0000) and where it is; DRF's own said, in its Chinese, "not allowed
        # to be an empty string" beside it.
        validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        if not any(isinstance(v, NoControlChars) for v in validators):
            multiline = field.style.get("base_template") == "textarea.html"
            validators.append(MULTI_LINE if multiline else ONE_LINE)
        field.validators = validators


class TextInputsMixin:
    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()  # type: ignore[misc]
        for field in fields.values():
            guard_serializer_field(field)
        return fields


def json_type(value: Any) -> str:
    """What a JSON value is, in words (for an error: Python's ``str`` means nothing to a client)."""
    if isinstance(value, str):
        return _("字符串")
    if isinstance(value, list | tuple):
        return _("数组")
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return _("数字")
    return type(value).__name__


class ObjectInputMixin:
    def to_internal_value(self, data: Any) -> Any:
        # DRF: "无效数据。期待为字典类型，得到的是 str 。" for a body (or a nested value) that is no object.
        if not isinstance(data, Mapping):
            message = _("应为 JSON 对象（{…}），收到的是%(type)s。") % {"type": json_type(data)}
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}, code="invalid")
        return super().to_internal_value(data)  # type: ignore[misc]


class Serializer(ObjectInputMixin, TextInputsMixin, serializers.Serializer):
    pass


class ModelSerializer(ObjectInputMixin, TextInputsMixin, serializers.ModelSerializer):
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
