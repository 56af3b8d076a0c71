"""一单两库: the check-item list, the target registry and the inspector registry."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.context import Actor
from tenancy.i18n import translate_stored
from tenancy.scoping import RegionSharedModel, TenantModel

from . import codes
from .fields import CodeField


class Tag(TenantModel):
    """A department's classification label (分类标注) for entities or inspectors' specialties."""

    class Kind(models.TextChoices):
        ENTITY = "entity", _("检查对象标签")
        INSPECTOR = "inspector", _("执法人员专长")

    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=40)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "kind", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------
# One list: 抽查事项清单
# ---------------------------------------------------------------------------------------------


class CheckItem(TenantModel):
    """One item of a department's random-inspection list, with its check form.

    Items change with laws; an item already used by a draw is never edited in place: the edit
    makes a new version (same ``code``, ``version`` + 1, ``previous`` → old) and the old one stays.
    """

    class Category(models.TextChoices):
        GENERAL = "general", _("一般检查事项")
        KEY = "key", _("重点检查事项")

    class Method(models.TextChoices):
        ONSITE = "onsite", _("实地检查")
        DOCUMENT = "document", _("书面检查")
        ONLINE = "online", _("网络监测")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        RETIRED = "retired", _("已废止")

    code = models.CharField(_("事项编码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version", verbose_name=_("上一版本")
    )
    is_current = models.BooleanField(_("现行版本"), default=True)
    name = models.CharField(_("事项名称"), max_length=200)
    category = models.CharField(_("事项类别"), max_length=10, choices=Category.choices, default=Category.GENERAL)
    target_type = models.CharField(_("检查对象类型"), max_length=100, blank=True)
    legal_basis = models.TextField(_("检查依据"), blank=True)
    method = models.CharField(_("检查方式"), max_length=10, choices=Method.choices, default=Method.ONSITE)
    content = models.TextField(_("检查内容"), blank=True)
    responsible_unit = models.ForeignKey(
        "tenancy.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("责任股室")
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    retired_reason = models.CharField(_("废止原因"), max_length=200, blank=True)
    change_reason = models.CharField(_("修订原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("抽查事项")
        verbose_name_plural = _("抽查事项清单")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code", "version"], name="checkitem_unique_version"),
            models.UniqueConstraint(
                fields=["organization", "code"], condition=Q(is_current=True), name="checkitem_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（v{self.version}）" if self.version > 1 else self.name


class CheckPoint(TenantModel):
    """One line of an item's check form (检查项目/检查子项/检查内容/检查依据) and its answer kind."""

    class AnswerKind(models.TextChoices):
        STATUS = "status", _("正常/不正常/不涉及")
        TEXT = "text", _("文字")
        NUMBER = "number", _("数值")
        DATE = "date", _("日期")
        PHOTO = "photo", _("照片")

    item = models.ForeignKey(CheckItem, on_delete=models.CASCADE, related_name="points", verbose_name=_("抽查事项"))
    order = models.PositiveIntegerField(_("序号"), default=1)
    project = models.CharField(_("检查项目"), max_length=200)
    sub_item = models.CharField(_("检查子项"), max_length=200, blank=True)
    content = models.TextField(_("检查内容"), blank=True)
    basis = models.TextField(_("检查依据"), blank=True)
    answer_kind = models.CharField(_("结果类型"), max_length=10, choices=AnswerKind.choices, default=AnswerKind.STATUS)
    photo_required = models.BooleanField(_("须上传照片"), default=False)

    class Meta:
        verbose_name = _("检查要点")
        verbose_name_plural = _("检查表")
        ordering = ["item", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.project}"


class JointCheckItem(TenantModel):
    """部门联合抽查事项清单, kept by the leading-group office (owner = the office)."""

    field = models.CharField(_("抽查领域"), max_length=100)
    name = models.CharField(_("抽查事项"), max_length=200)
    target = models.CharField(_("抽查对象"), max_length=200)
    initiator = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("发起部门")
    )
    partners = models.ManyToManyField("tenancy.Organization", related_name="+", blank=True, verbose_name=_("配合部门"))
    items = models.ManyToManyField(CheckItem, related_name="joint_items", blank=True, verbose_name=_("对应部门事项"))
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("部门联合抽查事项")
        verbose_name_plural = _("部门联合抽查事项清单")
        ordering = ["field", "name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, actor: Actor) -> Q:
        # The office keeps the list; every department of its region reads it (秦皇岛方案：
        # 贯彻落实部门联合抽查事项清单). Writes stay with the owner (``writable_by``).
        return Q(organization_id__in=actor.visible_org_ids) | Q(
            region_id__in=actor.visible_region_ids, organization__kind="office"
        )


# ---------------------------------------------------------------------------------------------
# Target registry: 检查对象名录库
# ---------------------------------------------------------------------------------------------


class MarketEntity(RegionSharedModel):
    """One supervised subject of a region; the same entity in two departments' registries is one
    row (进一次门、查多项事). Keyed by its USCC, a legacy 注册号, or our registry code."""

    class CodeKind(models.TextChoices):
        USCC = "uscc", _("统一社会信用代码")
        REGNO = "regno", _("注册号（旧）")
        REGISTRY = "registry", _("登记编码")

    class EntityType(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        INDIVIDUAL = "individual", _("个体工商户")
        COOPERATIVE = "cooperative", _("农民专业合作社")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        DEREGISTERED = "deregistered", _("注销")
        REVOKED = "revoked", _("吊销")

    class Risk(models.TextChoices):
        A = "A", _("A 低风险")
        B = "B", _("B 一般风险")
        C = "C", _("C 较高风险")
        D = "D", _("D 高风险")

    # Indexes: a million rows, and an import writes a hundred thousand at once, so none is kept
    # twice — the region leads the (region, code) key and the keyset indexes, (updated_at, id)
    # serves the sync order, one pattern index serves industry prefixes and equality.
    region = models.ForeignKey(
        "tenancy.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区划"),
        db_constraint=False, db_index=False,
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    code = CodeField(_("统一社会信用代码/注册号/登记编码"), max_length=40)
    code_kind = models.CharField(_("代码类型"), max_length=10, choices=CodeKind.choices, default=CodeKind.USCC)
    is_legacy_code = models.BooleanField(_("旧注册号"), default=False)
    name = models.CharField(_("名称"), max_length=200)
    entity_type = models.CharField(_("主体类型"), max_length=12, choices=EntityType.choices, default=EntityType.ENTERPRISE)
    legal_representative = models.CharField(_("法定代表人/负责人/经营者"), max_length=100, blank=True)
    address = models.CharField(_("住所（经营场所）"), max_length=300, blank=True)
    industry_code = models.CharField(_("行业代码（GB/T 4754）"), max_length=5, blank=True)
    industry_name = models.CharField(_("行业"), max_length=100, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    status = models.CharField(_("登记状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    risk_class = models.CharField(_("信用风险分类"), max_length=1, choices=Risk.choices, default=Risk.B)
    on_abnormal_list = models.BooleanField(_("列入经营异常名录"), default=False)
    on_dishonest_list = models.BooleanField(_("列入严重违法失信名单"), default=False)
    complaint_count = models.PositiveIntegerField(_("投诉举报数"), default=0)

    class Meta:
        verbose_name = _("检查对象")
        verbose_name_plural = _("检查对象名录库")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="entity_unique_code_per_region")]
        # (region, risk_class, id), (region, complaint_count, id), the code pattern and the name
        # trigram index are PostgreSQL's, created by migration 0002_entity_name_trigram.
        indexes = [
            models.Index(fields=["region", "name"]),
            models.Index(fields=["updated_at", "id"]),
            models.Index(fields=["industry_code"], name="entity_industry_pattern", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        super().clean()
        # The form and the API reach this through the services' full_clean; the importer's
        # column parser applies the same rule (codes.established_on_error).
        error = codes.established_on_error(self.established_on, today=timezone.localdate())
        if error:
            raise ValidationError({"established_on": translate_stored(error)})


class RegistryEntry(TenantModel):
    """An entity in one department's registry, with that department's tags and supervision fields."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在库")
        RETIRED = "retired", _("已移出")

    # The organization leads the (organization, entity) key; (updated_at, id) serves the sync order.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位"),
        db_constraint=False, db_index=False,
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    entity = models.ForeignKey(MarketEntity, on_delete=models.PROTECT, related_name="entries", verbose_name=_("检查对象"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="entries", verbose_name=_("分类标注"))
    supervising_unit = models.ForeignKey(
        "tenancy.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("监管股室")
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    retired_reason = models.CharField(_("移出原因"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("名录库条目")
        verbose_name_plural = _("名录库条目")
        constraints = [models.UniqueConstraint(fields=["organization", "entity"], name="entry_unique_entity_per_org")]
        indexes = [
            models.Index(fields=["organization", "status", "entity"]),
            models.Index(fields=["updated_at", "id"]),
        ]

    def __str__(self) -> str:
        return str(self.entity)


class EntityCodeChange(RegionSharedModel):
    """One change of an entity's code (a legacy 注册号 replaced by the USCC, a typo corrected), so
    that a code named by a frozen pool or an old filing is found again. Written by
    ``services.entity_update`` (the form and the API), the one path that changes a code: imports
    and the bulk API key entities by code, so a new code there is a new entity. Visible like the
    entity (its region); ``organization`` is who made the change. Rows are never changed."""

    region = models.ForeignKey(
        "tenancy.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区划"),
        db_constraint=False, db_index=False,
    )
    entity = models.ForeignKey(MarketEntity, on_delete=models.PROTECT, related_name="code_changes", verbose_name=_("检查对象"))
    old_code = CodeField(_("原代码"), max_length=40)
    new_code = CodeField(_("新代码"), max_length=40)
    changed_at = models.DateTimeField(_("变更时间"), default=timezone.now)
    changed_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    via = models.CharField(_("渠道"), max_length=20, default="web")

    class Meta:
        verbose_name = _("统一社会信用代码变更记录")
        verbose_name_plural = _("统一社会信用代码变更记录")
        ordering = ["-changed_at", "-id"]
        # Looked up by the codes a pool froze (region first: the scope filters on it).
        indexes = [models.Index(fields=["region", "old_code"], name="entity_code_change_old")]

    def __str__(self) -> str:
        return f"{self.old_code} → {self.new_code}"


# ---------------------------------------------------------------------------------------------
# Inspector registry: 执法检查人员名录库
# ---------------------------------------------------------------------------------------------


class Inspector(TenantModel):
    """A law-enforcement officer who can be drawn. Personal fields are never published."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在岗")
        SECONDED = "seconded", _("借调")
        LEAVE = "leave", _("休假")
        LEFT = "left", _("离职")

    unit = models.ForeignKey(
        "tenancy.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="inspectors", verbose_name=_("所在股室")
    )
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=60, blank=True)
    cert_no = models.CharField(_("执法证号"), max_length=40)
    cert_expires_on = models.DateField(_("执法证有效期至"), null=True, blank=True)
    post = models.CharField(_("执法岗位"), max_length=60, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    specialties = models.ManyToManyField(Tag, blank=True, related_name="inspectors", verbose_name=_("专长"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    user = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="inspector_profiles", verbose_name=_("关联账号")
    )

    class Meta:
        verbose_name = _("执法检查人员")
        verbose_name_plural = _("执法检查人员名录库")
        ordering = ["name", "cert_no"]
        constraints = [models.UniqueConstraint(fields=["organization", "cert_no"], name="inspector_unique_cert")]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The inspector's key in draw records (DRAW.md §4): the certificate number."""
        return self.cert_no

    def certificate_valid_on(self, day: dt.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.cert_expires_on is None or self.cert_expires_on >= day

    def eligible_on(self, day: dt.date | None = None) -> bool:
        """Drawable: on duty and holding a valid certificate."""
        return self.status == self.Status.ACTIVE and self.certificate_valid_on(day)


class ConflictOfInterest(TenantModel):
    """利害关系: this inspector must never be drawn for this entity (DRAW.md §4 conflicts)."""

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("执法人员"))
    entity = models.ForeignKey(MarketEntity, on_delete=models.PROTECT, related_name="conflicts", verbose_name=_("检查对象"))
    reason = models.CharField(_("回避事由"), max_length=200)
    declared_on = models.DateField(_("申报日期"), default=timezone.localdate)
    approved_by = models.CharField(_("审批人"), max_length=50, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("利害关系")
        verbose_name_plural = _("利害关系申报")
        constraints = [
            models.UniqueConstraint(
                fields=["inspector", "entity"], condition=Q(is_active=True), name="conflict_unique_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspector} ↔ {self.entity}"


# ---------------------------------------------------------------------------------------------
# Imports
# ---------------------------------------------------------------------------------------------


class ImportJob(TenantModel):
    """One uploaded spreadsheet: preview (every error), then import all-or-nothing or the valid rows.

    What is the import's own is here: the file, its kind and mode, the counts and the errors.
    Where it stands — pending (checked, waiting for confirmation), queued, running, done,
    refused, failed — with its progress, message and heartbeat is its ``run``, a ``tenancy.Job``
    like any background job's (``tenancy/jobs.py`` writes it)."""

    class Kind(models.TextChoices):
        ENTITIES = "entities", _("检查对象")
        INSPECTORS = "inspectors", _("执法检查人员")
        ITEMS = "items", _("抽查事项")

    class Mode(models.TextChoices):
        ALL = "all", _("全部有效才导入")
        VALID = "valid", _("只导入有效行")

    class Status(models.TextChoices):
        """The run's states as an import names them (the values are ``tenancy.Job.Status``'s)."""

        PREVIEWED = "pending", _("已校验")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        REFUSED = "refused", _("未导入")
        FAILED = "failed", _("失败")

    run = models.OneToOneField(
        "tenancy.Job", on_delete=models.PROTECT, related_name="import_job", verbose_name=_("后台任务"),
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True)
    mode = models.CharField(_("导入方式"), max_length=6, choices=Mode.choices, default=Mode.ALL)
    created_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("上传人")
    )
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化"), default=0)
    rejected_count = models.PositiveIntegerField(_("拒绝"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    # Read through to the run, so pages, the command and tests ask the import where it stands.
    @property
    def status(self) -> str:
        return self.run.status

    def get_status_display(self) -> str:
        try:
            return str(self.Status(self.run.status).label)
        except ValueError:  # a state imports never take (cancelled): the job's own word
            return self.run.get_status_display()

    @property
    def progress(self) -> int:
        return self.run.progress

    @property
    def message(self) -> str:
        return self.run.message

    @property
    def finished_at(self) -> dt.datetime | None:
        return self.run.finished_at

    @property
    def heartbeat_at(self) -> dt.datetime | None:
        return self.run.heartbeat_at
