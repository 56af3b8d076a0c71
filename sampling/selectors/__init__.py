"""Every read of sampling data for views and the API, by submodule: plans, draws (with the draw
record), pool (what a draw freezes), recusals, filings."""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

from tenancy.context import Actor

_CARD_PROVIDERS = (
    "sampling.selectors.plans.dashboard_cards",
    "sampling.selectors.recusals.dashboard_cards",
    "sampling.selectors.draws.dashboard_cards",
    "sampling.selectors.filings.dashboard_cards",
)


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    for path in _CARD_PROVIDERS:
        cards.extend(import_string(path)(actor=actor))
    return cards
