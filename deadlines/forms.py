"""Forms of the deadline pages: waive an item, set a rule's limit, enter a year's holidays.

The holiday form takes the arrangement as a table pasted or typed one line per date or range —
the way the State Council's notice lists it — and keeps every line as typed when one is wrong::

    2027-01-01 放假 元旦
    2027-02-05 至 2027-02-13 放假 春节
    2027-02-14 上班 春节
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.forms import Form

from .models import HolidayDate, Unit
from .services import DayEntry

MAX_RANGE_DAYS = 31


class WaiveForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("免除原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("说明为何不再需要办理（如任务取消、已线下办理），与该期限一同保存。"),
    )


class RuleSettingForm(Form):
    period = forms.IntegerField(label=gettext_lazy("期限"), min_value=0, max_value=366)
    unit = forms.ChoiceField(label=gettext_lazy("单位"), choices=Unit.choices)
    source = forms.CharField(
        label=gettext_lazy("依据"), max_length=300,
        help_text=gettext_lazy("文件名称和条款，如“阳城县发改局 2023 方案：2 日内报备”；与每个截止日期一同显示。"),
    )
    enabled = forms.BooleanField(label=gettext_lazy("启用（关闭后不再生成该类待办期限）"), required=False)

    def __init__(self, *args: object, units: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if units:
            self.fields["unit"].choices = [(value, label) for value, label in Unit.choices if value in units]


_KINDS = {
    "放假": HolidayDate.Kind.HOLIDAY, "休": HolidayDate.Kind.HOLIDAY, "休息": HolidayDate.Kind.HOLIDAY,
    "假": HolidayDate.Kind.HOLIDAY, "holiday": HolidayDate.Kind.HOLIDAY,
    "上班": HolidayDate.Kind.WORKDAY, "班": HolidayDate.Kind.WORKDAY, "调休上班": HolidayDate.Kind.WORKDAY,
    "补班": HolidayDate.Kind.WORKDAY, "workday": HolidayDate.Kind.WORKDAY,
}
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_LINE = re.compile(rf"^{_DATE}(?:\s*(?:至|到|~|～|—|–)\s*{_DATE})?[\s,，、;；\t]+(\S+)(?:[\s,，、;；\t]+(.*))?$")


def _date(groups: tuple[str | None, ...]) -> dt.date:
    year, month, day = (int(g or 0) for g in groups)
    return dt.date(year, month, day)


def parse_days(text: str) -> tuple[list[DayEntry], list[str]]:
    """The dates of the table, and one message per line that could not be read."""
    days: list[DayEntry] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(_("第 %(n)s 行“%(line)s”：应为“日期 放假/上班 节日”，如 2027-01-01 放假 元旦") % {"n": number, "line": line})
            continue
        groups = match.groups()
        kind = _KINDS.get(groups[6].lower() if groups[6] else "")
        if kind is None:
            errors.append(_("第 %(n)s 行：“%(word)s”应为“放假”或“上班”") % {"n": number, "word": groups[6]})
            continue
        try:
            first = _date(groups[0:3])
            last = _date(groups[3:6]) if groups[3] else first
        except ValueError:
            errors.append(_("第 %(n)s 行：日期不存在") % {"n": number})
            continue
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            errors.append(_("第 %(n)s 行：日期范围应从前到后，且不超过 %(max)s 天") % {"n": number, "max": MAX_RANGE_DAYS})
            continue
        name = (groups[7] or "").strip()
        if kind == HolidayDate.Kind.WORKDAY and any((first + dt.timedelta(days=i)).weekday() < 5 for i in range((last - first).days + 1)):
            errors.append(_("第 %(n)s 行：%(d)s 是周一至周五，本来就是工作日，不必填为调休上班") % {"n": number, "d": first.isoformat()})
            continue
        day = first
        while day <= last:
            days.append(DayEntry(day, kind, name))
            day += dt.timedelta(days=1)
    return days, errors


def days_as_text(days: list[HolidayDate] | list[DayEntry]) -> str:
    """The dates as the form's table (consecutive dates of one kind and name on one line)."""
    lines: list[str] = []
    run: list = []

    def flush() -> None:
        if not run:
            return
        word = "放假" if run[0].kind == HolidayDate.Kind.HOLIDAY else "上班"
        span = run[0].date.isoformat() if len(run) == 1 else f"{run[0].date.isoformat()} 至 {run[-1].date.isoformat()}"
        lines.append(f"{span} {word} {run[0].name}".rstrip())

    for day in sorted(days, key=lambda d: d.date):
        if run and (day.kind, day.name) == (run[-1].kind, run[-1].name) and day.date - run[-1].date == dt.timedelta(days=1):
            run.append(day)
            continue
        flush()
        run = [day]
    flush()
    return "\n".join(lines)


class HolidayYearForm(Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    source = forms.CharField(
        label=gettext_lazy("依据文件"), max_length=200,
        help_text=gettext_lazy("如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"),
    )
    days = forms.CharField(
        label=gettext_lazy("放假和调休上班日期"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono", "data-testid": "holiday-days"}),
        help_text=gettext_lazy(
            "每行一个日期或一段日期：日期、“放假”或“上班”（调休上班）、节日名称。例如：<br>"
            "2027-01-01 放假 元旦<br>2027-02-05 至 2027-02-13 放假 春节<br>2027-02-14 上班 春节<br>"
            "只填与平常不同的日期：周末照常休息、周一至周五照常上班的日子不必填写。"
        ),
    )
    note = forms.CharField(label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, fixed_year: int | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_year = fixed_year
        if fixed_year is not None:
            self.fields["year"].disabled = True
            self.fields["year"].initial = fixed_year

    def clean_days(self) -> list[DayEntry]:
        days, errors = parse_days(self.cleaned_data["days"])
        if errors:
            raise ValidationError(errors)
        return days
