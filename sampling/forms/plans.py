"""Forms of plans and tasks. They parse what was typed into the ``data`` dicts the services take;
the services hold the rules (and their errors come back onto these forms)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.codes import normalize_code
from inventory.models import CheckItem, MarketEntity
from sampling.models import SamplingPlan, SamplingTask
from sampling.pool import RISK_LABELS, SINGLE_LABEL
from sampling.services.plans import (
    industry_prefixes_error,
    plan_year_error,
    plan_years_open,
    task_window_errors,
)
from tenancy.context import Actor
from tenancy.forms import Form
from tenancy.models import Organization

STRATUM_KEYS: list[tuple[str, str]] = [*RISK_LABELS.items(), ("ALL", SINGLE_LABEL)]
_SPLIT = re.compile(r"[\s,，、;；]+")


def _split(text: str) -> list[str]:
    return [t for t in _SPLIT.split(text or "") if t]


def pct_to_ratio(pct: Decimal) -> str:
    """20 (%) -> "0.2": the exact decimal string hashrank takes."""
    value = (pct / Decimal(100)).normalize()
    return format(value, "f")


def ratio_to_pct(ratio: Any) -> Decimal:
    return (Decimal(str(ratio)) * 100).normalize() + Decimal(0)


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CheckItem) -> str:
        label = f"{obj.code} {obj.name}"
        return _("［%(org)s］%(label)s") % {"org": obj.organization.label, "label": label} if self.show_org else label

    show_org = False


class StrataScopeMixin:
    """Strata (a ratio in % or a count per stratum) and scope filters, shared by plans and tasks."""

    strata_required = True
    SECTIONS: dict[str, tuple[str, ...]] = {}

    @property
    def sections(self) -> dict[str, list[forms.BoundField]]:
        """Bound fields per page section (the template renders one card per section)."""
        return {
            name: [self[f] for f in names if f in self.fields]  # type: ignore[index,attr-defined]
            for name, names in self.SECTIONS.items()
        }

    def add_strata_scope_fields(self, *, tag_choices: list[str], initial_strata: list[dict], initial_scope: dict) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        given = {str(e.get("stratum")): e for e in initial_strata or []}
        for key, label in STRATUM_KEYS:
            entry = given.get(key if key != "ALL" else SINGLE_LABEL, {})
            fields[f"ratio_{key}"] = forms.DecimalField(
                label=_("%(label)s 比例（%%）") % {"label": label}, required=False, min_value=Decimal("0.01"),
                max_value=Decimal(100), max_digits=8, decimal_places=4,
                initial=ratio_to_pct(entry["ratio"]) if entry.get("ratio") else None,
                error_messages={
                    # Formatted by Django with the validator's params: "%%" is a percent sign.
                    "max_value": _("比例不能超过 100%%（现为 %(value)s%%）"),
                    "min_value": _("比例至少为 0.01%%（不抽取请填写数量 0）"),
                    "invalid": _("请填写数字，如 3 或 2.5"),
                },
            )
            fields[f"count_{key}"] = forms.IntegerField(
                label=_("或 %(label)s 数量（户）") % {"label": label}, required=False, min_value=0,
                initial=entry.get("count"),
                error_messages={"min_value": _("数量不能为负数"), "invalid": _("请填写整数")},
            )
        fields["entity_types"] = forms.MultipleChoiceField(
            label=_("主体类型"), required=False, choices=MarketEntity.EntityType.choices,
            widget=forms.CheckboxSelectMultiple, initial=initial_scope.get("entity_types", []),
        )
        fields["industry_prefixes"] = forms.CharField(
            label=_("行业代码前缀"), required=False, help_text=_("GB/T 4754：门类字母 A–T 可加 2–4 位数字（如 F52），或 2–4 位数字（如 8710）；多个以逗号分隔"),
            initial=", ".join(initial_scope.get("industry_prefixes", [])),
        )
        fields["tags"] = forms.MultipleChoiceField(
            label=_("分类标注"), required=False, choices=[(t, t) for t in tag_choices],
            widget=forms.CheckboxSelectMultiple, initial=initial_scope.get("tags", []),
            help_text=_("名录库中的标签，选中任一即纳入"),
        )
        fields["region_codes"] = forms.CharField(
            label=_("行政区划代码"), required=False, help_text=_("6 位代码，多个以逗号分隔；空则不限"),
            initial=", ".join(initial_scope.get("region_codes", [])),
        )

    @staticmethod
    def _strata_keys(mode: str) -> list[tuple[str, str]]:
        return [(k, label) for k, label in STRATUM_KEYS if (k == "ALL") == (mode == SamplingPlan.StrataMode.SINGLE)]

    def strata_rows(self, mode: str) -> list[dict[str, Any]]:
        """One row per stratum of ``mode``: its label, its ratio and count fields (side by side)."""
        return [
            {"key": key, "label": label, "ratio": self[f"ratio_{key}"], "count": self[f"count_{key}"]}  # type: ignore[index]
            for key, label in self._strata_keys(mode)
        ]

    @property
    def risk_rows(self) -> list[dict[str, Any]]:
        return self.strata_rows(SamplingPlan.StrataMode.RISK)

    @property
    def single_rows(self) -> list[dict[str, Any]]:
        return self.strata_rows(SamplingPlan.StrataMode.SINGLE)

    def strata_data(self, mode: str) -> list[dict[str, Any]]:
        cd = self.cleaned_data  # type: ignore[attr-defined]
        result = []
        for key, _label in self._strata_keys(mode):
            if f"ratio_{key}" in self.errors or f"count_{key}" in self.errors:  # type: ignore[attr-defined]
                continue  # its own error says what is wrong ("请填写比例或数量" would contradict it)
            ratio, count = cd.get(f"ratio_{key}"), cd.get(f"count_{key}")
            stratum = SINGLE_LABEL if key == "ALL" else key
            if ratio is not None and count is not None:
                self.add_error(f"count_{key}", _("比例和数量只能填写一项"))  # type: ignore[attr-defined]
            elif ratio is not None:
                result.append({"stratum": stratum, "ratio": pct_to_ratio(ratio)})
            elif count is not None:
                result.append({"stratum": stratum, "count": count})
            elif self.strata_required:
                self.add_error(f"ratio_{key}", _("请填写比例或数量"))  # type: ignore[attr-defined]
        return result

    def clean_region_codes(self) -> str:
        value = self.cleaned_data.get("region_codes", "")  # type: ignore[attr-defined]
        if any(not (len(c) == 6 and c.isdigit()) for c in _split(value)):
            raise ValidationError(_("行政区划代码应为 6 位数字"))
        return value

    def clean_industry_prefixes(self) -> str:
        value = self.cleaned_data.get("industry_prefixes", "")  # type: ignore[attr-defined]
        message = industry_prefixes_error([normalize_code(p) for p in _split(value)])
        if message:
            raise ValidationError(message)
        return value

    def scope_data(self) -> dict[str, list[str]]:
        cd = self.cleaned_data  # type: ignore[attr-defined]
        return {
            "entity_types": list(cd.get("entity_types") or []),
            "industry_prefixes": _split(cd.get("industry_prefixes", "")),
            "tags": list(cd.get("tags") or []),
            "region_codes": _split(cd.get("region_codes", "")),
        }


class PlanForm(StrataScopeMixin, Form):
    SECTIONS = {
        "basic": ("year", "name", "doc_no", "adjustment_reason"),
        "items": ("participants", "items"),
        "scope": ("entity_types", "industry_prefixes", "tags", "region_codes"),
        "frequency": ("frequency", "batches", "strata_mode"),
        "risk": ("ratio_A", "count_A", "ratio_B", "count_B", "ratio_C", "count_C", "ratio_D", "count_D"),
        "single": ("ratio_ALL", "count_ALL"),
        "focus": ("focus_ratio", "focus_complaints"),
        "rules": ("exclude_inactive", "exclude_higher_plan", "exclude_inspected_by_plan", "annual_cap", "coverage_target"),
    }
    year = forms.IntegerField(label=_("年度"), error_messages={"invalid": _("请填写年度（4 位数字，如 2026）")})
    name = forms.CharField(label=_("计划名称"), max_length=200)
    doc_no = forms.CharField(label=_("文号"), max_length=60, required=False)
    participants = forms.ModelMultipleChoiceField(
        label=_("参与部门"), queryset=Organization.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    items = ItemChoiceField(label=_("抽查事项"), queryset=CheckItem.objects.none(), widget=forms.CheckboxSelectMultiple)
    frequency = forms.ChoiceField(label=_("抽查频次"), choices=SamplingPlan.Frequency.choices)
    batches = forms.IntegerField(label=_("批次数"), min_value=1, max_value=52, required=False,
                                 help_text=_("选择“自定义批次”时填写"))
    strata_mode = forms.ChoiceField(label=_("分层方式"), choices=SamplingPlan.StrataMode.choices)
    focus_ratio = forms.DecimalField(
        label=_("重点对象每批抽查比例（%）"), required=False, min_value=Decimal("0.01"), max_value=Decimal(100),
        max_digits=8, decimal_places=4,
        help_text=_("列入经营异常名录、严重违法失信名单或投诉举报多的对象单独成层，按此比例抽取；空则不单列"),
    )
    focus_complaints = forms.IntegerField(label=_("投诉举报多（次数≥）"), min_value=1, initial=3)
    exclude_inactive = forms.BooleanField(label=_("注销、吊销的不列入"), required=False, initial=True)
    exclude_higher_plan = forms.BooleanField(label=_("上级部门已安排抽查的不再列入"), required=False, initial=True)
    exclude_inspected_by_plan = forms.BooleanField(label=_("本计划本年度已抽查的不再列入"), required=False, initial=True)
    annual_cap = forms.IntegerField(label=_("同一对象年度抽查次数上限"), min_value=0, max_value=365, initial=2,
                                    help_text=_("曲阳 §17：原则上同一年度内对同一企业的抽查次数不超过2次；0 为不限"))
    coverage_target = forms.DecimalField(label=_("年度覆盖率目标（%）"), min_value=Decimal("0.01"), max_value=Decimal(100),
                                         max_digits=8, decimal_places=4, initial=20,
                                         help_text=_("阳城文旅：全年抽查总比例不低于20%"))
    adjustment_reason = forms.CharField(label=_("调整原因"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, actor: Actor, plan: SamplingPlan | None = None, items=None, departments=None,
                 tag_choices: list[str] | None = None, adjusting: bool = False, **kwargs: Any) -> None:
        initial = kwargs.pop("initial", {}) or {}
        if plan is not None:
            initial = {**self.initial_from(plan), **initial}
        else:
            # A new plan: this year, quarterly (阳城文旅: 每季度进行1次双随机抽查).
            year = timezone.localdate().year
            initial = {"year": year, "frequency": SamplingPlan.Frequency.QUARTERLY,
                       "name": _("%(year)s年度“双随机、一公开”抽查计划") % {"year": year}, **initial}
        super().__init__(*args, initial=initial, **kwargs)
        self.actor = actor
        self.plan = plan
        self.is_joint = actor.is_office
        self.fields["items"].queryset = items if items is not None else CheckItem.objects.none()
        self.fields["items"].show_org = self.is_joint
        if self.is_joint:
            self.fields["participants"].queryset = departments
            self.fields["participants"].required = True
        else:
            del self.fields["participants"]
        # The reason is asked when adjusting and when editing an adjustment (version > 1), which
        # keeps its plan's year (shown, not editable).
        self.keep_year = plan.year if adjusting or (plan is not None and plan.previous_id) else None
        if self.keep_year is not None:
            self.fields["adjustment_reason"].required = True
            self.fields["year"].disabled = True
            self.fields["year"].help_text = _("调整计划沿用原计划的年度")
        else:
            del self.fields["adjustment_reason"]
            this_year, next_year = plan_years_open()
            self.fields["year"].help_text = _("今年（%(this)s）或明年（%(next)s）") % {"this": this_year, "next": next_year}
        self.add_strata_scope_fields(
            tag_choices=tag_choices or [],
            initial_strata=plan.strata if plan is not None else [{"stratum": k, "ratio": v} for k, v in
                                                                  {"A": "0.03", "B": "0.05", "C": "0.10", "D": "0.20"}.items()],
            initial_scope=plan.scope if plan is not None else {},
        )

    @staticmethod
    def initial_from(plan: SamplingPlan) -> dict[str, Any]:
        values: dict[str, Any] = {f: getattr(plan, f) for f in (
            "year", "name", "doc_no", "frequency", "batches", "strata_mode", "focus_complaints", "exclude_inactive",
            "exclude_higher_plan", "exclude_inspected_by_plan", "annual_cap", "adjustment_reason")}
        values["items"] = list(plan.items.values_list("pk", flat=True))
        values["participants"] = list(plan.participants.values_list("department_id", flat=True))
        values["coverage_target"] = ratio_to_pct(plan.coverage_target)
        values["focus_ratio"] = ratio_to_pct(plan.focus_ratio) if plan.focus_ratio is not None else None
        return values

    def to_data(self) -> dict[str, Any]:
        cd = self.cleaned_data
        mode = cd.get("strata_mode") or SamplingPlan.StrataMode.RISK
        data = {
            "kind": SamplingPlan.Kind.JOINT if self.is_joint else SamplingPlan.Kind.DEPARTMENT,
            "year": cd["year"], "name": cd["name"], "doc_no": cd.get("doc_no", ""),
            "items": list(cd["items"]), "participants": list(cd.get("participants") or []),
            "scope": self.scope_data(), "frequency": cd["frequency"], "batches": cd.get("batches"),
            "strata_mode": mode, "strata": self.strata,
            "focus_ratio": pct_to_ratio(cd["focus_ratio"]) if cd.get("focus_ratio") is not None else None,
            "focus_complaints": cd.get("focus_complaints") or 3,
            "exclude_inactive": cd.get("exclude_inactive", False),
            "exclude_higher_plan": cd.get("exclude_higher_plan", False),
            "exclude_inspected_by_plan": cd.get("exclude_inspected_by_plan", False),
            "annual_cap": cd.get("annual_cap") if cd.get("annual_cap") is not None else 2,
            "coverage_target": Decimal(pct_to_ratio(cd["coverage_target"])),
        }
        if "adjustment_reason" in self.fields:
            data["adjustment_reason"] = cd.get("adjustment_reason", "")
        return data

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        message = plan_year_error(year, keep=self.keep_year)
        if message:
            raise ValidationError(message)
        return year

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("frequency") == SamplingPlan.Frequency.CUSTOM and not cleaned.get("batches"):
            self.add_error("batches", _("自定义批次时请填写批次数"))
        self.strata = self.strata_data(cleaned.get("strata_mode") or SamplingPlan.StrataMode.RISK)
        return cleaned


class ReasonForm(Form):
    reason = forms.CharField(label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(Form):
    """A leader's decision on a submitted plan: the opinion goes with 批准 (optional) and 退回
    (required, checked by the service, which knows which button was pressed)."""

    opinion = forms.CharField(
        label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("批准时可填写；退回时必填，写明需要修改的内容。"),
    )


class TaskForm(StrataScopeMixin, Form):
    strata_required = False
    SECTIONS = {
        "basic": ("batch_no", "name", "uid", "window_start", "window_end", "reserve_size"),
        "items": ("items",),
        "scope": ("entity_types", "industry_prefixes", "tags", "region_codes"),
        "risk": ("ratio_A", "count_A", "ratio_B", "count_B", "ratio_C", "count_C", "ratio_D", "count_D"),
        "single": ("ratio_ALL", "count_ALL"),
        "specialties": ("specialties", "ready"),
    }

    @property
    def team_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("team_")]

    batch_no = forms.IntegerField(label=_("批次"), min_value=1)
    name = forms.CharField(label=_("任务名称"), max_length=200, help_text=_("如“2026年第二季度”"))
    uid = forms.CharField(label=_("任务编号"), max_length=80, required=False,
                          help_text=_("公开可查的任务编号；空则自动生成“单位代码-年度-批次”"))
    items = ItemChoiceField(label=_("抽查事项"), queryset=CheckItem.objects.none(), widget=forms.CheckboxSelectMultiple)
    window_start = forms.DateField(label=_("检查开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                   error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")})
    window_end = forms.DateField(label=_("检查截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")})
    reserve_size = forms.IntegerField(label=_("每层备选数量"), min_value=0, max_value=100, initial=2)
    specialties = forms.MultipleChoiceField(label=_("执法人员专长要求"), required=False, widget=forms.CheckboxSelectMultiple)
    ready = forms.BooleanField(label=_("保存后设为“待抽取”"), required=False, initial=True)

    def __init__(self, *args: Any, actor: Actor, plan: SamplingPlan, task: SamplingTask | None = None,
                 departments: list[Organization] | None = None, tag_choices: list[str] | None = None,
                 specialty_choices: list[str] | None = None, **kwargs: Any) -> None:
        initial = kwargs.pop("initial", {}) or {}
        if task is not None:
            initial = {**self.initial_from(task), **initial}
        super().__init__(*args, initial=initial, **kwargs)
        self.plan = plan
        self.task = task
        self.fields["items"].queryset = CheckItem.objects.filter(pk__in=plan.items.values("pk")).select_related("organization")
        self.fields["items"].show_org = plan.kind == SamplingPlan.Kind.JOINT
        self.fields["batch_no"].max_value = plan.batches
        self.fields["specialties"].choices = [(t, t) for t in specialty_choices or []]
        self.departments = departments or []
        # 阳城文旅: 每次选派的执法检查人员不少于2人; a joint task: a count per participant.
        by_dept = {e.get("department"): e.get("count") for e in (task.team_requirements if task else [])}
        for dept in self.departments:
            self.fields[f"team_{dept.pk}"] = forms.IntegerField(
                label=_("%(dept)s 派出执法人员数") % {"dept": dept.label}, min_value=1, max_value=20,
                initial=by_dept.get(dept.pk, 1 if len(self.departments) > 1 else 2),
            )
        if task is not None:
            del self.fields["ready"]
        self.add_strata_scope_fields(
            tag_choices=tag_choices or [], initial_strata=task.strata if task else [], initial_scope=task.scope if task else {}
        )
        for key, _label in STRATUM_KEYS:
            self.fields[f"ratio_{key}"].help_text = _("空则沿用年度计划")

    @staticmethod
    def initial_from(task: SamplingTask) -> dict[str, Any]:
        values = {f: getattr(task, f) for f in ("batch_no", "name", "uid", "window_start", "window_end", "reserve_size", "specialties")}
        values["items"] = list(task.items.values_list("pk", flat=True))
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The service's rule, shown beside the fields together with the form's other errors.
        start, end = cleaned.get("window_start"), cleaned.get("window_end")
        for field, messages in task_window_errors(self.plan, start, end).items():
            for message in messages:
                self.add_error(field, message)
        self.strata = self.strata_data(self.plan.strata_mode)
        return cleaned

    def to_data(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {
            "batch_no": cd["batch_no"], "name": cd["name"], "uid": cd.get("uid", ""), "items": list(cd["items"]),
            "window_start": cd.get("window_start"), "window_end": cd.get("window_end"),
            "reserve_size": cd.get("reserve_size") if cd.get("reserve_size") is not None else 2,
            "specialties": list(cd.get("specialties") or []),
            "team_requirements": [{"department": d.pk, "count": cd.get(f"team_{d.pk}") or 0} for d in self.departments],
            "scope": self.scope_data(), "strata": self.strata,
            "ready": cd.get("ready", False),
        }
