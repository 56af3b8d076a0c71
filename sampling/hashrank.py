"""hashrank-v1: the publicly verifiable draw (docs/DRAW.md).

Standard library only and free of Django on purpose: anyone holding a published draw record can run
this file (``python -m sampling.hashrank verify record.json``) to re-derive every result, and the
same code serves the web application.

Pipeline (each step is a public function so callers can run them at different times):

1. ``new_secret`` / ``commitment_of``: before the draw, with the pool frozen (``pool_hash``).
2. ``derive_seed``: at the draw, mixing in ``public_entropy``.
3. ``select``: per-stratum quotas (``quota``), the k smallest target scores, reserve lists.
4. ``assign_teams``: inspector teams dealt out of one heap per department.
5. ``apply_substitutions``: recusals/absences (递补), in the order approved.
6. ``run_draw`` / ``build_record``: the full record (DRAW.md §6); ``public_record`` strips it for
   publication; ``verify`` re-derives everything and lists every problem.

Decisions the spec leaves open, made here:

- A pool candidate whose stratum is not one of the plan's strata is refused (``unknown_stratum``):
  it would be hashed into the pool yet could never be drawn, a silent exclusion.
- Empty keys, strata, departments and task uids are refused (``invalid_text``), as are duplicate
  strata in the plan, duplicate departments in the requirements, duplicate inspector keys, and an
  excluded key that is also in the pool.
- ``allocation`` lists strata in byte-wise order (DRAW.md Notation), whatever the plan's order.
- A team lists its members department by department in byte-wise department order, each
  department's members in the order they were drawn; the record's ``assignments`` are the teams
  *after* all substitutions (a substitute takes the position of the inspector it replaces). Both
  are what the worked vectors show.

Every refusal is a ``DrawError`` whose ``code`` (stable, for translation) is one of:
``invalid_text``, ``invalid_input``, ``missing_field``, ``invalid_secret``, ``invalid_seed``,
``invalid_ratio``, ``invalid_count``, ``invalid_stratum``, ``duplicate_stratum``, ``unknown_stratum``,
``invalid_reserve_size``, ``duplicate_key``, ``excluded_in_pool``, ``invalid_requirement``,
``duplicate_department``, ``invalid_load``, ``not_enough_inspectors``, ``unknown_target``,
``not_on_team``, ``no_substitute``; ``details`` carries the values a translated message needs.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import heapq
import json
import math
import re
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import islice
from operator import itemgetter
from typing import Any, TypedDict

SPEC = "hashrank-v1"

_SEED_TAG = b"hashrank-v1/seed\x00"
_TARGET_TAG = b"target\x00"
_INSPECTOR_TAG = b"inspector\x00"
# ASCII digits only: str.isdigit() and \d would accept other scripts' digits.
_RATIO_RE = re.compile(r"[01](?:\.[0-9]+)?")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
# Verification stops listing differences of one field after this many; a wrong pool would
# otherwise print every one of a million entries.
_MAX_DIFFS_PER_FIELD = 20

_sha256 = hashlib.sha256
_KEY = itemgetter("key")
_STRATUM = itemgetter("stratum")


# --------------------------------------------------------------------------------------------
# Errors and value types


class DrawError(ValueError):
    """A refused input or an impossible draw; ``code`` is stable, the message is English."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        # args = (code, message) so that pickling and Celery's cls(*args) rebuild the error.
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Candidate:
    """One eligible object of the pool. Not validated here: a million of them are checked in bulk."""

    key: str
    stratum: str


@dataclass(frozen=True, slots=True)
class Stratum:
    """A stratum of the plan with exactly one of ``ratio`` (decimal string) or ``count``."""

    stratum: str
    ratio: str | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        _check_text(self.stratum, "stratum", key_like=True)
        if (self.ratio is None) == (self.count is None):
            raise DrawError(
                "invalid_stratum",
                f"stratum {self.stratum!r} needs exactly one of ratio or count",
                stratum=self.stratum,
            )
        if self.ratio is not None:
            _parse_ratio(self.ratio, self.stratum)
        elif not _is_int(self.count) or self.count < 0:
            raise DrawError(
                "invalid_count",
                f"count of stratum {self.stratum!r} must be a whole number >= 0, got {self.count!r}",
                stratum=self.stratum,
                count=self.count,
            )

    def as_dict(self) -> dict[str, Any]:
        if self.ratio is not None:
            return {"stratum": self.stratum, "ratio": self.ratio}
        return {"stratum": self.stratum, "count": self.count}


@dataclass(frozen=True, slots=True)
class InspectorRef:
    key: str
    department: str


@dataclass(frozen=True, slots=True)
class Requirement:
    department: str
    count: int

    def __post_init__(self) -> None:
        _check_text(self.department, "department")
        # A requirement of 0 inspectors would be a department that takes no part: refuse it.
        if not _is_int(self.count) or self.count < 1:
            raise DrawError(
                "invalid_requirement",
                f"department {self.department!r} must require at least 1 inspector, got {self.count!r}",
                department=self.department,
                count=self.count,
            )


@dataclass(frozen=True, slots=True)
class Conflict:
    inspector: str
    target: str


@dataclass(frozen=True, slots=True)
class SubstitutionEvent:
    target: str
    out: str
    reason: str


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A candidate left out of the pool, listed in the record with its reason."""

    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class Allocation:
    stratum: str
    eligible: int
    selected: int

    def as_dict(self) -> dict[str, Any]:
        return {"stratum": self.stratum, "eligible": self.eligible, "selected": self.selected}


@dataclass(frozen=True, slots=True)
class SelectedTarget:
    rank: int
    key: str
    stratum: str
    score: str  # hex

    def as_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "key": self.key, "stratum": self.stratum, "score": self.score}


@dataclass(frozen=True, slots=True)
class ReserveTarget:
    key: str
    stratum: str
    score: str  # hex

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "stratum": self.stratum, "score": self.score}


@dataclass(frozen=True)
class Selection:
    allocation: list[Allocation] = field(default_factory=list)
    selected: list[SelectedTarget] = field(default_factory=list)
    reserve: list[ReserveTarget] = field(default_factory=list)

    @property
    def selected_keys(self) -> list[str]:
        """Selected keys in rank order: the input ``assign_teams`` expects."""
        return [t.key for t in self.selected]


class Assignment(TypedDict):
    target: str
    inspectors: list[str]


# Functional syntax because ``in`` is a keyword.
Substitution = TypedDict("Substitution", {"target": str, "out": str, "in": str, "reason": str})


# --------------------------------------------------------------------------------------------
# Validation helpers


def _is_int(value: object) -> bool:
    # bool is an int subclass; JSON true must not pass for 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_text(value: object, what: str, *, key_like: bool = False, allow_empty: bool = False) -> str:
    """Refuse what DRAW.md refuses (NUL anywhere; tab/newline in keys and strata) and non-UTF-8."""
    if not isinstance(value, str):
        raise DrawError("invalid_text", f"{what} must be text, got {type(value).__name__}", what=what)
    if not value and not allow_empty:
        raise DrawError("invalid_text", f"{what} must not be empty", what=what)
    if "\x00" in value:
        raise DrawError("invalid_text", f"{what} {value!r} contains a NUL character", what=what, value=value)
    if key_like and ("\t" in value or "\n" in value):
        raise DrawError("invalid_text", f"{what} {value!r} contains a tab or newline", what=what, value=value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates have no UTF-8 form, so they could not be hashed the same way elsewhere.
        raise DrawError("invalid_text", f"{what} {value!r} is not valid Unicode text", what=what, value=value)
    return value


def _check_keys(keys: list[str], what: str) -> None:
    """Bulk check of many keys: one pass over a joined string instead of a million small checks."""
    try:
        joined = "".join(keys)  # TypeError when a key is not text: the slow path names it
    except TypeError:
        joined = None
    unique = set(keys) if joined is not None else None
    bad = joined is None or "\x00" in joined or "\t" in joined or "\n" in joined or "" in unique  # type: ignore[operator]
    if not bad:
        try:
            joined.encode("utf-8")  # type: ignore[union-attr]
        except UnicodeEncodeError:
            bad = True
    if bad:
        for k in keys:  # slow path only to name the offending key
            _check_text(k, what, key_like=True)
    if len(unique) != len(keys):  # type: ignore[arg-type]
        seen: set[str] = set()
        for k in keys:
            if k in seen:
                raise DrawError("duplicate_key", f"{what} {k!r} appears more than once", what=what, key=k)
            seen.add(k)


def _check_seed(seed: object) -> bytes:
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise DrawError("invalid_seed", "the seed must be 32 bytes")
    return seed


def _check_secret(secret: object) -> bytes:
    if not isinstance(secret, bytes) or len(secret) != 32:
        raise DrawError("invalid_secret", "the secret must be 32 bytes")
    return secret


def _parse_ratio(ratio: object, stratum: str) -> Fraction:
    if not isinstance(ratio, str) or not _RATIO_RE.fullmatch(ratio):
        raise DrawError(
            "invalid_ratio",
            f'ratio of stratum {stratum!r} must be a decimal string such as "0.03", got {ratio!r}',
            stratum=stratum,
            ratio=ratio,
        )
    value = Fraction(ratio)  # exact: Fraction("0.03") == 3/100, no binary floating point
    if not 0 < value <= 1:
        raise DrawError(
            "invalid_ratio",
            f"ratio of stratum {stratum!r} must be above 0 and at most 1, got {ratio!r}",
            stratum=stratum,
            ratio=ratio,
        )
    return value


def _check_reserve_size(reserve_size: object) -> int:
    if not _is_int(reserve_size) or reserve_size < 0:
        raise DrawError(
            "invalid_reserve_size", f"reserve_size must be a whole number >= 0, got {reserve_size!r}"
        )
    return reserve_size


def _check_strata(strata: Iterable[Stratum]) -> list[Stratum]:
    result = list(strata)
    seen: set[str] = set()
    for s in result:
        if not isinstance(s, Stratum):
            raise DrawError("invalid_input", f"strata must be Stratum values, got {type(s).__name__}")
        if s.stratum in seen:
            raise DrawError(
                "duplicate_stratum", f"stratum {s.stratum!r} appears twice in the plan", stratum=s.stratum
            )
        seen.add(s.stratum)
    return result


def _check_inspectors(inspector_pool: Iterable[InspectorRef]) -> list[InspectorRef]:
    pool = list(inspector_pool)
    for i in pool:
        _check_text(i.key, "inspector key", key_like=True)
        _check_text(i.department, "department")
    _check_keys([i.key for i in pool], "inspector key")
    return pool


def _check_requirements(requirements: Iterable[Requirement]) -> list[Requirement]:
    reqs = list(requirements)
    seen: set[str] = set()
    for r in reqs:
        if r.department in seen:
            raise DrawError(
                "duplicate_department",
                f"department {r.department!r} appears twice in the requirements",
                department=r.department,
            )
        seen.add(r.department)
    # Department order is byte-wise on UTF-8, which is what str ordering gives for valid text.
    return sorted(reqs, key=lambda r: r.department)


def _conflict_map(conflicts: Iterable[Conflict]) -> dict[str, set[str]]:
    blocked: dict[str, set[str]] = {}
    for c in conflicts:
        _check_text(c.inspector, "conflict inspector", key_like=True)
        _check_text(c.target, "conflict target", key_like=True)
        blocked.setdefault(c.target, set()).add(c.inspector)
    return blocked


# --------------------------------------------------------------------------------------------
# §1 commitment and seed, §2 pool hash


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def commitment_of(secret: bytes) -> str:
    return _sha256(_check_secret(secret)).hexdigest()


def derive_seed(secret: bytes, public_entropy: str, task_uid: str) -> bytes:
    _check_secret(secret)
    _check_text(public_entropy, "public_entropy", allow_empty=True)
    _check_text(task_uid, "task_uid")
    # NUL separators are unambiguous because NUL is refused in every text.
    return _sha256(
        _SEED_TAG + secret + b"\x00" + public_entropy.encode("utf-8") + b"\x00" + task_uid.encode("utf-8")
    ).digest()


def canonical_pool(candidates: Iterable[Candidate]) -> bytes:
    """``stratum \\t key \\n`` per candidate, sorted by (stratum, key) byte-wise (DRAW.md §2)."""
    return canonical_of_groups(_group(candidates), encoded_keys=False)[0]


def pool_hash(candidates: Iterable[Candidate]) -> str:
    return _sha256(canonical_pool(candidates)).hexdigest()


def _group(candidates: Iterable[Candidate]) -> dict[str, list[str]]:
    by_stratum: dict[str, list[str]] = {}
    for c in candidates:
        group = by_stratum.get(c.stratum)
        if group is None:
            group = by_stratum[c.stratum] = []
        group.append(c.key)
    return by_stratum


def canonical_of_groups(
    keys_by_stratum: Mapping[str, Sequence[str]], *, encoded_keys: bool = True
) -> tuple[bytes, dict[str, list[bytes]]]:
    """The canonical pool (§2) of a pool given as its keys per stratum, and each stratum's keys
    sorted and UTF-8 encoded (what ``select_groups`` takes; left empty with ``encoded_keys=False``),
    from one canonicalisation.

    Validates like ``canonical_pool``. Keys already in canonical order cost no sort (timsort on a
    sorted run is one linear pass), so a caller that keeps the pool sorted pays no sorting twice.
    """
    _check_keys([k for keys in keys_by_stratum.values() for k in keys], "key")
    parts: list[bytes] = []
    encoded: dict[str, list[bytes]] = {}
    # Sorting per stratum sorts plain strings, much cheaper than a million (stratum, key) tuples;
    # str order is code point order, which is UTF-8 byte order for valid text.
    for stratum in sorted(keys_by_stratum):
        _check_text(stratum, "stratum", key_like=True)
        keys = sorted(keys_by_stratum[stratum])
        if not keys:
            encoded[stratum] = []
            continue
        block = "\n".join(keys).encode("utf-8")  # one encode for the whole stratum
        encoded[stratum] = block.split(b"\n") if encoded_keys else []
        parts.append(_stratum_lines(stratum, block))
    return b"".join(parts), encoded


def _stratum_lines(stratum: str, block: bytes) -> bytes:
    """A stratum's part of the canonical form (§2), ``stratum \\t key \\n`` per key, from its
    keys in order joined by newlines: one C-level replace, no line built per key."""
    head = stratum.encode("utf-8") + b"\t"
    return head + block.replace(b"\n", b"\n" + head) + b"\n"


def canonical_of_sorted_groups(
    groups: Mapping[str, Sequence[bytes]], *, check_unique: bool = True, check_order: bool = True
) -> bytes:
    """The canonical pool (§2) of a pool given as each stratum's UTF-8 keys, already sorted
    byte-wise: a few C-level passes per stratum, no object per key.

    Refuses (``invalid_input``/``invalid_text``/``duplicate_key``) what ``canonical_of_groups``
    refuses: keys out of order or repeated, empty, holding a tab, newline or NUL, or not UTF-8;
    a key in two strata only with ``check_unique`` (a caller that knows its keys are unique
    across strata — one registry code per region — may skip that set of a million keys); keys
    out of order or repeated within a stratum only with ``check_order`` (a caller that sorted
    keys it knows to be unique may skip that pass).
    """
    parts: list[bytes] = []
    for stratum in sorted(groups):  # str order is code point order, which is UTF-8 byte order
        keys = groups[stratum]
        if not keys:
            continue
        _check_text(stratum, "stratum", key_like=True)
        block = b"\n".join(keys)
        if not keys[0] or b"\t" in block or b"\x00" in block or block.count(b"\n") != len(keys) - 1:
            for key in keys:  # slow path only to name the offending key
                _check_text(bytes(key).decode("utf-8", "replace"), "key", key_like=True)
        if check_order and any(map(bytes.__ge__, keys, islice(keys, 1, None))):
            if any(map(bytes.__eq__, keys, islice(keys, 1, None))):
                key = next(a for a, b in zip(keys, islice(keys, 1, None), strict=False) if a == b).decode("utf-8")
                raise DrawError("duplicate_key", f"key {key!r} appears more than once", what="key", key=key)
            raise DrawError("invalid_input", f"the keys of stratum {stratum!r} are not sorted byte-wise")
        try:
            block.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DrawError("invalid_text", f"a key of stratum {stratum!r} is not UTF-8") from exc
        parts.append(_stratum_lines(stratum, block))
    if check_unique and sum(1 for keys in groups.values() if keys) > 1:
        _refuse_repeated_keys(groups)
    return b"".join(parts)


def _refuse_repeated_keys(groups: Mapping[str, Sequence[bytes]]) -> None:
    """``duplicate_key`` for the first key that is in two strata (one set of all the keys)."""
    if len({k for keys in groups.values() for k in keys}) == sum(len(keys) for keys in groups.values()):
        return
    seen: set[bytes] = set()
    for keys in groups.values():
        for k in keys:
            if k in seen:
                key = k.decode("utf-8")
                raise DrawError("duplicate_key", f"key {key!r} appears more than once", what="key", key=key)
            seen.add(k)


def groups_of_canonical(
    canonical: bytes, *, check_unique: bool = True, verified: bool = False
) -> dict[str, list[bytes]]:
    """Parse a canonical pool (§2) back into each stratum's UTF-8 keys, in canonical order.

    Refuses (``invalid_input``) bytes that are not a canonical pool: lines without a tab, strata
    out of order or split, keys out of order or repeated, empty keys, NUL or invalid UTF-8; a key
    in two strata is a ``duplicate_key`` unless ``check_unique`` is false (for a pool frozen by
    ``canonical_of_groups``, which refused it already). Works a stratum block at a time.

    ``verified``: the bytes hash to a pool hash that was checked when they were frozen (a draw
    reading its own commitment's pool, after comparing ``pool_hash``): only split, not checked.
    """
    if not isinstance(canonical, (bytes, bytearray, memoryview)):
        raise DrawError("invalid_input", "a canonical pool must be bytes")
    text = bytes(canonical)

    def refuse(why: str) -> DrawError:
        return DrawError("invalid_input", f"not a canonical pool: {why}")

    if text and not text.endswith(b"\n"):
        raise refuse("it does not end with a newline")
    if not verified:
        if b"\x00" in text:
            raise refuse("it contains a NUL byte")
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise refuse("it is not UTF-8") from exc
    groups: dict[str, list[bytes]] = {}
    pos, size, previous = 0, len(text), None
    while pos < size:
        tab = text.find(b"\t", pos)
        end_of_line = text.find(b"\n", pos)
        if tab == -1 or tab > end_of_line or tab == pos:
            raise refuse(f"line at byte {pos} has no stratum and tab")
        stratum_bytes = text[pos:tab]
        if previous is not None and not stratum_bytes > previous:
            raise refuse("strata are not in byte-wise order, or a stratum is split")
        head = b"\n" + stratum_bytes + b"\t"
        last = text.rfind(head, pos)  # "\n" before the stratum's last line (a line start: keys hold no "\n")
        end = text.find(b"\n", pos if last == -1 else last + 1)
        # The keys joined by "\n": another stratum's line inside the block would keep its tab.
        joined = text[tab + 1 : end].replace(head, b"\n")
        if b"\t" in joined:
            raise refuse(f"stratum {stratum_bytes.decode('utf-8')!r} is split or a key holds a tab")
        keys = joined.split(b"\n")
        if not verified:
            if b"" in keys:
                raise refuse("a key is empty")
            # Strictly ascending: no neighbour greater or equal (one pass, no sorted copy).
            if any(map(bytes.__ge__, keys, islice(keys, 1, None))):
                raise refuse(f"keys of stratum {stratum_bytes.decode('utf-8')!r} are not in strictly ascending order")
        groups[stratum_bytes.decode("utf-8")] = keys
        previous = stratum_bytes
        pos = end + 1
    if check_unique and not verified and len(groups) > 1:
        _refuse_repeated_keys(groups)
    return groups


# --------------------------------------------------------------------------------------------
# §3 selecting targets


def target_score(seed: bytes, key: str) -> bytes:
    _check_seed(seed)
    _check_text(key, "key", key_like=True)
    return _sha256(seed + _TARGET_TAG + key.encode("utf-8")).digest()


def quota(n: int, stratum: Stratum) -> int:
    """k for a stratum of n eligible candidates; ratio mode is an exact ceiling, never below n×ratio."""
    if not _is_int(n) or n < 0:
        raise DrawError("invalid_count", f"the number of eligible candidates must be >= 0, got {n!r}")
    if stratum.ratio is not None:
        ratio = _parse_ratio(stratum.ratio, stratum.stratum)
        return min(n, -((-n * ratio.numerator) // ratio.denominator))
    assert stratum.count is not None  # guaranteed by Stratum.__post_init__
    return min(n, stratum.count)


def select(
    seed: bytes, candidates: Iterable[Candidate], strata: Iterable[Stratum], reserve_size: int
) -> Selection:
    """Quota-many smallest (score, key) per stratum, then the next ``reserve_size`` as reserve.

    Raises ``unknown_stratum`` for a candidate outside the plan's strata. See ``select_groups``.
    """
    _check_seed(seed)
    plan = _check_strata(strata)
    reserve_size = _check_reserve_size(reserve_size)
    groups: dict[str, list[str]] = {s.stratum: [] for s in plan}
    keys: list[str] = []
    for c in candidates:
        group = groups.get(c.stratum)
        if group is None:
            _check_text(c.stratum, "stratum", key_like=True)
            raise DrawError(
                "unknown_stratum",
                f"candidate {c.key!r} is in stratum {c.stratum!r}, which is not in the plan",
                key=c.key,
                stratum=c.stratum,
            )
        group.append(c.key)
        keys.append(c.key)
    _check_keys(keys, "key")
    encoded = {
        stratum: ("\n".join(group).encode("utf-8").split(b"\n") if group else []) for stratum, group in groups.items()
    }
    return _select_encoded(seed, encoded, plan, reserve_size)


def select_groups(
    seed: bytes, keys_by_stratum: Mapping[str, Sequence[bytes]], strata: Iterable[Stratum], reserve_size: int
) -> Selection:
    """``select`` over a pool given as each stratum's UTF-8 encoded keys, as ``groups_of_canonical``
    or ``canonical_of_groups`` return them (validated there: unique, no NUL, tab or newline)."""
    _check_seed(seed)
    plan = _check_strata(strata)
    reserve_size = _check_reserve_size(reserve_size)
    known = {s.stratum for s in plan}
    for stratum, keys in keys_by_stratum.items():
        if stratum not in known and keys:
            _check_text(stratum, "stratum", key_like=True)
            key = bytes(keys[0]).decode("utf-8")
            raise DrawError(
                "unknown_stratum",
                f"candidate {key!r} is in stratum {stratum!r}, which is not in the plan",
                key=key,
                stratum=stratum,
            )
    return _select_encoded(seed, keys_by_stratum, plan, reserve_size)


def select_canonical(seed: bytes, canonical: bytes, strata: Iterable[Stratum], reserve_size: int) -> Selection:
    """``select`` over a pool in its canonical form (§2), e.g. the frozen pool as stored."""
    return select_groups(seed, groups_of_canonical(canonical), strata, reserve_size)


def _select_encoded(
    seed: bytes, groups: Mapping[str, Sequence[bytes]], plan: list[Stratum], reserve_size: int
) -> Selection:
    # Each entry is score || UTF-8 key as one bytes object: the score has a fixed 32 bytes, so
    # byte-wise order of the entries is exactly the (score, key) order of §3, and comparing flat
    # bytes is cheaper than comparing tuples.
    prefix = seed + _TARGET_TAG
    allocation: list[Allocation] = []
    chosen: list[tuple[bytes, str]] = []
    spare: list[tuple[bytes, str]] = []
    for s in sorted(plan, key=lambda s: s.stratum):
        keys = groups.get(s.stratum, ())
        k = quota(len(keys), s)
        best = _smallest_entries(prefix, keys, k + reserve_size)
        allocation.append(Allocation(s.stratum, len(keys), k))
        chosen.extend((entry, s.stratum) for entry in best[:k])
        spare.extend((entry, s.stratum) for entry in best[k:])
    chosen.sort()
    spare.sort()
    return Selection(
        allocation=allocation,
        selected=[
            SelectedTarget(rank, e[32:].decode("utf-8"), st, e[:32].hex())
            for rank, (e, st) in enumerate(chosen, 1)
        ],
        reserve=[ReserveTarget(e[32:].decode("utf-8"), st, e[:32].hex()) for e, st in spare],
    )


def _smallest_entries(prefix: bytes, keys: Sequence[bytes], m: int) -> list[bytes]:
    """The ``m`` smallest ``H(prefix || key) || key`` of ``keys``, ascending; O(N + m log m).

    Every key is hashed once. Scores are uniform, so the m smallest lie, all but certainly, below
    the score a fraction ``c / N`` up the range, with ``c`` = m plus a margin of six standard
    deviations: only the entries below that threshold are built and sorted. Should fewer than m
    fall below it, every entry is built and sorted instead; the result is exact either way,
    because every entry at or above the threshold is larger than every entry below it.
    """
    n = len(keys)
    if m <= 0 or n == 0:
        return []
    sha = _sha256
    margin = m + 6 * math.isqrt(m) + 64
    if margin < n // 2:
        threshold = ((margin << 256) // n).to_bytes(32, "big")
        below = [d + kb for kb in keys if (d := sha(prefix + kb).digest()) < threshold]
        if len(below) >= m:
            below.sort()
            del below[m:]
            return below
    entries = [sha(prefix + kb).digest() + kb for kb in keys]
    entries.sort()
    del entries[m:]
    return entries


# --------------------------------------------------------------------------------------------
# §4 inspector teams


def inspector_score(seed: bytes, load: int, key: str) -> bytes:
    _check_seed(seed)
    if not _is_int(load) or load < 0:
        raise DrawError("invalid_load", f"load must be a whole number >= 0, got {load!r}")
    _check_text(key, "inspector key", key_like=True)
    return _iscore(seed + _INSPECTOR_TAG, load, key)


def _iscore(prefix: bytes, load: int, key: str) -> bytes:
    # str(int) is ASCII digits without leading zeros, as §4 requires.
    return _sha256(prefix + str(load).encode("ascii") + b"\x00" + key.encode("utf-8")).digest()


def assign_teams(
    seed: bytes,
    selected_keys: Sequence[str],
    inspector_pool: Iterable[InspectorRef],
    requirements: Iterable[Requirement],
    conflicts: Iterable[Conflict],
) -> tuple[list[Assignment], dict[str, int]]:
    """Teams for the targets in rank order, and every pool inspector's final load.

    One heap per required department keyed by (load, score, key): a target costs its ``count``
    pops plus the conflicted inspectors it skips (pushed back unchanged), never a scan of the pool.
    Members are listed department by department (byte-wise), each in the order drawn.
    """
    _check_seed(seed)
    pool = _check_inspectors(inspector_pool)
    reqs = _check_requirements(requirements)
    blocked = _conflict_map(conflicts)
    targets = list(selected_keys)
    _check_keys(targets, "target")
    prefix = seed + _INSPECTOR_TAG
    sha = _sha256
    loads = {i.key: 0 for i in pool}
    # "\x00" || UTF-8 key per inspector and decimal(load) per load, encoded once.
    tails = {i.key: b"\x00" + i.key.encode("utf-8") for i in pool}
    digits: list[bytes] = [b"0"]
    heaps: dict[str, list[tuple[int, bytes, str]]] = {r.department: [] for r in reqs}
    for i in pool:
        heap = heaps.get(i.department)
        if heap is not None:
            heap.append((0, sha(prefix + b"0" + tails[i.key]).digest(), i.key))
    for heap in heaps.values():
        heapq.heapify(heap)
    plan = [(heaps[r.department], r.count, r) for r in reqs]
    heappop, heappush = heapq.heappop, heapq.heappush

    nobody: frozenset[str] = frozenset()
    assignments: list[Assignment] = []
    for target in targets:
        barred = blocked.get(target, nobody)
        team: list[str] = []
        drawn: list[list[tuple[int, bytes, str]]] = []
        for heap, count, r in plan:
            skipped: list[tuple[int, bytes, str]] | None = None
            taken = 0
            while taken < count and heap:
                entry = heappop(heap)
                key = entry[2]
                if key in barred or key in team:
                    if skipped is None:
                        skipped = []
                    skipped.append(entry)
                    continue
                team.append(key)
                drawn.append(heap)
                taken += 1
            if skipped:
                for entry in skipped:
                    heappush(heap, entry)
            if taken < count:
                raise DrawError(
                    "not_enough_inspectors",
                    f"target {target!r} needs {r.count} inspector(s) of {r.department!r} but only "
                    f"{taken} are available without a conflict",
                    target=target,
                    department=r.department,
                    needed=r.count,
                    available=taken,
                )
        # Loads rise only once the whole team is drawn (§4); each member re-enters with a new score.
        for heap, key in zip(drawn, team, strict=True):
            load = loads[key] + 1
            loads[key] = load
            if load == len(digits):
                digits.append(str(load).encode("ascii"))  # ASCII digits, no leading zeros (§4)
            heappush(heap, (load, sha(prefix + digits[load] + tails[key]).digest(), key))
        assignments.append({"target": target, "inspectors": team})
    return assignments, loads


# --------------------------------------------------------------------------------------------
# §5 substitutes


class _Substituter:
    """Applies events one at a time on private copies; a failed event changes nothing."""

    def __init__(
        self,
        seed: bytes,
        assignments: Iterable[Mapping[str, Any]],
        loads: Mapping[str, int],
        inspector_pool: Iterable[InspectorRef],
        conflicts: Iterable[Conflict],
    ) -> None:
        self.prefix = _check_seed(seed) + _INSPECTOR_TAG
        pool = _check_inspectors(inspector_pool)
        self.department = {i.key: i.department for i in pool}
        self.members: dict[str, list[str]] = {}
        for i in pool:
            self.members.setdefault(i.department, []).append(i.key)
        self.blocked = _conflict_map(conflicts)
        self.teams: dict[str, list[str]] = {a["target"]: list(a["inspectors"]) for a in assignments}
        self.loads: dict[str, int] = dict(loads)
        self.recused: dict[str, set[str]] = {}

    def apply(self, event: SubstitutionEvent) -> Substitution:
        target = _check_text(event.target, "substitution target", key_like=True)
        out = _check_text(event.out, "substitution out", key_like=True)
        reason = _check_text(event.reason, "substitution reason", allow_empty=True)
        team = self.teams.get(target)
        if team is None:
            raise DrawError(
                "unknown_target", f"target {target!r} has no team in this draw", target=target, out=out
            )
        if out not in team or out not in self.department:
            raise DrawError(
                "not_on_team",
                f"inspector {out!r} is not on the team of target {target!r}",
                target=target,
                out=out,
            )
        # Recused by an earlier event or by this one: never brought back to this target.
        recused = self.recused.get(target, set()) | {out}
        barred = self.blocked.get(target, set())
        best: tuple[int, bytes, str] | None = None
        for key in self.members[self.department[out]]:
            if key in team or key in barred or key in recused:
                continue
            load = self.loads.get(key, 0)
            entry = (load, _iscore(self.prefix, load, key), key)
            if best is None or entry < best:
                best = entry
        if best is None:
            raise DrawError(
                "no_substitute",
                f"no inspector of {self.department[out]!r} can replace {out!r} for target {target!r}",
                target=target,
                out=out,
                department=self.department[out],
            )
        substitute = best[2]
        team[team.index(out)] = substitute  # same position in the team
        self.loads[out] = self.loads.get(out, 0) - 1
        self.loads[substitute] = best[0] + 1
        self.recused[target] = recused
        return {"target": target, "out": out, "in": substitute, "reason": reason}


def apply_substitutions(
    seed: bytes,
    assignments: list[Assignment],
    loads: dict[str, int],
    inspector_pool: Iterable[InspectorRef],
    conflicts: Iterable[Conflict],
    events: Iterable[SubstitutionEvent],
    earlier: Iterable[Mapping[str, str]] = (),
) -> list[Substitution]:
    """Apply events in approval order; returns one ``{target, out, in, reason}`` per event.

    On success ``assignments`` (the substitute takes the out inspector's position) and ``loads``
    are updated in place. If any event fails a ``DrawError`` is raised and both stay untouched.
    To add events later, pass the substitutions already applied (and reflected in
    ``assignments``/``loads``) as ``earlier``: their ``out`` stays recused from their target.
    Substitutes are chosen with a scan of one department's inspectors: events are few.
    """
    state = _Substituter(seed, assignments, loads, inspector_pool, conflicts)
    for s in earlier:
        state.recused.setdefault(s["target"], set()).add(s["out"])
    results = [state.apply(event) for event in events]
    for a in assignments:
        a["inspectors"][:] = state.teams[a["target"]]
    loads.clear()
    loads.update(state.loads)
    return results


# --------------------------------------------------------------------------------------------
# §6 records


def run_draw(
    *,
    task_uid: str,
    secret: bytes,
    public_entropy: str,
    pool: Sequence[Candidate],
    strata: Sequence[Stratum],
    reserve_size: int,
    excluded: Sequence[Exclusion] = (),
    inspector_pool: Sequence[InspectorRef] = (),
    requirements: Sequence[Requirement] = (),
    conflicts: Sequence[Conflict] = (),
    substitutions: Sequence[SubstitutionEvent] = (),
) -> dict[str, Any]:
    """The complete filing record (DRAW.md §6), field names and order as the spec lists them.

    Input lists are recorded in the order given. With no requirements, no teams are drawn and
    ``assignments`` is empty. Raises ``DrawError``; nothing partial is returned.
    """
    _check_text(task_uid, "task_uid")
    pool = list(pool)
    excluded = list(excluded)
    seed = derive_seed(secret, public_entropy, task_uid)
    digest = pool_hash(pool)  # validates the pool before its keys are used below
    pool_keys = {c.key for c in pool}
    for e in excluded:
        _check_text(e.key, "excluded key", key_like=True)
        _check_text(e.reason, "exclusion reason", allow_empty=True)
        if e.key in pool_keys:
            raise DrawError("excluded_in_pool", f"excluded key {e.key!r} is also in the pool", key=e.key)
    selection = select(seed, pool, strata, reserve_size)
    assignments: list[Assignment] = []
    loads: dict[str, int] = {}
    if requirements:
        assignments, loads = assign_teams(
            seed, selection.selected_keys, inspector_pool, requirements, conflicts
        )
    else:
        _check_inspectors(inspector_pool)
        _conflict_map(conflicts)
    subs = apply_substitutions(seed, assignments, loads, inspector_pool, conflicts, substitutions)
    return {
        "spec": SPEC,
        "task_uid": task_uid,
        "commitment": commitment_of(secret),
        "secret": secret.hex(),
        "public_entropy": public_entropy,
        "seed": seed.hex(),
        "pool_hash": digest,
        "pool": [{"key": c.key, "stratum": c.stratum} for c in pool],
        "excluded": [{"key": e.key, "reason": e.reason} for e in excluded],
        "strata": [s.as_dict() for s in strata],
        "reserve_size": reserve_size,
        "allocation": [a.as_dict() for a in selection.allocation],
        "selected": [t.as_dict() for t in selection.selected],
        "reserve": [t.as_dict() for t in selection.reserve],
        "inspector_pool": [{"key": i.key, "department": i.department} for i in inspector_pool],
        "requirements": [{"department": r.department, "count": r.count} for r in requirements],
        "conflicts": [{"inspector": c.inspector, "target": c.target} for c in conflicts],
        "assignments": assignments,
        "substitutions": subs,
    }


def build_record(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``run_draw`` from JSON-shaped inputs (a vector case without its outputs).

    ``secret`` is 64 hex digits; when absent a fresh one is drawn (a real draw publishes its
    commitment first, so this is for trials). The inspector fields are optional; a
    substitution's ``in`` is ignored (it is an output); unknown fields such as ``name`` are ignored.
    """
    if not isinstance(inputs, Mapping):
        raise DrawError("invalid_input", "the inputs must be a JSON object")
    if "spec" in inputs and inputs["spec"] != SPEC:
        raise DrawError("invalid_input", f"spec must be {SPEC!r}, got {inputs['spec']!r}")
    secret = _parse_secret(inputs["secret"]) if "secret" in inputs else new_secret()
    return run_draw(
        task_uid=_require(inputs, "task_uid"),
        secret=secret,
        public_entropy=inputs.get("public_entropy", ""),
        pool=_parse_pool(_require(inputs, "pool")),
        strata=_parse_strata(_require(inputs, "strata")),
        reserve_size=inputs.get("reserve_size", 0),
        excluded=_parse_excluded(inputs.get("excluded", [])),
        inspector_pool=_parse_inspector_pool(inputs.get("inspector_pool", [])),
        requirements=_parse_requirements(inputs.get("requirements", [])),
        conflicts=_parse_conflicts(inputs.get("conflicts", [])),
        substitutions=_parse_events(inputs.get("substitutions", [])),
    )


def public_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as published: no inspector identities, everything else kept.

    Drops ``inspector_pool`` and ``conflicts``; ``assignments`` becomes ``[{target}]`` (which
    targets got a team, in rank order); ``substitutions`` becomes ``[{target, reason}]``.
    ``requirements`` stays (team sizes are public). Other values are shared, not copied.
    ``verify`` accepts this shape and checks everything in it.
    """
    public = {k: v for k, v in record.items() if k not in ("inspector_pool", "conflicts")}
    if "assignments" in record:
        public["assignments"] = [{"target": a["target"]} for a in record["assignments"]]
    if "substitutions" in record:
        public["substitutions"] = [
            {"target": s["target"], "reason": s["reason"]} for s in record["substitutions"]
        ]
    return public


# --------------------------------------------------------------------------------------------
# JSON parsing (shared by build_record and verify); every failure is a DrawError


def _require(data: Mapping[str, Any], name: str, where: str = "record") -> Any:
    if name not in data:
        raise DrawError("missing_field", f"{where} has no {name!r}", field=name)
    return data[name]


def _objects(value: Any, name: str, fields: Sequence[str]) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise DrawError("invalid_input", f"{name} must be a list", field=name)
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise DrawError("invalid_input", f"{name}[{i}] must be an object", field=name)
        for f in fields:
            _require(item, f, f"{name}[{i}]")
    return value


def _parse_secret(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX64_RE.fullmatch(value):
        raise DrawError("invalid_secret", "secret must be 64 lowercase hex digits")
    return bytes.fromhex(value)


def _parse_pool(value: Any) -> list[Candidate]:
    pool = [Candidate(o["key"], o["stratum"]) for o in _objects(value, "pool", ("key", "stratum"))]
    for c in pool:
        # Only types here (cheap); the text rules are checked in bulk by pool_hash and select.
        if type(c.key) is not str:
            _check_text(c.key, "key", key_like=True)
        if type(c.stratum) is not str:
            _check_text(c.stratum, "stratum", key_like=True)
    return pool


def _parse_pool_groups(value: Any) -> dict[str, list[str]]:
    """A record's pool as its keys per stratum, in record order; no Candidate per entry.

    The same refusals as ``_parse_pool``; the text rules are checked in bulk by
    ``canonical_of_groups``. A pool of plain JSON objects takes the C-level fast path.
    """
    if not isinstance(value, list):
        raise DrawError("invalid_input", "pool must be a list", field="pool")
    keys: list[Any] | None = None
    if set(map(type, value)) <= {dict}:
        try:
            keys = list(map(_KEY, value))
            strata = list(map(_STRATUM, value))
        except KeyError:
            keys = None
    if keys is None:  # not plain objects: the precise path names the problem
        pool = _parse_pool(value)
        keys, strata = [c.key for c in pool], [c.stratum for c in pool]
    try:
        distinct = set(strata)
        texts = all(type(st) is str for st in distinct)
    except TypeError:  # an unhashable stratum (a list, an object) is not text
        distinct, texts = set(), False
    if not texts:
        for st in strata:
            if type(st) is not str:
                _check_text(st, "stratum", key_like=True)
    if len(distinct) == 1:
        return {strata[0]: keys}
    groups: dict[str, list[str]] = {st: [] for st in distinct}
    appends = {st: group.append for st, group in groups.items()}
    for st, key in zip(strata, keys, strict=True):
        appends[st](key)
    return groups


def _parse_excluded(value: Any) -> list[Exclusion]:
    result = [Exclusion(o["key"], o["reason"]) for o in _objects(value, "excluded", ("key", "reason"))]
    for e in result:
        _check_text(e.key, "excluded key", key_like=True)
        _check_text(e.reason, "exclusion reason", allow_empty=True)
    return result


def _parse_strata(value: Any) -> list[Stratum]:
    result = []
    for o in _objects(value, "strata", ("stratum",)):
        # An explicit null counts as absent.
        result.append(Stratum(o["stratum"], ratio=o.get("ratio"), count=o.get("count")))
    return _check_strata(result)


def _parse_inspector_pool(value: Any) -> list[InspectorRef]:
    objs = _objects(value, "inspector_pool", ("key", "department"))
    return _check_inspectors(InspectorRef(o["key"], o["department"]) for o in objs)


def _parse_requirements(value: Any) -> list[Requirement]:
    result = [
        Requirement(o["department"], o["count"])
        for o in _objects(value, "requirements", ("department", "count"))
    ]
    _check_requirements(result)
    return result


def _parse_conflicts(value: Any) -> list[Conflict]:
    result = [
        Conflict(o["inspector"], o["target"]) for o in _objects(value, "conflicts", ("inspector", "target"))
    ]
    _conflict_map(result)
    return result


def _parse_events(value: Any) -> list[SubstitutionEvent]:
    objs = _objects(value, "substitutions", ("target", "out", "reason"))
    return [SubstitutionEvent(o["target"], o["out"], o["reason"]) for o in objs]


# --------------------------------------------------------------------------------------------
# Verification


def _same(a: Any, b: Any) -> bool:
    # Type-strict: 1, 1.0 and true are different values in a record.
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


def _show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _compare_list(name: str, expected: list[Any], found: Any, problems: list[str]) -> None:
    if not isinstance(found, list):
        problems.append(f"{name}: expected a list, found {_show(found)}")
        return
    if _same(expected, found):  # one C-level encode for the common, verified case
        return
    if len(found) != len(expected):
        problems.append(f"{name}: expected {len(expected)} entries, found {len(found)}")
    diffs = [
        i
        for i in range(max(len(found), len(expected)))
        if i >= len(found) or i >= len(expected) or not _same(expected[i], found[i])
    ]
    for i in diffs[:_MAX_DIFFS_PER_FIELD]:
        want = _show(expected[i]) if i < len(expected) else "nothing"
        got = _show(found[i]) if i < len(found) else "nothing"
        problems.append(f"{name}[{i}]: expected {want}, found {got}")
    if len(diffs) > _MAX_DIFFS_PER_FIELD:
        problems.append(f"{name}: {len(diffs) - _MAX_DIFFS_PER_FIELD} more differing entries not listed")


def verify(record: Any) -> list[str]:
    """Re-derive the record's results from its inputs; every problem found, [] when verified.

    Checks commitment, seed, pool_hash, allocation, selected, reserve, and - when the record
    carries ``inspector_pool`` (a filing record) - assignments and each substitution's ``in``.
    On a public record it checks that teams were drawn for exactly the selected targets and
    that substitutions concern selected targets. Malformed input is reported, never raised.
    """
    try:
        return _verify(record)
    except Exception as exc:  # last resort: the promise is a list of problems, never a crash
        return [f"the record could not be verified: {type(exc).__name__}: {exc}"]


def _verify(record: Any) -> list[str]:
    if not isinstance(record, Mapping):
        return ["the record is not a JSON object"]
    problems: list[str] = []

    def parse(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except DrawError as exc:
            problems.append(str(exc))
            return None

    def field_of(name: str) -> Any:
        return parse(_require, record, name)

    if record.get("spec") != SPEC:
        problems.append(f"spec: expected {SPEC!r}, found {_show(record.get('spec'))}")

    # §1: commitment and seed.
    secret = parse(lambda: _parse_secret(_require(record, "secret")))
    task_uid = parse(lambda: _check_text(_require(record, "task_uid"), "task_uid"))
    entropy = parse(
        lambda: _check_text(_require(record, "public_entropy"), "public_entropy", allow_empty=True)
    )
    found_commitment = field_of("commitment")
    found_seed = field_of("seed")
    if secret is not None and "commitment" in record and found_commitment != commitment_of(secret):
        problems.append(
            f"commitment: H(secret) is {commitment_of(secret)}, the record says {_show(found_commitment)}"
        )
    seed: bytes | None = None
    if secret is not None and task_uid is not None and entropy is not None:
        seed = derive_seed(secret, entropy, task_uid)
        if "seed" in record and found_seed != seed.hex():
            problems.append(f"seed: re-derived {seed.hex()}, the record says {_show(found_seed)}")
    elif isinstance(found_seed, str) and _HEX64_RE.fullmatch(found_seed):
        # Cannot re-derive the seed; still check everything that follows from the stated one.
        seed = bytes.fromhex(found_seed)

    # §2: pool, canonicalised once for its hash and for the selection.
    pool: dict[str, list[bytes]] | None = None
    pool_groups = parse(lambda: _parse_pool_groups(_require(record, "pool")))
    if pool_groups is not None:
        canonical = parse(canonical_of_groups, pool_groups)
        found_hash = field_of("pool_hash")
        if canonical is not None:
            digest = _sha256(canonical[0]).hexdigest()
            pool = canonical[1]
            if "pool_hash" in record and found_hash != digest:
                problems.append(f"pool_hash: re-derived {digest}, the record says {_show(found_hash)}")
    excluded = parse(_parse_excluded, record.get("excluded", []))
    if excluded is not None and pool is not None:
        sorted_groups = list(pool.values())  # each stratum's keys, sorted: a binary search each
        for e in excluded:
            encoded = e.key.encode("utf-8")
            for keys in sorted_groups:
                i = bisect.bisect_left(keys, encoded)
                if i < len(keys) and keys[i] == encoded:
                    problems.append(f"excluded: key {e.key!r} is excluded but also in the pool")
                    break

    # §3: selection.
    strata = parse(lambda: _parse_strata(_require(record, "strata")))
    reserve_size = parse(lambda: _check_reserve_size(_require(record, "reserve_size")))
    selected_keys: list[str] | None = None
    if seed is not None and pool is not None and strata is not None and reserve_size is not None:
        selection = parse(select_groups, seed, pool, strata, reserve_size)
        if selection is not None:
            selected_keys = selection.selected_keys
            for name, expected in (
                ("allocation", [a.as_dict() for a in selection.allocation]),
                ("selected", [t.as_dict() for t in selection.selected]),
                ("reserve", [t.as_dict() for t in selection.reserve]),
            ):
                if name in record:
                    _compare_list(name, expected, record[name], problems)
                else:
                    problems.append(f"record has no {name!r}")
    if selected_keys is None:
        # Selection could not be re-derived: check the teams against the targets the record names.
        found_selected = record.get("selected")
        if isinstance(found_selected, list) and all(
            isinstance(t, Mapping) and isinstance(t.get("key"), str) for t in found_selected
        ):
            selected_keys = [t["key"] for t in found_selected]

    # §4-5: teams.
    if "inspector_pool" in record:
        _verify_teams(record, seed, selected_keys, problems, parse)
    else:
        _verify_public_teams(record, selected_keys, problems, parse)
    return problems


def _verify_teams(
    record: Mapping[str, Any],
    seed: bytes | None,
    selected_keys: list[str] | None,
    problems: list[str],
    parse: Callable[..., Any],
) -> None:
    inspectors = parse(_parse_inspector_pool, record["inspector_pool"])
    requirements = parse(lambda: _parse_requirements(_require(record, "requirements")))
    conflicts = parse(lambda: _parse_conflicts(_require(record, "conflicts")))
    for name in ("assignments", "substitutions"):
        if name not in record:
            problems.append(f"record has no {name!r}")
    found_subs = record.get("substitutions", [])
    events = parse(_parse_events, found_subs)
    if None in (seed, selected_keys, inspectors, requirements, conflicts):
        problems.append("assignments: cannot be re-derived from this record")
        return
    assignments: list[Assignment] = []
    loads: dict[str, int] = {}
    if requirements:
        try:
            assignments, loads = assign_teams(seed, selected_keys, inspectors, requirements, conflicts)
        except DrawError as exc:
            problems.append(f"assignments: the draw itself fails: {exc}")
            return
    if events is None:
        problems.append("assignments: not compared, the substitutions could not be read")
        return
    state = _Substituter(seed, assignments, loads, inspectors, conflicts)
    expected_subs: list[Any] = []
    for i, event in enumerate(events):
        try:
            expected_subs.append(state.apply(event))
        except DrawError as exc:
            problems.append(f"substitutions[{i}]: cannot be re-derived: {exc}")
            expected_subs.append(found_subs[i])  # reported above; do not report it twice
    if "substitutions" in record:
        _compare_list("substitutions", expected_subs, found_subs, problems)
    if "assignments" in record:
        teams = [{"target": a["target"], "inspectors": state.teams[a["target"]]} for a in assignments]
        _compare_list("assignments", teams, record["assignments"], problems)


def _verify_public_teams(
    record: Mapping[str, Any], selected_keys: list[str] | None, problems: list[str], parse: Callable[..., Any]
) -> None:
    found_assignments = record.get("assignments")
    found_subs = record.get("substitutions")
    if found_assignments is None and found_subs is None:
        return  # a selection-only record
    requirements = parse(lambda: _parse_requirements(_require(record, "requirements")))
    if requirements is None or selected_keys is None:
        problems.append("assignments: cannot be checked against this record")
        return
    targets = selected_keys if requirements else []
    if found_assignments is not None:
        if isinstance(found_assignments, list) and any(
            isinstance(a, Mapping) and "inspectors" in a for a in found_assignments
        ):
            problems.append(
                "assignments: lists inspectors but the record has no inspector_pool to check them"
            )
        else:
            _compare_list("assignments", [{"target": t} for t in targets], found_assignments, problems)
    if found_subs is not None:
        if not isinstance(found_subs, list):
            problems.append("substitutions: expected a list")
            return
        team_targets = set(targets)
        for i, s in enumerate(found_subs):
            if not isinstance(s, Mapping) or not isinstance(s.get("target"), str):
                problems.append(f"substitutions[{i}]: expected an object with a target")
            elif "in" in s or "out" in s:
                problems.append(f"substitutions[{i}]: names inspectors but the record has no inspector_pool")
            elif s["target"] not in team_targets:
                problems.append(f"substitutions[{i}]: target {s['target']!r} has no team in this draw")


# --------------------------------------------------------------------------------------------
# Command line


def _read_json(path: str) -> Any:
    if path == "-":
        text = sys.stdin.buffer.read().decode("utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    return json.loads(text)


def _say(text: str, stream: Any = None) -> None:
    # Write UTF-8 bytes whatever the locale: records are full of Chinese text.
    stream = stream or sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # e.g. a test's in-memory text stream
        stream.write(text + "\n")
        return
    stream.flush()
    buffer.write((text + "\n").encode("utf-8"))
    buffer.flush()


# The command line lists this many problems unless --all: a record whose secret was changed
# differs in every derived field, and the first lines already say so.
CLI_PROBLEM_LINES = 50


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sampling.hashrank", description=f"{SPEC} draw records")
    sub = parser.add_subparsers(dest="command", required=True)
    p_verify = sub.add_parser(
        "verify",
        help=f"re-derive a draw record; prints 'verified', or the first {CLI_PROBLEM_LINES} problems and how many more",
    )
    p_verify.add_argument("record", help="record JSON file, '-' for stdin")
    p_verify.add_argument("--all", action="store_true", help="print every problem, not only the first ones")
    p_run = sub.add_parser("run", help="run a draw from inputs JSON and print the record")
    p_run.add_argument("inputs", help="inputs JSON file, '-' for stdin")
    p_run.add_argument("--public", action="store_true", help="print the public record")
    args = parser.parse_args(argv)

    if args.command == "verify":
        try:
            record = _read_json(args.record)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            _say(f"cannot read the record: {exc}")
            return 1
        problems = verify(record)
        shown = problems if args.all else problems[:CLI_PROBLEM_LINES]
        for problem in shown:
            _say(problem)
        if len(problems) > len(shown):
            _say(f"… and {len(problems) - len(shown)} more (use --all)")
        if not problems:
            _say("verified")
        return 1 if problems else 0

    try:
        inputs = _read_json(args.inputs)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        _say(f"cannot read the inputs: {exc}", sys.stderr)
        return 1
    try:
        record = build_record(inputs)
    except DrawError as exc:
        _say(f"error ({exc.code}): {exc}", sys.stderr)
        return 1
    if args.public:
        record = public_record(record)
    _say(json.dumps(record, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
