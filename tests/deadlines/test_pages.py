"""The deadline pages: the due list and an item (with the warning on assumed years, waiving with a
reason), the bell and the notification list, rule settings, entering next year's holidays, the
dashboard's cards and the failed tasks — each as the roles that may and may not."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from deadlines import builtin
from deadlines.models import DueItem, HolidayDate, HolidayYear, Notification, RuleSetting
from tenancy.audit import AuditEntry
from tenancy.context import Role
from tests.deadlines.conftest import add_platform
from tests.factories import (
    filing_due_item,
    make_completed_draw,
    make_notification,
    make_rule_setting,
    make_task_failure,
    marker,
)

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    """A client of its own per user (the ``login`` fixture reuses one client)."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


def _item(world, org_key="A1", drawn="2026-12-30T10:00:00") -> DueItem:
    return filing_due_item(make_completed_draw(world, org_key, drawn_at=at(drawn), targets=3))


def test_the_due_list_shows_the_date_its_source_and_the_warning_of_an_assumed_year(world):
    item = _item(world)
    body = client_of(world.user("A1", Role.PLANNER)).get(reverse("deadlines:due_list")).content.decode()
    assert item.target_repr in body and "2027-01-01" in body and "2 个工作日" in body
    assert "2027 年节假日安排尚未录入，按周一至周五推算，可能有误" in body
    page = client_of(world.user("A1", Role.PLANNER)).get(reverse("deadlines:due_detail", args=[item.pk])).content.decode()
    assert "阳城县发改局 2023 方案：随机抽取检查对象和检查人员 2 日内报领导小组办公室备案" in page
    assert 'data-testid="assumed-warning"' in page and "测试单位AO" in page  # reported to the office when overdue
    assert 'data-testid="waive-form"' not in page  # a planner may not waive


def test_a_leader_waives_with_a_reason_and_the_form_keeps_what_was_typed(world):
    item = _item(world)
    client = client_of(world.user("A1", Role.LEADER))
    url = reverse("deadlines:due_waive", args=[item.pk])
    response = client.post(url, {"reason": "\x07任务取消"})
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    assert "任务取消" in response.content.decode()
    response = client.post(url, {"reason": "任务取消，经局务会研究不再报备"})
    assert response.status_code == 302
    page = client.get(reverse("deadlines:due_detail", args=[item.pk])).content.decode()
    assert "已免除" in page and "任务取消，经局务会研究不再报备" in page
    with scopes_disabled():
        assert DueItem.objects.get(pk=item.pk).state == DueItem.State.WAIVED
    # An office reading the item may not waive it.
    assert client_of(world.user("AO", Role.ADMIN)).post(url, {"reason": "x"}).status_code in (400, 403)


def test_the_bell_counts_unread_and_a_notification_opens_its_object(world):
    first = make_notification(world, "A1")
    make_notification(world, "A1")
    planner = client_of(world.user("A1", Role.PLANNER))
    page = planner.get(reverse("dashboard")).content.decode()
    assert 'data-testid="bell"' in page and reverse("deadlines:notification_bell") in page
    bell = planner.get(reverse("deadlines:notification_bell")).content.decode()
    assert re.search(r'data-testid="bell-count"[^>]*>2<', bell)
    response = planner.get(reverse("deadlines:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response.url == first.url
    assert re.search(r">1<", planner.get(reverse("deadlines:notification_bell")).content.decode())
    listing = planner.get(reverse("deadlines:notification_list") + "?unread=1").content.decode()
    assert listing.count('data-testid="notification"') == 1
    planner.post(reverse("deadlines:notification_read_all"))
    assert "bell-count" not in planner.get(reverse("deadlines:notification_bell")).content.decode()
    with scopes_disabled():
        assert Notification.objects.filter(user=world.user("A1", Role.PLANNER), read_at__isnull=True).count() == 0
        # Only the planner's own were marked: the admin's are still unread.
        assert Notification.objects.filter(user=world.user("A1", Role.ADMIN), read_at__isnull=True).count() == 2


def test_a_user_sees_only_their_own_notifications_not_a_colleagues_nor_a_departments(world):
    make_notification(world, "A1")
    mine = make_notification(world, "AO")
    for user in (world.user("AO", Role.LEADER), world.user("AO", Role.PLANNER)):
        body = client_of(user).get(reverse("deadlines:notification_list")).content.decode()
        assert marker("AO") in body and marker("A1") not in body  # the office reads A1's items, not its mail
    with scopes_disabled():
        leaders = Notification.objects.get(user=world.user("AO", Role.LEADER))
    assert client_of(world.user("AO", Role.PLANNER)).get(reverse("deadlines:notification_open", args=[leaders.pk])).status_code == 404
    assert client_of(world.user("AO", Role.PLANNER)).get(reverse("deadlines:notification_open", args=[mine.pk])).status_code == 302


def test_rule_settings_by_the_admin_for_its_own_organization(world):
    make_rule_setting(world, "A2")
    admin = client_of(world.user("A1", Role.ADMIN))
    page = admin.get(reverse("deadlines:rule_list")).content.decode()
    assert "平台默认" in page and marker("A2") not in page and builtin.FILING_SOURCE in page
    url = reverse("deadlines:rule_edit", args=[builtin.FILING])
    assert marker("A2") not in admin.get(url).content.decode()
    bad = admin.post(url, {"period": "2", "unit": "days", "source": ""})
    assert bad.status_code == 400 and "请填写依据" in bad.content.decode() or "必填" in bad.content.decode()
    assert admin.post(url, {"period": "3", "unit": "days", "source": "本局规定：3 日内报备", "enabled": "on"}).status_code == 302
    with scopes_disabled():
        row = RuleSetting.objects.get(organization=world.orgs["A1"])
    assert (row.period, row.unit, row.source, row.enabled) == (3, "days", "本局规定：3 日内报备", True)
    assert "本局规定：3 日内报备" in admin.get(reverse("deadlines:rule_list")).content.decode()
    assert client_of(world.user("A1", Role.PLANNER)).post(url, {"period": "1", "unit": "days", "source": "x"}).status_code == 403
    # A department may not set its region's defaults; its office may, for the leaders' rules only.
    assert admin.get(url + "?for=departments").status_code == 403
    office = client_of(world.user("AO", Role.ADMIN))
    recusal = reverse("deadlines:rule_edit", args=[builtin.RECUSAL])
    assert office.get(reverse("deadlines:rule_edit", args=[builtin.FILING]) + "?for=departments").status_code == 403
    assert office.post(recusal, {"for": "departments", "period": "1", "unit": "workdays", "source": "阳城县双随机办：1 个工作日内审批",
                                 "enabled": "on"}).status_code == 302
    page = client_of(world.user("A1", Role.LEADER)).get(reverse("deadlines:rule_list")).content.decode()
    assert "阳城县双随机办：1 个工作日内审批" in page and "双随机办默认" in page


HOLIDAYS_2027 = """2027-01-01 至 2027-01-03 放假 元旦
2027-02-05~2027-02-13 放假 春节
2027-02-14 上班 春节
"""


def test_a_platform_admin_enters_next_years_holidays(world, django_capture_on_commit_callbacks):
    item = _item(world)  # due 2027-01-01, assumed Monday–Friday
    org, user = add_platform(world)
    admin = client_of(user)
    # A county admin sees the warning but may not enter the year.
    county = client_of(world.user("A1", Role.ADMIN))
    cards = county.get(reverse("dashboard")).content.decode()
    assert 'data-testid="card-calendar-missing"' in cards and "请联系平台管理员录入" in cards
    assert county.get(reverse("deadlines:holiday_create")).status_code == 403
    assert county.post(reverse("deadlines:holiday_create"), {"year": "2027", "source": "x", "days": HOLIDAYS_2027}).status_code == 403
    assert 'data-testid="card-calendar-missing"' not in client_of(world.user("A1", Role.PLANNER)).get(reverse("dashboard")).content.decode()

    listing = admin.get(reverse("deadlines:holiday_list")).content.decode()
    assert 'data-testid="holiday-new"' in listing and "尚未录入：2027 年" in listing
    form = admin.get(reverse("deadlines:holiday_create")).content.decode()
    assert 'value="2027"' in form  # the missing year is offered
    bad = admin.post(reverse("deadlines:holiday_create"), {
        "year": "2027", "source": "国办发明电〔2026〕X号", "days": HOLIDAYS_2027 + "2027-13-01 放假 元旦\n2027-03-01 上班\n",
    })
    body = bad.content.decode()
    assert bad.status_code == 400 and "第 4 行：日期不存在" in body and "2027-03-01 是周一至周五" in body
    assert "2027-02-05~2027-02-13 放假 春节" in body  # what was typed is kept
    with django_capture_on_commit_callbacks(execute=True):  # the recount is queued once the year commits
        ok = admin.post(reverse("deadlines:holiday_create"), {
            "year": "2027", "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）", "days": HOLIDAYS_2027,
        })
    assert ok.status_code == 302
    with scopes_disabled():
        year = HolidayYear.objects.get(year=2027)
        assert year.days.filter(kind=HolidayDate.Kind.HOLIDAY).count() == 12
        assert list(year.days.filter(kind=HolidayDate.Kind.WORKDAY).values_list("date", flat=True)) == [dt.date(2027, 2, 14)]
        entry = AuditEntry.objects.get(target_type="deadlines.holidayyear", action="create")
        assert entry.organization_id == org.pk and "days" in entry.changes
        # The item that assumed 2027 is counted again: 1–3 January are holidays now.
        item.refresh_from_db()
    assert item.due_on == dt.date(2027, 1, 4) and item.assumed_years == []
    assert 'data-testid="card-calendar-missing"' not in county.get(reverse("dashboard")).content.decode()
    # Editing shows the table as entered, ranges folded.
    edit = admin.get(reverse("deadlines:holiday_edit", args=[2027])).content.decode()
    assert "2027-02-05 至 2027-02-13 放假 春节" in edit and "2027-02-14 上班 春节" in edit
    assert admin.post(reverse("deadlines:holiday_create"), {"year": "2027", "source": "x", "days": "2027-01-01 放假"}).status_code == 400


def test_the_due_card_and_the_failed_tasks_for_admins(world):
    _item(world, drawn="2026-12-01T10:00:00")
    make_task_failure(world, "A1")
    make_task_failure(world, "A2")
    admin = client_of(world.user("A1", Role.ADMIN))
    cards = admin.get(reverse("dashboard")).content.decode()
    assert 'data-testid="card-due-items"' in cards and 'data-testid="card-task-failures"' in cards
    page = admin.get(reverse("deadlines:failure_list")).content.decode()
    assert marker("A1") in page and marker("A2") not in page
    assert client_of(world.user("A1", Role.PLANNER)).get(reverse("deadlines:failure_list")).status_code == 403
