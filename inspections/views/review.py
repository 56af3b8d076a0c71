"""Submitting a result, the leader's review (approve, or return with comments), and a correction
of an approved result as a new version. Thin: parse, call one service, answer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from inspections import policies
from inspections.forms.review import APPROVE, CorrectForm, ReviewForm
from inspections.models import Inspection
from inspections.services import inspections as inspection_svc
from inspections.services import reviews as svc
from tenancy.context import Role
from tenancy.permissions import member_required

from .common import error_dict, error_text, inspection_or_404, post_only
from .presenters import inspection_page


@member_required(Role.INSPECTOR)
@post_only("inspections:detail")
def inspection_submit(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    comment = request.POST.get("comment", "")[:500]
    try:
        svc.inspection_submit(actor=request.actor, inspection=inspection, comment=comment)
    except ValidationError as exc:
        context = inspection_page(request.actor, inspection, errors=error_dict(exc))
        context["submit_comment"] = comment
        return render(request, "inspections/detail.html", context, status=400)
    messages.success(request, _("检查结果已提交审核。"))
    return redirect("inspections:detail", pk=inspection.pk)


@member_required(Role.LEADER)
def inspection_review(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    actor = request.actor
    if not policies.can_review(actor, inspection):
        if not policies.takes_part(actor, inspection):
            raise PermissionDenied(_("该检查结果当前不需要您审核。"))
        # The reviewer, at a result no longer (or not yet) awaiting review: a bookmark, a
        # notification, a second tab. Say where it stands on its page rather than refuse.
        messages.info(request, _not_awaiting(inspection))
        return redirect("inspections:detail", pk=inspection.pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if form.cleaned_data["decision"] == APPROVE:
                svc.inspection_approve(actor=actor, inspection=inspection, comment=comment)
                messages.success(request, _("已审核通过。"))
            else:
                svc.inspection_return(actor=actor, inspection=inspection, comment=comment)
                messages.success(request, _("已退回检查组修改。"))
        except ValidationError as exc:
            for key, errors in error_dict(exc).items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            return redirect("inspections:detail", pk=inspection.pk)
    context = inspection_page(actor, inspection)
    context.update({"review_form": form, "missing": inspection_svc.submission_errors(inspection)})
    return render(request, "inspections/review.html", context, status=400 if form.errors else 200)


def _not_awaiting(inspection: Inspection) -> str:
    status = inspection.status
    if status == Inspection.Status.APPROVED:
        return _("该检查结果已审核（已通过），无需再审。")
    if status == Inspection.Status.SUBMITTED:  # a joint visit: this department approved its part
        return _("本部门已审核通过，待其他参与部门审核。")
    if status == Inspection.Status.RETURNED:
        return _("该检查结果已退回检查组修改，重新提交后再审核。")
    if status == Inspection.Status.REPLACED:
        return _("该检查对象已被替换，无需审核。")
    return _("该检查结果尚未提交审核。")


@member_required()
def inspection_correct(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    actor = request.actor
    if not policies.can_correct(actor, inspection):
        raise PermissionDenied(_("该检查结果当前不能更正。"))
    form = CorrectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = svc.inspection_correct(actor=actor, inspection=inspection, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("已生成更正版本（第 %(v)s 版），请修改后重新提交审核。") % {"v": new.version})
            return redirect("inspections:detail", pk=new.pk)
    return render(request, "inspections/correct.html", {"inspection": inspection, "form": form},
                  status=400 if form.errors else 200)
