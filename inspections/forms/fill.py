"""The check form of one inspection as a Django form: the visit's fields the team fills, and the
actor's department part — its note and one field (plus a note) per check point, as the point's
answer kind defines it. Values are kept as typed (text inputs): the save service parses them and
answers a bad one with an error keyed by the field's name, which the form shows in place.

Field names are the save service's keys: ``method``, ``started_on``, ``ended_on``, ``results``,
``result_reason``, ``signature_refused``, ``refusal_reason``, ``note`` (the part's), and
``point_<id>`` / ``point_<id>_note`` for a check point (``services.inspections.point_key``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inspections.models import Answer, Inspection, ResultCode
from inventory.models import CheckPoint
from tenancy.forms import Form
from tenancy.uploads import DEFAULT_KINDS, KINDS, check_upload

VISIT_NAMES = ("method", "started_on", "ended_on", "results", "result_reason", "signature_refused", "refusal_reason")
# Where each kind of check point keeps its answer (the Answer field of the same name).
ANSWER_FIELD = {
    CheckPoint.AnswerKind.STATUS: "status",
    CheckPoint.AnswerKind.TEXT: "text",
    CheckPoint.AnswerKind.NUMBER: "number",
    CheckPoint.AnswerKind.DATE: "date",
}
NOTE_SUFFIX = "_note"


def point_name(point_id: int) -> str:
    return f"point_{point_id}"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def result_code_choices() -> list[tuple[str, str]]:
    """Every active code that may be chosen (a code with active children is a group: chosen
    through its children)."""
    codes = list(ResultCode.objects.filter(is_active=True).prefetch_related("children"))
    return [(c.code, c.name) for c in codes if not any(ch.is_active for ch in c.children.all())]


@dataclass
class ResultGroup:
    """A heading of the result-code table (``None``: the top level) and its codes to choose."""

    heading: ResultCode | None
    codes: list[ResultCode]


def result_code_groups() -> list[ResultGroup]:
    """The hierarchical table of result codes as the form shows it: the top-level codes that are
    chosen themselves, then each group with its active children."""
    codes = list(ResultCode.objects.filter(is_active=True).order_by("order", "code"))
    children: dict[int, list[ResultCode]] = {}
    for code in codes:
        if code.parent_id is not None:
            children.setdefault(code.parent_id, []).append(code)
    top = [c for c in codes if c.parent_id is None]
    groups = [ResultGroup(heading=None, codes=[c for c in top if c.pk not in children])]
    groups += [ResultGroup(heading=c, codes=children[c.pk]) for c in top if c.pk in children]
    return [g for g in groups if g.codes]


class DraftForm(Form):
    """The visit's fields (``visit``) and the actor's department part's (``part``: its note and
    ``points``): see the module."""

    method = forms.ChoiceField(
        label=_("检查方式"), required=False, choices=Inspection.Method.choices, widget=forms.RadioSelect,
    )
    started_on = forms.CharField(label=_("检查开始日期"), required=False, widget=DateInput())
    ended_on = forms.CharField(label=_("检查结束日期"), required=False, widget=DateInput())
    results = forms.MultipleChoiceField(
        label=_("检查结果"), required=False, widget=forms.CheckboxSelectMultiple, choices=(),
    )
    result_reason = forms.CharField(
        label=_("结果说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("选择“其他”，或检查要点中有“不正常”而结果为“未发现问题”时必填。"),
    )
    signature_refused = forms.BooleanField(label=_("被检查对象拒绝签字"), required=False)
    refusal_reason = forms.CharField(
        label=_("拒签情况"), required=False, max_length=300, widget=forms.TextInput(),
        help_text=_("如实记录拒绝签字的情况（曲阳县实施细则第十八条）。"),
    )
    note = forms.CharField(label=_("检查情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, inspection: Inspection, visit: bool, part: bool,
        points: Sequence[CheckPoint] = (), answers: Mapping[int, Answer] | None = None, note: str = "", **kwargs: Any,
    ) -> None:
        self.inspection = inspection
        self.points = list(points) if part else []
        self.has_part = part
        kwargs.setdefault("initial", {**self._initial(inspection, answers or {}), "note": note})
        super().__init__(data, **kwargs)
        self.fields["results"].choices = result_code_choices()
        if not visit:
            for name in VISIT_NAMES:
                del self.fields[name]
        if not self.has_part:
            del self.fields["note"]
        for point in self.points:
            self.fields.update(point_fields(point))

    def _initial(self, inspection: Inspection, answers: Mapping[int, Answer]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "method": inspection.method, "started_on": _iso(inspection.started_on), "ended_on": _iso(inspection.ended_on),
            "results": list(inspection.results.values_list("code", flat=True)) if inspection.pk else [],
            "result_reason": inspection.result_reason, "signature_refused": inspection.signature_refused,
            "refusal_reason": inspection.refusal_reason,
        }
        for point_id, answer in answers.items():
            initial[point_name(point_id) + NOTE_SUFFIX] = answer.note
            for name in ("status", "text"):
                if getattr(answer, name):
                    initial[point_name(point_id)] = getattr(answer, name)
            if answer.number is not None:
                initial[point_name(point_id)] = _number_text(answer.number)
            if answer.date is not None:
                initial[point_name(point_id)] = answer.date.isoformat()
        return initial

    def point_rows(self) -> list[dict[str, Any]]:
        """Each check point with its bound fields, in form order, grouped by item for the page."""
        rows = []
        for point in self.points:
            name = point_name(point.pk)
            rows.append({
                "point": point,
                "field": self[name] if name in self.fields else None,
                "note": self[name + NOTE_SUFFIX],
                "errors": self.errors.get(name, []) + self.errors.get(name + NOTE_SUFFIX, []),
            })
        return rows

    def add_service_errors(self, errors: Mapping[str, Iterable[str]]) -> None:
        """Errors of the save or submit service, keyed by field: each shown at its field, the
        rest (and ``__all__``) above the form. An unbound form (the stored draft) takes them too."""
        if not self.is_bound and not hasattr(self, "cleaned_data"):
            self.full_clean()
            self.cleaned_data = {}
        for key, messages in errors.items():
            field = key if key in self.fields else None
            for message in messages:
                self.add_error(field, message)


def point_fields(point: CheckPoint) -> dict[str, forms.Field]:
    """The answer field of a check point (none for a photo point: its answer is its photos) and
    its note."""
    name = point_name(point.pk)
    label = point.project
    fields: dict[str, forms.Field] = {}
    kind = point.answer_kind
    if kind == CheckPoint.AnswerKind.STATUS:
        fields[name] = forms.ChoiceField(label=label, required=False, choices=Answer.Status.choices, widget=forms.RadioSelect)
    elif kind == CheckPoint.AnswerKind.TEXT:
        fields[name] = forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    elif kind == CheckPoint.AnswerKind.NUMBER:
        fields[name] = forms.CharField(
            label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
    elif kind == CheckPoint.AnswerKind.DATE:
        fields[name] = forms.CharField(label=label, required=False, widget=DateInput())
    fields[name + NOTE_SUFFIX] = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 1, "class": "point-note"}),
    )
    return fields


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


def _number_text(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def draft_payload(
    values: Mapping[str, Any], *, points: Sequence[CheckPoint], full: bool,
) -> tuple[dict[str, Any], dict[int, dict[str, Any]], str | None]:
    """What a post asks the save service to store: ``(visit, answers, note)`` from the fields it
    holds. ``full``: the whole form was posted (no script), so a box left unticked is a "no" and
    no result ticked is "none"; otherwise only the fields sent (the autosave's changed ones)."""
    visit: dict[str, Any] = {}
    for name in VISIT_NAMES:
        if name in values:
            visit[name] = values[name]
        elif full and name == "signature_refused":
            visit[name] = False
        elif full and name == "results":
            visit[name] = []
    answers: dict[int, dict[str, Any]] = {}
    for point in points:
        name = point_name(point.pk)
        key = ANSWER_FIELD.get(point.answer_kind)
        if key is not None and name in values:
            answers.setdefault(point.pk, {})[key] = values[name]
        if name + NOTE_SUFFIX in values:
            answers.setdefault(point.pk, {})["note"] = values[name + NOTE_SUFFIX]
    note = values.get("note")
    return visit, answers, None if note is None else str(note)


class EvidenceForm(Form):
    """A photo or PDF of the visit, of the part, or of one check point."""

    file = forms.FileField(
        label=_("照片或文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(
            [KINDS[k].content_type for k in DEFAULT_KINDS] + [e for k in DEFAULT_KINDS for e in KINDS[k].extensions]
        )}),
    )
    point = forms.IntegerField(required=False, widget=forms.HiddenInput)
    caption = forms.CharField(label=_("说明"), required=False, max_length=200)

    def clean_file(self) -> Any:
        return check_upload(self.cleaned_data["file"])


class SignatureForm(Form):
    """The firm's signature as drawn on the screen (a PNG made by the page's canvas)."""

    file = forms.FileField(label=_("签字图片"))

    def clean_file(self) -> Any:
        return check_upload(self.cleaned_data["file"], kinds=("png", "jpeg"))


class WithdrawForm(Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=200)


class ConfirmForm(Form):
    note = forms.CharField(label=_("比对说明"), required=False, max_length=500)
