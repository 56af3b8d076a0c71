"""The draw record's stored and written forms (DRAW.md §2, §6): the frozen pool and the excluded
list as stored on the Draw row, the record's JSON text, and a record whose pool is a reference to
the draw's frozen pool (what a filing stores). Reads no database: the record itself is built by
``sampling.selectors.draws.draw_record``.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sampling import hashrank

if TYPE_CHECKING:
    from sampling.models import Draw


# --------------------------------------------------------------------------------------------
# Storage of the frozen pool and of the excluded list


def encode_canonical(canonical: bytes) -> tuple[bytes, str]:
    """(stored form, pool_hash) of a canonical pool: gzip level 1 — the blob is written once per
    commitment, and the fastest level already shrinks the repetitive canonical text about eightfold."""
    return _gzip(canonical), hashlib.sha256(canonical).hexdigest()


def encode_pool(candidates: Iterable[hashrank.Candidate]) -> tuple[bytes, str]:
    """(stored form, pool_hash) of a pool given as candidates (tests and small callers)."""
    return encode_canonical(hashrank.canonical_pool(candidates))


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


def decode_canonical(blob: bytes | memoryview) -> bytes:
    """The canonical pool (DRAW.md §2) as frozen: ``hashrank.select_canonical`` reads it as is."""
    return gzip.decompress(bytes(blob))


def pool_entries(canonical: bytes) -> list[dict[str, str]]:
    """The record's ``pool`` (canonical order) from the canonical form: a stratum at a time."""
    pool: list[dict[str, str]] = []
    # Frozen by draw_commit, which refused a key in two strata: not checked again here.
    for stratum, keys in hashrank.groups_of_canonical(canonical, check_unique=False).items():
        pool.extend([{"key": k, "stratum": stratum} for k in b"\n".join(keys).decode("utf-8").split("\n")])
    return pool


def _clean_reason(reason: str) -> str:
    # Tabs and newlines separate fields in the stored form; a reason is a short label anyway.
    return " ".join(str(reason).replace("\x00", " ").split())


def encode_excluded(excluded: Iterable[tuple[str, str]]) -> tuple[bytes, int]:
    lines = [f"{key}\t{_clean_reason(reason)}\n" for key, reason in excluded]
    return gzip.compress("".join(lines).encode("utf-8"), compresslevel=1, mtime=0), len(lines)


def decode_excluded(blob: bytes | memoryview | None) -> list[dict[str, str]]:
    if not blob:
        return []
    text = gzip.decompress(bytes(blob)).decode("utf-8")
    out = []
    for line in text.split("\n"):
        if line:
            key, reason = line.split("\t", 1)
            out.append({"key": key, "reason": reason})
    return out


def record_json(record: dict[str, Any]) -> str:
    """A record as the JSON text the downloads and ``draw_record`` give: compact, because an
    indent makes ``json`` fall back to its pure-Python encoder, several times slower and larger
    in memory for a million-key pool."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# A record whose pool is a reference to the draw's frozen pool
#
# A filing keeps the record as filed, but not its pool: a million entries are tens of megabytes
# of JSON per filing, and the draw's frozen pool never changes (PostgreSQL refuses it: migration sampling
# 0008). The stored record holds ``{"$ref": "draw.pool", "draw": id, "pool_hash": …}`` in the
# pool's place — the key keeps its position, so the JSON written from it is byte for byte the
# JSON of the record with the pool inline — and the pool is written from the canonical form,
# checked against its hash, without building an object per entry.

POOL_REF = "draw.pool"


class PoolMismatch(ValueError):
    """The referenced pool is not the one filed (never expected: the pool is immutable)."""


def pool_reference(draw: Draw) -> dict[str, Any]:
    return {"$ref": POOL_REF, "draw": draw.pk, "pool_hash": draw.pool_hash}


def is_pool_reference(value: Any) -> bool:
    return isinstance(value, dict) and value.get("$ref") == POOL_REF


def referenced_pool(record: dict[str, Any], draw: Draw) -> bytes:
    """The canonical pool ``record["pool"]`` refers to, checked against the hash it names."""
    ref = record["pool"]
    if ref.get("draw") != draw.pk or ref.get("pool_hash") != draw.pool_hash:
        raise PoolMismatch(f"the record refers to the pool of draw {ref.get('draw')}, not of draw {draw.pk}")
    canonical = decode_canonical(draw.pool_blob)
    if hashlib.sha256(canonical).hexdigest() != ref["pool_hash"]:
        raise PoolMismatch(f"draw {draw.pk}: the frozen pool does not hash to {ref['pool_hash']}")
    return canonical


# What json.dumps(ensure_ascii=False) escapes in a string: '"', '\' and C0 controls. The
# canonical form's own separators (tab, newline) never occur inside a key or a stratum.
_JSON_ESCAPED = re.compile(rb'["\\\x00-\x08\x0b-\x1f]')
_WINDOW = 1 << 20


def pool_json_chunks(canonical: bytes) -> Iterator[bytes]:
    """The JSON text of ``pool_entries(canonical)`` (``[{"key":…,"stratum":…},…]``, compact, keys
    in that order — also the sorted order), a megabyte at a time, with no object per entry."""
    escaped = _JSON_ESCAPED.search(canonical) is not None
    yield b"["
    pos, size, first = 0, len(canonical), True
    while pos < size:
        tab = canonical.index(b"\t", pos)
        stratum = canonical[pos:tab]
        head = b"\n" + stratum + b"\t"
        last = canonical.rfind(head, pos)
        end = canonical.index(b"\n", pos if last == -1 else last + 1) + 1  # the stratum's block ends here
        stratum_json = json.dumps(stratum.decode("utf-8"), ensure_ascii=False).encode("utf-8")
        open_entry, close_entry = b'{"key":', b',"stratum":' + stratum_json + b"}"
        while pos < end:
            stop = min(end, canonical.find(b"\n", min(end - 1, pos + _WINDOW)) + 1)
            window = canonical[pos:stop]  # whole lines of one stratum
            if escaped:
                keys = [line[len(head) - 1 :].decode("utf-8") for line in window[:-1].split(b"\n")]
                body = b",".join(
                    open_entry + json.dumps(k, ensure_ascii=False).encode("utf-8") + close_entry for k in keys
                )
            else:
                # Every line "stratum\tkey" becomes '{"key":"key","stratum":…}': C-level replaces.
                between = b'"' + close_entry + b"," + open_entry + b'"'
                body = open_entry + b'"' + (b"\n" + window[:-1]).replace(head, between)[len(between) :] + b'"' + close_entry
            yield body if first else b"," + body
            first = False
            pos = stop
    yield b"]"


def record_chunks(
    record: dict[str, Any], *, draw: Draw | None = None, sort_keys: bool = False
) -> Iterator[bytes]:
    """A record as UTF-8 JSON, in pieces: compact in its own key order as ``record_json`` writes
    it (``sort_keys=False``: the downloads), or canonical (``sort_keys=True``: what a filing's
    ``record_sha256`` hashes). A pool given by reference is written whole from ``draw``'s frozen
    pool; the bytes are those of the record with the pool inline.

    The pool is checked here, before the first piece: a streamed download never breaks off."""
    options: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":"), "sort_keys": sort_keys}
    if not is_pool_reference(record.get("pool")):
        return iter((json.dumps(record, **options).encode("utf-8"),))
    if draw is None:
        raise ValueError("a record whose pool is a reference needs its draw")
    canonical = referenced_pool(record, draw)
    token = uuid.uuid4().hex
    text = json.dumps({**record, "pool": token}, **options).encode("utf-8")  # the key keeps its place
    before, after = text.split(b'"' + token.encode() + b'"')
    return itertools.chain((before,), pool_json_chunks(canonical), (after,))


def record_sha256(record: dict[str, Any], *, draw: Draw | None = None) -> str:
    """SHA-256 of a record's canonical JSON (sorted keys, no spaces, UTF-8), the pool included
    whether it is inline or a reference."""
    digest = hashlib.sha256()
    for chunk in record_chunks(record, draw=draw, sort_keys=True):
        digest.update(chunk)
    return digest.hexdigest()


def with_pool(record: dict[str, Any], draw: Draw) -> dict[str, Any]:
    """The record with its pool inline (a million objects for a million entities: for tests and
    small callers; the downloads stream ``record_chunks``)."""
    if not is_pool_reference(record.get("pool")):
        return record
    return {**record, "pool": pool_entries(referenced_pool(record, draw))}
