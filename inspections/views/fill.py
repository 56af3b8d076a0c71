"""The inspection page and what the team does on it: confirm a dispatched target (比对和确认),
fill the check form — saved as one types by ``static/js/inspection-autosave.js`` (JSON) or in
one post without script — attach photos and PDFs, take the firm's signature, settle a save
conflict, withdraw a wrong photo. Thin: parse, call one service, answer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections import policies
from inspections.forms.fill import (
    ConfirmForm,
    DraftForm,
    EvidenceForm,
    SignatureForm,
    WithdrawForm,
    draft_payload,
)
from inspections.models import DraftConflict, Evidence, Inspection, InspectionPart
from inspections.services import inspections as svc
from tenancy.permissions import member_required
from tenancy.uploads import attachment_response

from . import images
from .common import error_dict, error_text, inspection_or_404, json_error, post_only, wants_json
from .presenters import inspection_page


@member_required()
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, inspection_or_404(request, pk))


def _page(request: HttpRequest, inspection: Inspection, *, form: DraftForm | None = None, status: int = 200,
          extra: dict[str, Any] | None = None) -> HttpResponse:
    context = inspection_page(request.actor, inspection, form=form)
    context.update(extra or {})
    return render(request, "inspections/detail.html", context, status=status)


# --------------------------------------------------------------------------------------------
# Confirmation (比对和确认)


@member_required()
@post_only("inspections:detail")
def inspection_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    form = ConfirmForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        svc.inspection_confirm(actor=request.actor, inspection=inspection, note=note)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已比对确认该检查对象。"))
    return redirect("inspections:detail", pk=inspection.pk)


# --------------------------------------------------------------------------------------------
# The draft


def _my_part(request: HttpRequest, inspection: Inspection) -> InspectionPart | None:
    return InspectionPart.objects.filter(inspection=inspection, organization_id=request.actor.organization_id).first()


def _posted(request: HttpRequest) -> tuple[dict[str, Any], bool]:
    """The values posted and whether they are the whole form (a post without script)."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError(_("提交的内容无法识别，请刷新页面后重试。")) from None
        if not isinstance(body, dict) or not isinstance(body.get("fields", {}), dict):
            raise ValidationError(_("提交的内容无法识别，请刷新页面后重试。"))
        values = dict(body.get("fields", {}))
        for key in ("revision", "part_revision"):
            if key in body:
                values[key] = body[key]
        return values, False
    values = {key: request.POST.get(key) for key in request.POST}
    values["results"] = request.POST.getlist("results")
    return values, request.POST.get("full") == "1"


# A check point's answer or note as the form names it (``point_<pk>``, ``point_<pk>_note``).
POINT_FIELD = re.compile(r"point_(\d+)(?:_note)?")


def _refuse_foreign_points(values: dict[str, Any], points: list[Any]) -> None:
    """A post naming a check point outside the actor's own part (another department's, on a joint
    visit) is refused as a whole, not saved in part: its answers are that department's alone."""
    own = {p.pk for p in points}
    for key in values:
        match = POINT_FIELD.fullmatch(key)
        if match and int(match.group(1)) not in own:
            raise PermissionDenied(_("该检查要点不属于本部门的检查事项。"))


def _revision(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise ValidationError(_("页面的版本号无效，请刷新后重试。")) from None


@member_required()
@post_only("inspections:detail")
def inspection_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the draft: the script's changed fields (JSON, answered in JSON), or the whole form."""
    inspection = inspection_or_404(request, pk)
    actor = request.actor
    script = wants_json(request)
    part = _my_part(request, inspection)
    fillable = part is not None and policies.can_fill_part(actor, _with_inspection(part, inspection))
    points = list(svc.required_points(part)) if fillable and part is not None else []
    try:
        values, full = _posted(request)
        _refuse_foreign_points(values, points)
        # What the actor may not write is refused by the service (403), never dropped in silence.
        visit, answers, note = draft_payload(values, points=points, full=full)
        result = svc.inspection_save(
            actor=actor, inspection=inspection, revision=_revision(values.get("revision")), visit=visit,
            part=part if (answers or note is not None) else None, part_revision=_revision(values.get("part_revision")),
            answers=answers, note=note,
        )
    except ValidationError as exc:
        if script:
            return json_error(_("有填写错误，请按提示修改。"), status=400, errors=error_dict(exc))
        form = DraftForm(request.POST, inspection=inspection, visit=policies.can_edit_visit(actor, inspection),
                         part=fillable, points=points)
        form.is_valid()
        form.add_service_errors(error_dict(exc))
        return _page(request, inspection, form=form, status=400)
    except PermissionDenied as exc:
        if script:
            return json_error(str(exc) or _("无权修改该检查。"), status=403)
        raise
    if script:
        return JsonResponse(_saved(request, result))
    if result.conflicted:
        messages.warning(request, _("他人已先保存了部分内容：两份内容均已保留，请查看页面上方的保存冲突。"))
    else:
        messages.success(request, _("草稿已保存。"))
    return redirect("inspections:detail", pk=inspection.pk)


def _with_inspection(part: InspectionPart, inspection: Inspection) -> InspectionPart:
    part.inspection = inspection
    return part


def _saved(request: HttpRequest, result: svc.SaveResult) -> dict[str, Any]:
    """What the script needs after a save: the new revisions, and on a conflict the stored
    values of the fields in conflict (both texts kept) and the conflict box."""
    inspection = result.inspection
    answer: dict[str, Any] = {
        "ok": True, "revision": inspection.revision, "applied": result.applied,
        "part_revision": result.part.revision if result.part is not None else None,
        "status": inspection.status, "status_label": inspection.get_status_display(),
        "saved_at": timezone.localtime().strftime("%H:%M:%S"), "conflict": result.conflicted,
    }
    if result.conflict is not None:
        answer["values"] = _current_values(inspection, result.part, result.conflict)
        answer["conflicts_html"] = render_to_string(
            "inspections/_conflicts.html", _conflicts_context(request, inspection), request=request,
        )
    return answer


def _current_values(inspection: Inspection, part: InspectionPart | None, conflict: DraftConflict) -> dict[str, Any]:
    """The stored value of each field in conflict, as the form names and shows it."""
    form = DraftForm(
        inspection=Inspection.objects.get(pk=inspection.pk), visit=True, part=part is not None,
        points=list(svc.required_points(part)) if part is not None else [],
        answers={a.point_id: a for a in part.answers.all()} if part is not None else {},
        note=InspectionPart.objects.get(pk=part.pk).note if part is not None else "",
    )
    values: dict[str, Any] = {}
    for row in conflict.fields:
        name = row["field"]
        if name.startswith("point_") and row.get("key") == "note":
            name += "_note"
        if name in form.fields:
            values[name] = form.initial.get(name, "")
    return values


def _conflicts_context(request: HttpRequest, inspection: Inspection) -> dict[str, Any]:
    return {
        "inspection": inspection,
        "conflicts": list(DraftConflict.objects.filter(inspection=inspection, resolved_at__isnull=True).select_related("by")),
        "can_resolve": policies.can_edit_visit(request.actor, inspection),
    }


@member_required()
@post_only("inspections:detail")
def conflict_resolve(request: HttpRequest, pk: int, conflict: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    row = get_object_or_404(DraftConflict, pk=conflict, inspection=inspection)
    try:
        svc.conflict_resolve(actor=request.actor, conflict=row)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("inspections:detail", pk=inspection.pk)


# --------------------------------------------------------------------------------------------
# Evidence and the signature


def _evidence_html(request: HttpRequest, inspection: Inspection, point_id: int | None) -> str:
    rows = Evidence.objects.filter(inspection=inspection, withdrawn_at__isnull=True).exclude(kind=Evidence.Kind.SIGNATURE)
    if point_id:
        rows = rows.filter(answer__point_id=point_id)
    else:
        rows = rows.filter(answer__isnull=True, part__organization_id=request.actor.organization_id)
    return render_to_string("inspections/_evidence_list.html", {
        "inspection": inspection, "evidence": list(rows), "point_id": point_id,
        "can_withdraw": policies.can_edit_visit(request.actor, inspection),
    }, request=request)


@member_required()
@post_only("inspections:detail")
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = inspection_or_404(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    script = wants_json(request)
    point_id = None
    try:
        if not form.is_valid():
            raise ValidationError({k: list(v) for k, v in form.errors.items()})
        upload = form.cleaned_data["file"]
        point_id = form.cleaned_data["point"]
        kind = Evidence.Kind.PHOTO if upload.content_type.startswith("image/") else Evidence.Kind.DOCUMENT
        svc.evidence_add(actor=request.actor, inspection=inspection, upload=upload, kind=kind, point_id=point_id,
                         caption=form.cleaned_data["caption"])
    except ValidationError as exc:
        if script:
            return json_error(error_text(exc), status=400, errors=error_dict(exc))
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        if script:
            return json_error(str(exc), status=403)
        raise
    else:
        if script:
            return JsonResponse({"ok": True, "html": _evidence_html(request, inspection, point_id)})
        messages.success(request, _("已上传。"))
    anchor = f"#point-{point_id}" if point_id else "#evidence"
    return redirect(reverse("inspections:detail", args=[inspection.pk]) + anchor)


def _evidence_or_404(request: HttpRequest, pk: int, evidence: int) -> Evidence:
    inspection = inspection_or_404(request, pk)
    row = Evidence.objects.filter(pk=evidence, inspection=inspection).first()
    if row is None:
        raise Http404("no such evidence")
    row.inspection = inspection
    return row


@member_required()
def evidence_file(request: HttpRequest, pk: int, evidence: int) -> HttpResponse:
    return attachment_response(_evidence_or_404(request, pk, evidence))


@member_required()
def evidence_display(request: HttpRequest, pk: int, evidence: int) -> HttpResponse:
    """The image as pages show it: the stored display copy, else a reduced rendition."""
    row = _evidence_or_404(request, pk, evidence)
    if not row.is_image:
        raise Http404("not an image")
    return images.display_response(row)


@member_required()
def evidence_withdraw(request: HttpRequest, pk: int, evidence: int) -> HttpResponse:
    """Withdraw a wrong photo or file, with the reason (it is kept, marked withdrawn)."""
    row = _evidence_or_404(request, pk, evidence)
    if not policies.can_edit_visit(request.actor, row.inspection):
        raise PermissionDenied(_("检查结果已提交或您不在检查组中，不能撤回证据。"))
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.evidence_withdraw(actor=request.actor, evidence=row, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("已撤回“%(name)s”。") % {"name": row.original_name})
            return redirect("inspections:detail", pk=pk)
    return render(request, "inspections/evidence_withdraw.html", {"evidence": row, "inspection": row.inspection, "form": form},
                  status=400 if form.errors else 200)


@member_required()
@post_only("inspections:detail")
def signature_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The firm's signature: the PNG the page's canvas made (or an image chosen without script)."""
    inspection = inspection_or_404(request, pk)
    form = SignatureForm(request.POST, request.FILES)
    script = wants_json(request)
    try:
        if not form.is_valid():
            raise ValidationError({k: list(v) for k, v in form.errors.items()})
        evidence = svc.evidence_add(actor=request.actor, inspection=inspection, upload=form.cleaned_data["file"],
                                    kind=Evidence.Kind.SIGNATURE)
    except ValidationError as exc:
        if script:
            return json_error(error_text(exc), status=400, errors=error_dict(exc))
        messages.error(request, error_text(exc))
        return redirect(reverse("inspections:detail", args=[inspection.pk]) + "#signature")
    except PermissionDenied as exc:
        if script:
            return json_error(str(exc), status=403)
        raise
    inspection.refresh_from_db(fields=["revision", "status"])
    if script:
        return JsonResponse({
            "ok": True, "revision": inspection.revision,
            "url": reverse("inspections:evidence_display", args=[inspection.pk, evidence.pk]),
            "saved_at": timezone.localtime().strftime("%H:%M:%S"),
        })
    messages.success(request, _("签字已保存。"))
    return redirect(reverse("inspections:detail", args=[inspection.pk]) + "#signature")
