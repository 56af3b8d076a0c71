"""Pages of 一单两库: the check-item list (with check forms and versions), the joint-inspection item
list, the target registry and the inspector registry. Thin: parse, call one service/selector, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tenancy.i18n import join_clauses
from tenancy.permissions import member_required
from tenancy.policies import Predicate, ensure

from . import forms, policies, selectors, services
from .models import CheckItem, Inspector, MarketEntity
from .xlsx import export_response

View = Callable[..., HttpResponse]


def requires(predicate: Predicate) -> Callable[[View], View]:
    """A signed-in member whom the policy ``predicate`` allows (from the actor alone); object
    rules are asked once the view has read the object."""

    def decorator(view: View) -> View:
        @member_required()
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            ensure(predicate, request.actor)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _get(fn: Any, **kwargs: Any) -> Any:
    """A scoped read; not found and not visible are the same 404."""
    try:
        return fn(**kwargs)
    except ObjectDoesNotExist:
        raise Http404


def _query_without(q: QueryDict, *drop: str) -> QueryDict:
    params = q.copy()
    for key in drop:
        params.pop(key, None)
    return params


def _export(request: HttpRequest, *, kind: str, queryset: Any, filename: str) -> HttpResponse:
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    return export_response(kind=kind, queryset=queryset, fmt=fmt, filename=filename)


# =========================================================================== check items


@requires(policies.can_read_registers)
def item_list(request: HttpRequest) -> HttpResponse:
    q = request.GET
    items = selectors.item_list(
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
    items = selectors.item_list(
        actor=request.actor, q=q.get("q", ""), category=q.get("category", ""), method=q.get("method", ""), status=q.get("status", "")
    )
    return _export(request, kind="items", queryset=items, filename="抽查事项清单")


@requires(policies.can_keep_registers)
def item_create(request: HttpRequest) -> HttpResponse:
    form = forms.CheckItemForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.checkitem_create(actor=request.actor, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已新增抽查事项，请继续编制检查表"))
            return redirect("inventory:item_detail", pk=item.pk)
    return render(request, "inventory/item_form.html", {"form": form})


def _item_detail(request: HttpRequest, item: CheckItem, point_form: forms.CheckPointForm | None = None, status: int = 200) -> HttpResponse:
    editable = (
        policies.can_edit_item(request.actor, item) and item.is_current and item.status == CheckItem.Status.ACTIVE
    )
    return render(
        request, "inventory/item_detail.html",
        {
            "item": item, "points": selectors.item_points(actor=request.actor, item=item),
            "versions": selectors.item_versions(actor=request.actor, item=item), "editable": editable,
            "in_use": services.checkitem_in_use(item),
            "point_form": (point_form or forms.CheckPointForm()) if editable else None,
        },
        status=status,
    )


@requires(policies.can_read_registers)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_detail(request, _get(selectors.item_get, actor=request.actor, pk=pk))


@requires(policies.can_keep_registers)
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(selectors.item_get, actor=request.actor, pk=pk)
    form = forms.CheckItemForm(request.POST or None, instance=item, actor=request.actor, editing=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "change_reason"}
        try:
            current = services.checkitem_update(
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
        {"form": form, "item": item, "in_use": services.checkitem_in_use(item)},
    )


@requires(policies.can_keep_registers)
def item_retire(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(selectors.item_get, actor=request.actor, pk=pk)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.checkitem_retire(actor=request.actor, item=item, reason=form.cleaned_data["reason"])
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已废止该事项"))
            return redirect("inventory:item_detail", pk=item.pk)
    return render(request, "inventory/item_retire.html", {"form": form, "item": item})


@requires(policies.can_keep_registers)
@require_POST
def point_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(selectors.item_get, actor=request.actor, pk=pk)
    form = forms.CheckPointForm(request.POST)
    if form.is_valid():
        try:
            point = services.checkpoint_add(actor=request.actor, item=item, data=form.cleaned_data)
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
    point = _get(selectors.point_get, actor=request.actor, pk=pk)
    form = forms.CheckPointForm(request.POST or None, instance=point)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.checkpoint_update(actor=request.actor, point=point, data=form.cleaned_data)
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
    point = _get(selectors.point_get, actor=request.actor, pk=pk)
    try:
        item = services.checkpoint_delete(actor=request.actor, point=point)
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
        return redirect("inventory:item_detail", pk=point.item_id)
    messages.success(request, _("已删除检查要点"))
    return redirect("inventory:item_detail", pk=item.pk)


@requires(policies.can_keep_registers)
@require_POST
def point_move(request: HttpRequest, pk: int) -> HttpResponse:
    point = _get(selectors.point_get, actor=request.actor, pk=pk)
    try:
        item = services.checkpoint_move(actor=request.actor, point=point, direction=request.POST.get("direction", ""))
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
        return redirect("inventory:item_detail", pk=point.item_id)
    return redirect("inventory:item_detail", pk=item.pk)


# =========================================================================== joint items


@requires(policies.can_read_registers)
def joint_list(request: HttpRequest) -> HttpResponse:
    items = selectors.jointitem_list(actor=request.actor, q=request.GET.get("q", ""))
    return render(
        request, "inventory/joint_list.html",
        {"items": items, "q": request.GET, "can_write": policies.can_keep_joint_items(request.actor)},
    )


@requires(policies.can_keep_joint_items)
def joint_create(request: HttpRequest) -> HttpResponse:
    form = forms.JointItemForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.jointitem_create(actor=request.actor, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已新增联合抽查事项"))
            return redirect("inventory:joint_list")
    return render(request, "inventory/joint_form.html", {"form": form})


@requires(policies.can_keep_joint_items)
def joint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(selectors.jointitem_get, actor=request.actor, pk=pk)
    if item.organization_id != request.actor.organization_id:
        raise Http404
    form = forms.JointItemForm(request.POST or None, instance=item, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.jointitem_update(actor=request.actor, item=item, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("inventory:joint_list")
    return render(request, "inventory/joint_form.html", {"form": form, "item": item})


# =========================================================================== entities


@requires(policies.can_read_entities)
def entity_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = forms.EntityFilterForm(request.GET or None, actor=actor)
    sort = form.sort_key() if request.GET else "code"
    filters = form.filters() if request.GET else selectors.EntityFilters()
    if request.GET.get("part") == "count":  # a large registry's filtered total, asked for by the page
        total = selectors.entity_total(actor=actor, filters=filters)
        return render(request, "inventory/_entity_count.html", {"total": total})
    page = selectors.entity_page(
        actor=actor, filters=filters,
        sort=sort, after=request.GET.get("after", ""), before=request.GET.get("before", ""),
    )
    base = _query_without(request.GET, "after", "before")
    pager = {"next_query": None, "prev_query": None, "total": None}
    if page.next_cursor:
        params = base.copy()
        params["after"] = page.next_cursor
        pager["next_query"] = params.urlencode()
    if page.prev_cursor:
        params = base.copy()
        params["before"] = page.prev_cursor
        pager["prev_query"] = params.urlencode()
    partial = bool(request.htmx and request.GET.get("partial"))
    return render(
        request, "inventory/_entity_rows.html" if partial else "inventory/entity_list.html",
        {
            "form": form, "page": page, "pager": pager, "query": base.urlencode(), "sort": sort,
            "total": None if partial else selectors.entity_total(actor=actor, filters=filters, defer=True),
            "count_query": _query_without(request.GET, "after", "before", "partial").urlencode(), "partial_rows": partial,
            "can_write": policies.can_keep_registers(actor),
            "bulk_form": forms.BulkForm(auto_id="bulk_%s"), "risks": MarketEntity.Risk.choices,
        },
    )


@requires(policies.can_read_entities)
def entity_export(request: HttpRequest) -> HttpResponse:
    form = forms.EntityFilterForm(request.GET or None, actor=request.actor)
    rows = selectors.entity_export_queryset(actor=request.actor, filters=form.filters())
    return _export(request, kind="entities", queryset=rows, filename="检查对象名录库")


@requires(policies.can_keep_registers)
def entity_create(request: HttpRequest) -> HttpResponse:
    form = forms.EntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tags = forms.split_tags(data.pop("tags", "") or "")
        try:
            entity = services.entity_create(actor=request.actor, data=data, tags=tags)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            if entity.is_legacy_code:
                messages.success(request, _("已登记检查对象并加入本部门名录库（旧版注册号，已标记）"))
            else:
                messages.success(request, _("已登记检查对象并加入本部门名录库"))
            return redirect("inventory:entity_detail", pk=entity.pk)
    return render(request, "inventory/entity_form.html", {"form": form})


@requires(policies.can_read_entities)
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity = _get(selectors.entity_get, actor=request.actor, pk=pk)
    history = selectors.entity_history(actor=request.actor, entity=entity)
    return render(
        request, "inventory/entity_detail.html",
        {"entity": entity, **history, "can_write": policies.can_keep_registers(request.actor)},
    )


@requires(policies.can_keep_registers)
def entity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entity = _get(selectors.entity_get, actor=request.actor, pk=pk)
    form = forms.EntityForm(request.POST or None, instance=entity, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.entity_update(actor=request.actor, entity=entity, data=form.cleaned_data)
        except ValidationError as e:
            forms.apply_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("inventory:entity_detail", pk=entity.pk)
    return render(request, "inventory/entity_form.html", {"form": form, "entity": entity})


@requires(policies.can_keep_registers)
@require_POST
def entity_join(request: HttpRequest, pk: int) -> HttpResponse:
    """加入本部门名录库: the same entity in a second department's registry (进一次门、查多项事)."""
    entity = _get(selectors.entity_get, actor=request.actor, pk=pk)
    services.registry_entry_add(actor=request.actor, entity=entity, tags=forms.split_tags(request.POST.get("tags", "")))
    messages.success(request, _("已加入本部门名录库"))
    return redirect("inventory:entity_detail", pk=entity.pk)


@requires(policies.can_keep_registers)
@require_POST
def entity_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk actions on the selected rows: first a confirmation page, then the service."""
    form = forms.BulkForm(request.POST)
    back = request.POST.get("back", "")
    back_url = reverse("inventory:entity_list") + (f"?{back}" if back else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(back_url)
    d = form.cleaned_data
    if request.POST.get("confirm") != "1":
        entities = list(selectors.entity_queryset(actor=request.actor).filter(pk__in=d["ids"]).order_by("code")[:20])
        return render(
            request, "inventory/entity_bulk_confirm.html",
            {"form": form, "d": d, "count": len(set(d["ids"])), "sample": entities, "back": back,
             "action_label": dict(forms.BulkForm.ACTIONS)[d["action"]], "risk_label": dict(MarketEntity.Risk.choices).get(d["risk_class"], "")},
        )
    try:
        if d["action"] == "tag":
            n = services.registry_bulk_tag(actor=request.actor, entity_ids=d["ids"], tag_name=d["tag"])
            messages.success(
                request, ngettext("已为 %(n)s 个检查对象添加标签“%(tag)s”", "已为 %(n)s 个检查对象添加标签“%(tag)s”", n)
                % {"n": n, "tag": d["tag"]},
            )
        elif d["action"] == "risk":
            n = services.entity_bulk_set_risk(actor=request.actor, entity_ids=d["ids"], risk_class=d["risk_class"])
            messages.success(
                request, ngettext("已将 %(n)s 个检查对象的风险等级设为 %(r)s", "已将 %(n)s 个检查对象的风险等级设为 %(r)s", n)
                % {"n": n, "r": MarketEntity.Risk(d["risk_class"]).label},
            )
        else:
            n = services.registry_bulk_retire(actor=request.actor, entity_ids=d["ids"], reason=d["reason"])
            messages.success(
                request, ngettext("已将 %(n)s 个检查对象移出本部门名录库", "已将 %(n)s 个检查对象移出本部门名录库", n) % {"n": n}
            )
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
    return redirect(back_url)


# =========================================================================== inspectors


@requires(policies.can_read_registers)
def inspector_list(request: HttpRequest) -> HttpResponse:
    form = forms.InspectorFilterForm(request.GET or None, actor=request.actor)
    inspectors = selectors.inspector_list(actor=request.actor, filters=form.filters() if request.GET else None)
    return render(
        request, "inventory/inspector_list.html",
        {
            "form": form, "inspectors": inspectors[:1000], "count": inspectors.count(), "today": timezone.localdate(),
            "can_write": policies.can_keep_registers(request.actor), "query": request.GET.urlencode(),
        },
    )


@requires(policies.can_read_registers)
def inspector_export(request: HttpRequest) -> HttpResponse:
    form = forms.InspectorFilterForm(request.GET or None, actor=request.actor)
    inspectors = selectors.inspector_list(actor=request.actor, filters=form.filters())
    return _export(request, kind="inspectors", queryset=inspectors, filename="执法检查人员名录库")


def _inspector_form(request: HttpRequest, inspector: Inspector | None) -> HttpResponse:
    actor = request.actor
    form = forms.InspectorForm(
        request.POST or None, instance=inspector, actor=actor, users=services.member_users(actor)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        specialties = forms.split_tags(data.pop("specialties_text", "") or "")
        try:
            if inspector is None:
                inspector = services.inspector_create(actor=actor, data=data, specialties=specialties)
            else:
                services.inspector_update(actor=actor, inspector=inspector, data=data, specialties=specialties)
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
    inspector = _get(selectors.inspector_get, actor=request.actor, pk=pk)
    if inspector.organization_id != request.actor.organization_id:
        raise Http404
    return _inspector_form(request, inspector)


@requires(policies.can_read_registers)
def inspector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    inspector = _get(selectors.inspector_get, actor=actor, pk=pk)
    return render(
        request, "inventory/inspector_detail.html",
        {
            "inspector": inspector, "conflicts": selectors.inspector_conflicts(actor=actor, inspector=inspector),
            "personal": policies.can_see_personal_fields(actor, inspector),
            "can_write": policies.can_edit_inspector(actor, inspector), "today": timezone.localdate(),
            "conflict_form": forms.ConflictForm(actor=actor), "specialties": list(inspector.specialties.all()),
        },
    )


@requires(policies.can_keep_registers)
def conflict_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    inspector = _get(selectors.inspector_get, actor=actor, pk=pk)
    if inspector.organization_id != actor.organization_id:
        raise Http404
    form = forms.ConflictForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.conflict_declare(
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
    conflict = _get(selectors.conflict_get, actor=actor, pk=pk)
    if conflict.organization_id != actor.organization_id:
        raise Http404
    try:
        services.conflict_withdraw(actor=actor, conflict=conflict, reason=request.POST.get("reason", ""))
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
    else:
        messages.success(request, _("已撤回利害关系申报"))
    return redirect("inventory:inspector_detail", pk=conflict.inspector_id)
