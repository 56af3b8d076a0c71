"""Annual plans, tasks (batches), draws with their selections, teams and substitutions, filings.

Draws, substitutions, replacements, filings and decisions are append-only: a correction is a
new row pointing at the old one. Joint plans (部门联合抽查) are owned by a leading-group office and
visible to each participating department (``tenancy.joint.JointVisibleModel`` with the
participation ``sampling.plan``; which fields a participant writes: ``sampling.policies``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inventory.fields import CodeField
from tenancy.context import Actor
from tenancy.i18n import stored_format
from tenancy.joint import JointVisibleModel
from tenancy.scoping import TenantModel
from tenancy.uploads import AttachmentBase

# The key sampling's rows name in tenancy.joint.PARTICIPATIONS (registered by sampling.extensions).
PLAN_PARTICIPATION = "sampling.plan"


class PlanRow(JointVisibleModel):
    """A row of a plan (the plan itself included): seen by the departments taking part in it."""

    participation: ClassVar[str] = PLAN_PARTICIPATION

    class Meta:
        abstract = True


class SamplingPlan(PlanRow):
    """年度抽查计划: a department's, or a leading-group office's joint plan across departments."""

    joint_path: ClassVar[str] = ""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("部门抽查")
        JOINT = "joint", _("部门联合抽查")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已批准")
        PUBLISHED = "published", _("已公开")
        SUPERSEDED = "superseded", _("已调整")

    class Frequency(models.TextChoices):
        ANNUAL = "annual", _("每年一次")
        SEMIANNUAL = "semiannual", _("每半年一次")
        QUARTERLY = "quarterly", _("每季度一次")
        MONTHLY = "monthly", _("每月一次")
        CUSTOM = "custom", _("自定义批次")

    class StrataMode(models.TextChoices):
        RISK = "risk", _("按信用风险分类（A/B/C/D）")
        SINGLE = "single", _("不分层")

    kind = models.CharField("计划类型", max_length=12, choices=Kind.choices, default=Kind.DEPARTMENT)
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("计划名称", max_length=200)
    doc_no = models.CharField("文号", max_length=60, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField("版本", default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version", verbose_name="上一版本"
    )
    adjustment_reason = models.TextField("调整原因", blank=True)
    items = models.ManyToManyField("inventory.CheckItem", blank=True, related_name="plans", verbose_name="抽查事项")
    joint_items = models.ManyToManyField(
        "inventory.JointCheckItem", blank=True, related_name="plans", verbose_name="联合抽查事项"
    )
    # Target scope over the registry: {"entity_types": [...], "industry_prefixes": [...],
    # "tags": [...], "region_codes": [...]}; empty lists mean no restriction.
    scope = models.JSONField("抽查对象范围", default=dict, blank=True)
    frequency = models.CharField("抽查频次", max_length=12, choices=Frequency.choices, default=Frequency.QUARTERLY)
    batches = models.PositiveSmallIntegerField("批次数", default=4)
    strata_mode = models.CharField("分层方式", max_length=8, choices=StrataMode.choices, default=StrataMode.RISK)
    # [{"stratum": "A", "ratio": "0.03"} | {"stratum": "A", "count": 5}] per batch (DRAW.md §3).
    strata = models.JSONField("分层比例", default=list, blank=True)
    # Complaint-heavy, abnormal-list and dishonest entities form a focus stratum with a higher ratio.
    focus_ratio = models.DecimalField("重点对象抽查比例", max_digits=5, decimal_places=4, null=True, blank=True)
    focus_complaints = models.PositiveIntegerField("投诉举报多（次数≥）", default=3)
    exclude_inspected_by_plan = models.BooleanField("本计划本年度已抽查的不再列入", default=True)
    annual_cap = models.PositiveSmallIntegerField("同一对象年度抽查次数上限（0 为不限）", default=2)
    exclude_higher_plan = models.BooleanField("上级部门已安排抽查的不再列入", default=True)
    exclude_inactive = models.BooleanField("注销、吊销的不列入", default=True)
    coverage_target = models.DecimalField("年度覆盖率目标", max_digits=5, decimal_places=4, default=0.2)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="批准人"
    )
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="编制人"
    )

    class Meta:
        verbose_name = "年度抽查计划"
        verbose_name_plural = "年度抽查计划"
        ordering = ["-year", "name", "-version"]

    def __str__(self) -> str:
        if self.version == 1:
            return self.name
        # In Chinese whatever the language: a due item stores it, pages read it back translated.
        return stored_format(pgettext_lazy("stored format", "%(name)s（第%(version)s版）"), {"name": self.name, "version": self.version})


class PlanReview(PlanRow):
    """计划审批记录: one step of a plan's approval (submitted, approved, returned) with its opinion.

    A domain fact the plan page shows as its history (the audit log records changes, it is not
    read back). Append-only: a later decision is a new row; rows are never changed or deleted.
    """

    class Decision(models.TextChoices):
        SUBMITTED = "submitted", _("提交审批")
        APPROVED = "approved", _("批准")
        RETURNED = "returned", _("退回修改")

    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="reviews", verbose_name="计划")
    decision = models.CharField("审批结论", max_length=10, choices=Decision.choices)
    opinion = models.TextField("审批意见", blank=True)
    # PROTECT, as the audit log's: a user with history is deactivated, never deleted.
    by = models.ForeignKey("tenancy.User", null=True, on_delete=models.PROTECT, related_name="+", verbose_name="办理人")
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "计划审批记录"
        verbose_name_plural = "计划审批记录"
        ordering = ["plan", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError("计划审批记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("计划审批记录只能追加，不能删除")


class PlanParticipant(PlanRow):
    """A department taking part in a joint plan, with its own items (owner = the plan's owner)."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="participants", verbose_name="计划")
    department = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="参与部门"
    )
    items = models.ManyToManyField("inventory.CheckItem", blank=True, related_name="+", verbose_name="本部门事项")

    class Meta:
        verbose_name = "联合抽查参与部门"
        verbose_name_plural = "联合抽查参与部门"
        constraints = [models.UniqueConstraint(fields=["plan", "department"], name="participant_unique")]

    def __str__(self) -> str:
        return str(self.department_id)


class HigherPlanCoverage(PlanRow):
    """An entity already covered by a higher-level plan (上级部门已安排抽查), excluded from draws."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="higher_coverage", verbose_name="计划")
    entity = models.ForeignKey("inventory.MarketEntity", on_delete=models.PROTECT, related_name="+", verbose_name="检查对象")
    source = models.CharField("上级计划", max_length=200)

    class Meta:
        verbose_name = "上级计划已覆盖对象"
        verbose_name_plural = "上级计划已覆盖对象"
        constraints = [models.UniqueConstraint(fields=["plan", "entity"], name="higher_coverage_unique")]


class SamplingTask(PlanRow):
    """One batch of a plan (e.g. 2023 第二季度): items, scope, team requirements, inspection window."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        READY = "ready", _("待抽取")
        DRAWN = "drawn", _("已抽取")
        CLOSED = "closed", _("已结束")
        CANCELLED = "cancelled", _("已取消")

    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="tasks", verbose_name="年度计划")
    batch_no = models.PositiveSmallIntegerField("批次", default=1)
    name = models.CharField("任务名称", max_length=200)
    uid = models.CharField("任务编号", max_length=80, unique=True, help_text="抽取记录中的 task_uid，公开可查")
    items = models.ManyToManyField("inventory.CheckItem", blank=True, related_name="tasks", verbose_name="抽查事项")
    scope = models.JSONField("抽查对象范围（空则沿用计划）", default=dict, blank=True)
    strata = models.JSONField("分层比例（空则沿用计划）", default=list, blank=True)
    reserve_size = models.PositiveSmallIntegerField("每层备选数量", default=2)
    # [{"department": <organization id>, "count": 2}]; a joint task has one entry per department.
    team_requirements = models.JSONField("检查组要求", default=list, blank=True)
    specialties = models.JSONField("执法人员专长要求（标签名）", default=list, blank=True)
    window_start = models.DateField("检查开始日期", null=True, blank=True)
    window_end = models.DateField("检查截止日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="创建人"
    )

    class Meta:
        verbose_name = "抽查任务"
        verbose_name_plural = "抽查任务"
        ordering = ["-plan__year", "plan_id", "batch_no", "id"]

    def __str__(self) -> str:
        return self.name


class Draw(PlanRow):
    """One draw of a task: frozen pool → commitment → public entropy → draw → reveal (DRAW.md).

    A committed draw that is never completed is ``abandoned`` and stays listed. At most one
    completed draw per task (a partial unique constraint, taken under a row lock).
    """

    class Status(models.TextChoices):
        COMMITTED = "committed", _("已承诺")
        RUNNING = "running", _("抽取中")
        COMPLETED = "completed", _("已完成")
        ABANDONED = "abandoned", _("已放弃")

    task = models.ForeignKey(SamplingTask, on_delete=models.PROTECT, related_name="draws", verbose_name="抽查任务")
    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="draws", verbose_name="年度计划")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.COMMITTED)
    spec = models.CharField("算法", max_length=20, default="hashrank-v1")
    task_uid = models.CharField("任务编号", max_length=80)
    commitment = models.CharField("承诺值", max_length=64)
    secret = models.CharField("密钥（抽取后公开）", max_length=64)
    public_entropy = models.TextField("公开随机数", blank=True)
    seed = models.CharField("种子", max_length=64, blank=True)
    pool_hash = models.CharField("对象池摘要", max_length=64)
    pool_size = models.PositiveIntegerField("对象池数量", default=0)
    # gzip of the canonical pool (DRAW.md §2) and of "key\treason\n" lines of the excluded.
    pool_blob = models.BinaryField("对象池", editable=False)
    excluded_blob = models.BinaryField("排除名单", editable=False, default=b"")
    excluded_count = models.PositiveIntegerField("排除数量", default=0)
    strata = models.JSONField("分层参数", default=list)
    reserve_size = models.PositiveSmallIntegerField("每层备选数量", default=0)
    allocation = models.JSONField("各层抽取数", default=list, blank=True)
    inspector_pool = models.JSONField("执法人员池", default=list, blank=True)
    requirements = models.JSONField("检查组要求", default=list, blank=True)
    conflicts = models.JSONField("回避关系", default=list, blank=True)
    inspector_pool_hash = models.CharField("执法人员池摘要", max_length=64, blank=True)
    scheduled_at = models.DateTimeField("计划抽取时间", null=True, blank=True)
    committed_at = models.DateTimeField("承诺时间", auto_now_add=True)
    committed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="承诺人"
    )
    witnesses = models.JSONField("见证人", default=list, blank=True)
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)
    drawn_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="抽取人"
    )
    abandoned_reason = models.CharField("放弃原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "随机抽取"
        verbose_name_plural = "随机抽取"
        ordering = ["-committed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(status="completed"), name="draw_one_completed_per_task"
            ),
            models.UniqueConstraint(
                fields=["task"], condition=Q(status__in=["committed", "running"]), name="draw_one_open_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_uid} #{self.pk}"


class DrawSelection(PlanRow):
    """A selected target (rank ≥ 1) or a reserve (rank null) of a completed draw, with its team."""

    class Status(models.TextChoices):
        SELECTED = "selected", _("抽中")
        RESERVE = "reserve", _("备选")
        REPLACED = "replaced", _("已替换")
        REPLACEMENT = "replacement", _("递补对象")

    # A draw writes ~95,000 of these at once, so every index is paid that often: a selection is
    # always reached through its draw (the (draw, key) key) or its entity (the (entity, draw)
    # index), and the tenant columns and the plan — the draw's, copied — ride along as filters.
    # The references to the draw and the entity are checked once per statement, set-based, by a
    # trigger (migration sampling 0005) instead of a foreign-key check per row: draws and
    # entities are never deleted (refused by triggers too), so what a row refers to stays.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="所属单位",
        db_constraint=False, db_index=False,
    )
    region = models.ForeignKey(
        "tenancy.Region", on_delete=models.PROTECT, related_name="+", verbose_name="行政区划",
        db_constraint=False, db_index=False,
    )
    draw = models.ForeignKey(
        Draw, on_delete=models.PROTECT, related_name="selections", verbose_name="抽取", db_index=False, db_constraint=False
    )
    plan = models.ForeignKey(
        SamplingPlan, on_delete=models.PROTECT, related_name="+", verbose_name="年度计划", db_constraint=False,
        db_index=False,
    )
    entity = models.ForeignKey(
        "inventory.MarketEntity", on_delete=models.PROTECT, related_name="selections", verbose_name="检查对象",
        db_index=False, db_constraint=False,
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Byte-wise, like the pool it was drawn from: the draw writes its rows in this order.
    key = CodeField("代码", max_length=40)
    stratum = models.CharField("层", max_length=40)
    score = models.CharField("得分", max_length=64)
    rank = models.PositiveIntegerField("序号", null=True, blank=True)
    reserve_order = models.PositiveIntegerField("备选顺序", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices)
    # Inspector ids in team order: as first assigned, and as it stands after substitutions.
    initial_team = models.JSONField("初始检查组", default=list, blank=True)
    team = models.JSONField("检查组", default=list, blank=True)

    class Meta:
        verbose_name = "抽取结果"
        verbose_name_plural = "抽取结果"
        ordering = ["draw", "rank", "reserve_order"]
        constraints = [models.UniqueConstraint(fields=["draw", "key"], name="selection_unique_key")]
        indexes = [models.Index(fields=["entity", "draw"])]

    def __str__(self) -> str:
        return f"{self.rank or '备'} {self.key}"


class RecusalRequest(PlanRow):
    """回避/无法参加: an inspector (or planner) asks to take an inspector off a target's team."""

    class Kind(models.TextChoices):
        RECUSAL = "recusal", _("依法回避")
        ABSENCE = "absence", _("客观原因无法参加")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="recusal_requests", verbose_name="抽取")
    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="+", verbose_name="年度计划")
    selection = models.ForeignKey(DrawSelection, on_delete=models.PROTECT, related_name="recusal_requests", verbose_name="检查对象")
    inspector = models.ForeignKey("inventory.Inspector", on_delete=models.PROTECT, related_name="+", verbose_name="执法人员")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.RECUSAL)
    reason = models.CharField("事由", max_length=300)
    requested_by = models.ForeignKey("tenancy.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="申请人")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="审批人"
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)

    class Meta:
        verbose_name = "回避申请"
        verbose_name_plural = "回避申请"
        ordering = ["-created_at"]


class RecusalAttachment(AttachmentBase):
    """A file sent with a recusal request (the signed application, a proof of the conflict or of
    the absence). Append-only. Owned by whoever uploaded it; seen by whoever sees its request
    (the leader who decides it among them)."""

    request = models.ForeignKey(RecusalRequest, on_delete=models.PROTECT, related_name="attachments", verbose_name="回避申请")

    class Meta(AttachmentBase.Meta):
        verbose_name = "回避申请附件"
        verbose_name_plural = "回避申请附件"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "request", RecusalRequest)


class Substitution(PlanRow):
    """递补: ``out`` leaves a target's team and ``in`` takes the same position (DRAW.md §5)."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="substitutions", verbose_name="抽取")
    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="+", verbose_name="年度计划")
    seq = models.PositiveIntegerField("顺序")
    selection = models.ForeignKey(DrawSelection, on_delete=models.PROTECT, related_name="substitutions", verbose_name="检查对象")
    out_inspector = models.ForeignKey("inventory.Inspector", on_delete=models.PROTECT, related_name="+", verbose_name="被替换人员")
    in_inspector = models.ForeignKey("inventory.Inspector", on_delete=models.PROTECT, related_name="+", verbose_name="递补人员")
    reason = models.CharField("事由", max_length=300)
    request = models.OneToOneField(
        RecusalRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="substitution", verbose_name="申请"
    )
    approved_by = models.ForeignKey("tenancy.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="批准人")

    class Meta:
        verbose_name = "人员递补"
        verbose_name_plural = "人员递补"
        ordering = ["draw", "seq"]
        constraints = [models.UniqueConstraint(fields=["draw", "seq"], name="substitution_unique_seq")]


class TargetReplacement(PlanRow):
    """A drawn target found deregistered or unreachable, replaced by its stratum's next reserve."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="replacements", verbose_name="抽取")
    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="+", verbose_name="年度计划")
    seq = models.PositiveIntegerField("顺序")
    replaced = models.OneToOneField(DrawSelection, on_delete=models.PROTECT, related_name="replaced_by", verbose_name="原对象")
    replacement = models.OneToOneField(DrawSelection, on_delete=models.PROTECT, related_name="replaces", verbose_name="递补对象")
    reason = models.CharField("事由", max_length=300)
    approved_by = models.ForeignKey("tenancy.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="批准人")

    class Meta:
        verbose_name = "对象递补"
        verbose_name_plural = "对象递补"
        ordering = ["draw", "seq"]
        constraints = [models.UniqueConstraint(fields=["draw", "seq"], name="replacement_unique_seq")]


class Filing(PlanRow):
    """备案: a completed draw (or a later substitution/replacement) sent to the leading-group office.

    Its state is its decisions: none yet (待确认), acknowledged (已确认) or returned (已退回); a
    returned filing is answered by a new filing pointing at it (``previous``).
    """

    class Kind(models.TextChoices):
        DRAW = "draw", _("抽取结果备案")
        SUBSTITUTION = "substitution", _("人员递补备案")
        REPLACEMENT = "replacement", _("对象递补备案")

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="filings", verbose_name="抽取")
    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="+", verbose_name="年度计划")
    office = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="备案机关")
    kind = models.CharField("类型", max_length=14, choices=Kind.choices, default=Kind.DRAW)
    substitution = models.ForeignKey(Substitution, null=True, blank=True, on_delete=models.PROTECT, related_name="filings")
    replacement = models.ForeignKey(TargetReplacement, null=True, blank=True, on_delete=models.PROTECT, related_name="filings")
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resubmission", verbose_name="前次备案"
    )
    submitted_at = models.DateTimeField("报送时间")
    submitted_by = models.ForeignKey("tenancy.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="报送人")
    due_at = models.DateTimeField("备案期限")
    note = models.TextField("说明", blank=True)
    pdf = models.FileField("抽取结果备案表", upload_to="filings/%Y/%m/", blank=True)
    # Beyond settings.FILING_PDF_MAX_ROWS targets the 备案表 lists the first ones and the full
    # list is this .xlsx, whose SHA-256 the PDF prints; attached once, never replaced.
    annex = models.FileField("备案表附件（完整名单）", upload_to="filings/%Y/%m/", blank=True)
    annex_sha256 = models.CharField("附件摘要", max_length=64, blank=True)
    record_sha256 = models.CharField("备案记录摘要", max_length=64)
    # The filing-variant record (DRAW.md §6) as filed: later substitutions must not change what
    # the office received; record_sha256 is the SHA-256 of its canonical JSON. Its pool is a
    # reference to the draw's frozen pool, which never changes (sampling.record_codec.pool_reference):
    # the pool of a million entities is not copied into every filing.
    record = models.JSONField("备案记录", default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = "备案"
        verbose_name_plural = "备案"
        ordering = ["-submitted_at", "-id"]

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        # The office a filing is addressed to always sees it.
        return super().scope_q(actor) | Q(office_id=actor.organization_id)


class FilingDecision(TenantModel):
    """The office's answer to a filing (owner = the office)."""

    class Decision(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("已确认备案")
        RETURNED = "returned", _("退回")

    filing = models.OneToOneField(Filing, on_delete=models.PROTECT, related_name="decision", verbose_name="备案")
    decision = models.CharField("结论", max_length=14, choices=Decision.choices)
    reason = models.CharField("意见", max_length=300, blank=True)
    decided_by = models.ForeignKey("tenancy.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="办理人")

    class Meta:
        verbose_name = "备案意见"
        verbose_name_plural = "备案意见"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        # The department that filed sees the answer to its filing.
        filings = Filing._base_manager.filter(organization_id__in=actor.visible_org_ids).values("id")
        return Q(organization_id__in=actor.visible_org_ids) | Q(filing_id__in=filings)


class FilingAttachment(AttachmentBase):
    """A file sent with a filing (the signed scan of its 备案表) or with the office's decision on
    it (its signed receipt). Append-only, like filings. Owned by whoever uploaded it (the filer,
    or the office for a decision's); seen by whoever sees its filing."""

    filing = models.ForeignKey(Filing, on_delete=models.PROTECT, related_name="attachments", verbose_name="备案")
    decision = models.ForeignKey(
        FilingDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments", verbose_name="备案意见"
    )

    class Meta(AttachmentBase.Meta):
        verbose_name = "备案附件"
        verbose_name_plural = "备案附件"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "filing", Filing)
