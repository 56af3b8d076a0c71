"""Pages of the check-item list (with check forms and versions) and the joint-inspection item list.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory import forms, policies
from inventory.forms import items as item_forms
from inventory.models import CheckItem
from inventory.selectors import items as item_selectors
from inventory.services import items as item_services
from inventory.views import export, get_or_404, requires
from tenancy.i18n import join_clauses


@requires(policies.can_read_registers)
def item_list(request: HttpRequest) -> HttpResponse:
    q = request.GET
    items = item_selectors.item_list(
        actor=request.actor, q=q.get("q", ""), category=q.get("category", ""), method=q.get("method", ""),
        status=q.get("status", ""), history=q.get("history") == "1",
    )
    return render(
        request, "inventory/item_list.html",
        {
            "items": items[:500], "count": items.count(), "q": q, "categories": CheckItem.Category.choices,
            "methods": CheckItem.Method.choices, "statuses": CheckItem.Status.choices,
            "can_write": policies.can_keep_registers(request.actor), "query": q.urlencode(),
        },
    )


@requires(policies.can_read_registers)
def item_export(request: HttpRequest) -> HttpResponse:
    q = request.GET
    items = item_selectors.item_list(
        actor=request.actor, q=q.get("q", ""), category=q.get("category", ""), method=q.get("method", ""), status=q.get("status", "")
    )
    return export(request, kind="items", queryset=items, filename="抽查事项清单")


@requires(policies.can_keep_registers)
def item_create(request: HttpRequest) -> HttpResponse:
    form = item_forms.CheckItemForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            item = item_services.checkitem_create(actor=request.actor, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已新增抽查事项，请继续编制检查表"))
            return redirect("inventory:item_detail", pk=item.pk)
    return render(request, "inventory/item_form.html", {"form": form})


def _item_detail(request: HttpRequest, item: CheckItem, point_form: item_forms.CheckPointForm | None = None, status: int = 200) -> HttpResponse:
    editable = (
        policies.can_edit_item(request.actor, item) and item.is_current and item.status == CheckItem.Status.ACTIVE
    )
    return render(
        request, "inventory/item_detail.html",
        {
            "item": item, "points": item_selectors.item_points(actor=request.actor, item=item),
            "versions": item_selectors.item_versions(actor=request.actor, item=item), "editable": editable,
            "in_use": item_services.checkitem_in_use(item),
            "point_form": (point_form or item_forms.CheckPointForm()) if editable else None,
        },
        status=status,
    )


@requires(policies.can_read_registers)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_detail(request, get_or_404(item_selectors.item_get, actor=request.actor, pk=pk))


@requires(policies.can_keep_registers)
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_or_404(item_selectors.item_get, actor=request.actor, pk=pk)
    form = item_forms.CheckItemForm(request.POST or None, instance=item, actor=request.actor, editing=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "change_reason"}
        try:
            current = item_services.checkitem_update(
                actor=request.actor, item=item, data=data, reason=form.cleaned_data.get("change_reason", "")
            )
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            if current.pk != item.pk:
                messages.success(request, _("事项已用于抽查任务或计划，已生成新版本 v%(v)s，原版本保留") % {"v": current.version})
            else:
                messages.success(request, _("已保存"))
            return redirect("inventory:item_detail", pk=current.pk)
    return render(
        request, "inventory/item_form.html",
        {"form": form, "item": item, "in_use": item_services.checkitem_in_use(item)},
    )


@requires(policies.can_keep_registers)
def item_retire(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_or_404(item_selectors.item_get, actor=request.actor, pk=pk)
    form = item_forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item_services.checkitem_retire(actor=request.actor, item=item, reason=form.cleaned_data["reason"])
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已废止该事项"))
            return redirect("inventory:item_detail", pk=item.pk)
    return render(request, "inventory/item_retire.html", {"form": form, "item": item})


@requires(policies.can_keep_registers)
@require_POST
def point_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_or_404(item_selectors.item_get, actor=request.actor, pk=pk)
    form = item_forms.CheckPointForm(request.POST)
    if form.is_valid():
        try:
            point = item_services.checkpoint_add(actor=request.actor, item=item, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已添加检查要点"))
            return redirect("inventory:item_detail", pk=point.item_id)
    # Re-render with what was typed and the errors next to the fields.
    return _item_detail(request, item, point_form=form, status=400)


@requires(policies.can_keep_registers)
def point_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one check point: a page, or (htmx) an inline row of the check-form table."""
    point = get_or_404(item_selectors.point_get, actor=request.actor, pk=pk)
    form = item_forms.CheckPointForm(request.POST or None, instance=point)
    if request.method == "POST" and form.is_valid():
        try:
            saved = item_services.checkpoint_update(actor=request.actor, point=point, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已保存检查要点"))
            target = reverse("inventory:item_detail", kwargs={"pk": saved.item_id})
            if request.htmx:
                # The save may have made a new version: reload the (possibly new) item page.
                return HttpResponse(status=204, headers={"HX-Redirect": target})
            return redirect(target)
    template = "inventory/_point_edit_row.html" if request.htmx else "inventory/point_form.html"
    return render(request, template, {"form": form, "point": point, "item": point.item})


@requires(policies.can_keep_registers)
@require_POST
def point_delete(request: HttpRequest, pk: int) -> HttpResponse:
    point = get_or_404(item_selectors.point_get, actor=request.actor, pk=pk)
    try:
        item = item_services.checkpoint_delete(actor=request.actor, point=point)
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
        return redirect("inventory:item_detail", pk=point.item_id)
    messages.success(request, _("已删除检查要点"))
    return redirect("inventory:item_detail", pk=item.pk)


@requires(policies.can_keep_registers)
@require_POST
def point_move(request: HttpRequest, pk: int) -> HttpResponse:
    point = get_or_404(item_selectors.point_get, actor=request.actor, pk=pk)
    try:
        item = item_services.checkpoint_move(actor=request.actor, point=point, direction=request.POST.get("direction", ""))
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
        return redirect("inventory:item_detail", pk=point.item_id)
    return redirect("inventory:item_detail", pk=item.pk)


@requires(policies.can_read_registers)
def joint_list(request: HttpRequest) -> HttpResponse:
    items = item_selectors.jointitem_list(actor=request.actor, q=request.GET.get("q", ""))
    return render(
        request, "inventory/joint_list.html",
        {"items": items, "q": request.GET, "can_write": policies.can_keep_joint_items(request.actor)},
    )


@requires(policies.can_keep_joint_items)
def joint_create(request: HttpRequest) -> HttpResponse:
    form = item_forms.JointItemForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            item_services.jointitem_create(actor=request.actor, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已新增联合抽查事项"))
            return redirect("inventory:joint_list")
    return render(request, "inventory/joint_form.html", {"form": form})


@requires(policies.can_keep_joint_items)
def joint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_or_404(item_selectors.jointitem_get, actor=request.actor, pk=pk)
    if item.organization_id != request.actor.organization_id:
        raise Http404
    form = item_forms.JointItemForm(request.POST or None, instance=item, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            item_services.jointitem_update(actor=request.actor, item=item, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("inventory:joint_list")
    return render(request, "inventory/joint_form.html", {"form": form, "item": item})
