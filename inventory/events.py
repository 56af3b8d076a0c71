"""The domain events inventory emits (``tenancy.events``; see sampling/events.py)."""

from __future__ import annotations

EVENTS: tuple[tuple[str, str], ...] = (
    ("inventory.inspector.saved", "inspector_create/inspector_update: an inspector was added or changed (obj: Inspector)"),
)
