"""A task's 检查记录表 as one zip, built by a worker (``inspections.tasks.task_records_zip_task``)
with its progress on a ``tenancy.Job`` the page polls.

Memory stays bounded whatever the task's size: the inspections are read in batches
(``RecordReader``), each PDF is rendered, written into the zip on a temporary file and dropped
before the next, and the finished file is copied to storage in chunks. PDFs are stored in the zip
as they are (their streams are compressed already: deflating them again costs time for a few
per cent).

The zip holds what the person who asked may read (``selectors.inspections.visible_inspections``): an
inspector's, their own inspections of the task; the department's staff, all of the department's.
Only that person opens the job and downloads the file.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections.models import Inspection
from inspections.selectors.inspections import visible_inspections
from sampling.models import SamplingTask
from tenancy.context import Actor

from .records import RecordReader
from .render import renderer

JOB_KIND = "inspection_records"
# Without a worker (the embedded default: no Redis, Celery runs tasks in the request) the zip is
# built while the browser waits, ~0.25 s a record: a hundred take ~25 s; more would leave the
# page hanging for minutes and run into any proxy's timeout, so they need a worker.
INLINE_MAX_RECORDS = 100
# How often a running job writes its progress (seconds): often enough for a bar, not a write per PDF.
PROGRESS_EVERY = 1.0
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_part(text: str) -> str:
    """``text`` fit for a part of a file name: each run of path, reserved or control characters
    one ``_`` (a firm's name is user data)."""
    return _UNSAFE.sub("_", text)


def task_inspection_ids(*, actor: Actor, task: SamplingTask) -> list[int]:
    """The task's current inspections the actor may read, in the order of the draw (rank)."""
    rows = (
        visible_inspections(actor)
        .filter(task_id=task.pk, is_current=True)
        .exclude(status=Inspection.Status.REPLACED)
        .order_by("selection__rank", "pk")
        .values_list("pk", flat=True)
    )
    return list(rows)


def builds_inline() -> bool:
    """Whether a zip is built in the request (no Celery worker: ``CELERY_TASK_ALWAYS_EAGER``)."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def inline_limit() -> int:
    """The most records built in the request (``INSPECTION_RECORDS_INLINE_MAX`` overrides)."""
    return int(getattr(settings, "INSPECTION_RECORDS_INLINE_MAX", INLINE_MAX_RECORDS))


def member_name(record: dict[str, Any], n: int) -> str:
    """The record's file name in the zip: its order, the firm's code and name (no path
    characters: a firm's name is user data)."""
    name = safe_part(record["entity"]["name"])[:60].strip() or "record"
    code = safe_part(record["entity"]["code"] or "")
    return f"{n:04d}-{code}-{name}.pdf" if code else f"{n:04d}-{name}.pdf"


def write_zip(
    handle: Any, *, ids: list[int], progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the records of ``ids`` as PDFs into a zip on ``handle``; returns how many."""
    reader = RecordReader()
    render = renderer()
    done = 0
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for record in reader.records(ids):
            done += 1
            info = zipfile.ZipInfo(member_name(record, done), date_time=timezone.localtime().timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, render.pdf("record", record))
            if progress is not None:
                progress(done, len(ids))
    return done


def build_task_zip(*, actor: Actor, task: SamplingTask, report: Callable[[int, str], None]) -> dict[str, Any]:
    """Build the zip of ``task``'s records for ``actor`` and store it; ``report(percent, message)``
    is called as it goes. Returns the job's result: the stored file, its size, hash and count."""
    ids = task_inspection_ids(actor=actor, task=task)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY or done == total:
            last[0] = now
            # 99 at most until the file is stored.
            report(min(99, max(1, int(99 * done / max(1, total)))), _("已生成 %(done)s / %(total)s 份") % {"done": done, "total": total})

    with tempfile.TemporaryFile() as handle:
        count = write_zip(handle, ids=ids, progress=progress)
        size = handle.tell()
        handle.seek(0)
        digest = hashlib.sha256()
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        handle.seek(0)
        name = default_storage.save(f"jobs/inspections/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.zip", File(handle))
    return {"file": name, "count": count, "bytes": size, "sha256": digest.hexdigest(), "task_id": task.pk, "task_uid": task.uid}


def zip_filename(result: dict[str, Any]) -> str:
    return _("检查记录表-%(uid)s.zip") % {"uid": safe_part(str(result.get("task_uid") or ""))}
