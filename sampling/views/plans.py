"""Sampling views: annual plans and tasks. Thin: parse a form, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory.models import MarketEntity, Tag
from sampling.extensions import task_sections
from sampling.forms import apply_service_errors
from sampling.forms.plans import PlanForm, ReasonForm, ReviewForm, TaskForm
from sampling.models import SamplingPlan, SamplingTask
from sampling.policies import (
    can_cancel_task,
    can_decide_plan,
    can_edit_plan,
    can_publish_plan,
    can_run_ceremony,
    can_write_plans,
)
from sampling.selectors import draws as draw_sel
from sampling.selectors import plans as sel
from sampling.services import plans as svc
from tenancy.context import Role
from tenancy.permissions import member_required
from tenancy.policies import WRITERS, acts_for

KINDS = ("department", "office")


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _messages_of(exc: ValidationError) -> str:
    return "；".join(exc.messages)


# ---------------------------------------------------------------------------------------------
# Plans


@member_required(kinds=KINDS)
def plan_list(request: HttpRequest) -> HttpResponse:
    q = request.GET
    plans = sel.plan_list(actor=request.actor, year=_int(q.get("year")), status=q.get("status", ""),
                          kind=q.get("kind", ""), text=q.get("q", "").strip())
    page = Paginator(plans, 30).get_page(q.get("page"))
    params = q.copy()
    params.pop("page", None)
    return render(request, "sampling/plan_list.html", {
        "page": page, "q": q, "query": params.urlencode(), "years": sel.plan_years(actor=request.actor),
        "statuses": SamplingPlan.Status.choices, "kinds": SamplingPlan.Kind.choices,
        "can_create": can_write_plans(request.actor),
    })


def _plan_form(request: HttpRequest, plan: SamplingPlan | None = None, **kwargs: Any) -> PlanForm:
    actor = request.actor
    departments = sel.department_choices(actor=actor) if actor.is_office else None
    tags = sel.tag_names(actor=actor, org_ids=None if actor.is_office else [actor.organization_id])
    return PlanForm(request.POST or None, actor=actor, plan=plan, items=sel.plan_item_choices(actor=actor),
                    departments=departments, tag_choices=tags, **kwargs)


@member_required(*WRITERS, kinds=KINDS)
def plan_create(request: HttpRequest) -> HttpResponse:
    form = _plan_form(request)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        if not form.errors:
            try:
                plan = svc.plan_create(actor=request.actor, data=data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已保存抽查计划草案，可在下方预览抽取效果后提交审批。"))
                return redirect("sampling:plan_detail", pk=plan.pk)
    return render(request, "sampling/plan_form.html", {"form": form, "title": _("编制年度抽查计划")})


@member_required(*WRITERS, kinds=KINDS)
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = sel.plan_get(actor=request.actor, pk=pk)
    if plan.organization_id != request.actor.organization_id or plan.status != SamplingPlan.Status.DRAFT:
        messages.error(request, _("只有本单位草案状态的计划可以修改；已批准的计划请使用“调整计划”。"))
        return redirect("sampling:plan_detail", pk=plan.pk)
    form = _plan_form(request, plan)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        if not form.errors:
            try:
                svc.plan_update(actor=request.actor, plan=plan, data=data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已保存修改。"))
                return redirect("sampling:plan_detail", pk=plan.pk)
    return render(request, "sampling/plan_form.html", {"form": form, "plan": plan, "title": _("修改年度抽查计划")})


@member_required(*WRITERS, kinds=KINDS)
def plan_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    """调整计划: the adjusted values and the reason make a new version (a draft to approve)."""
    plan = sel.plan_get(actor=request.actor, pk=pk)
    if plan.organization_id != request.actor.organization_id:
        messages.error(request, _("只有计划所属单位可以调整该计划。"))
        return redirect("sampling:plan_detail", pk=plan.pk)
    form = _plan_form(request, plan, adjusting=True, initial={"adjustment_reason": ""})
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        if not form.errors:
            try:
                new = svc.plan_adjust(actor=request.actor, plan=plan, reason=data.get("adjustment_reason", ""), data=data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已生成第%(v)s版（草案），提交并经批准后取代原计划。") % {"v": new.version})
                return redirect("sampling:plan_detail", pk=new.pk)
    return render(request, "sampling/plan_form.html", {"form": form, "plan": plan, "adjusting": True,
                                                        "title": _("调整年度抽查计划")})


def _plan_detail(request: HttpRequest, plan: SamplingPlan, *, review_form: ReviewForm | None = None,
                 status: int = 200) -> HttpResponse:
    actor = request.actor
    reviews = sel.plan_reviews(actor=actor, plan=plan)
    return render(request, "sampling/plan_detail.html", {
        "plan": plan,
        "preview": svc.plan_preview(actor=actor, plan=plan),
        "items": plan.items.select_related("organization").order_by("organization__code", "code"),
        "participants": sel.plan_participants(actor=actor, plan=plan),
        "tasks": sel.task_list(actor=actor, plan_id=plan.pk),
        "versions": sel.plan_versions(actor=actor, plan=plan),
        "reviews": reviews,
        "returned": sel.plan_last_return(reviews=reviews, plan=plan),
        # Display, not permission: a joint plan's participant sees its own part of the pool.
        "is_owner": acts_for(actor, plan.organization_id),
        "can_write": can_edit_plan(actor, plan),
        "can_draw_all": can_run_ceremony(actor, plan) and plan.tasks.filter(status=SamplingTask.Status.READY).exists(),
        "can_decide": can_decide_plan(actor, plan),
        "can_publish": can_publish_plan(actor, plan),
        "review_form": review_form or ReviewForm(),
        "scope_rows": _scope_rows(plan.scope),
    }, status=status)


@member_required(kinds=KINDS)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_detail(request, sel.plan_get(actor=request.actor, pk=pk))


def _scope_rows(scope: dict[str, Any]) -> list[tuple[str, str]]:
    labels = {"entity_types": _("主体类型"), "industry_prefixes": _("行业代码前缀"), "tags": _("分类标注"),
              "region_codes": _("行政区划代码")}
    names = dict(MarketEntity.EntityType.choices)
    rows = []
    for key, label in labels.items():
        values = (scope or {}).get(key) or []
        if values:
            rows.append((label, "、".join(str(names.get(v, v)) for v in values)))
    return rows


def _plan_action(request: HttpRequest, pk: int, action: Callable[..., SamplingPlan], done: str, **kwargs: Any) -> HttpResponse:
    plan = sel.plan_get(actor=request.actor, pk=pk)
    try:
        action(actor=request.actor, plan=plan, **kwargs)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, done)
    return redirect("sampling:plan_detail", pk=plan.pk)


@require_POST
@member_required(*WRITERS, kinds=KINDS)
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_action(request, pk, svc.plan_submit, _("已提交分管领导审批。"))


def _plan_decide(request: HttpRequest, pk: int, action: Callable[..., SamplingPlan], done: str) -> HttpResponse:
    """批准/退回 with the leader's opinion; an error shows the plan again with what was typed."""
    plan = sel.plan_get(actor=request.actor, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            action(actor=request.actor, plan=plan, opinion=form.cleaned_data["opinion"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("sampling:plan_detail", pk=plan.pk)
    return _plan_detail(request, plan, review_form=form, status=400)


@require_POST
@member_required(Role.LEADER, kinds=KINDS)
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_decide(request, pk, svc.plan_approve, _("已批准该计划。"))


@require_POST
@member_required(Role.LEADER, kinds=KINDS)
def plan_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_decide(request, pk, svc.plan_return, _("已退回编制人修改。"))


@require_POST
@member_required(*WRITERS, Role.LEADER, kinds=KINDS)
def plan_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_action(request, pk, svc.plan_publish, _("已标记为已公开。"))


# ---------------------------------------------------------------------------------------------
# Tasks


@member_required(kinds=KINDS)
def task_list(request: HttpRequest) -> HttpResponse:
    q = request.GET
    plan_id, year = _int(q.get("plan")), _int(q.get("year"))
    tasks = sel.task_list(actor=request.actor, plan_id=plan_id, year=year, status=q.get("status", ""))
    page = Paginator(tasks, 30).get_page(q.get("page"))
    params = q.copy()
    params.pop("page", None)
    return render(request, "sampling/task_list.html", {
        "page": page, "q": q, "query": params.urlencode(), "years": sel.plan_years(actor=request.actor),
        "plans": sel.plan_list(actor=request.actor, year=year), "statuses": SamplingTask.Status.choices,
    })


def _task_form(request: HttpRequest, plan: SamplingPlan, task: SamplingTask | None = None) -> TaskForm:
    actor = request.actor
    departments = sel.task_departments(actor=actor, plan=plan)
    dept_ids = [d.pk for d in departments]
    tags = sel.tag_names(actor=actor, org_ids=dept_ids)
    specialties = sel.tag_names(actor=actor, kind=Tag.Kind.INSPECTOR, org_ids=dept_ids)
    initial = {}
    if task is None:
        done = set(plan.tasks.exclude(status=SamplingTask.Status.CANCELLED).values_list("batch_no", flat=True))
        batch = next((b for b in range(1, plan.batches + 1) if b not in done), plan.batches)
        name, start, end = svc.batch_period(plan, batch)
        initial = {"batch_no": batch, "name": name, "window_start": start, "window_end": end,
                   "items": list(plan.items.values_list("pk", flat=True))}
    return TaskForm(request.POST or None, actor=actor, plan=plan, task=task, departments=departments,
                    tag_choices=tags, specialty_choices=specialties, initial=initial)


@member_required(*WRITERS, kinds=KINDS)
def task_create(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = sel.plan_get(actor=request.actor, pk=plan_pk)
    if plan.organization_id != request.actor.organization_id or plan.status not in svc.IN_FORCE:
        messages.error(request, _("只有本单位已批准或已公开的计划可以创建抽查任务。"))
        return redirect("sampling:plan_detail", pk=plan.pk)
    form = _task_form(request, plan)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        if not form.errors:
            try:
                task = svc.task_create(actor=request.actor, plan=plan, data=data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已创建抽查任务“%(name)s”。") % {"name": task.name})
                return redirect("sampling:task_detail", pk=task.pk)
    return render(request, "sampling/task_form.html", {"form": form, "plan": plan, "title": _("新建抽查任务")})


@member_required(*WRITERS, kinds=KINDS)
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = sel.task_get(actor=request.actor, pk=pk)
    if task.organization_id != request.actor.organization_id or task.status not in ("draft", "ready"):
        messages.error(request, _("只有本单位尚未抽取的任务可以修改。"))
        return redirect("sampling:task_detail", pk=task.pk)
    form = _task_form(request, task.plan, task)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        if not form.errors:
            try:
                svc.task_update(actor=request.actor, task=task, data=data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已保存修改。"))
                return redirect("sampling:task_detail", pk=task.pk)
    return render(request, "sampling/task_form.html", {"form": form, "plan": task.plan, "task": task,
                                                        "title": _("修改抽查任务")})


def _draw_url(task: SamplingTask) -> str:
    return reverse("sampling:draw_start", args=[task.pk])


@member_required(kinds=KINDS)
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    task = sel.task_get(actor=actor, pk=pk)
    is_owner = acts_for(actor, task.organization_id)
    my_part = next((e for e in task.team_requirements if e.get("department") == actor.organization_id), None)
    return render(request, "sampling/task_detail.html", {
        "task": task,
        "plan": task.plan,
        "preview": svc.task_preview(actor=actor, task=task),
        "items": task.items.select_related("organization").order_by("organization__code", "code"),
        "my_items": task.items.filter(Q(organization_id=actor.organization_id)).count(),
        "team": sel.task_team_rows(actor=actor, task=task),
        "my_part": my_part,
        "is_owner": is_owner,
        "can_write": can_edit_plan(actor, task),
        "can_cancel": can_cancel_task(actor, task),
        "draw_url": _draw_url(task) if task.status == SamplingTask.Status.READY and is_owner else None,
        # Every commitment of the task, abandoned ones too, so each reader finds the results page.
        "draws": draw_sel.draw_list(actor=actor, task=task),
        "reason_form": ReasonForm(),
        # Cards of the apps after sampling (sampling.extensions.TASK_SECTIONS).
        "sections": task_sections(actor=actor, task=task),
    })


@require_POST
@member_required(*WRITERS, kinds=KINDS)
def task_ready(request: HttpRequest, pk: int) -> HttpResponse:
    task = sel.task_get(actor=request.actor, pk=pk)
    try:
        svc.task_set_ready(actor=request.actor, task=task)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("任务已设为“待抽取”，可以开始随机抽取。"))
    return redirect("sampling:task_detail", pk=task.pk)


@require_POST
@member_required(*WRITERS, Role.LEADER, kinds=KINDS)
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = sel.task_get(actor=request.actor, pk=pk)
    try:
        svc.task_cancel(actor=request.actor, task=task, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("已取消该任务。"))
    return redirect("sampling:task_detail", pk=task.pk)
