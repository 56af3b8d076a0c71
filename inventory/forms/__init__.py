"""Forms of the 一单两库 pages by area: items, entities, inspectors, imports. They parse and keep what
was typed; services decide, and ``apply_errors`` puts what a service refused back on the form.
This module holds the helpers the areas share.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from inventory import codes
from tenancy.context import Actor
from tenancy.models import OrgUnit

YES_NO = [("", _("全部")), ("yes", _("是")), ("no", _("否"))]


PHONE_RULE = _("联系电话应为手机号（如 138 0013 8000）或带区号的固定电话（如 0356-4221234，分机写作 0356-4221234 转 123），也可为 400/800 号码")


def clean_phone(raw: str) -> str:
    """A phone number as stored (half-width, spaces collapsed), or a ValidationError: the one
    rule of inventory.codes.is_valid_phone, for the inspector form and the API."""
    text = codes.normalize_phone(raw or "")
    if text and not codes.is_valid_phone(text):
        raise ValidationError(PHONE_RULE, code="phone")
    return text


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def split_tags(raw: str) -> list[str]:
    for sep in "，、;；\n":
        raw = raw.replace(sep, ",")
    return [t.strip() for t in raw.split(",") if t.strip()]


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class UnitChoiceMixin:
    def limit_units(self, actor: Actor, *names: str) -> None:
        units = OrgUnit.objects.filter(organization_id=actor.organization_id).order_by("name")
        for name in names:
            self.fields[name].queryset = units  # type: ignore[attr-defined]


def deferred_choice(model: Any, **kwargs: Any) -> forms.ModelChoiceField:
    """A choice field whose scoped queryset is set in ``__init__`` (scoped managers refuse queries
    at import time, outside any scope)."""
    return forms.ModelChoiceField(queryset=model._base_manager.none(), **kwargs)
