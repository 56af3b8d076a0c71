"""The eligible pool's values and rules that need no database: stratum labels and exclusion
reasons, the scope and strata in effect for a plan or a task, and the shapes a frozen pool takes
(``PoolResult``, ``PoolCounts``). The reads that build a pool are in ``sampling.selectors.pool``.

Rules (seed work plans):

- base set: the active entries of the owner's registry; a joint plan takes the union of the
  participating departments' registries (one entity once: 进一次门、查多项事);
- scope filters (entity types, industry prefixes, tags, region codes), the task's over the plan's;
- strata: risk classes A/B/C/D, or one stratum; with ``focus_ratio``, entities on the abnormal or
  dishonest list or with many complaints form a focus stratum with a higher ratio
  (曲阳 §28, 阳城发改 方案, 阳城文旅: 对列入异常名录、失信、投诉量大的……提高抽查比例和频次);
- exclusions, first rule that applies, each with its reason: deregistered/revoked; covered by a
  higher-level plan (阳城发改: 上级部门已安排抽查计划的，不再安排抽查); already drawn by this
  plan this year (阳城发改: 已抽查过的市场主体，不再列入当年度抽查名单); drawn ``annual_cap``
  times this year by anyone (曲阳 §17: 同一年度内对同一企业的抽查次数不超过2次).
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

from sampling import hashrank

if TYPE_CHECKING:
    from sampling.models import SamplingPlan, SamplingTask

# Stratum names and exclusion reasons are written into draw records in Chinese (they are part of
# the canonical pool); gettext_noop only puts them in the catalog, pages translate them when shown.
RISK_LABELS: dict[str, str] = {
    "A": gettext_noop("A-低风险"), "B": gettext_noop("B-一般风险"), "C": gettext_noop("C-较高风险"), "D": gettext_noop("D-高风险")
}
SINGLE_LABEL = gettext_noop("全部")
FOCUS_LABEL = gettext_noop("重点-投诉异常失信")
# Default per-batch ratios (issue 4: A 3 %, B 5 %, C 10 %, D 20 %); 3 % is also the floor of a
# batch (曲阳 §17 / 阳城文旅: 每次抽查比例不低于3%).
DEFAULT_RATIOS: dict[str, str] = {"A": "0.03", "B": "0.05", "C": "0.10", "D": "0.20"}
DEFAULT_SINGLE_RATIO = "0.05"

REASON_INACTIVE = gettext_noop("已注销/吊销")
REASON_HIGHER = gettext_noop("上级部门已安排抽查")
REASON_BY_PLAN = gettext_noop("本计划本年度已抽查")
# "本年度已被抽查N次"
REASON_CAP = gettext_noop("本年度已被抽查%(n)s次")

SCOPE_KEYS = ("entity_types", "industry_prefixes", "tags", "region_codes")
# SamplingPlan.StrataMode.SINGLE: one stratum instead of the risk classes.
STRATA_SINGLE = "single"

def _short(label: str) -> str:
    """The stratum key a plan's JSON may use: "A" for "A-低风险", the label otherwise."""
    for short, full in RISK_LABELS.items():
        if label == full:
            return short
    return label


@dataclass(frozen=True)
class PoolResult:
    """The eligible pool as each stratum's keys, UTF-8 encoded and sorted byte-wise — the
    canonical order of DRAW.md §2, with no object per candidate (a million of them) — the
    excluded with their reasons, the strata and the size of the base set.

    ``groups`` has an entry for every stratum of ``strata`` (empty when nobody is in it).
    ``keys_by_stratum`` and ``candidates`` are built on first use, for callers that want text.
    """

    groups: dict[str, list[bytes]]
    excluded: list[hashrank.Exclusion]
    strata: list[hashrank.Stratum]
    # Entities of the base set after the scope filters (eligible + excluded).
    total: int = 0
    # True when every entity is of one region, where a code is unique, and each stratum's keys
    # were sorted here: no need to check, when the canonical form is built, that no key is in two
    # strata (a set of a million keys) or repeated or out of order within one.
    keys_unique: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {stratum: len(keys) for stratum, keys in self.groups.items()}

    @property
    def eligible(self) -> int:
        return sum(len(keys) for keys in self.groups.values())

    @cached_property
    def excluded_counts(self) -> dict[str, int]:
        return dict(Counter(e.reason for e in self.excluded))

    @cached_property
    def keys_by_stratum(self) -> dict[str, list[str]]:
        return {stratum: b"\n".join(keys).decode("utf-8").split("\n") if keys else [] for stratum, keys in self.groups.items()}

    @cached_property
    def candidates(self) -> list[hashrank.Candidate]:
        make = hashrank.Candidate
        return [make(key, stratum) for stratum, keys in self.keys_by_stratum.items() for key in keys]

    @cached_property
    def canonical(self) -> bytes:
        """The canonical pool (DRAW.md §2): what the commitment's pool hash is taken of."""
        return hashrank.canonical_of_sorted_groups(
            self.groups, check_unique=not self.keys_unique, check_order=not self.keys_unique
        )

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is an eligible candidate: a binary search per stratum."""
        if not isinstance(key, str):
            return False
        encoded = key.encode("utf-8")
        for keys in self.groups.values():
            i = bisect_left(keys, encoded)
            if i < len(keys) and keys[i] == encoded:
                return True
        return False


@dataclass(frozen=True)
class PoolCounts:
    """How many entities each stratum has and each exclusion reason took: what the previews show,
    from the same query as the pool but counted by the database (no key leaves it)."""

    counts: dict[str, int]
    excluded_counts: dict[str, int]
    strata: list[hashrank.Stratum]

    @property
    def eligible(self) -> int:
        return sum(self.counts.values())

    @property
    def excluded(self) -> int:
        return sum(self.excluded_counts.values())

    @property
    def total(self) -> int:
        return self.eligible + self.excluded


# ---------------------------------------------------------------------------------------------
# What is in effect


def merged_scope(plan: SamplingPlan, task: SamplingTask | None = None) -> dict[str, list[str]]:
    """The scope filters in effect: each key of the task's scope, when non-empty, replaces the plan's."""
    result: dict[str, list[str]] = {}
    plan_scope = plan.scope or {}
    task_scope = (task.scope or {}) if task is not None else {}
    for key in SCOPE_KEYS:
        value = task_scope.get(key) or plan_scope.get(key) or []
        result[key] = [str(v).strip() for v in value if str(v).strip()]
    return result


def _ratio_text(value: Any) -> str:
    """A Decimal/float/str ratio as the decimal string hashrank wants ("0.3000" -> "0.3")."""
    if isinstance(value, str):
        return value.strip()
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return text


def stratum_from_json(entry: dict[str, Any], label: str) -> hashrank.Stratum:
    if entry.get("count") not in (None, ""):
        return hashrank.Stratum(label, count=int(entry["count"]))
    return hashrank.Stratum(label, ratio=_ratio_text(entry.get("ratio", "")))


def strata_in_effect(plan: SamplingPlan, task: SamplingTask | None = None) -> list[hashrank.Stratum]:
    """The strata of the draw, byte-wise ordered: the task's JSON, else the plan's, else defaults."""
    raw = (task.strata if task is not None and task.strata else None) or plan.strata or []
    given = {_short(str(e.get("stratum", ""))): e for e in raw if isinstance(e, dict)}
    result: list[hashrank.Stratum] = []
    if plan.strata_mode == STRATA_SINGLE:
        entry = given.get(SINGLE_LABEL, {"ratio": DEFAULT_SINGLE_RATIO})
        result.append(stratum_from_json(entry, SINGLE_LABEL))
    else:
        for short, label in RISK_LABELS.items():
            result.append(stratum_from_json(given.get(short, {"ratio": DEFAULT_RATIOS[short]}), label))
    if plan.focus_ratio is not None:
        result.append(hashrank.Stratum(FOCUS_LABEL, ratio=_ratio_text(plan.focus_ratio)))
    return sorted(result, key=lambda s: s.stratum.encode("utf-8"))


def cap_exclusions(times: dict[int, int], cap: int) -> list[tuple[str, list[int]]]:
    """(reason, entity ids) of the entities counted ``cap`` times or more, most-counted first, each
    with its own count ("本年度已被抽查N次"): the shape ``DRAW_EXCLUSIONS`` entries give."""
    by_times: dict[int, list[int]] = {}
    for entity_id, n in times.items():
        if n >= cap:
            by_times.setdefault(n, []).append(entity_id)
    return [(REASON_CAP % {"n": n}, sorted(by_times[n])) for n in sorted(by_times, reverse=True)]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a pool's million small objects are built (frozen,
    decoded, drawn, written into a record or verified).

    They hold no reference cycles, yet each allocation burst triggers full collections that walk
    every object built so far.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
