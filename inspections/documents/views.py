"""The documents' pages: an inspection's 检查记录表 and 检查结果告知书 (HTML preview and PDF), and a
task's records as one zip built in the background (start, progress, download).

Whoever may see an inspection (``policies.can_view``) may read its documents; anything else is
the same 404 as a foreign one. A zip job is its creator's alone: it holds what they may read.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from inspections.views.common import inspection_or_404
from sampling.models import SamplingTask
from tenancy.context import Actor
from tenancy.jobs import job_create
from tenancy.models import Job
from tenancy.permissions import member_required
from tenancy.tasks import actor_ref

from . import archive
from .records import record_of
from .render import document_html, document_pdf

TITLES = {"record": "检查记录表", "notice": "检查结果告知书"}


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _filename(kind: str, record: dict) -> str:
    return archive.member_name(record, 0).replace("0000-", f"{_(TITLES[kind])}-", 1)


@member_required()
@require_GET
def record_preview(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    return HttpResponse(document_html("record", record_of(inspection)))


@member_required()
@require_GET
def record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    record = record_of(inspection)
    return _pdf_response(document_pdf("record", record), _filename("record", record))


@member_required()
@require_GET
def notice_preview(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    return HttpResponse(document_html("notice", record_of(inspection)))


@member_required()
@require_GET
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    record = record_of(inspection)
    return _pdf_response(document_pdf("notice", record), _filename("notice", record))


# --------------------------------------------------------------------------------------------
# A task's records as one zip


@member_required()
@require_http_methods(["GET", "POST"])
def task_records(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: how many records the actor may download for the task; POST: build them as a zip."""
    task = get_object_or_404(SamplingTask, pk=pk)
    actor = request.actor
    count = len(archive.task_inspection_ids(actor=actor, task=task))
    inline = archive.builds_inline()
    limit = archive.inline_limit()
    # Without a worker a large zip is refused rather than hanging the request for minutes.
    too_many = inline and count > limit
    refused = request.method == "POST" and count and too_many
    if request.method == "POST" and count and not too_many:
        from inspections.tasks import task_records_zip_task  # noqa: PLC0415  (Celery's app loads with the task module)

        job = job_create(
            actor=actor, kind=archive.JOB_KIND, label=_("检查记录表打包：%(task)s") % {"task": task.name},
            params={"task_id": task.pk, "count": count},
        )
        transaction.on_commit(lambda: task_records_zip_task.delay(task.pk, job.pk, actor=actor_ref(actor)))
        return redirect("inspections:records_job", pk=job.pk)
    return render(request, "inspections/documents/task_records.html", {
        "task": task, "count": count, "jobs": _recent_jobs(actor, task), "inline": inline, "too_many": too_many,
        "limit": limit,
    }, status=400 if refused else 200)


def _recent_jobs(actor: Actor, task: SamplingTask) -> list[Job]:
    return list(Job.objects.filter(
        kind=archive.JOB_KIND, created_by_id=actor.user_id, organization_id=actor.organization_id, params__task_id=task.pk,
    ).order_by("-created_at")[:5])


def _job_or_404(request: HttpRequest, pk: int) -> Job:
    actor = request.actor
    job = Job.objects.filter(
        pk=pk, kind=archive.JOB_KIND, created_by_id=actor.user_id, organization_id=actor.organization_id
    ).first()
    if job is None:
        raise Http404("no such job")
    return job


@member_required()
@require_GET
def records_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    finished = job.status in (Job.Status.DONE, Job.Status.FAILED, Job.Status.CANCELLED)
    context = {"job": job, "finished": finished, "task_id": (job.params or {}).get("task_id")}
    template = (
        "inspections/documents/records_job_panel.html" if request.headers.get("HX-Request")
        else "inspections/documents/records_job.html"
    )
    return render(request, template, context)


@member_required()
@require_GET
def records_job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _job_or_404(request, pk)
    name = (job.result or {}).get("file")
    if job.status != Job.Status.DONE or not name or not default_storage.exists(name):
        raise Http404("no file")
    return FileResponse(
        default_storage.open(name, "rb"), as_attachment=True, filename=archive.zip_filename(job.result),
        content_type="application/zip",
    )
