"""The draw record (DRAW.md §6) rebuilt from the database, and the frozen pool's storage format.

The record is never stored as one document: it is rebuilt from the Draw row (frozen pool, strata,
inspector side, secret and seed), its selections, and its substitutions in ``seq`` order, so what
is published is always what the database holds. ``hashrank.verify`` must accept it.

Extensions of ours live under ``"x"`` (verifiers ignore unknown fields): the draw's times and
witnesses, the inspector pool hash announced with the commitment, target replacements from the
reserve (``x.replacements``) and substitutions on replacement targets (``x.substitutions``: they
follow DRAW.md §5 with the loads of the record's ``assignments``, but concern a target that was
not drawn, so they cannot sit in the spec's ``substitutions``).
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from sampling import hashrank
from sampling.models import Draw, DrawSelection, Substitution, TargetReplacement
from sampling.teams import record_pool


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a million small objects are built.

    They hold no reference cycles, yet each allocation burst triggers full collections that walk
    every object built so far: decoding a million-line pool takes 3 s with it, 0.6 s without.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


# --------------------------------------------------------------------------------------------
# The record


class _Sel(NamedTuple):
    pk: int
    key: str
    stratum: str
    score: str
    rank: int | None
    reserve_order: int | None
    team: list[int]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def draw_record(draw: Draw, *, variant: str = "filing", pool: bool = True) -> dict[str, Any]:
    """The DRAW.md §6 record of a completed draw: ``"filing"`` (all) or ``"public"`` (no inspectors).

    ``pool=False``: the record's ``pool`` is a reference to the draw's frozen pool
    (``pool_reference``), not the million entries — what a filing stores; ``record_chunks``
    writes it out whole again.

    Raises ``ValueError`` for a draw that is not completed: before the draw the secret must stay
    server-side (DRAW.md §1), and only ``commitment_event`` may be shown.
    """
    with paused_gc():
        return _draw_record(draw, variant=variant, pool=pool)


def _draw_record(draw: Draw, *, variant: str, pool: bool = True) -> dict[str, Any]:
    if variant not in ("filing", "public"):
        raise ValueError(f"unknown record variant {variant!r}")
    if draw.status != Draw.Status.COMPLETED:
        raise ValueError("only a completed draw has a record")
    key_of = {int(e["id"]): e["key"] for e in draw.inspector_pool}
    # Plain rows, not model instances: a hundred thousand selections.
    selections = [
        _Sel(*row)
        for row in DrawSelection.objects.filter(draw=draw).values_list(
            "pk", "key", "stratum", "score", "rank", "reserve_order", "team"
        )
    ]
    ranked = sorted((s for s in selections if s.rank is not None), key=lambda s: s.rank)
    reserve = sorted((s for s in selections if s.reserve_order is not None), key=lambda s: s.reserve_order)
    ranked_ids = {s.pk for s in ranked}
    by_pk = {s.pk: s for s in selections}

    subs = list(Substitution.objects.filter(draw=draw).order_by("seq"))
    main_subs = [s for s in subs if s.selection_id in ranked_ids]
    extra_subs = [s for s in subs if s.selection_id not in ranked_ids]

    def sub_dict(s: Substitution) -> dict[str, Any]:
        return {
            "target": by_pk[s.selection_id].key,
            "out": key_of[s.out_inspector_id],
            "in": key_of[s.in_inspector_id],
            "reason": s.reason,
        }

    record: dict[str, Any] = {
        "spec": draw.spec,
        "task_uid": draw.task_uid,
        "commitment": draw.commitment,
        "secret": draw.secret,
        "public_entropy": draw.public_entropy,
        "seed": draw.seed,
        "pool_hash": draw.pool_hash,
        "pool": pool_entries(decode_canonical(draw.pool_blob)) if pool else pool_reference(draw),
        "excluded": decode_excluded(draw.excluded_blob),
        "strata": list(draw.strata),
        "reserve_size": draw.reserve_size,
        "allocation": list(draw.allocation),
        "selected": [{"rank": s.rank, "key": s.key, "stratum": s.stratum, "score": s.score} for s in ranked],
        "reserve": [{"key": s.key, "stratum": s.stratum, "score": s.score} for s in reserve],
        "inspector_pool": record_pool(draw.inspector_pool),
        "requirements": list(draw.requirements),
        "conflicts": list(draw.conflicts),
        "assignments": (
            [{"target": s.key, "inspectors": [key_of[i] for i in s.team]} for s in ranked] if draw.requirements else []
        ),
        "substitutions": [sub_dict(s) for s in main_subs],
    }
    replacements = list(TargetReplacement.objects.filter(draw=draw).order_by("seq"))
    # The initial teams of replacement targets only (a JSON value per row costs a decode).
    initial_team = dict(
        DrawSelection.objects.filter(pk__in=[r.replacement_id for r in replacements]).values_list("pk", "initial_team")
    ) if replacements else {}
    x: dict[str, Any] = {
        "draw_id": draw.pk,
        "committed_at": _iso(draw.committed_at),
        "scheduled_at": _iso(draw.scheduled_at),
        "drawn_at": _iso(draw.drawn_at),
        "witnesses": list(draw.witnesses),
        "inspector_pool_hash": draw.inspector_pool_hash,
        "replacements": [
            {
                "seq": r.seq,
                "replaced": by_pk[r.replaced_id].key,
                "replacement": by_pk[r.replacement_id].key,
                "stratum": by_pk[r.replacement_id].stratum,
                "reason": r.reason,
                "at": _iso(r.created_at),
                "inspectors": [key_of[i] for i in initial_team[r.replacement_id]],
            }
            for r in replacements
        ],
        "substitutions": [sub_dict(s) for s in extra_subs],
    }
    record["x"] = x
    if variant == "public":
        record = hashrank.public_record(record)
        public_x = dict(x)
        public_x["replacements"] = [{k: v for k, v in r.items() if k != "inspectors"} for r in x["replacements"]]
        public_x["substitutions"] = [{"target": s["target"], "reason": s["reason"]} for s in x["substitutions"]]
        public_x.pop("inspector_pool_hash")
        record["x"] = public_x
    return record


def record_json(record: dict[str, Any]) -> str:
    """A record as the JSON text the downloads and ``draw_record`` give: compact, because an
    indent makes ``json`` fall back to its pure-Python encoder — for a million-key pool 5.6 s and
    1.4 GB instead of 1.6 s and 0.75 GB."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# A record whose pool is a reference to the draw's frozen pool
#
# A filing keeps the record as filed, but not its pool: a million entries are 70 MB of JSON per
# filing, and the draw's frozen pool never changes (PostgreSQL refuses it: migration sampling
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


def commitment_event(draw: Draw) -> dict[str, Any]:
    """The commitment as published before the draw (DRAW.md §1): never the secret."""
    counts: dict[str, int] = {}
    if draw.allocation:  # after the draw the eligible counts are stored; before, count the pool
        counts = {a["stratum"]: a["eligible"] for a in draw.allocation}
    elif draw.pool_blob:
        groups = hashrank.groups_of_canonical(decode_canonical(draw.pool_blob))
        counts = {stratum: len(keys) for stratum, keys in groups.items()}
    return {
        "spec": draw.spec,
        "task_uid": draw.task_uid,
        "commitment": draw.commitment,
        "pool_hash": draw.pool_hash,
        "pool_size": draw.pool_size,
        "eligible": [{"stratum": s, "eligible": n} for s, n in sorted(counts.items())],
        "excluded_count": draw.excluded_count,
        "strata": list(draw.strata),
        "reserve_size": draw.reserve_size,
        "scheduled_at": _iso(draw.scheduled_at),
        "committed_at": _iso(draw.committed_at),
        "inspector_pool_hash": draw.inspector_pool_hash,
    }


def verify_checks(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The verification as a checklist for the results page: one row per re-derived field."""
    with paused_gc():
        problems = hashrank.verify(record)
    fields = [
        ("commitment", _("承诺值 = H(密钥)")),
        ("seed", _("种子由密钥、公开随机数和任务编号重新推导")),
        ("pool_hash", _("对象池摘要")),
        ("allocation", _("各层抽取数量")),
        ("selected", _("抽中对象及排序")),
        ("reserve", _("备选对象")),
        ("assignments", _("检查组分配")),
        ("substitutions", _("人员递补")),
    ]
    rows = []
    claimed: set[int] = set()
    for name, label in fields:
        mine = [i for i, p in enumerate(problems) if p.startswith(name)]
        claimed.update(mine)
        rows.append({"field": name, "label": label, "ok": not mine, "problems": [problems[i] for i in mine]})
    other = [p for i, p in enumerate(problems) if i not in claimed]
    if other:
        rows.append({"field": "other", "label": _("其他"), "ok": False, "problems": other})
    return rows
