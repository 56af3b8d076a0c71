from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_draw_exclusions_only():
    """Sampling's pool is tested with its own exclusions (``sampling.extensions.register_own``):
    the reasons and counts here are those of its annual cap counted from selections. The rules
    later apps register — inspections' cap counted from real inspections, which replaces it —
    are tested with those apps (tests/inspections/test_integration.py)."""
    from sampling.extensions import DRAW_EXCLUSIONS

    later = DRAW_EXCLUSIONS.filter(lambda e: not e.key.startswith("sampling."))
    for entry in later:
        DRAW_EXCLUSIONS.unregister(entry.key)
    yield
    for entry in later:
        DRAW_EXCLUSIONS.register(entry)
