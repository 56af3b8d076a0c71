"""Template filters of tenancy.i18n: ``{% load i18n_text %}``, ``{{ names|join_list }}``,
``{{ job.message|translate_stored }}``, ``{{ item.target_repr|translate_composed }}``."""

from __future__ import annotations

from typing import Any

from django import template

from tenancy import i18n

register = template.Library()


@register.filter
def join_list(items: Any) -> str:
    return i18n.join_list(items or ())


@register.filter
def translate_stored(text: Any) -> str:
    return i18n.translate_stored(text)


@register.filter
def translate_composed(text: Any) -> str:
    return i18n.translate_composed(text)
