"""``{% allowed "sampling.run_ceremony" draw as can_run %}``: a template asks a policy by key,
for the page's actor, so a button is offered by the same rule the service enforces."""

from __future__ import annotations

from typing import Any

from django import template

from tenancy.context import Actor
from tenancy.policies import allowed as policy_allows

register = template.Library()


@register.simple_tag(takes_context=True)
def allowed(context: template.Context, key: str, obj: Any = None) -> bool:
    actor: Actor | None = context.get("actor")
    return actor is not None and policy_allows(key, actor, obj)
