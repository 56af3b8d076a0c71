"""Reads of plans and tasks for views and the API. Every query goes through scoped managers."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import CheckItem, Tag
from sampling.models import PlanParticipant, PlanReview, SamplingPlan, SamplingTask
from sampling.selectors.pool import plan_lineage_ids
from tenancy.context import Actor, Role
from tenancy.models import Organization


def plan_list(*, actor: Actor, year: int | None = None, status: str = "", kind: str = "", text: str = "") -> QuerySet[SamplingPlan]:
    plans = SamplingPlan.objects.select_related("organization").annotate(task_count=Count("tasks"))
    if year:
        plans = plans.filter(year=year)
    if status:
        plans = plans.filter(status=status)
    if kind:
        plans = plans.filter(kind=kind)
    if text:
        plans = plans.filter(Q(name__icontains=text) | Q(doc_no__icontains=text))
    return plans.order_by("-year", "name", "-version", "-id")


def plan_years(*, actor: Actor) -> list[int]:
    return sorted(set(SamplingPlan.objects.values_list("year", flat=True)), reverse=True)


def plan_get(*, actor: Actor, pk: int) -> SamplingPlan:
    """A visible plan, else 404 (not found and other offices' plans alike)."""
    return get_object_or_404(SamplingPlan.objects.select_related("organization", "approved_by", "created_by"), pk=pk)


def plan_participants(*, actor: Actor, plan: SamplingPlan) -> list[dict[str, Any]]:
    """Participants with the items the viewer may see (a participant sees its own part)."""
    rows = []
    for part in PlanParticipant.objects.filter(plan=plan).select_related("department").order_by("department__code"):
        rows.append({
            "department": part.department,
            "items": list(CheckItem.objects.filter(pk__in=part.items.values("pk")).order_by("code")),
            "is_me": part.department_id == actor.organization_id,
        })
    return rows


def plan_versions(*, actor: Actor, plan: SamplingPlan) -> list[SamplingPlan]:
    return list(SamplingPlan.objects.filter(pk__in=plan_lineage_ids(plan)).order_by("version"))


def plan_reviews(*, actor: Actor, plan: SamplingPlan) -> list[PlanReview]:
    """The plan's approval history (提交、批准、退回 with their opinions), oldest first."""
    return list(PlanReview.objects.filter(plan=plan).select_related("by").order_by("at", "id"))


def plan_last_return(*, reviews: list[PlanReview], plan: SamplingPlan) -> PlanReview | None:
    """The return a draft is waiting on: the latest review, when it sent the plan back."""
    if plan.status != SamplingPlan.Status.DRAFT or not reviews:
        return None
    last = reviews[-1]
    return last if last.decision == PlanReview.Decision.RETURNED else None


def plan_item_choices(*, actor: Actor, participants: list[Organization] | None = None) -> QuerySet[CheckItem]:
    """Items a plan may name: the owner's current items, or (office) the region's departments'."""
    items = CheckItem.objects.filter(is_current=True, status=CheckItem.Status.ACTIVE).select_related("organization")
    if actor.is_office:
        items = items.filter(organization__kind=Organization.Kind.DEPARTMENT)
    else:
        items = items.filter(organization_id=actor.organization_id)
    return items.order_by("organization__code", "code")


def department_choices(*, actor: Actor) -> QuerySet[Organization]:
    return Organization.objects.filter(
        kind=Organization.Kind.DEPARTMENT, region_id__in=actor.visible_region_ids, is_active=True
    ).order_by("code")


def tag_names(*, actor: Actor, kind: str = Tag.Kind.ENTITY, org_ids: list[int] | None = None) -> list[str]:
    """Tag names of the given organizations (default: every visible one), for scope filters."""
    tags = Tag.objects.filter(kind=kind)
    if org_ids is not None:
        tags = tags.filter(organization_id__in=org_ids)
    return sorted(set(tags.values_list("name", flat=True)))


def task_departments(*, actor: Actor, plan: SamplingPlan) -> list[Organization]:
    """Who sends inspectors: the owner of a department plan, each participant of a joint plan."""
    if plan.kind == SamplingPlan.Kind.JOINT:
        ids = PlanParticipant.objects.filter(plan=plan).values("department_id")
        return list(Organization.objects.filter(pk__in=ids).order_by("code"))
    return list(Organization.objects.filter(pk=plan.organization_id))


def task_list(*, actor: Actor, plan_id: int | None = None, year: int | None = None, status: str = "") -> QuerySet[SamplingTask]:
    tasks = SamplingTask.objects.select_related("plan", "organization")
    if plan_id:
        tasks = tasks.filter(plan_id=plan_id)
    if year:
        tasks = tasks.filter(plan__year=year)
    if status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("-plan__year", "plan_id", "batch_no", "id")


def task_get(*, actor: Actor, pk: int) -> SamplingTask:
    return get_object_or_404(SamplingTask.objects.select_related("plan", "organization", "created_by"), pk=pk)


def task_team_rows(*, actor: Actor, task: SamplingTask) -> list[dict[str, Any]]:
    names = dict(Organization.objects.filter(pk__in=[e.get("department") for e in task.team_requirements]).values_list("pk", "name"))
    return [{"department": names.get(e.get("department"), "—"), "count": e.get("count")} for e in task.team_requirements]


def dashboard_cards(*, actor: Actor) -> list[dict[str, Any]]:
    if not (actor.is_department or actor.is_office):
        return []
    year = timezone.localdate().year
    cards: list[dict[str, Any]] = []
    in_force = SamplingPlan.objects.filter(year=year, status__in=["approved", "published"]).count()
    cards.append({
        "key": "plans", "label": _("%(year)s年度生效的抽查计划") % {"year": year}, "value": in_force,
        "url": reverse("sampling:plan_list") + f"?year={year}", "state": "" if in_force else "bad",
    })
    if actor.has_role(Role.LEADER):
        pending = SamplingPlan.objects.filter(status="submitted", organization_id=actor.organization_id).count()
        cards.append({
            "key": "plans-pending", "label": _("待审批的抽查计划"), "value": pending,
            "url": reverse("sampling:plan_list") + "?status=submitted", "state": "bad" if pending else "ok",
        })
    ready = SamplingTask.objects.filter(status="ready").count()
    cards.append({
        "key": "tasks-ready", "label": _("待抽取的抽查任务"), "value": ready,
        "url": reverse("sampling:task_list") + "?status=ready", "state": "",
    })
    return cards
