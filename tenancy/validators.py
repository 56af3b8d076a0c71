"""Input rules every entry point shares: text without control characters, instants PostgreSQL
can store. Wired by construction, not field by field:

- model fields: every CharField/TextField of our apps gets :class:`NoControlChars` from
  ``tenancy.apps`` (``guard_model_fields``), so ``full_clean`` and every ModelSerializer field
  built from them refuse a control character;
- forms: ``tenancy.forms.Form``/``ModelForm`` guard every text field when the form is cleaned;
- serializers: ``tenancy.serializers.Serializer``/``ModelSerializer`` guard every writable text
  field, including explicit ones and list children.

A field holds several lines (tab and line breaks allowed) when it is a model ``TextField``, a
form field drawn as a ``Textarea`` or a serializer field styled as one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from .text import describe_control_char, first_control_char


def our_app_configs() -> list[Any]:
    """The apps of this project, whose models take the rule (Django's and libraries' keep theirs:
    e.g. password hashes). Found by where they live, so a new app takes the rule by itself."""
    from django.apps import apps
    from django.conf import settings

    base = Path(settings.BASE_DIR).resolve()
    ours = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and not {".venv", "site-packages"} & set(path.parts):
            ours.append(config)
    return ours


@deconstructible
class NoControlChars:
    """Refuses C0 control characters and DEL; ``multiline`` allows tab, LF and CR."""

    code = "control_character"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str):
            return
        index = first_control_char(value, multiline=self.multiline)
        if index is not None:
            raise ValidationError(
                _("含有不可见的控制字符 %(char)s（第 %(position)s 个字符），请删除后再提交"),
                code=self.code,
                params={"char": describe_control_char(value[index]), "position": index + 1},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlChars) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((NoControlChars, self.multiline))


ONE_LINE = NoControlChars(multiline=False)
MULTI_LINE = NoControlChars(multiline=True)


def _has_guard(validators: Iterable[Any]) -> bool:
    return any(isinstance(v, NoControlChars) for v in validators)


# --------------------------------------------------------------------------- models


def guard_model_fields(model_classes: Iterable[type[models.Model]]) -> int:
    """Give every CharField/TextField of ``model_classes`` the rule; returns how many fields.

    The validator goes into the field instance's ``default_validators``, not ``validators=``:
    it is part of the field's behaviour, not of its deconstruction, so migrations do not change.
    """
    count = 0
    for model in model_classes:
        for field in model._meta.get_fields(include_parents=True):
            if not isinstance(field, models.CharField | models.TextField) or field.model is not model:
                continue
            if _has_guard(field.default_validators):
                continue
            rule = MULTI_LINE if isinstance(field, models.TextField) else ONE_LINE
            field.default_validators = [*field.default_validators, rule]
            field.__dict__.pop("validators", None)  # a cached_property: recomputed with the rule
            count += 1
    return count


# --------------------------------------------------------------------------- forms


def guard_form_field(field: forms.Field) -> None:
    """The rule on one form field (text fields only; a Textarea holds several lines)."""
    if isinstance(field, forms.CharField) and not _has_guard(field.validators):
        field.validators.append(MULTI_LINE if isinstance(field.widget, forms.Textarea) else ONE_LINE)


# --------------------------------------------------------------------------- instants


# Real offsets run from -12:00 to +14:00; PostgreSQL refuses past ±15:59.
MAX_UTC_OFFSET = dt.timedelta(hours=14)


def parse_instant(raw: str) -> dt.datetime:
    """An ISO 8601 date-time as an aware UTC datetime that PostgreSQL can compare with.

    Without an offset the time is the installation's. An offset no place has (beyond ±14:00)
    is refused: PostgreSQL refuses past ±15:59. Offsets are converted here, and a value that
    leaves years 1-9999 on conversion is refused too.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("不能为空：请给出 ISO 8601 时间，如 2026-01-01T00:00:00+08:00"), code="required")
    try:
        value = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValidationError(
            _("不是有效的 ISO 8601 时间：%(value)s（应如 2026-01-01T00:00:00+08:00）"),
            code="invalid", params={"value": text[:40]},
        )
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValidationError(
            _("时区偏移超出范围（应在 -12:00 至 +14:00 之间）：%(value)s"), code="out_of_range", params={"value": text[:40]}
        )
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationError(
            _("时间超出可用范围（公元 1 年至 9999 年）：%(value)s"), code="out_of_range", params={"value": text[:40]}
        )


class InstantField(forms.Field):
    """A form field (also behind API filters) for :func:`parse_instant`. A parameter given empty
    is an error, not "no filter": a client that sent ``updated_since=`` meant something."""

    def to_python(self, value: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value
        return parse_instant(str(value))

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
