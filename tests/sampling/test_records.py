"""The stored pool format and the record checklist shown by the verify button."""

from __future__ import annotations

import gc
import hashlib
import json

import pytest

from sampling import hashrank, record_codec
from sampling.pool import paused_gc
from sampling.selectors import draws as draw_selectors
from tenancy.scoping import actor_scope
from tests.factories import make_completed_draw


def test_pool_round_trips_in_canonical_order():
    cands = [hashrank.Candidate("K3", "B"), hashrank.Candidate("K1", "B"), hashrank.Candidate("K2", "A")]
    blob, digest = record_codec.encode_pool(cands)
    assert digest == hashrank.pool_hash(cands)
    canonical = record_codec.decode_canonical(blob)
    assert canonical == b"A\tK2\nB\tK1\nB\tK3\n"
    assert record_codec.pool_entries(canonical) == [
        {"key": "K2", "stratum": "A"}, {"key": "K1", "stratum": "B"}, {"key": "K3", "stratum": "B"}
    ]
    # The frozen form is what the draw reads: same result as with Candidate objects.
    seed = bytes(32)
    strata = [hashrank.Stratum("A", count=1), hashrank.Stratum("B", count=1)]
    assert hashrank.select_canonical(seed, canonical, strata, 1) == hashrank.select(seed, cands, strata, 1)
    blob, count = record_codec.encode_excluded([("K9", "已注销\t(含制表符)")])
    assert count == 1 and record_codec.decode_excluded(blob) == [{"key": "K9", "reason": "已注销 (含制表符)"}]


def test_paused_gc_restores_the_collector():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.django_db
def test_verify_checks_name_the_tampered_field(world):
    draw = make_completed_draw(world, "A1")
    with actor_scope(world.actor("A1", "viewer")):
        record = draw_selectors.draw_record(draw)
    checks = draw_selectors.verify_checks(record)
    assert all(c["ok"] for c in checks) and len(checks) == 8
    record["selected"][0]["key"], record["selected"][1]["key"] = record["selected"][1]["key"], record["selected"][0]["key"]
    record["public_entropy"] = "changed"
    failed = {c["field"] for c in draw_selectors.verify_checks(record) if not c["ok"]}
    assert {"seed", "selected"} <= failed and "pool_hash" not in failed


# --------------------------------------------------------------------------------------------
# A pool by reference: written out byte for byte as the record with its pool inline


def _canonical(entries: list[tuple[str, str]]) -> bytes:
    return record_codec.decode_canonical(record_codec.encode_pool(hashrank.Candidate(k, s) for k, s in entries)[0])


@pytest.mark.parametrize(
    "entries",
    [
        [("K1", "A")],
        [(f"9114{i:08d}", "ABCD"[i % 4]) for i in range(5000)],
        [(f"K{i}", "高风险" if i % 3 else "A") for i in range(300)],
        # Characters JSON escapes: the slow path, entry by entry.
        [('K"1\\', "A"), ("K2", 'S"x'), ("键\x01", "A"), ("K3", "B")],
    ],
)
@pytest.mark.parametrize("window", [1 << 20, 40])
def test_pool_json_is_the_json_of_the_entries(entries, window, monkeypatch):
    monkeypatch.setattr(record_codec, "_WINDOW", window)  # windows cut inside a stratum too
    canonical = _canonical(entries)
    pool = record_codec.pool_entries(canonical)
    expected = json.dumps(pool, ensure_ascii=False, separators=(",", ":")).encode()
    assert b"".join(record_codec.pool_json_chunks(canonical)) == expected
    assert expected == json.dumps(pool, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@pytest.mark.django_db
def test_a_record_without_its_pool_writes_out_as_the_whole_record(world):
    draw = make_completed_draw(world, "A1")
    with actor_scope(world.actor("A1", "viewer")):
        full = draw_selectors.draw_record(draw)
        light = draw_selectors.draw_record(draw, pool=False)
    assert light["pool"] == {"$ref": "draw.pool", "draw": draw.pk, "pool_hash": draw.pool_hash}
    assert list(light) == list(full)  # the key keeps its place
    assert b"".join(record_codec.record_chunks(light, draw=draw)) == record_codec.record_json(full).encode()
    canonical = json.dumps(full, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert record_codec.record_sha256(light, draw=draw) == hashlib.sha256(canonical).hexdigest() == record_codec.record_sha256(full)
    assert record_codec.with_pool(light, draw) == full
    # A reference to another pool is refused, not served.
    wrong = {**light, "pool": {**light["pool"], "pool_hash": "0" * 64}}
    with pytest.raises(record_codec.PoolMismatch):
        record_codec.record_chunks(wrong, draw=draw)


def test_the_record_endpoint_documents_its_variants():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/draws/{id}/record/"]["get"]
    (variant,) = [p for p in operation["parameters"] if p["name"] == "variant"]
    assert variant["in"] == "query" and variant["schema"]["enum"] == ["filing", "public"]
    text = variant["description"]
    assert "`public`" in text and "`filing`" in text and "inspector" in text and "office" in text
