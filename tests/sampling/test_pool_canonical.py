"""PoolResult keeps a million candidates as each stratum's sorted UTF-8 keys: the canonical form
built from them (no object per key) is the one DRAW.md §2 defines, and bad pools are refused."""

from __future__ import annotations

import random

import pytest

from sampling import hashrank
from sampling.pool import PoolResult


def _pool() -> PoolResult:
    rnd = random.Random(7)
    groups: dict[str, list[bytes]] = {"A-低风险": [], "B-一般风险": [], "空层": []}
    for code in rnd.sample(range(100000), 300):
        groups["A-低风险" if code % 3 else "B-一般风险"].append(f"911405{code:06d}".encode())
    for keys in groups.values():
        keys.sort()
    return PoolResult(groups=groups, excluded=[], strata=[], total=300)


def test_canonical_form_is_drawmds() -> None:
    pool = _pool()
    assert pool.canonical == hashrank.canonical_pool(pool.candidates)
    assert pool.eligible == 300 and len(pool.candidates) == 300
    assert pool.counts["空层"] == 0 and sum(pool.counts.values()) == 300
    some = pool.candidates[0].key
    assert some in pool and "nope" not in pool
    assert pool.keys_by_stratum["A-低风险"] == sorted(pool.keys_by_stratum["A-低风险"])


@pytest.mark.parametrize(
    "groups,code",
    [
        ({"A": [b"K2", b"K1"]}, "invalid_input"),  # not sorted
        ({"A": [b"K1", b"K1"]}, "duplicate_key"),
        ({"A": [b"K1"], "B": [b"K1"]}, "duplicate_key"),  # one key in two strata
        ({"A": [b"", b"K1"]}, "invalid_text"),
        ({"A": [b"K\t1"]}, "invalid_text"),
        ({"A": [b"K1\nK2"]}, "invalid_text"),
        ({"A\tB": [b"K1"]}, "invalid_text"),
    ],
)
def test_bad_pools_are_refused(groups, code) -> None:
    with pytest.raises(hashrank.DrawError) as exc:
        hashrank.canonical_of_sorted_groups(groups)
    assert exc.value.code == code


def test_a_key_in_two_strata_passes_only_when_the_caller_vouches_for_uniqueness() -> None:
    groups = {"A": [b"K1"], "B": [b"K1"]}
    assert hashrank.canonical_of_sorted_groups(groups, check_unique=False) == b"A\tK1\nB\tK1\n"


def test_a_caller_that_sorted_unique_keys_skips_the_order_pass_but_not_the_character_checks() -> None:
    # Unchecked order is taken as given (the caller vouches for it) …
    assert hashrank.canonical_of_sorted_groups({"A": [b"K2", b"K1"]}, check_order=False) == b"A\tK2\nA\tK1\n"
    # … but a tab, an empty key or invalid UTF-8 is still refused.
    for keys in ([b"K\t1"], [b"", b"K1"], [b"\xff"]):
        with pytest.raises(hashrank.DrawError) as exc:
            hashrank.canonical_of_sorted_groups({"A": keys}, check_order=False, check_unique=False)
        assert exc.value.code == "invalid_text"
