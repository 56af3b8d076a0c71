"""Forms of the draw ceremony (commit, draw, abandon). They only parse; services decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.forms import Form

_WITNESS_SPLIT = re.compile(r"[\n,，、;；]+")


class CommitForm(Form):
    scheduled_at = forms.DateTimeField(
        label=_("计划抽取时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("公布在承诺中，见证人可据此到场；不能早于现在，也不能晚于检查截止日期。"),
        error_messages={"invalid": _("计划抽取时间格式不正确，应为 YYYY-MM-DD HH:MM。")},
    )


class ExecuteForm(Form):
    # Parsed here; the rule (at least one) is the service's, for every way a draw starts.
    witnesses = forms.CharField(
        label=_("见证人"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("每行一人，或用顿号分隔")}),
        max_length=500,
        help_text=_("到场见证的人员姓名，记入抽取记录并公开。"),
    )
    public_entropy = forms.CharField(
        label=_("公开随机数"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("如：见证人现场报出的数字，或承诺之后开奖的彩票号码")}),
        help_text=_("承诺之后才产生、任何人都无法事先知道的值；可以为空。"),
    )

    def clean_witnesses(self) -> list[str]:
        return [n.strip() for n in _WITNESS_SPLIT.split(self.cleaned_data["witnesses"]) if n.strip()]

    def clean_public_entropy(self) -> str:
        value = self.cleaned_data["public_entropy"].strip()
        if "\x00" in value:
            raise forms.ValidationError(_("公开随机数中含有不允许的字符。"))
        return value


class PlanDrawForm(ExecuteForm):
    """Every ready task of a plan drawn in turn, before the same witnesses."""


class AbandonForm(Form):
    reason = forms.CharField(label=_("放弃原因"), max_length=200, help_text=_("原承诺保留并公开，写明为何重新冻结对象池。"))
