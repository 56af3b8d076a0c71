"""The review of a result: the leader's decision with comments, and a correction's reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.forms import Form

APPROVE = "approve"
RETURN = "return"


class ReviewForm(Form):
    decision = forms.ChoiceField(
        label=_("审核意见"), choices=[(APPROVE, _("通过")), (RETURN, _("退回修改"))], widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退回时必填：写明需要修改的内容。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == RETURN and not (data.get("comment") or "").strip():
            self.add_error("comment", _("退回时请填写修改意见。"))
        return data


class CorrectForm(Form):
    reason = forms.CharField(
        label=_("更正原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("更正将生成新版本，原审核通过的版本保留并可查看；新版本审核通过后成为现行版本。"),
    )
