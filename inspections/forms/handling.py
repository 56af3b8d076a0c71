"""Follow-up (后续处置) forms: a new measure with the fields its kind needs (责令改正: a deadline
and a re-check date; 行政处罚: the case number; 移送: the department or body it goes to), its
progress, and its closing. The page shows each field for the measures it belongs to
(``MEASURE_FIELDS``, read by ``static/js/inspection-handling.js``); the service checks which are
required."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inspections.models import Handling
from tenancy.context import Actor
from tenancy.forms import Form
from tenancy.models import Organization

from .fill import DateInput

M = Handling.Measure
# Which measures each field belongs to (a field not named here belongs to every measure).
MEASURE_FIELDS: dict[str, tuple[str, ...]] = {
    "due_on": (M.RECTIFY, M.PENALTY, M.TRANSFER, M.JUDICIAL, M.ABNORMAL_LIST),
    "recheck_on": (M.RECTIFY,),
    "recheck_result": (M.RECTIFY,),
    "case_no": (M.PENALTY,),
    "transfer_to": (M.TRANSFER,),
    "transfer_to_name": (M.TRANSFER, M.JUDICIAL),
}


def transfer_targets(actor: Actor) -> list[tuple[str, str]]:
    """The other departments of the actor's region, to transfer a case to."""
    rows = Organization.objects.filter(kind=Organization.Kind.DEPARTMENT, region_id=actor.region_id)
    return [("", "—")] + [(str(o.pk), o.name) for o in rows.exclude(pk=actor.organization_id).order_by("code")]


class MeasureFieldsMixin:
    def measure_rows(self) -> list[dict[str, Any]]:
        """Each visible field with the measures it belongs to (space-separated, for the page)."""
        return [
            {"field": f, "measures": " ".join(MEASURE_FIELDS.get(f.name, ()))}
            for f in self.visible_fields()  # type: ignore[attr-defined]
        ]


class HandlingForm(MeasureFieldsMixin, Form):
    measure = forms.ChoiceField(label=_("处置措施"), choices=[("", "—"), *M.choices])
    description = forms.CharField(label=_("处置内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.CharField(label=pgettext_lazy("follow-up field", "处置期限"), required=False, widget=DateInput(),
                             help_text=_("责令改正：整改期限（必填）。"))
    recheck_on = forms.CharField(label=_("复查日期"), required=False, widget=DateInput())
    case_no = forms.CharField(label=_("案件编号"), required=False, max_length=60)
    transfer_to = forms.ChoiceField(label=_("移送单位"), required=False, choices=())
    transfer_to_name = forms.CharField(label=_("移送机关"), required=False, max_length=100,
                                       help_text=_("移送司法机关或本平台以外的单位时填写名称。"))

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["transfer_to"].choices = transfer_targets(actor)

    def values(self) -> dict[str, Any]:
        """The fields that belong to the chosen measure, for the service."""
        measure = self.cleaned_data["measure"]
        return {
            name: self.cleaned_data[name] for name in ("description", "due_on", "recheck_on", "case_no", "transfer_to", "transfer_to_name")
            if name == "description" or measure in MEASURE_FIELDS[name]
        }


class HandlingUpdateForm(MeasureFieldsMixin, Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("状态"), choices=())
    description = forms.CharField(label=_("处置内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.CharField(label=pgettext_lazy("follow-up field", "处置期限"), required=False, widget=DateInput())
    recheck_on = forms.CharField(label=_("复查日期"), required=False, widget=DateInput())
    case_no = forms.CharField(label=_("案件编号"), required=False, max_length=60)
    transfer_to_name = forms.CharField(label=_("移送机关"), required=False, max_length=100)
    note = forms.CharField(label=_("办理说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, handling: Handling, moves: tuple[str, ...], **kwargs: Any) -> None:
        # The re-check's result is written once, when closing (HandlingCloseForm).
        initial = {name: getattr(handling, name) for name in ("description", "case_no", "transfer_to_name")}
        initial.update({
            "revision": handling.revision, "status": handling.status,
            "due_on": handling.due_on.isoformat() if handling.due_on else "",
            "recheck_on": handling.recheck_on.isoformat() if handling.recheck_on else "",
        })
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.handling = handling
        self.fields["status"].choices = [
            (s.value, s.label) for s in Handling.Status if s.value == handling.status or s.value in moves
        ]
        for name, measures in MEASURE_FIELDS.items():
            if name in self.fields and handling.measure not in measures:
                del self.fields[name]

    def values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in self.fields
            if name not in ("revision", "status", "note") and name in self.changed_data
        }


class _ServerChecked:
    """Marked required on the page (the label's *) without the browser's own check: the
    server's message says why (a 责令改正 closes only after its re-check)."""

    def use_required_attribute(self, initial: Any) -> bool:
        return False


class _CheckedTextarea(_ServerChecked, forms.Textarea):
    pass


class _CheckedTextInput(_ServerChecked, forms.TextInput):
    pass


class HandlingCloseForm(Form):
    outcome = forms.CharField(label=_("处置结果"), widget=forms.Textarea(attrs={"rows": 3}))
    recheck_on = forms.CharField(label=_("复查日期"), required=False, widget=DateInput(),
                                 help_text=_("实际复查的日期，不能晚于今天。"))
    recheck_result = forms.CharField(
        label=_("复查结果"), widget=_CheckedTextarea(attrs={"rows": 2}),
        error_messages={"required": _("责令改正须复查后办结，请填写复查结果。")},
    )
    case_no = forms.CharField(label=_("案件编号"), max_length=60, widget=_CheckedTextInput(),
                              error_messages={"required": _("行政处罚须填写案件编号。")})

    def __init__(self, *args: Any, handling: Handling, today: dt.date | None = None, **kwargs: Any) -> None:
        today = today or timezone.localdate()
        # The planned re-check day if it has come, else today: closing is the re-check.
        recheck_on = handling.recheck_on if handling.recheck_on is not None and handling.recheck_on <= today else today
        kwargs.setdefault("auto_id", "close_%s")  # on the page next to the update form and its own ids
        kwargs.setdefault("initial", {
            "recheck_result": handling.recheck_result, "case_no": handling.case_no, "recheck_on": recheck_on.isoformat(),
        })
        super().__init__(*args, **kwargs)
        for name, measures in MEASURE_FIELDS.items():
            if name in self.fields and handling.measure not in measures:
                del self.fields[name]
        # Required (and so marked) what the measure must still get before it closes; a value the
        # measure holds already stands when the field is left empty, as the service reads it.
        for name in ("case_no", "recheck_result"):
            if name in self.fields:
                self.fields[name].required = not getattr(handling, name)
        if "recheck_on" in self.fields:
            self.fields["recheck_on"].widget.attrs["max"] = today.isoformat()
