"""Sampling views: the draw ceremony, its results and verification, recusals and replacements.

Thin: parse a form, call one service or selector, render. Not found and other offices' objects
are 404 (scoped selectors); a role that may not act gets 403 (``member_required``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sampling import records
from sampling.forms_draws import (
    AbandonForm,
    CommitForm,
    ExecuteForm,
    RecusalDecideForm,
    RecusalRequestForm,
    ReplacementForm,
)
from sampling.models import Draw, SamplingPlan
from sampling.selectors import draws as sel
from sampling.selectors import filings as filing_sel
from sampling.services import draws as svc
from sampling.xlsx_draws import XLSX_TYPE, targets_workbook
from tenancy.context import Role
from tenancy.jobs import job_create
from tenancy.models import Job
from tenancy.permissions import member_required
from tenancy.tasks import actor_ref
from tenancy.uploads import attachment_response

RESULT_ROWS_SHOWN = 500
EXCLUDED_SHOWN = 200
SLOT_CARDS_UP_TO = 20


def _errors(exc: ValidationError) -> str:
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
    can_run = sel.can_run_ceremony(actor, task)
    frozen, freeze_error = None, ""
    if can_run and open_draw is None and completed is None:
        try:
            frozen = svc.draw_freeze(actor=actor, task=task)
        except ValidationError as exc:
            freeze_error = _errors(exc)
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
        messages.error(request, _errors(exc))
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
        "event": records.commitment_event(draw),
        "can_run": sel.can_run_ceremony(actor, draw),
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
            is_leader=actor.has_role(Role.LEADER) and actor.organization_id == draw.organization_id,
            can_request=actor.has_role(Role.INSPECTOR, Role.PLANNER, Role.ADMIN),
            # Filing is the next step after a draw (阳城 DRC: within 2 days): say where it stands.
            filing=filing_sel.latest_filing_of_draw(actor=actor, draw=draw),
            can_file=(actor.organization_id == draw.organization_id
                      and actor.has_role(*filing_sel.SUBMITTER_ROLES)),
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
    entropy, witnesses = form.cleaned_data["public_entropy"], form.cleaned_data["witnesses"]
    if not sel.can_run_ceremony(actor, draw):
        raise PermissionDenied("not the owner")
    if draw.pool_size > settings.ASYNC_DRAW_POOL_THRESHOLD and draw.status == Draw.Status.COMMITTED:
        # A large pool draws in the background; the page polls the job (one transaction there too).
        from sampling.tasks import draw_execute_task

        job = job_create(actor=actor, kind="draw", label=_("抽取：%(task)s") % {"task": draw.task.name}, params={"draw_id": draw.pk})
        transaction.on_commit(
            lambda: draw_execute_task.delay(draw.pk, entropy, witnesses, job.pk, actor=actor_ref(actor))
        )
        return redirect("sampling:draw_progress", pk=job.pk)
    try:
        svc.draw_execute(actor=actor, draw=draw, public_entropy=entropy, witnesses=witnesses)
    except ValidationError as exc:
        form.add_error(None, _errors(exc))
        draw.refresh_from_db()
        return render(request, "sampling/draw_detail.html", _detail_context(request, draw, execute_form=form), status=400)
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
        form.add_error(None, _errors(exc))
        return render(request, "sampling/draw_detail.html", _detail_context(request, draw, abandon_form=form), status=400)
    messages.success(request, _("承诺已放弃，记录保留。可以重新冻结对象池并发布新的承诺。"))
    return redirect("sampling:draw_start", pk=draw.task_id)


def _completed_or_404(request: HttpRequest, pk: int) -> Draw:
    draw = sel.draw_get(actor=request.actor, pk=pk)
    if draw.status != Draw.Status.COMPLETED:
        raise Http404("no record before the draw")
    return draw


@member_required()
def draw_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Re-derive the draw from the stored record and show each check (DRAW.md §6)."""
    draw = _completed_or_404(request, pk)
    variant = sel.record_variant_for(actor=request.actor, draw=draw)
    checks = records.verify_checks(records.draw_record(draw, variant=variant))
    template = "sampling/draw_verify_panel.html" if request.headers.get("HX-Request") else "sampling/draw_verify.html"
    return render(
        request, template,
        {"draw": draw, "task": draw.task, "checks": checks, "verified": all(c["ok"] for c in checks), "variant": variant},
    )


@member_required()
def draw_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The record JSON as a download: the filing variant for those allowed, else the public one."""
    draw = _completed_or_404(request, pk)
    variant = sel.record_variant_for(actor=request.actor, draw=draw)
    if request.GET.get("variant") == "public":
        variant = "public"
    record = records.draw_record(draw, variant=variant)
    response = HttpResponse(records.record_json(record), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.task_uid}-{draw.pk}-{variant}.json"'
    return response


@member_required()
def draw_targets_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    """The whole target list (drawn, replaced, reserve) as .xlsx; teams for those who may see them."""
    draw = _completed_or_404(request, pk)
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
    if plan.organization_id != actor.organization_id:
        raise PermissionDenied("not the owner")
    from sampling.tasks import draw_plan_all_task

    job = job_create(actor=actor, kind="draw_plan", label=_("批量抽取：%(plan)s") % {"plan": plan.name}, params={"plan_id": plan.pk})
    transaction.on_commit(lambda: draw_plan_all_task.delay(plan.pk, job.pk, actor=actor_ref(actor)))
    return redirect("sampling:draw_progress", pk=job.pk)


# --------------------------------------------------------------------------------------------
# Recusal and replacement


def _target_choices(request: HttpRequest, posted: str, choices_of: Any) -> Any:
    """A form's target choices: posted, exactly the target it chose (so any real target
    validates, listed or not); shown — or posted with no target of this draw, to show the form
    again with its error — the first ``TARGETS_LISTED`` targets matching the search box."""
    if request.method == "POST":
        head = request.POST.get(posted, "").partition(":")[0]
        chosen = choices_of(sel.TargetFilter(selection_id=int(head) if head.isdigit() else -1))
        if chosen:
            return chosen
    return choices_of(sel.TargetFilter(query=_search_query(request), limit=sel.TARGETS_LISTED))


def _search_query(request: HttpRequest) -> str:
    return request.GET.get("q", "")[:40]  # a code is at most 40 characters


def _search_context(request: HttpRequest, draw: Draw) -> dict[str, Any]:
    """The search box of a form over a large draw's targets."""
    total = sel.current_targets(draw=draw).count()
    return {"q": _search_query(request), "targets_total": total, "targets_listed": sel.TARGETS_LISTED,
            "searchable": total > sel.TARGETS_LISTED}


@member_required(Role.INSPECTOR, Role.PLANNER, Role.ADMIN)
def recusal_request(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    draw = _completed_or_404(request, pk)
    search: dict[str, Any] = {}
    if actor.has_role(Role.PLANNER, Role.ADMIN):
        groups = _target_choices(request, "slot", lambda only: sel.team_choices(draw=draw, only=only))
        search = _search_context(request, draw)
    else:
        groups = sel.my_slot_choices(actor=actor, draw=draw)
    slots = sel.slot_choices(groups)
    form = RecusalRequestForm(request.POST or None, request.FILES or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        selection_id, inspector_id = form.cleaned_data["slot"]
        selection = sel.selection_get(actor=actor, draw=draw, pk=selection_id)
        from inventory.models import Inspector

        inspector = get_object_or_404(Inspector, pk=inspector_id)
        try:
            svc.recusal_request(
                actor=actor, draw=draw, selection=selection, inspector=inspector,
                kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("无权提出该申请。"))
        else:
            messages.success(request, _("回避申请已提交，等待所在单位分管领导审批。"))
            return redirect("sampling:draw_detail", pk=draw.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sampling/recusal_request.html",
        {"draw": draw, "task": draw.task, "form": form, "slots": slots, "groups": groups,
         # A few places read best as a list of cards (a phone shows a closed drop-down's first words only).
         "as_cards": sum(len(g.members) for g in groups) <= SLOT_CARDS_UP_TO, **search}, status=status,
    )


@member_required(Role.LEADER, Role.PLANNER, Role.ADMIN, Role.INSPECTOR)
def recusal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    req = sel.recusal_get(actor=actor, pk=pk)
    can_decide = svc.can_decide(actor, req) and req.status == "pending"
    form = RecusalDecideForm(request.POST or None)
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied("not the inspector's leader")
        if form.is_valid():
            try:
                svc.recusal_decide(
                    actor=actor, request=req, approve=form.cleaned_data["decision"] == "approve", note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("已审批。") if form.cleaned_data["decision"] == "reject" else _("已批准，递补人员已按规则抽取并报备案。"))
                return redirect("sampling:recusal_decide", pk=req.pk)
    substitution = getattr(req, "substitution", None) if req.status == "approved" else None
    members = {int(e["id"]): e for e in req.draw.inspector_pool}
    substitute = members.get(substitution.in_inspector_id) if substitution is not None else None
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sampling/recusal_decide.html",
        {"req": req, "draw": req.draw, "task": req.draw.task, "form": form, "can_decide": can_decide, "substitute": substitute,
         "inspector_linked": sel.inspector_visible(actor=actor, inspector_id=req.inspector_id),
         "attachments": sel.recusal_attachments(actor=actor, request=req)},
        status=status,
    )


@member_required()
def recusal_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of a recusal request, for whoever sees the request (404 otherwise)."""
    return attachment_response(get_object_or_404(sel.recusal_attachment_queryset(actor=request.actor), pk=pk))


@member_required()
def recusal_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ("", "pending", "approved", "rejected"):
        status = ""
    requests = list(sel.recusal_list(actor=request.actor, status=status)[:300])
    return render(request, "sampling/recusal_list.html", {"requests": requests, "status": status})


@member_required(Role.LEADER)
def replacement_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    draw = _completed_or_404(request, pk)
    choices = _target_choices(request, "selection", lambda only: sel.replaceable_choices(draw=draw, only=only))
    form = ReplacementForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        selection = sel.selection_get(actor=actor, draw=draw, pk=form.cleaned_data["selection"])
        try:
            rep = svc.replacement_create(actor=actor, draw=draw, selection=selection, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("无权操作。"))
        else:
            names = sel.entity_names(codes=[rep.replacement.key, rep.replaced.key])
            messages.success(request, _("已由备选对象 %(new)s 递补 %(old)s，并报备案。") % {
                "new": names.get(rep.replacement.key, rep.replacement.key), "old": names.get(rep.replaced.key, rep.replaced.key),
            })
            return redirect("sampling:draw_detail", pk=draw.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sampling/replacement_create.html",
        {"draw": draw, "task": draw.task, "form": form, **_search_context(request, draw)}, status=status,
    )
