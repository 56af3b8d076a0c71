"""The grouped and canonical-bytes paths of hashrank (what a million-entity draw runs) agree with
the candidate-list API and with a naive reference, and refuse what is not a canonical pool."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling import hashrank as hr

pytestmark = pytest.mark.pure

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "hashrank_vectors.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
SETTINGS = settings(max_examples=60, deadline=None, database=None)
STRATA = ["A-低风险", "B-一般风险", "C", "重点"]


def _pool(rnd: random.Random, n: int) -> list[hr.Candidate]:
    keys = rnd.sample(range(10 * n + 10), n)
    return [hr.Candidate(f"K{k:05d}阳", rnd.choice(STRATA)) for k in keys]


def _strata(rnd: random.Random) -> list[hr.Stratum]:
    return [hr.Stratum(s, ratio=rnd.choice(["0.03", "0.2", "0.5", "1"])) if i % 2 else hr.Stratum(s, count=rnd.randint(0, 40))
            for i, s in enumerate(STRATA)]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vectors_through_the_canonical_bytes(case: dict[str, Any]) -> None:
    pool = [hr.Candidate(c["key"], c["stratum"]) for c in case["pool"]]
    strata = [hr.Stratum(s["stratum"], ratio=s.get("ratio"), count=s.get("count")) for s in case["strata"]]
    seed = bytes.fromhex(case["seed"])
    canonical = hr.canonical_pool(pool)
    assert hashlib.sha256(canonical).hexdigest() == case["pool_hash"]
    selection = hr.select_canonical(seed, canonical, strata, case["reserve_size"])
    assert [a.as_dict() for a in selection.allocation] == case["allocation"]
    assert [t.as_dict() for t in selection.selected] == case["selected"]
    assert [t.as_dict() for t in selection.reserve] == case["reserve"]


@SETTINGS
@given(st.integers(0, 2**32), st.integers(1, 400), st.integers(0, 5))
def test_grouped_paths_equal_the_candidate_path(rnd_seed: int, n: int, reserve: int) -> None:
    rnd = random.Random(rnd_seed)
    pool, strata, seed = _pool(rnd, n), _strata(rnd), rnd.randbytes(32)
    groups: dict[str, list[str]] = {}
    for c in pool:
        groups.setdefault(c.stratum, []).append(c.key)
    canonical, encoded = hr.canonical_of_groups(groups)
    assert canonical == hr.canonical_pool(pool)
    assert hr.groups_of_canonical(canonical) == {s: keys for s, keys in encoded.items() if keys}
    expected = hr.select(seed, pool, strata, reserve)
    assert hr.select_groups(seed, encoded, strata, reserve) == expected
    assert hr.select_canonical(seed, canonical, strata, reserve) == expected
    # The naive definition: sort each stratum by (score, key) in full.
    for a in expected.allocation:
        ranked = sorted((hr.target_score(seed, c.key), c.key) for c in pool if c.stratum == a.stratum)
        want = {k for _s, k in ranked[: a.selected]}
        assert {t.key for t in expected.selected if t.stratum == a.stratum} == want


@pytest.mark.parametrize("m", [1, 7, 50, 499, 500, 999, 1000, 1500])
def test_smallest_entries_threshold_and_fallback(monkeypatch: pytest.MonkeyPatch, m: int) -> None:
    keys = [f"key{i}".encode() for i in range(1000)]
    prefix = b"\x01" * 32 + b"target\x00"

    def naive() -> list[bytes]:
        return sorted(hr._sha256(prefix + k).digest() + k for k in keys)[:m]

    assert hr._smallest_entries(prefix, keys, m) == naive()

    # Scores far from uniform (every one in the top half of the range): the threshold keeps too
    # few, and the full sort must give the same answer.
    class Skewed:
        def __init__(self, data: bytes) -> None:
            self.value = b"\xff" + hashlib.sha256(data).digest()[1:]

        def digest(self) -> bytes:
            return self.value

    monkeypatch.setattr(hr, "_sha256", Skewed)
    assert hr._smallest_entries(prefix, keys, m) == naive()


@pytest.mark.parametrize(
    "blob",
    [
        b"A\tK1\nA\tK2",  # no final newline
        b"A\tK2\nA\tK1\n",  # keys out of order
        b"A\tK1\nA\tK1\n",  # a repeated key
        b"B\tK1\nA\tK2\n",  # strata out of order
        b"A\tK1\nB\tK2\nA\tK3\n",  # a split stratum
        b"A\tK1\nK2\n",  # a line without a tab
        b"\tK1\n",  # an empty stratum
        b"A\t\n",  # an empty key
        b"A\tK\x001\n",  # NUL
        b"A\tK1\tX\n",  # a tab inside a key
        b"A\t\xff\n",  # not UTF-8
    ],
)
def test_groups_of_canonical_refuses_what_is_not_canonical(blob: bytes) -> None:
    with pytest.raises(hr.DrawError) as exc:
        hr.groups_of_canonical(blob)
    assert exc.value.code == "invalid_input"


def test_groups_of_canonical_duplicate_across_strata() -> None:
    blob = b"A\tK1\nB\tK1\n"
    with pytest.raises(hr.DrawError) as exc:
        hr.groups_of_canonical(blob)
    assert exc.value.code == "duplicate_key"
    assert hr.groups_of_canonical(blob, check_unique=False) == {"A": [b"K1"], "B": [b"K1"]}
    assert hr.groups_of_canonical(b"") == {}


def test_select_groups_refuses_an_unknown_stratum() -> None:
    with pytest.raises(hr.DrawError) as exc:
        hr.select_groups(b"\x00" * 32, {"X": [b"K1"]}, [hr.Stratum("A", count=1)], 0)
    assert exc.value.code == "unknown_stratum"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_verify_accepts_any_pool_order_and_catches_an_excluded_key(case: dict[str, Any]) -> None:
    record = hr.build_record({k: v for k, v in case.items() if k not in ("commitment", "seed", "pool_hash", "allocation",
                                                                       "selected", "reserve", "assignments")}
                             | {"substitutions": [{k: v for k, v in s.items() if k != "in"} for s in case.get("substitutions", [])]})
    random.Random(1).shuffle(record["pool"])
    assert hr.verify(record) == []
    record["excluded"] = [{"key": record["pool"][0]["key"], "reason": "x"}]
    assert any(p.startswith("excluded:") for p in hr.verify(record))
    record["pool"][0] = {"key": record["pool"][1]["key"], "stratum": record["pool"][0]["stratum"]}
    assert any("appears more than once" in p for p in hr.verify(record))
