"""综合查一次: the office's acceptance of an offer (which inspections, the agreed day, a note) and
a cancellation's reason. The service checks every condition again; the form only parses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.forms import Form

from .fill import DateInput


class AcceptForm(Form):
    inspections = forms.TypedMultipleChoiceField(
        label=_("一同上门的检查"), coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择两个部门的检查，才能综合查一次。"),
                        "invalid_choice": _("所选检查已不在可合并的范围内，请刷新页面后重新选择。")},
    )
    visit_on = forms.DateField(
        label=_("上门日期"), widget=DateInput(),
        help_text=_("各部门检查组在这一天一同上门；须为共同检查时段内的工作日。"),
        error_messages={"required": _("请填写上门日期。"), "invalid": _("请输入有效的日期（如 2026-05-08）。")},
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如集合时间地点、带队人、联系方式（各部门均可看到）。"),
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspections"].choices = choices


class CancelForm(Form):
    reason = forms.CharField(
        label=_("取消原因"), max_length=300, widget=forms.TextInput(),
        error_messages={"required": _("请填写取消原因。")},
    )
