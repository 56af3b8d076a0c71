"""Forms of the 一单两库 pages: they parse and keep what was typed; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenancy.context import Actor, OrgKind
from tenancy.forms import Form, ModelForm
from tenancy.models import Organization, OrgUnit, User

from . import codes, selectors
from .models import CheckItem, CheckPoint, Inspector, JointCheckItem, MarketEntity

YES_NO = [("", _("全部")), ("yes", _("是")), ("no", _("否"))]
PHONE_RULE = _("联系电话应为手机号（如 138 0013 8000）或带区号的固定电话（如 0356-4221234，分机写作 0356-4221234 转 123），也可为 400/800 号码")


def clean_phone(raw: str) -> str:
    """A phone number as stored (half-width, spaces collapsed), or a ValidationError: the one
    rule of inventory.codes.is_valid_phone, for the inspector form and the API."""
    text = codes.normalize_phone(raw or "")
    if text and not codes.is_valid_phone(text):
        raise ValidationError(PHONE_RULE, code="phone")
    return text


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def split_tags(raw: str) -> list[str]:
    for sep in "，、;；\n":
        raw = raw.replace(sep, ",")
    return [t.strip() for t in raw.split(",") if t.strip()]


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class UnitChoiceMixin:
    def limit_units(self, actor: Actor, *names: str) -> None:
        units = OrgUnit.objects.filter(organization_id=actor.organization_id).order_by("name")
        for name in names:
            self.fields[name].queryset = units  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- items


def _deferred(model: Any, **kwargs: Any) -> forms.ModelChoiceField:
    """A choice field whose scoped queryset is set in ``__init__`` (scoped managers refuse queries
    at import time, outside any scope)."""
    return forms.ModelChoiceField(queryset=model._base_manager.none(), **kwargs)


class CheckItemForm(UnitChoiceMixin, ModelForm):
    responsible_unit = _deferred(OrgUnit, required=False, label=_("责任股室"))
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
    initiator = _deferred(Organization, label=_("发起部门"))
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
        items.queryset = selectors.jointitem_item_choices(actor=actor, keep=keep)
        items.label_from_instance = _item_choice_label

    def _post_clean(self) -> None:
        pass


# --------------------------------------------------------------------------- entities


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
            self.fields["tag"].choices = [("", _("全部"))] + [(t.pk, t.name) for t in selectors.entity_tags(actor=actor)]
        else:
            del self.fields["tag"]

    def filters(self) -> selectors.EntityFilters:
        if not self.is_valid():
            return selectors.EntityFilters()
        d = self.cleaned_data
        return selectors.EntityFilters(
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


# --------------------------------------------------------------------------- inspectors


class InspectorForm(UnitChoiceMixin, ModelForm):
    unit = _deferred(OrgUnit, required=False, label=_("所在股室"))
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
        self.fields["specialty"].choices = [("", _("全部"))] + [(t.pk, t.name) for t in selectors.specialty_tags(actor=actor)]

    def filters(self) -> selectors.InspectorFilters:
        if not self.is_valid():
            return selectors.InspectorFilters()
        d = self.cleaned_data
        return selectors.InspectorFilters(
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
            return selectors.entity_get_by_code(actor=self.actor, code=code)
        except (MarketEntity.DoesNotExist, MarketEntity.MultipleObjectsReturned):
            raise ValidationError(_("本地区名录中没有代码为 %(code)s 的检查对象"), params={"code": code})
