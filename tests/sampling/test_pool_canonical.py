"""PoolResult keeps a million candidates as sorted key lists with their ids: the canonical order,
the ids that go with it, membership, and the frozen blobs built from them."""

from __future__ import annotations

import random

from sampling import hashrank, records
from sampling.pool import PoolResult


def _pool() -> PoolResult:
    rnd = random.Random(7)
    codes = rnd.sample(range(100000), 300)
    keys: dict[str, list[str]] = {"A-低风险": [], "B-一般风险": [], "空层": []}
    ids: dict[str, list[int]] = {"A-低风险": [], "B-一般风险": [], "空层": []}
    for code in codes:
        stratum = "A-低风险" if code % 3 else "B-一般风险"
        keys[stratum].append(f"911405{code:06d}")
        ids[stratum].append(code + 1)
    return PoolResult(
        keys_by_stratum=keys, ids_by_stratum=ids, excluded=[], strata=[], counts={s: len(k) for s, k in keys.items()},
        excluded_counts={},
    )


def test_canonical_sorts_keys_with_their_ids() -> None:
    pool = _pool()
    before = dict(pool.entity_ids)
    assert pool.canonical() is pool
    for stratum, keys in pool.keys_by_stratum.items():
        assert keys == sorted(keys)
        assert [before[k] for k in keys] == pool.ids_by_stratum[stratum]
    assert pool.eligible == 300 and len(pool.candidates) == 300
    some = next(iter(before))
    assert some in pool and "nope" not in pool


def test_frozen_blobs_match_the_candidate_encoding() -> None:
    pool = _pool()
    mapping = dict(pool.entity_ids)
    expected = records.encode_frozen_pool(pool.candidates, mapping)
    pool.canonical()
    blob, digest, ids_blob = records.encode_frozen_groups(pool.keys_by_stratum, pool.ids_by_stratum)
    assert (blob, digest, ids_blob) == expected
    canonical = records.decode_canonical(blob)
    assert digest == hashrank.pool_hash(pool.candidates)
    # The ids blob follows the canonical order of the lines.
    lines = [line.split("\t", 1)[1] for line in canonical.decode().split("\n") if line]
    assert list(records.decode_entity_ids(ids_blob)) == [mapping[k] for k in lines]
    assert records.pool_entries(canonical) == [{"key": c.key, "stratum": c.stratum} for c in records.decode_pool(blob)]
