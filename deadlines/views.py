"""Pages of deadlines: the due list and an item, the notifications (and the header's bell), the
rule settings, the holiday calendar and the failed background tasks. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tenancy.context import OrgKind, Role
from tenancy.permissions import member_required

from . import dashboard, policies, selectors, services
from .forms import HolidayYearForm, RuleSettingForm, WaiveForm, days_as_text
from .models import DueItem, HolidayYear, Notification, Unit
from .rules import RULES
from .services import assumed_warning, describe_period

TAB_LABELS = {
    "open": gettext_lazy("待办"), "overdue": gettext_lazy("已逾期"), "done": gettext_lazy("已完成"),
    "waived": gettext_lazy("已免除"), "all": gettext_lazy("全部"),
}


def _errors_into(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _row(item: DueItem, today: Any) -> dict[str, Any]:
    return {
        "item": item,
        "rule": selectors.rule_label(item.rule),
        "limit": describe_period(item.period, item.unit),
        "warning": assumed_warning(item.assumed_years),
        "days_left": (item.due_on - today).days,
    }


# --------------------------------------------------------------------------------------------
# Due items


@member_required()
def due_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    tab = request.GET.get("tab", "open")
    tab = tab if tab in selectors.TABS else "open"
    rule = request.GET.get("rule", "")
    rule = rule if rule in RULES else ""
    mine = request.GET.get("mine") == "1"
    items = selectors.due_item_list(actor=actor, tab=tab, rule=rule, mine=mine)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    counts = selectors.due_item_counts(actor=actor)
    query = "&".join(p for p in (f"rule={rule}" if rule else "", "mine=1" if mine else "") if p)
    return render(request, "deadlines/due_list.html", {
        "tab": tab, "tabs": [(key, TAB_LABELS[key], counts[key]) for key in selectors.TABS],
        "rows": [_row(item, today) for item in page], "page": page, "rules": list(RULES), "rule": rule,
        "mine": mine, "query": query, "calendar": selectors.calendar_status(today),
    })


@member_required()
def due_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(DueItem.objects.select_related("organization", "escalate_to", "state_by"), pk=pk)
    return _detail(request, item, WaiveForm())


def _detail(request: HttpRequest, item: DueItem, form: WaiveForm, status: int = 200) -> HttpResponse:
    actor = request.actor
    notifications = (
        Notification.objects.filter(due_item=item).select_related("user").order_by("-created_at")[:50]
    )
    rule = RULES.get(item.rule) if item.rule in RULES else None
    return render(request, "deadlines/due_detail.html", {
        "row": _row(item, timezone.localdate()), "item": item, "rule": rule, "form": form,
        "may_waive": item.is_active and policies.can_waive(actor=actor, item=item),
        "notifications": notifications,
    }, status=status)


@member_required(*policies.WAIVER_ROLES)
@require_POST
def due_waive(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(DueItem, pk=pk)
    form = WaiveForm(request.POST)
    if form.is_valid():
        try:
            services.due_item_waive(actor=request.actor, item=item, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("已免除该期限。"))
            return redirect("deadlines:due_detail", pk=item.pk)
    return _detail(request, item, form, status=400)


# --------------------------------------------------------------------------------------------
# Notifications


@member_required()
def notification_list(request: HttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    rows = selectors.notification_list(actor=request.actor, unread=unread)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "deadlines/notification_list.html", {
        "page": page, "unread": unread, "unread_count": selectors.unread_count(actor=request.actor),
    })


@member_required()
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The header's bell: its unread count (htmx, on load and every few minutes)."""
    actor = request.actor
    return render(request, "deadlines/bell.html", {
        "count": selectors.unread_count(actor=actor), "latest": selectors.latest_unread(actor=actor),
    })


def _own_notification(request: HttpRequest, pk: int) -> Notification:
    try:
        return selectors.notification_get(actor=request.actor, pk=pk)
    except Notification.DoesNotExist:
        raise Http404("no such notification") from None


@member_required()
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to its object; it is read from then on."""
    row = _own_notification(request, pk)
    if row.read_at is None:
        Notification.objects.filter(pk=row.pk).update(read_at=timezone.now())
    target = row.url if row.url and url_has_allowed_host_and_scheme(row.url, allowed_hosts=None) else ""
    if target or row.due_item_id is None:  # a notice without a link: the list it was read from
        return redirect(target or "deadlines:notification_list")
    return redirect("deadlines:due_detail", pk=row.due_item_id)


@member_required()
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    row = _own_notification(request, pk)
    Notification.objects.filter(pk=row.pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect(_back(request))


@member_required()
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = selectors.notification_list(actor=request.actor, unread=True).update(read_at=timezone.now())
    messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": count})
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and url_has_allowed_host_and_scheme(nxt, allowed_hosts=None):
        return nxt
    from django.urls import reverse  # noqa: PLC0415

    return reverse("deadlines:notification_list")


# --------------------------------------------------------------------------------------------
# Rule settings


@member_required()
def rule_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    return render(request, "deadlines/rule_list.html", {
        "rows": selectors.rule_rows(actor=actor),
        "may_set": policies.can_set_rules(actor=actor),
        "may_set_departments": policies.can_set_rules(actor=actor, for_departments=True),
        "describe_period": describe_period,
    })


def _units_for(rule: Any) -> list[str]:
    return [Unit.DAYS_BEFORE] if rule.unit == Unit.DAYS_BEFORE else [Unit.WORKDAYS, Unit.DAYS]


@member_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, key: str) -> HttpResponse:
    actor = request.actor
    if key not in RULES:
        raise Http404("no such rule")
    rule = RULES.get(key)
    for_departments = (request.GET.get("for") or request.POST.get("for")) == "departments"
    if not policies.can_set_rules(actor=actor, rule=rule, for_departments=for_departments):
        raise PermissionDenied("rules")
    row = next((r for r in selectors.rule_rows(actor=actor) if r.rule.key == key), None)
    current = (row.for_departments if for_departments else row.own) if row else None
    initial = (
        {"period": current.period, "unit": current.unit, "source": current.source, "enabled": current.enabled}
        if current else {"period": rule.period, "unit": rule.unit, "source": rule.source, "enabled": True}
    )
    form = RuleSettingForm(request.POST or None, initial=initial, units=_units_for(rule))
    if request.method == "POST":
        if request.POST.get("reset") == "1":
            services.rule_setting_reset(actor=actor, rule_key=key, for_departments=for_departments)
            messages.success(request, _("已恢复默认期限。"))
            return redirect("deadlines:rule_list")
        if form.is_valid():
            try:
                services.rule_setting_save(actor=actor, rule_key=key, for_departments=for_departments, **form.cleaned_data)
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("已保存期限规则；此后新产生的待办期限按新规则计算。"))
                return redirect("deadlines:rule_list")
    return render(request, "deadlines/rule_edit.html", {
        "rule": rule, "form": form, "for_departments": for_departments, "current": current,
    }, status=400 if request.method == "POST" else 200)


# --------------------------------------------------------------------------------------------
# The holiday calendar (national reference data: read by every member, kept by platform admins)


@member_required()
def holiday_list(request: HttpRequest) -> HttpResponse:
    return render(request, "deadlines/holiday_list.html", {
        "years": selectors.holiday_years(), "status": selectors.calendar_status(),
        "may_edit": policies.can_edit_calendar(actor=request.actor),
    })


def _require_calendar_editor(request: HttpRequest) -> None:
    if not policies.can_edit_calendar(actor=request.actor):
        raise PermissionDenied("calendar")


@member_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def holiday_create(request: HttpRequest) -> HttpResponse:
    _require_calendar_editor(request)
    missing = selectors.calendar_status()["missing"]
    form = HolidayYearForm(request.POST or None, initial={"year": missing[-1] if missing else None})
    return _save_year(request, form, year=None)


@member_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def holiday_edit(request: HttpRequest, year: int) -> HttpResponse:
    _require_calendar_editor(request)
    row = get_object_or_404(HolidayYear.objects.prefetch_related("days"), year=year)
    initial = {"year": row.year, "source": row.source, "note": row.note, "days": days_as_text(list(row.days.all()))}
    form = HolidayYearForm(request.POST or None, initial=initial, fixed_year=row.year)
    return _save_year(request, form, year=row)


def _save_year(request: HttpRequest, form: HolidayYearForm, *, year: HolidayYear | None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if year is None and HolidayYear.objects.filter(year=data["year"]).exists():
            form.add_error("year", _("%(y)s 年已录入，请在列表中点“修改”。") % {"y": data["year"]})
            return render(request, "deadlines/holiday_form.html", {"form": form, "year": year}, status=400)
        try:
            saved = services.holiday_year_save(
                actor=request.actor, year=year.year if year else data["year"], source=data["source"],
                note=data.get("note", ""), days=data["days"],
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("已保存 %(y)s 年节假日安排；跨入该年度的期限已按新安排重新计算。") % {"y": saved.year})
            return redirect("deadlines:holiday_list")
    return render(request, "deadlines/holiday_form.html", {"form": form, "year": year},
                  status=400 if request.method == "POST" else 200)


@member_required(Role.ADMIN)
@require_POST
def holiday_delete(request: HttpRequest, year: int) -> HttpResponse:
    _require_calendar_editor(request)
    row = get_object_or_404(HolidayYear, year=year)
    services.holiday_year_delete(actor=request.actor, year=row)
    messages.success(request, _("已删除 %(y)s 年节假日安排。") % {"y": year})
    return redirect("deadlines:holiday_list")


# --------------------------------------------------------------------------------------------
# Failed background tasks


@member_required(Role.ADMIN)
def failure_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.failure_list(actor=request.actor), 30).get_page(request.GET.get("page"))
    return render(request, "deadlines/failure_list.html", {"page": page})


# --------------------------------------------------------------------------------------------
# Dashboard panels (tenancy.dashboard.PANELS): fragments the dashboard loads after the page


@member_required()
def panel_mine(request: HttpRequest) -> HttpResponse:
    """本周待办 and 已逾期: the signed-in user's own items."""
    return render(request, "deadlines/panels/mine.html", {"panel": dashboard.my_due(actor=request.actor)})


@member_required(Role.LEADER)
def panel_organization(request: HttpRequest) -> HttpResponse:
    """A leader's organization's items, every role's: late, then open."""
    return render(request, "deadlines/panels/organization.html", {"groups": dashboard.organization_due(actor=request.actor)})


@member_required(kinds=(OrgKind.OFFICE,))
def panel_region(request: HttpRequest) -> HttpResponse:
    """An office's region: every organization's late items, by organization."""
    groups = dashboard.region_late(actor=request.actor)
    return render(request, "deadlines/panels/region.html", {"groups": groups, "total": sum(g.count for g in groups)})


@member_required(kinds=(OrgKind.OFFICE,))
def panel_joint(request: HttpRequest) -> HttpResponse:
    """An office's joint tasks: each participating department's milestones, who is late."""
    tasks, total = dashboard.joint_tasks(actor=request.actor)
    return render(request, "deadlines/panels/joint.html", {"tasks": tasks, "total": total})
