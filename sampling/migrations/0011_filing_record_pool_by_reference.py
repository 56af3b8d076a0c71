# A filing stored its whole record, the draw's frozen pool included: about 70 MB of JSON per
# filing at a million entities. The pool never changes (PostgreSQL refuses it: 0008), so a
# filing now refers to it — {"$ref": "draw.pool", "draw": <id>, "pool_hash": <hash>} in the
# pool's place, the key keeping its position — and the record is written out whole again from
# the draw (sampling.records.record_chunks), byte for byte as before and with the same SHA-256.
#
# Existing filings are converted only when their stored pool is exactly the draw's frozen pool:
# the record names the draw's pool hash, every entry is {"key", "stratum"} in that order, and
# their canonical lines, in the stored order, hash to the draw's pool hash (as does the frozen
# pool itself). A filing that fails any of this keeps its pool inline and is served as stored.
# Self-contained on purpose: the app's code may change, this must not.

import gzip
import hashlib

from django.db import migrations

REF = "draw.pool"


def _is_draws_pool(pool, draw) -> bool:
    digest = hashlib.sha256()
    for entry in pool:
        if not isinstance(entry, dict) or list(entry) != ["key", "stratum"]:
            return False
        key, stratum = entry["key"], entry["stratum"]
        if not isinstance(key, str) or not isinstance(stratum, str):
            return False
        digest.update(f"{stratum}\t{key}\n".encode("utf-8"))
    if digest.hexdigest() != draw.pool_hash:
        return False
    return hashlib.sha256(gzip.decompress(bytes(draw.pool_blob))).hexdigest() == draw.pool_hash


def pool_by_reference(apps, schema_editor):
    Filing = apps.get_model("sampling", "Filing")
    Draw = apps.get_model("sampling", "Draw")
    # One filing at a time: each record may be tens of megabytes.
    for pk in list(Filing.objects.order_by("pk").values_list("pk", flat=True)):
        filing = Filing.objects.only("record", "draw_id").get(pk=pk)
        record = filing.record
        pool = record.get("pool") if isinstance(record, dict) else None
        if not isinstance(pool, list):
            continue  # no stored record (rebuilt from the draw), or already a reference
        draw = Draw.objects.only("pool_hash", "pool_blob").get(pk=filing.draw_id)
        if record.get("pool_hash") != draw.pool_hash or not _is_draws_pool(pool, draw):
            continue
        record["pool"] = {"$ref": REF, "draw": draw.pk, "pool_hash": draw.pool_hash}  # same key, same place
        Filing.objects.filter(pk=pk).update(record=record)


def pool_inline(apps, schema_editor):
    Filing = apps.get_model("sampling", "Filing")
    Draw = apps.get_model("sampling", "Draw")
    for pk in list(Filing.objects.order_by("pk").values_list("pk", flat=True)):
        filing = Filing.objects.only("record", "draw_id").get(pk=pk)
        record = filing.record
        ref = record.get("pool") if isinstance(record, dict) else None
        if not (isinstance(ref, dict) and ref.get("$ref") == REF):
            continue
        draw = Draw.objects.only("pool_hash", "pool_blob").get(pk=ref["draw"])
        canonical = gzip.decompress(bytes(draw.pool_blob))
        if hashlib.sha256(canonical).hexdigest() != ref["pool_hash"]:
            raise RuntimeError(f"filing {pk}: the pool of draw {draw.pk} does not hash to the filed {ref['pool_hash']}")
        entries = []
        for line in canonical.decode("utf-8").split("\n"):
            if line:
                stratum, key = line.split("\t", 1)
                entries.append({"key": key, "stratum": stratum})
        record["pool"] = entries
        Filing.objects.filter(pk=pk).update(record=record)


class Migration(migrations.Migration):

    dependencies = [
        ("sampling", "0010_filing_annex_and_attachments"),
    ]

    operations = [
        migrations.RunPython(pool_by_reference, pool_inline, elidable=False),
    ]
