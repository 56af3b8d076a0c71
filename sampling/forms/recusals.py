"""Forms of recusals (回避) and target replacements. They only parse; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sampling.models import RecusalRequest
from tenancy.forms import Form
from tenancy.uploads import AttachmentsField


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
