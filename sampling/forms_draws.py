"""Forms of the draw ceremony, recusals and replacements. They only parse; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sampling.models import RecusalRequest
from tenancy.forms import Form
from tenancy.uploads import AttachmentsField

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
    witnesses = forms.CharField(
        label=_("见证人"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("每行一人，或用顿号分隔")}),
        max_length=500,
        help_text=_("到场见证的人员姓名，记入抽取记录并公开。"),
        error_messages={"required": _("请至少填写一名见证人。")},
    )
    public_entropy = forms.CharField(
        label=_("公开随机数"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("如：见证人现场报出的数字，或承诺之后开奖的彩票号码")}),
        help_text=_("承诺之后才产生、任何人都无法事先知道的值；可以为空。"),
    )

    def clean_witnesses(self) -> list[str]:
        names = [n.strip() for n in _WITNESS_SPLIT.split(self.cleaned_data["witnesses"]) if n.strip()]
        if not names:
            raise forms.ValidationError(_("请至少填写一名见证人。"))
        return names

    def clean_public_entropy(self) -> str:
        value = self.cleaned_data["public_entropy"].strip()
        if "\x00" in value:
            raise forms.ValidationError(_("公开随机数中含有不允许的字符。"))
        return value


class AbandonForm(Form):
    reason = forms.CharField(label=_("放弃原因"), max_length=200, help_text=_("原承诺保留并公开，写明为何重新冻结对象池。"))


class RecusalRequestForm(Form):
    slot = forms.ChoiceField(label=_("检查对象与人员"))
    kind = forms.ChoiceField(label=_("申请类型"), choices=RecusalRequest.Kind.choices, initial=RecusalRequest.Kind.RECUSAL)
    reason = forms.CharField(label=_("事由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    # Offices routinely ask for the signed application; checked by content (PDF, JPG, PNG).
    attachments = AttachmentsField(label=_("附件（如签字的申请书、相关证明）"), max_files=3)

    def __init__(self, *args: Any, slots: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = slots

    @property
    def detail_fields(self) -> list[forms.BoundField]:
        """Every field but the target and place (a page may show those as cards of its own)."""
        return [self[name] for name in self.fields if name != "slot"]

    def clean_slot(self) -> tuple[int, int]:
        selection, _sep, inspector = self.cleaned_data["slot"].partition(":")
        return int(selection), int(inspector)


class RecusalDecideForm(Form):
    decision = forms.ChoiceField(
        label=_("审批结论"),
        choices=[("approve", _("批准，按规则递补人员")), ("reject", _("驳回"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("审批意见"), max_length=300, required=False, help_text=_("驳回时必填。"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("驳回时请填写意见。"))
        return data


class ReplacementForm(Form):
    selection = forms.ChoiceField(label=_("需替换的检查对象"))
    reason = forms.CharField(
        label=_("替换原因"), max_length=300, help_text=_("如：已注销、经登记的住所无法联系。由同层备选对象按顺序递补。")
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["selection"].choices = choices
