"""Imports as services: :func:`import_preview` (an upload becomes an ``ImportJob`` with its counts
and errors), :func:`import_confirm` (mode "all" or "valid"; run inline, or queued above
``ASYNC_IMPORT_ROW_THRESHOLD`` rows) and :func:`entity_bulk_upsert` (the API's bulk endpoint). The
machinery is ``inventory.importer``.
"""

from __future__ import annotations

import gc
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import policies
from inventory.importer import rows
from inventory.importer.columns import COLUMNS, ParseContext
from inventory.importer.entity_upsert import BulkResult
from inventory.importer.jobs import fail_if_stale, import_run, pause_gc
from inventory.importer.reading import ImportRefused, ReadLimits, Source, as_stream
from inventory.importer.rows import parse_context, parse_records, parse_table
from inventory.importer.upserts import upsert_entities
from inventory.models import ImportJob, MarketEntity
from inventory.tasks import import_job_run
from tenancy.audit import record
from tenancy.context import Actor
from tenancy.jobs import job_create
from tenancy.models import Job
from tenancy.policies import ensure
from tenancy.tasks import actor_ref

JOB_KIND = "import"


def _check_kind(actor: Actor, kind: str) -> None:
    # A field error, not a 403: the upload form shows it beside the kind the user chose.
    if kind not in COLUMNS:
        raise ValidationError({"kind": _("未知的导入类型")})
    if not policies.can_import_kind(actor, kind):
        raise ValidationError({"kind": _("只有行政监管部门可以导入执法检查人员和抽查事项")})


@transaction.atomic
def import_preview(*, actor: Actor, kind: str, data: Source, filename: str, limits: ReadLimits | None = None) -> ImportJob:
    """Store the upload and validate every row: an ``ImportJob`` with its counts and first errors,
    and its run (a ``tenancy.Job``) pending, waiting for the confirmation. ``data``: the upload as a file (read as a stream, never whole) or
    bytes. A refused file raises ``ValidationError({"file": ...})`` and nothing is stored."""
    ensure(policies.can_import, actor)
    _check_kind(actor, kind)
    filename = (filename or "upload").rsplit("/", 1)[-1][:200]
    stream = as_stream(data)
    gc_was_enabled = pause_gc()
    try:
        parsed = parse_table(stream, filename, kind, parse_context(actor), limits=limits)
    except ImportRefused as exc:
        raise ValidationError({"file": str(exc)})
    finally:
        if gc_was_enabled:
            gc.enable()
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    # The run is written in this transaction, with the import it belongs to.
    run = job_create(
        actor=actor, kind=JOB_KIND, label=filename, params={"kind": kind}, status=Job.Status.PENDING, using=DEFAULT_DB_ALIAS,
        message=(_("表头在第 %(row)s 行") % {"row": parsed.header_row})
        + (("；" + _("未识别的列（将忽略）：%(cols)s") % {"cols": "、".join(parsed.ignored_headers)}) if parsed.ignored_headers else "")
        + (("；" + _("错误过多，页面只列出前 %(n)s 处；下载的错误行文件包含全部") % {"n": rows.MAX_STORED_ERRORS})
           if parsed.errors_cut else ""),
    )
    job = ImportJob(
        run=run, kind=kind, filename=filename, sha256=digest.hexdigest(),
        created_by_id=actor.user_id, total_rows=parsed.total_rows, valid_rows=parsed.valid_rows,
        rejected_count=parsed.rejected_count, errors=parsed.errors,
    )
    job.set_tenant(actor)
    stream.seek(0)
    job.file.save(filename, File(stream), save=False)  # copied in chunks
    job.save()
    record(actor=actor, action="import_preview", target=job,
           note=_("%(n)s 行，%(e)s 行有错误") % {"n": job.total_rows, "e": job.rejected_count})
    return job


@transaction.atomic
def import_confirm(*, actor: Actor, job: ImportJob, mode: str) -> ImportJob:
    """Choose the mode and run: inline for small files, as a Celery task above the threshold.
    A job that failed (its worker died, see :func:`fail_if_stale`) may be confirmed again."""
    ensure(policies.can_confirm_import, actor, job)
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": _("请选择导入方式")})
    fail_if_stale(job)
    if job.status not in (ImportJob.Status.PREVIEWED, ImportJob.Status.FAILED):
        raise ValidationError(_("该文件已处理（%(s)s），如需再次导入请重新上传") % {"s": job.get_status_display()})
    job.mode = mode
    job.save(update_fields=["mode", "updated_at"])
    run = job.run
    run.progress, run.finished_at = 0, None
    if mode == ImportJob.Mode.ALL and job.rejected_count:
        run.status = Job.Status.REFUSED
        run.message = _("有 %(n)s 行错误，按“全部有效才导入”未导入任何数据") % {"n": job.rejected_count}
        run.finished_at = timezone.now()
        run.save()
        record(actor=actor, action="import_refused", target=job, note=run.message)
        return job
    if job.total_rows > settings.ASYNC_IMPORT_ROW_THRESHOLD:
        run.status = Job.Status.QUEUED
        run.heartbeat_at = timezone.now()  # the staleness of a queued job counts from here
        run.message = ""
        run.save()
        ref = actor_ref(actor)
        transaction.on_commit(lambda: import_job_run.delay(job.pk, actor=ref))
        return job
    run.save()
    return import_run(actor=actor, job=job, report_progress=False)


def entity_bulk_upsert(*, actor: Actor, records: list[dict[str, Any]]) -> BulkResult:
    """Idempotent, all-or-nothing upsert of entities keyed by code (the API's bulk endpoint).

    ``records`` are dicts keyed by canonical field names (see ``ENTITY_COLUMNS``) accepting the
    same value variants as the spreadsheets; a field left out keeps its stored value.
    Errors are ``{row (0-based), field, value, reason}``; with any error nothing is written."""
    ensure(policies.can_bulk_upsert_entities, actor)
    values, errors, present = parse_records(ImportJob.Kind.ENTITIES, records, ParseContext())
    if not errors:
        first: dict[str, int] = {}
        for index, r in enumerate(values):
            if r["code"] in first:
                errors.append({"row": index, "field": "code", "value": r["code"],
                               "reason": _("与第 %(i)s 条重复（同一批次中代码不能重复）") % {"i": first[r["code"]]}})
            else:
                first[r["code"]] = index
    if errors:
        return BulkResult(errors=errors)
    # Records may differ in which fields they carry; fill the stored value in for absent ones.
    missing_fields = {f for f in present if f != "tags" and any(f not in r for r in values)}
    if missing_fields:
        stored = {
            e.code: e for e in MarketEntity.objects.filter(region_id=actor.region_id, code__in=[r["code"] for r in values])
        }
        for r in values:
            for f in missing_fields:
                if f not in r:
                    e = stored.get(r["code"])
                    r[f] = getattr(e, f) if e else MarketEntity._meta.get_field(f).get_default()
    if "tags" in present and any("tags" not in r for r in values):
        present = present - {"tags"}  # mixed batches: tags only when every record carries them
    with transaction.atomic():
        result = upsert_entities(actor=actor, records=values, present=present, note=_("接口批量写入"))
        record(actor=actor, action="bulk_upsert", target_type="inventory.marketentity",
               changes={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
               note=_("接口批量写入 %(n)s 条") % {"n": len(values)})
    return result
