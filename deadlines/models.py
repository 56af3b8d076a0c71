"""What is due (``DueItem``), who was told (``Notification``), the per-organization rule settings
(``RuleSetting``) and the holiday arrangements an administrator enters (``HolidayYear``).

The rules themselves are code (``deadlines.rules``); the database holds their per-organization
overrides and the items they opened.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenancy.context import Actor
from tenancy.scoping import TenantModel


class Unit(models.TextChoices):
    """How a rule's period counts: working days, calendar days, or calendar days before the anchor
    (an expiry date: "30 日前提醒")."""

    WORKDAYS = "workdays", _("个工作日")
    DAYS = "days", _("日（自然日）")
    DAYS_BEFORE = "days_before", _("日前（自然日）")


# --------------------------------------------------------------------------------------------
# The calendar an administrator maintains (global reference data: one national arrangement)


class HolidayYear(models.Model):
    """节假日安排: one year's holidays and adjusted working days as the State Council published them.

    Replaces the package's (chinesecalendar) arrangement of that year; a year neither knows is
    counted Monday–Friday with a warning (deadlines.workdays)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    source = models.CharField("依据文件", max_length=200, help_text="如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）")
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="更新人"
    )

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"


class HolidayDate(models.Model):
    """One date of a year's arrangement: a holiday (放假) or an adjusted working day (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    year = models.ForeignKey(HolidayYear, on_delete=models.CASCADE, related_name="days", verbose_name="年度")
    date = models.DateField("日期")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("节日", max_length=30, blank=True)

    class Meta:
        verbose_name = "节假日安排日期"
        verbose_name_plural = "节假日安排日期"
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["year", "date"], name="holidaydate_unique_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


# --------------------------------------------------------------------------------------------
# Per-organization rule settings


class RuleSetting(TenantModel):
    """An organization's own period, unit and source for a rule (or switching it off).

    ``for_departments``: an office's default for the departments of its region, for the rules
    that allow it (leaders' decisions: "a default the office can change"); a department's own
    setting still wins.
    """

    rule = models.CharField("规则", max_length=60)
    for_departments = models.BooleanField("作为本辖区各部门的默认值", default=False)
    period = models.PositiveSmallIntegerField("期限")
    unit = models.CharField("单位", max_length=12, choices=Unit.choices)
    source = models.CharField("依据", max_length=300)
    enabled = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="设置人"
    )

    class Meta:
        verbose_name = "期限规则设置"
        verbose_name_plural = "期限规则设置"
        ordering = ["rule"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "rule", "for_departments"], name="rulesetting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.period} {self.get_unit_display()}"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        # A department reads its offices' defaults: the offices of the regions above and at its own.
        from tenancy.models import Region  # noqa: PLC0415  (tenancy.models imports the scoping base)

        codes = {actor.region_code, actor.region_code[:4] + "00", actor.region_code[:2] + "0000"} - {""}
        ancestors = Region.objects.filter(code__in=codes).values("id")
        return Q(organization_id__in=actor.visible_org_ids) | Q(for_departments=True, region_id__in=ancestors)


# --------------------------------------------------------------------------------------------
# What is due


class DueItem(TenantModel):
    """待办期限: one rule applied to one object — whose action, due when, and what became of it.

    Owned by the organization whose action it is. Opened and closed by the services that change
    the object (through ``tenancy.events``), never by polling; the scan only reminds, marks
    overdue and escalates. At most one open (or overdue) item per rule and object.
    """

    class State(models.TextChoices):
        OPEN = "open", _("待办")
        OVERDUE = "overdue", _("已逾期")
        DONE = "done", _("已完成")
        WAIVED = "waived", _("已免除")

    ACTIVE = (State.OPEN, State.OVERDUE)

    rule = models.CharField("规则", max_length=60)
    target_type = models.CharField("对象类型", max_length=60)
    target_id = models.CharField("对象标识", max_length=64)
    target_repr = models.CharField("对象", max_length=200)
    target_url = models.CharField("对象链接", max_length=300, blank=True)
    # Whose action: members of the owner with one of these roles (or the one user named).
    roles = models.JSONField("办理角色", default=list)
    assignee = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="办理人"
    )
    # Besides the owner's leaders, an organization told when the item is overdue (the office, for filings).
    escalate_to = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="逾期另报", db_constraint=False,
    )
    anchor = models.DateTimeField("起算时间")
    due_on = models.DateField("截止日期")
    # The setting the due date was computed with, as it stood: shown beside the date.
    period = models.PositiveSmallIntegerField("期限")
    unit = models.CharField("单位", max_length=12, choices=Unit.choices)
    source = models.CharField("依据", max_length=300)
    # Years the count crossed that nobody had entered: counted Monday–Friday (a warning is shown).
    assumed_years = models.JSONField("按周一至周五推算的年度", default=list, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    state_reason = models.CharField("说明", max_length=300, blank=True)
    state_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="办理人"
    )
    state_at = models.DateTimeField("状态时间", null=True, blank=True)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)
    escalated_at = models.DateTimeField("逾期通报时间", null=True, blank=True)

    class Meta:
        verbose_name = "待办期限"
        verbose_name_plural = "待办期限"
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "target_type", "target_id"], condition=Q(state__in=["open", "overdue"]),
                name="dueitem_one_active_per_target",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "overdue", "done", "waived"]), name="dueitem_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state", "due_on"], name="dueitem_org_state_due"),
            models.Index(fields=["target_type", "target_id"], name="dueitem_target"),
            models.Index(fields=["state", "due_on"], name="dueitem_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.target_repr} · {self.due_on:%Y-%m-%d}"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        # The owner and the offices above it (the tenant rule), and the office an overdue item is
        # reported to (a city office seeing a county department's filing).
        return super().scope_q(actor) | Q(escalate_to_id=actor.organization_id)

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    def clean(self) -> None:
        if self.state == self.State.WAIVED and not self.state_reason.strip():
            raise ValidationError({"state_reason": "免除时必须填写原因"})


class Notification(TenantModel):
    """站内通知: a reminder or an escalation for one user, about one due item — or a notice of an
    event a later app tells people about (``deadlines.notices.notify``: no due item, a ``key``).

    Owned by the organization the user receives it for. ``(due_item, kind, day, user)`` is unique
    in the database: two scans at once, or a retried task, insert it once; only the inserting scan
    sends its e-mail. A notice is unique on ``(user, key)``: once per person per event.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("到期提醒")
        ESCALATION = "escalation", _("逾期通报")
        NOTICE = "notice", _("通知")

    user = models.ForeignKey("tenancy.User", on_delete=models.CASCADE, related_name="notifications", verbose_name="接收人")
    due_item = models.ForeignKey(
        DueItem, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications", verbose_name="待办期限"
    )
    # The event a notice is about ("<app>.<object>.<id>.<verb>"); empty for the scan's rows.
    key = models.CharField("事件", max_length=120, blank=True, default="")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    day = models.DateField("日期")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    email_to = models.CharField("邮件地址", max_length=254, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["due_item", "kind", "day", "user"], name="notification_once_per_day"),
            models.UniqueConstraint(fields=["user", "key"], condition=~Q(key=""), name="notification_once_per_key"),
        ]
        indexes = [models.Index(fields=["user", "organization", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        # A user's own notifications for the organization they act for; the system actor of an
        # organization (the scan) sees all of that organization's.
        own = Q(organization_id=actor.organization_id)
        return own & Q(user_id=actor.user_id) if actor.user_id is not None else own

    def writable_by(self, actor: Actor) -> bool:
        # Created by the scan for the organization; marked read by the user it is for.
        return super().writable_by(actor) and (actor.user_id is None or actor.user_id == self.user_id)
