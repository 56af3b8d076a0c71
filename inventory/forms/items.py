"""Forms of the check-item pages: an item, a check point, a retirement's reason, a joint item.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.forms import UnitChoiceMixin, deferred_choice
from inventory.models import CheckItem, CheckPoint, JointCheckItem
from inventory.selectors import items as item_selectors
from tenancy.context import Actor, OrgKind
from tenancy.forms import Form, ModelForm
from tenancy.models import Organization, OrgUnit


class CheckItemForm(UnitChoiceMixin, ModelForm):
    responsible_unit = deferred_choice(OrgUnit, required=False, label=_("责任股室"))
    change_reason = forms.CharField(
        label=_("修订原因"), required=False, max_length=200,
        help_text=_("已用于抽查任务或已批准、已公开的抽查计划的事项，修改后将生成新版本，原版本保留。"),
    )

    class Meta:
        model = CheckItem
        fields = ["code", "name", "category", "target_type", "method", "responsible_unit", "legal_basis", "content"]
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 3}), "content": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, actor: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_units(actor, "responsible_unit")
        if editing:
            del self.fields["code"]
        else:
            del self.fields["change_reason"]

    def _post_clean(self) -> None:
        # Model validation (uniqueness, tenant columns) is the service's job.
        pass


class CheckPointForm(ModelForm):
    class Meta:
        model = CheckPoint
        fields = ["project", "sub_item", "content", "basis", "answer_kind", "photo_required"]
        widgets = {"content": forms.Textarea(attrs={"rows": 2}), "basis": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self) -> None:
        pass


class ReasonForm(Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


def _item_choice_label(item: CheckItem) -> str:
    label = f"{item.organization.name} · {item.code} {item.name}"
    if not item.is_current or item.status != CheckItem.Status.ACTIVE:
        label += f"（v{item.version}，{'已废止' if item.status == CheckItem.Status.RETIRED else '历史版本'}）"
    return label


class JointItemForm(ModelForm):
    initiator = deferred_choice(Organization, label=_("发起部门"))
    partners = forms.ModelMultipleChoiceField(
        queryset=Organization._base_manager.none(), required=False, label=_("配合部门"), widget=forms.CheckboxSelectMultiple
    )
    items = forms.ModelMultipleChoiceField(
        queryset=CheckItem._base_manager.none(), required=False, label=_("对应部门事项"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("发起部门和配合部门各自抽查事项清单中的对应事项（可多选，按住 Ctrl 键选择多项）。"),
    )

    class Meta:
        model = JointCheckItem
        fields = ["field", "name", "target", "initiator", "partners", "items", "is_active"]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Organization.objects.filter(
            kind=OrgKind.DEPARTMENT, region_id__in=actor.visible_region_ids, is_active=True
        ).order_by("name")
        self.fields["initiator"].queryset = departments
        self.fields["partners"].queryset = departments
        keep = list(self.instance.items.values_list("pk", flat=True)) if self.instance.pk else []
        items = self.fields["items"]
        items.queryset = item_selectors.jointitem_item_choices(actor=actor, keep=keep)
        items.label_from_instance = _item_choice_label

    def _post_clean(self) -> None:
        pass
