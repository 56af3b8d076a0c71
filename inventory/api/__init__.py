"""REST API of inventory, registered on the /api/v1/ router by area: read with filters and cursor
paging by (updated_at, id) for incremental sync (``updated_since``), write through the same
services.
"""

from __future__ import annotations

from typing import Any

from inventory.api.entities import EntityViewSet, RegistryEntryViewSet
from inventory.api.inspectors import InspectorViewSet
from inventory.api.items import CheckItemViewSet


def register(router: Any) -> None:
    router.register("check-items", CheckItemViewSet, basename="checkitem")
    router.register("entities", EntityViewSet, basename="entity")
    router.register("inspectors", InspectorViewSet, basename="inspector")
    router.register("registry-entries", RegistryEntryViewSet, basename="registryentry")
