"""Forms of the filing pages: submit/resubmit (a note, attachments), the office's decision (with
attachments), attachments added to a filing later, the inbox filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sampling.models import FilingDecision
from tenancy.forms import Form
from tenancy.uploads import AttachmentsField


def _attachments(help_text: Any = "") -> AttachmentsField:
    return AttachmentsField(label=_("附件"), help_text=help_text)


class FilingSubmitForm(Form):
    note = forms.CharField(
        label=_("报送说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("选填，例如抽取过程说明或对退回意见的整改情况。"),
    )
    attachments = _attachments()


class FilingDecisionForm(Form):
    decision = forms.ChoiceField(
        label=_("办理结论"),
        choices=FilingDecision.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择“确认备案”或“退回”。"), "invalid_choice": _("请选择“确认备案”或“退回”。")},
    )
    reason = forms.CharField(
        label=_("意见"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退回时必填，请写明需要补正的内容。"),
    )
    attachments = _attachments()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == FilingDecision.Decision.RETURNED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("退回时必须填写退回原因。"))
        return data


class FilingAttachForm(Form):
    """补充附件: the filer adds files (the signed 备案表 scanned) to a filing already sent."""

    attachments = AttachmentsField(label=_("附件"), required=True, error_messages={"required": _("请选择要上传的文件。")})


class FilingFilterForm(Form):
    TAB_CHOICES = (
        ("pending", _("待确认")),
        ("overdue", _("已逾期")),
        ("acknowledged", _("已确认")),
        ("returned", _("已退回")),
        ("all", _("全部")),
    )
    tab = forms.ChoiceField(choices=TAB_CHOICES, required=False)
    department = forms.TypedChoiceField(label=_("报送单位"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(label=_("报送日期起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("报送日期止"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("任务名称/编号"), required=False, max_length=100)

    def __init__(self, *args: Any, departments: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("全部"))] + list(departments)

    def filters(self) -> dict[str, Any]:
        """Valid filters only: a bad date or an unknown department is ignored, not an error page."""
        self.is_valid()
        # Invalid fields are left out of cleaned_data: they are ignored, the others still apply.
        data = self.cleaned_data
        return {
            "tab": data.get("tab") or "pending",
            "department_id": data.get("department"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "text": (data.get("q") or "").strip(),
        }
