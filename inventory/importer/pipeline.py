"""The entity import as a pipeline: a second thread reads and prepares the next chunk while this
one writes, so reading the file and the database's work overlap.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from contextlib import nullcontext
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import translation

from inventory.models import ImportJob, MarketEntity
from tenancy.bulk import (
    chunks,
    connection_of_this_thread,
    constraints_checked_now,
)
from tenancy.context import Actor

from . import entity_upsert, upserts
from .columns import ENTITY_FIELDS, ParseContext
from .entity_upsert import BulkResult, Progress
from .reading import STORED
from .rows import ParsedFile, parse_rows

_END_OF_FILE = object()


def stream_entities(
    *, actor: Actor, job: ImportJob, source: IO[bytes], ctx: ParseContext, progress: Progress, note: str, beside: bool
) -> tuple[ParsedFile, BulkResult | None]:
    """Parse in a second thread while this one writes the rows parsed so far, so reading the file
    and the database's work overlap. With ``beside`` (the import opened the transaction itself, on
    PostgreSQL) the second thread also looks each chunk up, through a connection of its own, and
    prepares its rows (``importer/entity_upsert.py``): this thread then only writes.

    Inside a savepoint: when the file-wide checks at the end reject rows already written (a code
    repeated further down), mode "all" meets an error, or a write meets a code an earlier chunk
    wrote, the savepoint is rolled back and the result is ``None`` — the caller then refuses, or
    upserts the valid rows the plain way. Nothing here holds more than a few chunks of rows."""
    parsed = ParsedFile(job.kind)
    handed: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()
    write_no_more = threading.Event()  # set once it is sure the writes will be undone
    language = translation.get_language()  # the messages of the rows' errors: the user's language

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with translation.override(language), (connection_of_this_thread() if beside else nullcontext()):
                upsert: entity_upsert.EntityUpsert | None = None
                for batch in chunks(parse_rows(source, job.filename, job.kind, ctx, parsed, limits=STORED), upserts.CHUNK):
                    if upsert is None:  # the columns present are known once a row was read
                        upsert = entity_upsert.EntityUpsert(
                            actor=actor, fields=ENTITY_FIELDS, present=parsed.present, note=note, lookups_beside=beside
                        )
                    if job.mode == ImportJob.Mode.ALL and parsed.error_count:
                        write_no_more.set()  # it will be refused: read on (for the counts and errors)
                    plan = None
                    if beside and not write_no_more.is_set():
                        records = [r.values for r in batch]
                        plan = upsert.prepare(records, upsert.lookup(records))
                    if not put((None if write_no_more.is_set() else batch, upsert, plan)):
                        return
            put(_END_OF_FILE)
        except BaseException as exc:  # handed to the writing thread, which raises it
            put(exc)

    result = BulkResult()
    written = 0
    savepoint = transaction.savepoint()
    # The scope and the rest of this context go with the thread (its reads are scoped too).
    worker = threading.Thread(
        target=contextvars.copy_context().run, args=(produce,), name=f"import-{job.pk}-parse", daemon=True
    )
    worker.start()
    try:
        with constraints_checked_now(MarketEntity):
            while True:
                item = handed.get()
                if item is _END_OF_FILE:
                    break
                if isinstance(item, BaseException):
                    raise item
                batch, upsert, plan = item
                if batch is None or write_no_more.is_set():
                    continue
                if plan is None:
                    records = [r.values for r in batch]
                    plan = upsert.prepare(records, upsert.lookup(records))
                try:
                    with transaction.atomic():  # a savepoint: a code written twice must not end the import
                        result.add(upsert.write(plan))
                except IntegrityError:
                    # A code written twice: repeated inside the chunk, or created by an earlier
                    # chunk that this chunk's lookup (beside) could not see. The checks at the
                    # end reject the repeated rows; anything else the plain upsert meets again.
                    write_no_more.set()
                    continue
                written += len(batch)
                progress(written)
    except BaseException:
        stop.set()
        worker.join()
        transaction.savepoint_rollback(savepoint)
        raise
    worker.join()
    if write_no_more.is_set() or parsed.late_rejections:
        transaction.savepoint_rollback(savepoint)
        return parsed, None
    transaction.savepoint_commit(savepoint)
    return parsed, result
