"""Sampling views: recusals (回避) with substitutes, and target replacements from the reserve.

Thin: parse a form, call one service or selector, render. Not found and other offices' objects
are 404 (scoped selectors); a role that may not act gets 403 (``member_required``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from inventory.models import Inspector
from sampling.forms.recusals import RecusalDecideForm, RecusalRequestForm, ReplacementForm
from sampling.models import Draw
from sampling.policies import can_decide_recusal
from sampling.selectors import draws as draw_sel
from sampling.selectors import recusals as sel
from sampling.services import recusals as svc
from sampling.views.draws import completed_draw_or_404, error_text
from tenancy.context import Role
from tenancy.permissions import member_required
from tenancy.policies import WRITERS, holds
from tenancy.uploads import attachment_response

SLOT_CARDS_UP_TO = 20


def _target_choices(request: HttpRequest, posted: str, choices_of: Any) -> Any:
    """A form's target choices: posted, exactly the target it chose (so any real target
    validates, listed or not); shown — or posted with no target of this draw, to show the form
    again with its error — the first ``TARGETS_LISTED`` targets matching the search box."""
    if request.method == "POST":
        head = request.POST.get(posted, "").partition(":")[0]
        chosen = choices_of(draw_sel.TargetFilter(selection_id=int(head) if head.isdigit() else -1))
        if chosen:
            return chosen
    return choices_of(draw_sel.TargetFilter(query=_search_query(request), limit=sel.TARGETS_LISTED))


def _search_query(request: HttpRequest) -> str:
    return request.GET.get("q", "")[:40]  # a code is at most 40 characters


def _search_context(request: HttpRequest, draw: Draw) -> dict[str, Any]:
    """The search box of a form over a large draw's targets."""
    total = draw_sel.current_targets(draw=draw).count()
    return {"q": _search_query(request), "targets_total": total, "targets_listed": sel.TARGETS_LISTED,
            "searchable": total > sel.TARGETS_LISTED}


@member_required(Role.INSPECTOR, Role.PLANNER, Role.ADMIN)
def recusal_request(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    draw = completed_draw_or_404(request, pk)
    search: dict[str, Any] = {}
    if holds(actor, *WRITERS):  # a planner asks for any member, an inspector for their own places
        groups = _target_choices(request, "slot", lambda only: sel.team_choices(draw=draw, only=only))
        search = _search_context(request, draw)
    else:
        groups = sel.my_slot_choices(actor=actor, draw=draw)
    slots = sel.slot_choices(groups)
    form = RecusalRequestForm(request.POST or None, request.FILES or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        selection_id, inspector_id = form.cleaned_data["slot"]
        selection = draw_sel.selection_get(actor=actor, draw=draw, pk=selection_id)
        inspector = get_object_or_404(Inspector, pk=inspector_id)
        try:
            svc.recusal_request(
                actor=actor, draw=draw, selection=selection, inspector=inspector,
                kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
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
    can_decide = can_decide_recusal(actor, req) and req.status == "pending"
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
                form.add_error(None, error_text(exc))
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
    draw = completed_draw_or_404(request, pk)
    choices = _target_choices(request, "selection", lambda only: sel.replaceable_choices(draw=draw, only=only))
    form = ReplacementForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        selection = draw_sel.selection_get(actor=actor, draw=draw, pk=form.cleaned_data["selection"])
        try:
            rep = svc.replacement_create(actor=actor, draw=draw, selection=selection, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("无权操作。"))
        else:
            names = draw_sel.entity_names(codes=[rep.replacement.key, rep.replaced.key])
            messages.success(request, _("已由备选对象 %(new)s 递补 %(old)s，并报备案。") % {
                "new": names.get(rep.replacement.key, rep.replacement.key), "old": names.get(rep.replaced.key, rep.replaced.key),
            })
            return redirect("sampling:draw_detail", pk=draw.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sampling/replacement_create.html",
        {"draw": draw, "task": draw.task, "form": form, **_search_context(request, draw)}, status=status,
    )
