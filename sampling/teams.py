"""The inspector side of a draw: who can be drawn, how many per department, who must never meet whom.

DRAW.md §4 takes the inspector pool "already filtered to those eligible: active, valid certificate,
right specialty"; ``sampling.selectors.pool.inspector_pool_for`` does that filtering against the
inspector registry. This module holds what is frozen with the commitment and its hash (DRAW.md
§1: "for the filing record, a hash of the inspector pool and conflicts"); it reads no database.
Every inspector must be drawn at random and at least 2 go together (阳城文旅: 从执法检查
人员名录库中随机选派，每次选派的执法检查人员不少于2人); inspectors with an interest in a target must
stay away from it (阳城文旅: 有利害关系的，应依法回避), which the ``conflicts`` carry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sampling import hashrank

# A team has at least this many inspectors when a task does not say (阳城文旅: 不少于2人).
DEFAULT_TEAM_SIZE = 2


@dataclass
class InspectorPool:
    """The frozen inspector side of a draw, in the shapes hashrank and the Draw row need."""

    # One entry per eligible inspector, sorted by key: {"key", "department", "id", "name", "org"}.
    # ``key``/``department`` are the record's fields; ``id``/``name``/``org`` stay server-side.
    entries: list[dict[str, Any]] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)  # [{"department", "count"}]
    conflicts: list[dict[str, str]] = field(default_factory=list)  # [{"inspector", "target"}]

    @property
    def refs(self) -> list[hashrank.InspectorRef]:
        return refs_of(self.entries)

    @property
    def hash(self) -> str:
        return pool_hash_of(self.entries, self.requirements, self.conflicts)


def refs_of(entries: Iterable[dict[str, Any]]) -> list[hashrank.InspectorRef]:
    return [hashrank.InspectorRef(key=e["key"], department=e["department"]) for e in entries]


def requirement_refs(requirements: Iterable[dict[str, Any]]) -> list[hashrank.Requirement]:
    return [hashrank.Requirement(department=r["department"], count=int(r["count"])) for r in requirements]


def conflict_refs(conflicts: Iterable[dict[str, str]]) -> list[hashrank.Conflict]:
    return [hashrank.Conflict(inspector=c["inspector"], target=c["target"]) for c in conflicts]


def record_pool(entries: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The inspector pool as the draw record carries it (key and department only)."""
    return [{"key": e["key"], "department": e["department"]} for e in entries]


def pool_hash_of(
    entries: Iterable[dict[str, Any]], requirements: Iterable[dict[str, Any]], conflicts: Iterable[dict[str, str]]
) -> str:
    """SHA-256 of the compact, key-sorted JSON of the record's three inspector fields.

    Anyone holding the filing record recomputes it from ``inspector_pool``, ``requirements`` and
    ``conflicts`` exactly as they appear there: this is what the commitment event announces.
    """
    document = {
        "inspector_pool": record_pool(entries),
        "requirements": [{"department": r["department"], "count": int(r["count"])} for r in requirements],
        "conflicts": [{"inspector": c["inspector"], "target": c["target"]} for c in conflicts],
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def keys_to_ids(entries: Iterable[dict[str, Any]]) -> dict[str, int]:
    return {e["key"]: int(e["id"]) for e in entries}
