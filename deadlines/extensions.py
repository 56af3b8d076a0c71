"""What deadlines plugs into tenancy's registries (called from ``DeadlinesConfig.ready``)."""

from __future__ import annotations


def register() -> None:
    pass
