"""The stored pool format and the record checklist shown by the verify button."""

from __future__ import annotations

import gc

import pytest

from sampling import hashrank, records
from tenancy.scoping import actor_scope
from tests.leak.cases_sampling_draws import make_completed_draw


def test_pool_round_trips_in_canonical_order():
    cands = [hashrank.Candidate("K3", "B"), hashrank.Candidate("K1", "B"), hashrank.Candidate("K2", "A")]
    blob, digest = records.encode_pool(cands)
    assert digest == hashrank.pool_hash(cands)
    canonical = records.decode_canonical(blob)
    assert canonical == b"A\tK2\nB\tK1\nB\tK3\n"
    assert records.pool_entries(canonical) == [
        {"key": "K2", "stratum": "A"}, {"key": "K1", "stratum": "B"}, {"key": "K3", "stratum": "B"}
    ]
    # The frozen form is what the draw reads: same result as with Candidate objects.
    seed = bytes(32)
    strata = [hashrank.Stratum("A", count=1), hashrank.Stratum("B", count=1)]
    assert hashrank.select_canonical(seed, canonical, strata, 1) == hashrank.select(seed, cands, strata, 1)
    blob, count = records.encode_excluded([("K9", "已注销\t(含制表符)")])
    assert count == 1 and records.decode_excluded(blob) == [{"key": "K9", "reason": "已注销 (含制表符)"}]


def test_paused_gc_restores_the_collector():
    assert gc.isenabled()
    with records.paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.django_db
def test_verify_checks_name_the_tampered_field(world):
    draw = make_completed_draw(world, "A1")
    with actor_scope(world.actor("A1", "viewer")):
        record = records.draw_record(draw)
    checks = records.verify_checks(record)
    assert all(c["ok"] for c in checks) and len(checks) == 8
    record["selected"][0]["key"], record["selected"][1]["key"] = record["selected"][1]["key"], record["selected"][0]["key"]
    record["public_entropy"] = "changed"
    failed = {c["field"] for c in records.verify_checks(record) if not c["ok"]}
    assert {"seed", "selected"} <= failed and "pool_hash" not in failed
