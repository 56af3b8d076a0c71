"""Inspections: from a drawn target and its team to an approved result and its follow-up.

One ``Inspection`` (the visit) per selected target of a completed draw; one ``InspectionPart``
per participating department (a department's task: one part; a joint task: one per department,
进一次门、查多项事), each with that department's items, inspectors and answers. A result is
reviewed (``Review``), locked once approved, and corrected only by a new version. Problems found
are followed up (``Handling`` and its ``HandlingStep`` history).

Ownership: an inspection belongs to the organization that owns the draw (a department, or the
leading-group office for a joint task); a part and what hangs on it (answers, conflicts) belong
to its department, which alone writes it; a handling belongs to the department that handles it
(曲阳 §22: 谁主管、谁负责). A department taking part in a joint plan sees its inspections the
way it sees the plan's draws. Who may do what inside that visibility is ``inspections.policies``.

Append-only: reviews, handling steps, evidence, and approved inspections (a correction is a new
version pointing at the old one; the old one keeps its content and is only marked not current).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sampling.models import PLAN_PARTICIPATION
from tenancy.context import Actor
from tenancy.joint import JointVisibleModel
from tenancy.scoping import TenantModel
from tenancy.uploads import AttachmentBase

# --------------------------------------------------------------------------------------------
# Result codes (检查结果代码)


class ResultCode(models.Model):
    """检查结果代码: the national wording, shipped by a data migration, that a platform
    administrator may extend. Hierarchical: a code with children is a group, chosen through its
    children and hidden when results are published. Several codes may describe one result
    (multi-select, as provincial systems store them); an ``exclusive`` code (未发现问题) stands
    alone. Global reference data, like regions: every organization reads the same table."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级代码"
    )
    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    is_problem = models.BooleanField("属于发现问题", default=False)
    needs_followup = models.BooleanField("需要后续处置", default=False)
    # 未发现问题: cannot be combined with another code, nor stand with an abnormal answer
    # unless the result's reason says why.
    is_clean = models.BooleanField("未发现问题类", default=False)
    exclusive = models.BooleanField("不可与其他代码同选", default=False)
    # 其他: the reason text is required.
    requires_reason = models.BooleanField("须填写说明", default=False)
    is_active = models.BooleanField("启用", default=True)
    order = models.PositiveIntegerField("排序", default=100)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "检查结果代码"
        verbose_name_plural = "检查结果代码"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------------------------
# The visit


class Inspection(JointVisibleModel):
    """检查: one selected target of a completed draw, visited by its team within the task's window.

    Created in bulk when the draw completes (``sampling.draw.completed``). ``team`` holds the
    inspector ids as the selection holds them (a substitution updates it); a target replacement
    moves an untouched inspection to the new selection, or — once work was recorded on it —
    marks it ``replaced`` and opens one for the new target (``replaces``). ``revision`` grows
    with every save: a save made against an older revision is a conflict, never an overwrite.
    A correction after approval is a new row (``version`` + 1, ``previous`` → the approved one),
    current once approved; the old row keeps its content.

    Joint (``tenancy.joint``): the departments of the plan see it; a department with a part
    writes the visit's shared fields only (``JOINT_WRITES``, registered by ``extensions``).
    """

    participation: ClassVar[str] = PLAN_PARTICIPATION
    joint_path: ClassVar[str] = "plan"

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        TODO = "todo", _("待检查")
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已通过")
        REPLACED = "replaced", _("已替换")

    class Method(models.TextChoices):
        ONSITE = "onsite", _("实地检查")
        DOCUMENT = "document", _("书面检查")
        ONLINE = "online", _("网络监测")

    # Editable by the team: the states before submission (and a returned result).
    OPEN_STATES = (Status.PENDING, Status.TODO, Status.DRAFT, Status.RETURNED)
    ACTIVE_STATES = (Status.PENDING, Status.TODO, Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED)

    # Draws, tasks, plans, selections and entities are never deleted (PROTECT, and triggers on
    # draws and entities): no database foreign key check per row of a draw's bulk creation.
    draw = models.ForeignKey(
        "sampling.Draw", on_delete=models.PROTECT, related_name="inspections", verbose_name="抽取", db_constraint=False
    )
    plan = models.ForeignKey(
        "sampling.SamplingPlan", on_delete=models.PROTECT, related_name="+", verbose_name="年度计划",
        db_constraint=False,
    )
    task = models.ForeignKey(
        "sampling.SamplingTask", on_delete=models.PROTECT, related_name="inspections", verbose_name="抽查任务",
        db_constraint=False,
    )
    selection = models.ForeignKey(
        "sampling.DrawSelection", on_delete=models.PROTECT, related_name="inspections", verbose_name="抽取结果",
        db_constraint=False,
    )
    entity = models.ForeignKey(
        "inventory.MarketEntity", on_delete=models.PROTECT, related_name="inspections", verbose_name="检查对象",
        db_constraint=False,
    )
    team = models.JSONField("检查组", default=list, blank=True)
    window_start = models.DateField("检查开始日期", null=True, blank=True)
    window_end = models.DateField("检查截止日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="确认人"
    )
    method = models.CharField("检查方式", max_length=10, choices=Method.choices, blank=True)
    started_on = models.DateField("检查开始日期（实际）", null=True, blank=True)
    ended_on = models.DateField("检查结束日期（实际）", null=True, blank=True)
    results = models.ManyToManyField(ResultCode, blank=True, related_name="+", verbose_name="检查结果")
    result_reason = models.TextField("结果说明", blank=True)
    # The firm's signature drawn on the screen (an ``Evidence`` of kind signature), or a refusal
    # recorded with what happened (曲阳 §18: 拒绝签字的应当在检查表上如实记录).
    signature = models.ForeignKey(
        "Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="被检查对象签字"
    )
    signature_refused = models.BooleanField("被检查对象拒绝签字", default=False)
    refusal_reason = models.CharField("拒签情况", max_length=300, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version", verbose_name="上一版本"
    )
    correction_reason = models.TextField("更正原因", blank=True)
    is_current = models.BooleanField("现行版本", default=True)
    # A replaced target's inspection that already held work, and the one opened for its reserve.
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name="被替换的检查"
    )
    revision = models.PositiveIntegerField("修订号", default=1)
    # {field name: the revision at which it last changed}: a save based on an older revision
    # conflicts only on the fields changed since (services.inspections.inspection_save).
    changed_in = models.JSONField("字段修订号", default=dict, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="提交人"
    )
    approved_at = models.DateTimeField("通过时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="审核人"
    )

    class Meta:
        verbose_name = "检查"
        verbose_name_plural = "检查"
        ordering = ["window_end", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["selection"], condition=Q(is_current=True) & ~Q(status="replaced"),
                name="inspection_one_current_per_selection",
            ),
            models.UniqueConstraint(fields=["selection", "version"], name="inspection_unique_version"),
        ]
        indexes = [
            models.Index(fields=["draw", "status"], name="inspection_draw_status"),
            models.Index(fields=["task", "status"], name="inspection_task_status"),
            models.Index(fields=["entity", "ended_on"], name="inspection_entity_ended"),
        ]

    def __str__(self) -> str:
        text = f"{self.entity.name}（{self.draw.task_uid}）" if self.entity_id and self.draw_id else f"#{self.pk}"
        return text if self.version == 1 else f"{text} v{self.version}"

    @property
    def is_joint(self) -> bool:
        return self.plan.kind == "joint"

    @property
    def is_locked(self) -> bool:
        """An approved, submitted or replaced inspection is not edited in place."""
        return self.status not in self.OPEN_STATES


class Dispatch(JointVisibleModel):
    """派发: the targets of a completed draw dispatched to one department, which checks and
    confirms them (比对和确认) within 1 working day (曲阳 §17). Owned by that department; one per
    draw and department (a joint draw dispatches to every participating department, and each
    sees the others'). Confirming it confirms the department's part of each of its inspections
    still unconfirmed."""

    participation: ClassVar[str] = PLAN_PARTICIPATION
    joint_path: ClassVar[str] = "plan"

    draw = models.ForeignKey(
        "sampling.Draw", on_delete=models.PROTECT, related_name="dispatches", verbose_name="抽取", db_constraint=False
    )
    plan = models.ForeignKey(
        "sampling.SamplingPlan", on_delete=models.PROTECT, related_name="+", verbose_name="年度计划",
        db_constraint=False,
    )
    task = models.ForeignKey(
        "sampling.SamplingTask", on_delete=models.PROTECT, related_name="dispatches", verbose_name="抽查任务",
        db_constraint=False,
    )
    count = models.PositiveIntegerField("派发对象数", default=0)
    dispatched_at = models.DateTimeField("派发时间")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="确认人"
    )
    note = models.TextField("比对说明", blank=True)

    class Meta:
        verbose_name = "派发"
        verbose_name_plural = "派发"
        ordering = ["-dispatched_at", "id"]
        constraints = [models.UniqueConstraint(fields=["draw", "organization"], name="dispatch_one_per_department")]

    def __str__(self) -> str:
        return f"{self.draw.task_uid} → {self.organization.name}"


class InspectionPart(TenantModel):
    """部门检查情况: one participating department's part of a visit — its items (at the version
    in force when the draw completed), its inspectors on the team, its answers and note.
    Owned and written by that department alone; seen by whoever sees the inspection.

    ``confirmed_at``: the department checked and confirmed the dispatched target (比对和确认,
    曲阳 §17); ``completed_at``: its inspectors finished their part; ``approved_at``: its leader
    approved it (a joint visit is approved once every department's leader has)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="parts", verbose_name="检查")
    items = models.ManyToManyField("inventory.CheckItem", blank=True, related_name="+", verbose_name="抽查事项")
    inspectors = models.JSONField("本部门检查人员", default=list, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="确认人"
    )
    note = models.TextField("检查情况说明", blank=True)
    # The part's revision at which the note last changed (conflict detection per field).
    note_changed_in = models.PositiveIntegerField("说明修订号", default=0)
    revision = models.PositiveIntegerField("修订号", default=1)
    completed_at = models.DateTimeField("本部门完成时间", null=True, blank=True)
    completed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="完成人"
    )
    approved_at = models.DateTimeField("本部门审核通过时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="本部门审核人"
    )

    class Meta:
        verbose_name = "部门检查情况"
        verbose_name_plural = "部门检查情况"
        ordering = ["inspection", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "organization"], name="inspection_part_one_per_department")
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.organization_id}"

    @property
    def department_id(self) -> int:
        return self.organization_id

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "inspection", Inspection)


class Answer(TenantModel):
    """检查要点结果: the answer to one check point of an item, as the point defines it (正常/不正常/
    不涉及, text, number, date; a photo point's answer is its evidence), with a note. Owned by the
    part's department. ``changed_in``: the part's revision at which it last changed."""

    class Status(models.TextChoices):
        NORMAL = "normal", _("正常")
        ABNORMAL = "abnormal", _("不正常")
        NOT_APPLICABLE = "na", _("不涉及")

    part = models.ForeignKey(InspectionPart, on_delete=models.CASCADE, related_name="answers", verbose_name="部门检查情况")
    item = models.ForeignKey("inventory.CheckItem", on_delete=models.PROTECT, related_name="+", verbose_name="抽查事项")
    point = models.ForeignKey("inventory.CheckPoint", on_delete=models.PROTECT, related_name="+", verbose_name="检查要点")
    status = models.CharField("结果", max_length=10, choices=Status.choices, blank=True)
    text = models.TextField("文字结果", blank=True)
    number = models.DecimalField("数值结果", max_digits=16, decimal_places=4, null=True, blank=True)
    date = models.DateField("日期结果", null=True, blank=True)
    note = models.TextField("备注", blank=True)
    changed_in = models.PositiveIntegerField("修订号", default=0)

    class Meta:
        verbose_name = "检查要点结果"
        verbose_name_plural = "检查要点结果"
        ordering = ["part", "item", "point"]
        constraints = [models.UniqueConstraint(fields=["part", "point"], name="answer_one_per_point")]

    def __str__(self) -> str:
        return f"{self.point_id}: {self.status or self.text or self.number or self.date or ''}"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "part", InspectionPart)


class Evidence(AttachmentBase):
    """检查证据: a photo or PDF taken during the visit (of one part, one answer, or the visit), or
    the firm's signature drawn on the screen (曲阳 §18). Checked by content, hashed, stored
    through ``tenancy.uploads``; append-only (a wrong photo is withdrawn, never deleted). Images
    carry their pixel size; ``display`` names a smaller copy for pages, made at upload (``services.images``)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("现场照片")
        DOCUMENT = "document", _("文件")
        SIGNATURE = "signature", _("被检查对象签字")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="evidence", verbose_name="检查")
    part = models.ForeignKey(
        InspectionPart, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="部门检查情况"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="检查要点结果"
    )
    kind = models.CharField("类别", max_length=10, choices=Kind.choices, default=Kind.PHOTO)
    caption = models.CharField("说明", max_length=200, blank=True)
    width = models.PositiveIntegerField("宽度（像素）", null=True, blank=True)
    height = models.PositiveIntegerField("高度（像素）", null=True, blank=True)
    # The storage name of the smaller copy pages show (made at upload; the original
    # stays as uploaded). A name, not a FileField: the attachment's audit entry lists its fields.
    display = models.CharField("显示用图片", max_length=255, blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_reason = models.CharField("撤回原因", max_length=200, blank=True)

    class Meta(AttachmentBase.Meta):
        verbose_name = "检查证据"
        verbose_name_plural = "检查证据"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "inspection", Inspection)


class DraftConflict(TenantModel):
    """保存冲突: a save made against an older revision of a part (or of the visit's fields) while
    someone else had saved since. Nothing of either save is lost: the fields only the later save
    changed were applied, a text both changed holds both texts, and each field both changed is
    listed here as ``[{"field", "label", "theirs", "mine"}]`` until someone resolves it."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="conflicts", verbose_name="检查")
    part = models.ForeignKey(
        InspectionPart, null=True, blank=True, on_delete=models.PROTECT, related_name="conflicts", verbose_name="部门检查情况"
    )
    by = models.ForeignKey("tenancy.User", null=True, on_delete=models.PROTECT, related_name="+", verbose_name="保存人")
    base_revision = models.PositiveIntegerField("保存时依据的修订号")
    found_revision = models.PositiveIntegerField("保存时的现行修订号")
    fields = models.JSONField("冲突内容", default=list)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="处理人"
    )

    class Meta:
        verbose_name = "保存冲突"
        verbose_name_plural = "保存冲突"
        ordering = ["-created_at", "-id"]

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "inspection", Inspection)


# --------------------------------------------------------------------------------------------
# Review


class AppendOnly(models.Model):
    """Rows that are history: written once, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(f"{self._meta.verbose_name}只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(f"{self._meta.verbose_name}只能追加，不能删除")


class Review(AppendOnly, TenantModel):
    """审核记录: one step of a result's review — submitted by the team, approved or returned (with
    comments) by a department's leader, a correction opened after approval. Owned by the acting
    organization; ``department`` is whose part the step concerns (a joint visit is approved by
    each participating department's leader). Append-only."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("提交审核")
        APPROVED = "approved", _("审核通过")
        RETURNED = "returned", _("退回修改")
        CORRECTED = "corrected", _("更正")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="reviews", verbose_name="检查")
    department = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="部门"
    )
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    comment = models.TextField("意见", blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    by = models.ForeignKey("tenancy.User", null=True, on_delete=models.PROTECT, related_name="+", verbose_name="办理人")
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        ordering = ["inspection", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "inspection", Inspection)


# --------------------------------------------------------------------------------------------
# Follow-up (后续处置)


class Handling(TenantModel):
    """后续处置: one measure taken on a problem found (曲阳 §22; 龙亭 二(二)5–6) — 责令改正 with its
    deadline and re-check, 行政处罚 with the case number, 移送 another department or the judicial
    organs, 列入经营异常名录 — with its status until closed and its due date. Owned by the
    department that handles it; seen by whoever sees the inspection. Every change of status is a
    ``HandlingStep``."""

    class Measure(models.TextChoices):
        RECTIFY = "rectify", _("责令改正")
        PENALTY = "penalty", _("行政处罚")
        TRANSFER = "transfer", _("移送其他部门")
        JUDICIAL = "judicial", _("移送司法机关")
        ABNORMAL_LIST = "abnormal_list", _("列入经营异常名录")

    class Status(models.TextChoices):
        OPEN = "open", _("待处置")
        IN_PROGRESS = "in_progress", _("处置中")
        RECHECK = "recheck", _("待复查")
        CLOSED = "closed", _("已办结")

    ACTIVE_STATES = (Status.OPEN, Status.IN_PROGRESS, Status.RECHECK)

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="handlings", verbose_name="检查")
    entity = models.ForeignKey(
        "inventory.MarketEntity", on_delete=models.PROTECT, related_name="+", verbose_name="检查对象", db_constraint=False
    )
    measure = models.CharField("处置措施", max_length=14, choices=Measure.choices)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    description = models.TextField("处置内容", blank=True)
    due_on = models.DateField("处置期限", null=True, blank=True)
    recheck_on = models.DateField("复查日期", null=True, blank=True)
    recheck_result = models.TextField("复查结果", blank=True)
    case_no = models.CharField("案件编号", max_length=60, blank=True)
    transfer_to = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="移送单位"
    )
    transfer_to_name = models.CharField("移送机关", max_length=100, blank=True)
    outcome = models.TextField("处置结果", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="办结人"
    )
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    revision = models.PositiveIntegerField("修订号", default=1)

    class Meta:
        verbose_name = "后续处置"
        verbose_name_plural = "后续处置"
        ordering = ["inspection", "created_at", "id"]
        indexes = [models.Index(fields=["organization", "status", "due_on"], name="handling_org_status_due")]

    def __str__(self) -> str:
        return f"{self.get_measure_display()}（{self.get_status_display()}）"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "inspection", Inspection)


class HandlingStep(AppendOnly, TenantModel):
    """处置记录: one change of a handling's status (or its re-check), with who, when and why.
    Append-only."""

    handling = models.ForeignKey(Handling, on_delete=models.PROTECT, related_name="steps", verbose_name="后续处置")
    status_from = models.CharField("原状态", max_length=12, choices=Handling.Status.choices, blank=True)
    status_to = models.CharField("新状态", max_length=12, choices=Handling.Status.choices)
    note = models.TextField("说明", blank=True)
    by = models.ForeignKey("tenancy.User", null=True, on_delete=models.PROTECT, related_name="+", verbose_name="办理人")
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "处置记录"
        verbose_name_plural = "处置记录"
        ordering = ["handling", "at", "id"]

    def __str__(self) -> str:
        return f"{self.status_from or '-'} → {self.status_to}"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "handling", Handling)


# --------------------------------------------------------------------------------------------
# 综合查一次: one visit of a firm for several departments' inspections


class CombinedVisit(TenantModel):
    """综合查一次: two or more current inspections of one firm, of different departments' tasks
    whose windows overlap, carried out as one visit on an agreed day (进一次门、查多项事).

    Owned by the leading-group office that accepted the offer: the 双随机办 coordinates joint
    inspections across departments, and it alone reads every department's inspection of its
    region (a department never sees another's), so only it can check the offer and agree a day
    for all. Each inspection stays its own — each department fills and reviews its part — and the
    annual cap counts the combined visit once. Never deleted: a cancellation keeps who, when and
    why, and frees the inspections to be combined again. The inspections are its ``members``.
    A department sees the combined visits of the inspections it sees."""

    entity = models.ForeignKey(
        "inventory.MarketEntity", on_delete=models.PROTECT, related_name="+", verbose_name="检查对象",
        db_constraint=False,
    )
    visit_on = models.DateField("上门日期")
    note = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", null=True, on_delete=models.PROTECT, related_name="+", verbose_name="安排人"
    )
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="取消人"
    )
    cancel_reason = models.CharField("取消原因", max_length=300, blank=True)

    class Meta:
        verbose_name = "综合查一次"
        verbose_name_plural = "综合查一次"
        ordering = ["-visit_on", "-id"]
        indexes = [models.Index(fields=["entity", "cancelled_at"], name="combined_visit_entity")]

    def __str__(self) -> str:
        return f"{self.entity.name} {self.visit_on:%Y-%m-%d}" if self.entity_id else f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        members = CombinedVisitMember._base_manager.filter(
            inspection_id__in=Inspection.visible_ids(actor)
        ).values("combined_visit_id")
        return Q(organization_id__in=actor.visible_org_ids) | Q(pk__in=members)


class CombinedVisitMember(TenantModel):
    """综合查一次的检查: one inspection of a combined visit (owned with it). ``active`` until the
    combined visit is cancelled: an inspection is in one active combined visit at most."""

    combined_visit = models.ForeignKey(
        CombinedVisit, on_delete=models.PROTECT, related_name="members", verbose_name="综合查一次"
    )
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="combined_memberships", verbose_name="检查"
    )
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "综合查一次的检查"
        verbose_name_plural = "综合查一次的检查"
        ordering = ["combined_visit", "id"]
        constraints = [
            models.UniqueConstraint(fields=["combined_visit", "inspection"], name="combined_member_unique"),
            models.UniqueConstraint(
                fields=["inspection"], condition=Q(active=True), name="combined_member_one_active_per_inspection"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.combined_visit_id}/{self.inspection_id}"

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        return cls.scope_through(actor, "combined_visit", CombinedVisit)
