"""Sampling views: the draw ceremony, its results and verification, background draws.

Thin: parse a form, call one service or selector, render. Not found and other offices' objects
are 404 (scoped selectors); a role that may not act gets 403 (``member_required``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sampling import record_codec
from sampling.forms import apply_service_errors
from sampling.forms.draws import AbandonForm, CommitForm, ExecuteForm, PlanDrawForm
from sampling.models import Draw, SamplingPlan
from sampling.policies import can_run_ceremony
from sampling.selectors import draws as sel
from sampling.selectors import filings as filing_sel
from sampling.services import draws as svc
from sampling.xlsx import XLSX_TYPE, targets_workbook
from tenancy.context import Role
from tenancy.models import Job
from tenancy.permissions import member_required

RESULT_ROWS_SHOWN = 500
EXCLUDED_SHOWN = 200


def error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


# --------------------------------------------------------------------------------------------
# Step 1-2: freeze the pool, commit


@member_required()
def draw_start(request: HttpRequest, pk: int) -> HttpResponse:
    """The task's ceremony page: the frozen pool (counts per stratum, excluded with reasons), the
    inspector side, the commit button, and every commitment so far (abandoned ones included)."""
    return _start_page(request, sel.task_get(actor=request.actor, pk=pk))


def _start_page(request: HttpRequest, task: Any, form: CommitForm | None = None, status: int = 200) -> HttpResponse:
    actor = request.actor
    draws = list(sel.draw_list(actor=actor, task=task))
    open_draw = next((d for d in draws if d.status in (Draw.Status.COMMITTED, Draw.Status.RUNNING)), None)
    completed = next((d for d in draws if d.status == Draw.Status.COMPLETED), None)
    can_run = can_run_ceremony(actor, task)
    frozen, freeze_error = None, ""
    if can_run and open_draw is None and completed is None:
        try:
            frozen = svc.draw_freeze(actor=actor, task=task)
        except ValidationError as exc:
            freeze_error = error_text(exc)
    context: dict[str, Any] = {
        "task": task,
        "draws": draws,
        "open_draw": open_draw,
        "completed": completed,
        "can_run": can_run,
        "frozen": frozen,
        "freeze_error": freeze_error,
        "excluded_shown": _named(frozen.pool.excluded[:EXCLUDED_SHOWN]) if frozen else [],
        "form": form or CommitForm(),
        "step": 1,
    }
    return render(request, "sampling/draw_start.html", context, status=status)


def _named(excluded: list[Any]) -> list[dict[str, str]]:
    """Excluded keys with their entities' names (a frozen pool knows its entities by code)."""
    names = sel.entity_names(codes=[e.key for e in excluded])
    return [{"key": e.key, "reason": e.reason, "name": names.get(e.key, "")} for e in excluded]


@member_required(Role.PLANNER, Role.ADMIN)
@require_POST
def draw_commit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    task = sel.task_get(actor=actor, pk=pk)
    form = CommitForm(request.POST)
    if not form.is_valid():
        return _start_page(request, task, form, status=400)
    try:
        draw = svc.draw_commit(actor=actor, task=task, scheduled_at=form.cleaned_data["scheduled_at"])
    except ValidationError as exc:
        if "scheduled_at" in getattr(exc, "error_dict", {}):
            # Beside the field, the typed time kept.
            form.add_error("scheduled_at", exc.message_dict["scheduled_at"])
            return _start_page(request, task, form, status=400)
        messages.error(request, error_text(exc))
        return redirect("sampling:draw_start", pk=task.pk)
    messages.success(request, _("承诺已发布。请见证人录入公开随机数后进行抽取。"))
    return redirect("sampling:draw_detail", pk=draw.pk)


# --------------------------------------------------------------------------------------------
# Step 3-5: entropy and witnesses, draw, reveal


def _detail_context(request: HttpRequest, draw: Draw, **extra: Any) -> dict[str, Any]:
    actor = request.actor
    context: dict[str, Any] = {
        "draw": draw,
        "task": draw.task,
        "event": sel.commitment_event(draw),
        "variant": sel.record_variant_for(actor=actor, draw=draw),
        "execute_form": ExecuteForm(),
        "abandon_form": AbandonForm(),
        "step": {"committed": 3, "running": 4, "completed": 5}.get(draw.status, 2),
        "async_threshold": settings.ASYNC_DRAW_POOL_THRESHOLD,
    }
    if draw.status == Draw.Status.COMPLETED:
        results = sel.draw_results(actor=actor, draw=draw, limit=RESULT_ROWS_SHOWN)
        context.update(
            results=results,
            selected_total=sum(a["selected"] for a in draw.allocation),
            reserve_total=draw.selections.filter(reserve_order__isnull=False).count(),
            # Filing is the next step after a draw (阳城 DRC: within 2 days): say where it stands.
            filing=filing_sel.latest_filing_of_draw(actor=actor, draw=draw),
        )
    context.update(extra)
    return context


@member_required()
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    draw = sel.draw_get(actor=request.actor, pk=pk)
    return render(request, "sampling/draw_detail.html", _detail_context(request, draw))


@member_required(Role.PLANNER, Role.ADMIN)
@require_POST
def draw_execute(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    draw = sel.draw_get(actor=actor, pk=pk)
    form = ExecuteForm(request.POST)
    if not form.is_valid():
        return render(request, "sampling/draw_detail.html", _detail_context(request, draw, execute_form=form), status=400)
    try:
        started = svc.draw_start(
            actor=actor, draw=draw, public_entropy=form.cleaned_data["public_entropy"],
            witnesses=form.cleaned_data["witnesses"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        draw.refresh_from_db()
        return render(request, "sampling/draw_detail.html", _detail_context(request, draw, execute_form=form), status=400)
    if started.job is not None:
        # A large pool draws in the background; the page polls the job (one transaction there too).
        return redirect("sampling:draw_progress", pk=started.job.pk)
    messages.success(request, _("抽取完成，结果已生成。"))
    return redirect("sampling:draw_detail", pk=draw.pk)


@member_required(Role.PLANNER, Role.ADMIN)
@require_POST
def draw_abandon(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    draw = sel.draw_get(actor=actor, pk=pk)
    form = AbandonForm(request.POST)
    if not form.is_valid():
        return render(request, "sampling/draw_detail.html", _detail_context(request, draw, abandon_form=form), status=400)
    try:
        svc.draw_abandon(actor=actor, draw=draw, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        form.add_error(None, error_text(exc))
        return render(request, "sampling/draw_detail.html", _detail_context(request, draw, abandon_form=form), status=400)
    messages.success(request, _("承诺已放弃，记录保留。可以重新冻结对象池并发布新的承诺。"))
    return redirect("sampling:draw_start", pk=draw.task_id)


def completed_draw_or_404(request: HttpRequest, pk: int) -> Draw:
    draw = sel.draw_get(actor=request.actor, pk=pk)
    if draw.status != Draw.Status.COMPLETED:
        raise Http404("no record before the draw")
    return draw


@member_required()
def draw_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Re-derive the draw from the stored record and show each check (DRAW.md §6)."""
    draw = completed_draw_or_404(request, pk)
    variant = sel.record_variant_for(actor=request.actor, draw=draw)
    checks = sel.verify_checks(sel.draw_record(draw, variant=variant))
    template = "sampling/draw_verify_panel.html" if request.headers.get("HX-Request") else "sampling/draw_verify.html"
    return render(
        request, template,
        {"draw": draw, "task": draw.task, "checks": checks, "verified": all(c["ok"] for c in checks), "variant": variant},
    )


@member_required()
def draw_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The record JSON as a download: the filing variant for those allowed, else the public one."""
    draw = completed_draw_or_404(request, pk)
    variant = sel.record_variant_for(actor=request.actor, draw=draw)
    if request.GET.get("variant") == "public":
        variant = "public"
    record = sel.draw_record(draw, variant=variant)
    response = HttpResponse(record_codec.record_json(record), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.task_uid}-{draw.pk}-{variant}.json"'
    return response


@member_required()
def draw_targets_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    """The whole target list (drawn, replaced, reserve) as .xlsx; teams for those who may see them."""
    draw = completed_draw_or_404(request, pk)
    variant = sel.record_variant_for(actor=request.actor, draw=draw)
    # Written inside the request's scope (the rows are scoped reads), then streamed from disk.
    workbook = targets_workbook(
        sel.draw_target_rows(actor=request.actor, draw=draw, variant=variant),
        header=sel.draw_target_header(variant=variant), title=_("抽取结果"),
        widths=[6, 8, 14, 8, 22, 30, 36, 12, 24, 20, 24],
    )
    filename = f"{draw.task.name}-抽取结果.xlsx"
    return FileResponse(workbook, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


# --------------------------------------------------------------------------------------------
# Background draws


@member_required()
def draw_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = sel.job_get(actor=request.actor, pk=pk)
    finished = job.status in (Job.Status.DONE, Job.Status.FAILED, Job.Status.CANCELLED)
    draw_id = (job.result or {}).get("draw_id") or (job.params or {}).get("draw_id")
    context = {"job": job, "finished": finished, "draw_id": draw_id}
    template = "sampling/draw_progress_panel.html" if request.headers.get("HX-Request") else "sampling/draw_progress.html"
    return render(request, template, context)


@member_required(Role.PLANNER, Role.ADMIN)
@require_POST
def draw_plan_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw every ready task of a plan (a joint plan's batches) as one background job."""
    actor = request.actor
    plan = get_object_or_404(SamplingPlan, pk=pk)
    form = PlanDrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(m for errors in form.errors.values() for m in errors))
        return redirect("sampling:plan_detail", pk=plan.pk)
    try:
        job = svc.draw_plan_all(actor=actor, plan=plan, witnesses=form.cleaned_data["witnesses"],
                                public_entropy=form.cleaned_data["public_entropy"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("sampling:plan_detail", pk=plan.pk)
    return redirect("sampling:draw_progress", pk=job.pk)
