"""Forms of the inspector roster: an inspector, the list's filters, a declared conflict.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from inventory.forms import YES_NO, UnitChoiceMixin, clean_phone, deferred_choice, yes_no
from inventory.models import Inspector, MarketEntity
from inventory.selectors import entities as entity_selectors
from inventory.selectors import inspectors as inspector_selectors
from tenancy.context import Actor
from tenancy.forms import Form, ModelForm
from tenancy.models import OrgUnit, User


class InspectorForm(UnitChoiceMixin, ModelForm):
    unit = deferred_choice(OrgUnit, required=False, label=_("所在股室"))
    specialties_text = forms.CharField(label=_("专长"), required=False, help_text=_("多个专长用逗号分隔，如：旅行社、网吧"))

    class Meta:
        model = Inspector
        fields = ["name", "unit", "position", "cert_no", "cert_expires_on", "post", "phone", "status", "user"]
        widgets = {"cert_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "phone": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args: Any, actor: Actor, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_units(actor, "unit")
        self.fields["user"].queryset = User.objects.filter(pk__in=[u.pk for u in users]).order_by("username")
        self.fields["user"].help_text = _("可选：本单位成员账号，关联后该账号可查看分派给本人的检查")
        if self.instance.pk and not self.is_bound:
            self.initial["specialties_text"] = "，".join(t.name for t in self.instance.specialties.all())
        self.fields["phone"].help_text = _("手机号或带区号的固定电话，如 138 0013 8000、0356-4221234")

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("phone") or "")

    def _post_clean(self) -> None:
        pass


class InspectorFilterForm(Form):
    q = forms.CharField(label=_("姓名或执法证号"), required=False)
    unit = forms.TypedChoiceField(label=_("股室"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + Inspector.Status.choices)
    specialty = forms.TypedChoiceField(label=_("专长"), required=False, coerce=int, empty_value=None)
    expired = forms.ChoiceField(label=_("执法证过期"), required=False, choices=YES_NO)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.filter(organization_id__in=actor.visible_org_ids).order_by("name")
        self.fields["unit"].choices = [("", _("全部"))] + [(u.pk, u.name) for u in units]
        self.fields["specialty"].choices = [("", _("全部"))] + [(t.pk, t.name) for t in inspector_selectors.specialty_tags(actor=actor)]

    def filters(self) -> inspector_selectors.InspectorFilters:
        if not self.is_valid():
            return inspector_selectors.InspectorFilters()
        d = self.cleaned_data
        return inspector_selectors.InspectorFilters(
            q=d.get("q") or "", unit=d.get("unit"), status=d.get("status") or "",
            specialty=d.get("specialty"), expired=yes_no(d.get("expired")),
        )


class ConflictForm(Form):
    entity_code = forms.CharField(label=_("检查对象代码"), max_length=40, help_text=_("统一社会信用代码、注册号或登记编码"))
    reason = forms.CharField(label=_("回避事由"), max_length=200)
    declared_on = forms.DateField(label=_("申报日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    approved_by = forms.CharField(label=_("审批人"), required=False, max_length=50)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        self.actor = actor
        super().__init__(*args, **kwargs)

    def clean_entity_code(self) -> MarketEntity:
        code = self.cleaned_data["entity_code"]
        try:
            return entity_selectors.entity_get_by_code(actor=self.actor, code=code)
        except (MarketEntity.DoesNotExist, MarketEntity.MultipleObjectsReturned):
            raise ValidationError(_("本地区名录中没有代码为 %(code)s 的检查对象"), params={"code": code})
