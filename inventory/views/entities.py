"""Pages of the target registry (检查对象名录库): the list with its bulk actions, an entity, the forms.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from inventory import forms, policies
from inventory.forms import entities as entity_forms
from inventory.models import MarketEntity
from inventory.selectors import entities as entity_selectors
from inventory.services import entities as entity_services
from inventory.views import export, get_or_404, query_without, requires
from tenancy.i18n import join_clauses


@requires(policies.can_read_entities)
def entity_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = entity_forms.EntityFilterForm(request.GET or None, actor=actor)
    sort = form.sort_key() if request.GET else "code"
    filters = form.filters() if request.GET else entity_selectors.EntityFilters()
    if request.GET.get("part") == "count":  # a large registry's filtered total, asked for by the page
        total = entity_selectors.entity_total(actor=actor, filters=filters)
        return render(request, "inventory/_entity_count.html", {"total": total})
    page = entity_selectors.entity_page(
        actor=actor, filters=filters,
        sort=sort, after=request.GET.get("after", ""), before=request.GET.get("before", ""),
    )
    base = query_without(request.GET, "after", "before")
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
            "total": None if partial else entity_selectors.entity_total(actor=actor, filters=filters, defer=True),
            "count_query": query_without(request.GET, "after", "before", "partial").urlencode(), "partial_rows": partial,
            "can_write": policies.can_keep_registers(actor),
            "bulk_form": entity_forms.BulkForm(auto_id="bulk_%s"), "risks": MarketEntity.Risk.choices,
        },
    )


@requires(policies.can_read_entities)
def entity_export(request: HttpRequest) -> HttpResponse:
    form = entity_forms.EntityFilterForm(request.GET or None, actor=request.actor)
    rows = entity_selectors.entity_export_queryset(actor=request.actor, filters=form.filters())
    return export(request, kind="entities", queryset=rows, filename="检查对象名录库")


@requires(policies.can_keep_registers)
def entity_create(request: HttpRequest) -> HttpResponse:
    form = entity_forms.EntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tags = forms.split_tags(data.pop("tags", "") or "")
        try:
            entity = entity_services.entity_create(actor=request.actor, data=data, tags=tags)
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
    entity = get_or_404(entity_selectors.entity_get, actor=request.actor, pk=pk)
    history = entity_selectors.entity_history(actor=request.actor, entity=entity)
    return render(
        request, "inventory/entity_detail.html",
        {"entity": entity, **history, "can_write": policies.can_keep_registers(request.actor)},
    )


@requires(policies.can_keep_registers)
def entity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entity = get_or_404(entity_selectors.entity_get, actor=request.actor, pk=pk)
    form = entity_forms.EntityForm(request.POST or None, instance=entity, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            entity_services.entity_update(actor=request.actor, entity=entity, data=form.cleaned_data)
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
    entity = get_or_404(entity_selectors.entity_get, actor=request.actor, pk=pk)
    entity_services.registry_entry_add(actor=request.actor, entity=entity, tags=forms.split_tags(request.POST.get("tags", "")))
    messages.success(request, _("已加入本部门名录库"))
    return redirect("inventory:entity_detail", pk=entity.pk)


@requires(policies.can_keep_registers)
@require_POST
def entity_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk actions on the selected rows: first a confirmation page, then the service."""
    form = entity_forms.BulkForm(request.POST)
    back = request.POST.get("back", "")
    back_url = reverse("inventory:entity_list") + (f"?{back}" if back else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(back_url)
    d = form.cleaned_data
    if request.POST.get("confirm") != "1":
        entities = list(entity_selectors.entity_queryset(actor=request.actor).filter(pk__in=d["ids"]).order_by("code")[:20])
        return render(
            request, "inventory/entity_bulk_confirm.html",
            {"form": form, "d": d, "count": len(set(d["ids"])), "sample": entities, "back": back,
             "action_label": dict(entity_forms.BulkForm.ACTIONS)[d["action"]], "risk_label": dict(MarketEntity.Risk.choices).get(d["risk_class"], "")},
        )
    try:
        if d["action"] == "tag":
            n = entity_services.registry_bulk_tag(actor=request.actor, entity_ids=d["ids"], tag_name=d["tag"])
            messages.success(
                request, ngettext("已为 %(n)s 个检查对象添加标签“%(tag)s”", "已为 %(n)s 个检查对象添加标签“%(tag)s”", n)
                % {"n": n, "tag": d["tag"]},
            )
        elif d["action"] == "risk":
            n = entity_services.entity_bulk_set_risk(actor=request.actor, entity_ids=d["ids"], risk_class=d["risk_class"])
            messages.success(
                request, ngettext("已将 %(n)s 个检查对象的风险等级设为 %(r)s", "已将 %(n)s 个检查对象的风险等级设为 %(r)s", n)
                % {"n": n, "r": MarketEntity.Risk(d["risk_class"]).label},
            )
        else:
            n = entity_services.registry_bulk_retire(actor=request.actor, entity_ids=d["ids"], reason=d["reason"])
            messages.success(
                request, ngettext("已将 %(n)s 个检查对象移出本部门名录库", "已将 %(n)s 个检查对象移出本部门名录库", n) % {"n": n}
            )
    except ValidationError as e:
        messages.error(request, join_clauses(e.messages))
    return redirect(back_url)
