"""Forms of the entity registry: an entity, the list's filters, the bulk actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from inventory.forms import YES_NO, yes_no
from inventory.models import MarketEntity
from inventory.selectors import entities as entity_selectors
from tenancy.context import Actor
from tenancy.forms import Form, ModelForm


class EntityForm(ModelForm):
    code = forms.CharField(
        label=_("统一社会信用代码/注册号/登记编码"), max_length=40,
        help_text=_("18 位统一社会信用代码（校验位按 GB 32100-2015 校验）；旧版 15 位注册号可用并标记为旧代码；无代码的对象用登记编码，如 R140522-XM2024-001"),
    )
    tags = forms.CharField(label=_("分类标注"), required=False, help_text=_("多个标签用逗号分隔"))

    class Meta:
        model = MarketEntity
        fields = [
            "code", "name", "entity_type", "legal_representative", "address", "industry_code", "industry_name",
            "established_on", "status", "risk_class", "on_abnormal_list", "on_dishonest_list", "complaint_count",
        ]
        widgets = {"established_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["tags"]

    def _post_clean(self) -> None:
        pass


class EntityFilterForm(Form):
    q = forms.CharField(label=_("名称或代码"), required=False)
    entity_type = forms.ChoiceField(label=_("主体类型"), required=False, choices=[("", _("全部"))] + MarketEntity.EntityType.choices)
    industry = forms.CharField(label=_("行业代码"), required=False, max_length=5)
    risk = forms.MultipleChoiceField(label=_("风险等级"), required=False, choices=MarketEntity.Risk.choices, widget=forms.CheckboxSelectMultiple)
    tag = forms.TypedChoiceField(label=_("分类标注"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("登记状态"), required=False, choices=[("", _("全部"))] + MarketEntity.Status.choices)
    abnormal = forms.ChoiceField(label=_("经营异常"), required=False, choices=YES_NO)
    dishonest = forms.ChoiceField(label=_("严重违法失信"), required=False, choices=YES_NO)
    complaints_min = forms.IntegerField(label=_("投诉数≥"), required=False, min_value=0)
    sort = forms.ChoiceField(
        label=_("排序"), required=False,
        choices=[("code", _("代码")), ("name", _("名称")), ("risk", _("风险等级")), ("complaints", _("投诉数")), ("updated", _("最近更新"))],
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actor.is_department:
            self.fields["tag"].choices = [("", _("全部"))] + [(t.pk, t.name) for t in entity_selectors.entity_tags(actor=actor)]
        else:
            del self.fields["tag"]

    def filters(self) -> entity_selectors.EntityFilters:
        if not self.is_valid():
            return entity_selectors.EntityFilters()
        d = self.cleaned_data
        return entity_selectors.EntityFilters(
            q=d.get("q") or "", entity_type=d.get("entity_type") or "", industry=d.get("industry") or "",
            risk=list(d.get("risk") or []), tag=d.get("tag"), status=d.get("status") or "",
            abnormal=yes_no(d.get("abnormal")), dishonest=yes_no(d.get("dishonest")),
            complaints_min=d.get("complaints_min"),
        )

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "code"


class BulkForm(Form):
    ACTIONS = [("tag", _("添加分类标注")), ("risk", _("设置风险等级")), ("retire", _("移出名录库"))]
    action = forms.ChoiceField(label=_("批量操作"), choices=ACTIONS)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    tag = forms.CharField(label=_("标签"), required=False, max_length=40)
    risk_class = forms.ChoiceField(label=_("风险等级"), required=False, choices=[("", "—")] + MarketEntity.Risk.choices)
    reason = forms.CharField(label=_("移出原因"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any integer is accepted here; the service keeps only the department's own entries.
        self.fields["ids"].choices = [(v, v) for v in (self.data.getlist("ids") if hasattr(self.data, "getlist") else [])]

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if not d.get("ids"):
            raise ValidationError(_("请先勾选检查对象"))
        action = d.get("action")
        if action == "tag" and not (d.get("tag") or "").strip():
            self.add_error("tag", _("请填写标签名称"))
        if action == "risk" and not d.get("risk_class"):
            self.add_error("risk_class", _("请选择风险等级"))
        if action == "retire" and not (d.get("reason") or "").strip():
            self.add_error("reason", _("请填写移出原因"))
        return d
