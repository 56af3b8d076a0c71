"""REST API: due items (待办期限), read-only — ``/api/v1/due-items/`` and ``/api/v1/due-items/{id}/``.

For the provincial platform (its province's items, pulled incrementally with ``updated_since``
and the cursor every list pages with) and for staff (their organization's; an office its
region's and those reported to it): the scope of the due list page. Filters, strict as every API
filter: ``state``, ``rule``, ``organization`` (a code), ``updated_since``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from tenancy.api import ScopedViewSet
from tenancy.filters import SyncFilterSet
from tenancy.serializers import ModelSerializer

from . import selectors
from .models import DueItem
from .rules import RULES
from .services import assumed_warning


class DueItemSerializer(ModelSerializer):
    rule_label = serializers.SerializerMethodField(help_text="事项名称 / what is due")
    organization = serializers.CharField(
        source="organization.code", read_only=True, help_text="办理单位代码 / code of the organization whose action it is"
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    escalate_to = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="逾期另报单位代码（备案：双随机办） / organization also told when overdue",
    )
    assignee = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="指定办理人 / the one user it names, if any"
    )
    assumed_warning = serializers.SerializerMethodField(
        help_text="截止日期按周一至周五推算时的提示（该年度节假日安排未录入） / warning when the date assumed Monday–Friday"
    )

    class Meta:
        model = DueItem
        fields = [
            "id", "rule", "rule_label", "state", "organization", "organization_name", "target_type", "target_id",
            "target_repr", "target_url", "roles", "assignee", "escalate_to", "anchor", "due_on", "period", "unit",
            "source", "assumed_years", "assumed_warning", "state_reason", "state_at", "closed_at", "escalated_at",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_rule_label(self, obj: DueItem) -> str:
        return selectors.rule_label(obj.rule)

    @extend_schema_field(OpenApiTypes.STR)
    def get_assumed_warning(self, obj: DueItem) -> str:
        return assumed_warning(obj.assumed_years)


class DueItemFilter(SyncFilterSet):
    state = django_filters.ChoiceFilter(choices=DueItem.State.choices, label="open | overdue | done | waived")
    # The rules registered by the apps' ready(), which ran before any URL configuration is
    # imported: the schema lists them (an unknown key is a 400).
    rule = django_filters.ChoiceFilter(
        choices=[(rule.key, rule.key) for rule in RULES], label="规则键 / rule key, e.g. sampling.filing"
    )
    organization = django_filters.CharFilter(
        field_name="organization__code", label="办理单位代码 / organization code, e.g. 140522-FGJ"
    )

    class Meta:
        model = DueItem
        fields: list[str] = []


class DueItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Due items the caller sees, with the rule's source and the calendar warning of each date."""

    queryset = DueItem.objects.none()
    serializer_class = DueItemSerializer
    filterset_class = DueItemFilter

    def get_queryset(self) -> QuerySet[DueItem]:
        return selectors.due_item_queryset(actor=self.actor)


def register(router: Any) -> None:
    router.register("due-items", DueItemViewSet, basename="dueitem")
