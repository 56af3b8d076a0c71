"""Regions, organizations, users, memberships, API tokens and the audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .context import Actor, OrgKind, Role
from .scoping import ScopedModel, TenantManager, TenantModel, TenantQuerySet

ROLE_LABELS = {
    Role.ADMIN: _("管理员"),
    Role.PLANNER: _("计划编制"),
    Role.INSPECTOR: _("执法检查人员"),
    Role.LEADER: _("分管领导"),
    Role.VIEWER: _("查看"),
}


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class Region(models.Model):
    """An administrative division (GB/T 2260). Public reference data: on the global list."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    code = models.CharField("区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """GB/T 2260 codes nest by prefix: the subtree of 130300 is every code starting 1303."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)

    def clean(self) -> None:
        if not (len(self.code) == 6 and self.code.isdigit()):
            raise ValidationError({"code": "区划代码应为 6 位数字"})


class Organization(ScopedModel):
    """A department (the tenant), a leading-group office (双随机办) or a platform client."""

    class Kind(models.TextChoices):
        DEPARTMENT = OrgKind.DEPARTMENT, _("行政监管部门")
        OFFICE = OrgKind.OFFICE, _("双随机办")
        PLATFORM = OrgKind.PLATFORM, _("平台客户端")

    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations", verbose_name="行政区划")
    code = models.CharField("单位代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级单位"
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["region__code", "kind", "code"]
        indexes = [models.Index(fields=["region", "kind"])]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.short_name or self.name

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        # Organizations of one's own region subtree are listed (partners of joint plans, the office).
        return Q(region_id__in=actor.visible_region_ids) | Q(pk=actor.organization_id)

    def writable_by(self, actor: Actor) -> bool:
        return actor.is_member and self.pk == actor.organization_id and actor.has_role(Role.ADMIN)


class OrgUnit(TenantModel):
    """A unit inside a department: 股室、科室、执法队."""

    class Kind(models.TextChoices):
        SECTION = "section", _("股室/科室")
        TEAM = "team", _("执法队")
        OTHER = "other", _("其他")

    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.SECTION)

    class Meta:
        verbose_name = "内设机构"
        verbose_name_plural = "内设机构"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="orgunit_unique_name")]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user's roles in one organization. A user may belong to several (the switcher)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name="用户")
    unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name="内设机构"
    )
    is_admin = models.BooleanField("管理员", default=False)
    is_planner = models.BooleanField("计划编制", default=False)
    is_inspector = models.BooleanField("执法检查人员", default=False)
    is_leader = models.BooleanField("分管领导", default=False)
    is_viewer = models.BooleanField("查看", default=True)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "成员"
        verbose_name_plural = "成员"
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization_id}"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role in Role.ALL if getattr(self, f"is_{role}"))


class ApiToken(TenantModel):
    """A bearer token for the REST API. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="用户")
    name = models.CharField("名称", max_length=60)
    prefix = models.CharField("前缀", max_length=12, unique=True)
    key_hash = models.CharField("摘要", max_length=64)
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AppendOnlyQuerySet(TenantQuerySet):
    """Bulk update/delete would bypass ``save``/``delete``: refuse them too."""

    def update(self, **kwargs: object) -> int:
        raise ValidationError("审计日志只能追加，不能修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError("审计日志只能追加，不能删除")


class AuditEntry(TenantModel):
    """One change made through a service: who, for which organization, when, what. Append-only:
    the model and its queryset refuse changes, and on PostgreSQL a trigger refuses UPDATE and
    DELETE from any client (migration tenancy 0002)."""

    objects = TenantManager.from_queryset(AppendOnlyQuerySet)()

    # An import writes one entry per row, so every index here is paid a hundred thousand times:
    # the organization is the head of (organization, -at), entries are never updated, and the
    # action and target are looked up together with the organization or as (type, id).
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="所属单位",
        db_constraint=False, db_index=False,
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    # PROTECT: a user with history is deactivated, never deleted (the entry must not change).
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="操作人")
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    via = models.CharField("渠道", max_length=20, default="web")
    action = models.CharField("操作", max_length=40)
    target_type = models.CharField("对象类型", max_length=60)
    target_id = models.CharField("对象标识", max_length=64, blank=True)
    target_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-at"]),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_repr}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValidationError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError("审计日志只能追加，不能删除")


class Job(TenantModel):
    """A long-running piece of work (bulk draw, import, PDF batch) whose progress a page polls.

    A job that fails or is cancelled leaves nothing half-written: the work itself runs in one
    transaction; this row only reports (``tenancy/jobs.py`` writes it). A worker beats
    (``heartbeat_at``) while it runs; a queued or running job without a beat for
    ``JOB_STALE_AFTER_SECONDS`` died with its worker and is marked failed.
    """

    class Status(models.TextChoices):
        # Prepared, waiting for someone to start it (an import checked, not yet confirmed).
        PENDING = "pending", _("待确认")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        # Ran, and by its rule did nothing (an all-or-nothing import of a file with errors).
        REFUSED = "refused", _("未执行")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    kind = models.CharField("类型", max_length=40)
    label = models.CharField("名称", max_length=200)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    message = models.TextField("说明", blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="发起人")
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label


class TaskFailure(ScopedModel):
    """A Celery task that failed for good (its retries spent, or an error not worth retrying).

    Written by the task base's ``on_failure`` (tenancy/tasks.py), never by a user. An
    organization's admins see its own; the platform's admins also see those of no organization
    (system jobs such as the periodic scans).
    """

    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="所属单位", db_constraint=False,
    )
    task_name = models.CharField("任务", max_length=200)
    task_id = models.CharField("任务标识", max_length=64, blank=True)
    args = models.JSONField("参数", default=list, blank=True)
    kwargs = models.JSONField("命名参数", default=dict, blank=True)
    retries = models.PositiveSmallIntegerField("重试次数", default=0)
    exception = models.CharField("错误", max_length=500)
    traceback = models.TextField("调用栈", blank=True)
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "失败的后台任务"
        verbose_name_plural = "失败的后台任务"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name} {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        own = Q(organization_id__in=actor.visible_org_ids)
        return own | Q(organization__isnull=True) if actor.is_platform else own

    def writable_by(self, actor: Actor) -> bool:
        return False  # recorded by the task base under the system scope only
