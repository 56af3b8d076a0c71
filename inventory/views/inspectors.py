"""Pages of the inspector roster (执法检查人员名录库) and declared conflicts.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory import forms, policies
from inventory.forms import inspectors as inspector_forms
from inventory.models import Inspector
from inventory.selectors import inspectors as inspector_selectors
from inventory.services import inspectors as inspector_services
from inventory.views import export, get_or_404, requires
from tenancy.i18n import join_clauses


@requires(policies.can_read_registers)
def inspector_list(request: HttpRequest) -> HttpResponse:
    form = inspector_forms.InspectorFilterForm(request.GET or None, actor=request.actor)
    inspectors = inspector_selectors.inspector_list(actor=request.actor, filters=form.filters() if request.GET else None)
    return render(
        request, "inventory/inspector_list.html",
        {
            "form": form, "inspectors": inspectors[:1000], "count": inspectors.count(), "today": timezone.localdate(),
            "can_write": policies.can_keep_registers(request.actor), "query": request.GET.urlencode(),
        },
    )


@requires(policies.can_read_registers)
def inspector_export(request: HttpRequest) -> HttpResponse:
    form = inspector_forms.InspectorFilterForm(request.GET or None, actor=request.actor)
    inspectors = inspector_selectors.inspector_list(actor=request.actor, filters=form.filters())
    return export(request, kind="inspectors", queryset=inspectors, filename="执法检查人员名录库")


def _inspector_form(request: HttpRequest, inspector: Inspector | None) -> HttpResponse:
    actor = request.actor
    form = inspector_forms.InspectorForm(
        request.POST or None, instance=inspector, actor=actor, users=inspector_selectors.member_users(actor)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        specialties = forms.split_tags(data.pop("specialties_text", "") or "")
        try:
            if inspector is None:
                inspector = inspector_services.inspector_create(actor=actor, data=data, specialties=specialties)
            else:
                inspector_services.inspector_update(actor=actor, inspector=inspector, data=data, specialties=specialties)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("inventory:inspector_detail", pk=inspector.pk)
    return render(request, "inventory/inspector_form.html", {"form": form, "inspector": inspector})


@requires(policies.can_keep_registers)
def inspector_create(request: HttpRequest) -> HttpResponse:
    return _inspector_form(request, None)


@requires(policies.can_keep_registers)
def inspector_edit(request: HttpRequest, pk: int) -> HttpResponse:
    inspector = get_or_404(inspector_selectors.inspector_get, actor=request.actor, pk=pk)
    if inspector.organization_id != request.actor.organization_id:
        raise Http404
    return _inspector_form(request, inspector)


@requires(policies.can_read_registers)
def inspector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    inspector = get_or_404(inspector_selectors.inspector_get, actor=actor, pk=pk)
    return render(
        request, "inventory/inspector_detail.html",
        {
            "inspector": inspector, "conflicts": inspector_selectors.inspector_conflicts(actor=actor, inspector=inspector),
            "personal": policies.can_see_personal_fields(actor, inspector),
            "can_write": policies.can_edit_inspector(actor, inspector), "today": timezone.localdate(),
            "conflict_form": inspector_forms.ConflictForm(actor=actor), "specialties": list(inspector.specialties.all()),
        },
    )


@requires(policies.can_keep_registers)
def conflict_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    inspector = get_or_404(inspector_selectors.inspector_get, actor=actor, pk=pk)
    if inspector.organization_id != actor.organization_id:
        raise Http404
    form = inspector_forms.ConflictForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            inspector_services.conflict_declare(
                actor=actor, inspector=inspector, entity=d["entity_code"], reason=d["reason"],
                declared_on=d.get("declared_on"), approved_by=d.get("approved_by", ""),
            )
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已登记利害关系，该人员不会被抽派检查该对象"))
            return redirect("inventory:inspector_detail", pk=inspector.pk)
    return render(request, "inventory/conflict_form.html", {"form": form, "inspector": inspector})


@requires(policies.can_keep_registers)
@require_POST
def conflict_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    conflict = get_or_404(inspector_selectors.conflict_get, actor=actor, pk=pk)
    if conflict.organization_id != actor.organization_id:
        raise Http404
    try:
        inspector_services.conflict_withdraw(actor=actor, conflict=conflict, reason=request.POST.get("reason", ""))
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
    else:
        messages.success(request, _("已撤回利害关系申报"))
    return redirect("inventory:inspector_detail", pk=conflict.inspector_id)
