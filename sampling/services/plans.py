"""Annual plans (年度抽查计划) and tasks (one batch each): every state change, plus the preview.

Workflow of a plan: draft → submitted → approved (a leader) → published; a leader may return a
submitted plan to draft with a reason. Each step is a ``PlanReview`` row with the leader's
opinion (审批意见), the plan's approval history. An approved or published plan is never edited: an
adjustment makes a new version (``previous`` → old) with a required reason, which goes through the
same approval; when it is approved the old version becomes ``superseded`` (秦皇岛: 调整年度抽查计划
应严格履行相关工作程序，调整后的年度抽查计划要及时向社会公开). Tasks stay on the version they were
made under.

``data`` arguments are cleaned values (from a form or a serializer): plain Python values, model
instances for ``items`` and ``participants``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from inventory import codes
from inventory.models import CheckItem
from sampling import hashrank
from sampling.models import (
    Draw,
    DrawSelection,
    HigherPlanCoverage,
    PlanParticipant,
    PlanReview,
    SamplingPlan,
    SamplingTask,
)
from sampling.policies import (
    can_cancel_task,
    can_decide_plan,
    can_edit_plan,
    can_publish_plan,
    can_write_plans,
)
from sampling.pool import (
    DEFAULT_RATIOS,
    REASON_BY_PLAN,
    RISK_LABELS,
    SCOPE_KEYS,
    SINGLE_LABEL,
    stratum_from_json,
)
from sampling.selectors.pool import plan_lineage_ids, plan_pool_counts, task_pool_counts
from tenancy import audit, events
from tenancy.context import Actor
from tenancy.i18n import join_list, stored_format
from tenancy.models import Organization
from tenancy.policies import ensure
from tenancy.scoping import assert_writable
from tenancy.text import describe_control_char, first_control_char

# 阳城文旅 / 曲阳 §17: 每次抽查比例不低于3%; 阳城文旅: 全年抽查总比例不低于20%.
BATCH_FLOOR = Fraction(3, 100)
DEFAULT_COVERAGE_TARGET = Decimal("0.2")
# 阳城文旅: 每次选派的执法检查人员不少于2人.
MIN_TEAM = 2
BATCHES_BY_FREQUENCY = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}
PLAN_FIELDS = (
    "year", "name", "doc_no", "scope", "frequency", "batches", "strata_mode", "strata", "focus_ratio",
    "focus_complaints", "exclude_inspected_by_plan", "annual_cap", "exclude_higher_plan", "exclude_inactive",
    "coverage_target",
)
EDITABLE = (SamplingPlan.Status.DRAFT,)
# The targets a completed draw counts for (as the pool counts them): drawn, or brought in from the reserve.
COUNTED = (DrawSelection.Status.SELECTED, DrawSelection.Status.REPLACEMENT)
IN_FORCE = (SamplingPlan.Status.APPROVED, SamplingPlan.Status.PUBLISHED)


# Batch names are stored in Chinese (a task's default name, a due item's description) and read
# back translated where a description shows them (tenancy.i18n.translate_composed).
_QUARTERS = (
    pgettext_lazy("stored format", "%(year)s年第一季度"), pgettext_lazy("stored format", "%(year)s年第二季度"),
    pgettext_lazy("stored format", "%(year)s年第三季度"), pgettext_lazy("stored format", "%(year)s年第四季度"),
)
_HALVES = (pgettext_lazy("stored format", "%(year)s年上半年"), pgettext_lazy("stored format", "%(year)s年下半年"))


def batch_period(plan: SamplingPlan, batch_no: int) -> tuple[str, dt.date | None, dt.date | None]:
    """The natural name and inspection window of batch ``batch_no`` ("2026年第二季度", Apr 1–Jun 30)."""
    year = plan.year
    months = {"quarterly": 3, "semiannual": 6, "monthly": 1, "annual": 12}.get(plan.frequency)
    if months is None or batch_no * months > 12:
        return stored_format(pgettext_lazy("stored format", "%(year)s年第%(n)s批"), {"year": year, "n": batch_no}), None, None
    first = dt.date(year, (batch_no - 1) * months + 1, 1)
    nxt = dt.date(year + 1, 1, 1) if batch_no * months == 12 else dt.date(year, batch_no * months + 1, 1)
    if plan.frequency == "quarterly":
        name = _QUARTERS[batch_no - 1]
    elif plan.frequency == "semiannual":
        name = _HALVES[batch_no - 1]
    elif plan.frequency == "monthly":
        name = pgettext_lazy("stored format", "%(year)s年%(n)s月")
    else:
        name = pgettext_lazy("stored format", "%(year)s年度")
    return stored_format(name, {"year": year, "n": batch_no}), first, nxt - dt.timedelta(days=1)


def default_strata() -> list[dict[str, str]]:
    return [{"stratum": k, "ratio": v} for k, v in DEFAULT_RATIOS.items()]


# ---------------------------------------------------------------------------------------------
# Checks


def clean_strata(strata: Any, mode: str, *, field: str = "strata") -> list[dict[str, Any]]:
    """Check a strata JSON list ({"stratum", "ratio" | "count"}) and return it normalized."""
    if not isinstance(strata, list) or not strata:
        raise ValidationError({field: "请填写各层的抽查比例或数量"})
    allowed = set(RISK_LABELS) if mode == SamplingPlan.StrataMode.RISK else {SINGLE_LABEL}
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in strata:
        if not isinstance(entry, dict):
            raise ValidationError({field: "分层参数格式不正确"})
        name = str(entry.get("stratum", ""))
        if name not in allowed:
            raise ValidationError({field: f"未知的层“{name}”，应为：{'、'.join(sorted(allowed))}"})
        if name in seen:
            raise ValidationError({field: f"层“{name}”重复"})
        seen.add(name)
        ratio, count = entry.get("ratio"), entry.get("count")
        if (ratio in (None, "")) == (count in (None, "")):
            raise ValidationError({field: f"层“{name}”须填写比例或数量之一"})
        try:
            stratum = stratum_from_json(entry, name)
        except (hashrank.DrawError, ValueError, TypeError):
            if count not in (None, ""):
                raise ValidationError({field: f"层“{name}”的数量应为不小于 0 的整数"})
            raise ValidationError({field: f"层“{name}”的比例应为大于 0、不超过 1 的小数（如 0.03）"})
        result.append(stratum.as_dict())
    return result


def _clean_ratio(value: Any, field: str, label: str, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: f"请填写{label}"})
        return None
    try:
        ratio = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: f"{label}应为小数，如 0.2"})
    if not 0 < ratio <= 1:
        raise ValidationError({field: f"{label}应大于 0 且不超过 1（100%）"})
    return ratio.quantize(Decimal("0.0001"))


def _clean_scope(scope: Any, field: str = "scope") -> dict[str, list[str]]:
    scope = scope or {}
    if not isinstance(scope, dict):
        raise ValidationError({field: "抽查对象范围格式不正确"})
    unknown = set(scope) - set(SCOPE_KEYS)
    if unknown:
        raise ValidationError({field: f"未知的范围条件：{'、'.join(sorted(unknown))}"})
    cleaned = {}
    for key in SCOPE_KEYS:
        values = scope.get(key) or []
        if isinstance(values, str):
            values = [values]
        cleaned[key] = [str(v).strip() for v in values if str(v).strip()]
    prefixes = [codes.normalize_code(p) for p in cleaned["industry_prefixes"]]
    message = industry_prefixes_error(prefixes)
    if message:
        raise ValidationError({field: message})
    # One stored form, the section letter first ("52" → "F52"), as entities store their codes.
    cleaned["industry_prefixes"] = list(dict.fromkeys(codes.canonical_industry_code(p) for p in prefixes))
    if any(not (len(c) == 6 and c.isdigit()) for c in cleaned["region_codes"]):
        raise ValidationError({field: "行政区划代码应为 6 位数字"})
    return cleaned


def plan_years_open(today: dt.date | None = None) -> tuple[int, int]:
    """The years a new plan may be written for: this year, or next year (written in advance)."""
    year = (today or timezone.localdate()).year
    return year, year + 1


def plan_year_error(year: Any, *, keep: int | None = None) -> str | None:
    """Why ``year`` cannot be a plan's year, or None. ``keep``: an adjustment keeps its plan's year."""
    if not isinstance(year, int):
        return _("请填写年度（4 位数字，如 2026）")
    if keep is not None:
        return None if year == keep else _("调整计划不能改变年度：原计划为 %(year)s 年度") % {"year": keep}
    this_year, next_year = plan_years_open()
    if year not in (this_year, next_year):
        return _("年度应为今年（%(this)s）或明年（%(next)s）；以往年度的计划不能新编") % {"this": this_year, "next": next_year}
    return None


def industry_prefixes_error(prefixes: list[str]) -> str | None:
    """Why these (normalised) industry prefixes cannot scope a plan, or None (GB/T 4754)."""
    bad = [p for p in prefixes if not codes.is_valid_industry_code(p)]
    if not bad:
        return None
    return _(
        "行业代码前缀“%(codes)s”不符合 GB/T 4754：应为门类字母 A–T（可加 2–4 位数字，如 F、F52、F5211）或 2–4 位数字（如 52、8710）"
    ) % {"codes": join_list(bad)}


def _clean_plan_data(actor: Actor, data: dict[str, Any], kind: str, *, keep_year: int | None = None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}

    def check(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault(k, []).extend(v)
            return None

    year = data.get("year")
    year_error = plan_year_error(year, keep=keep_year)
    if year_error:
        errors["year"] = [year_error]
    values["year"] = year
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = ["请填写计划名称"]
    values["name"] = name
    values["doc_no"] = (data.get("doc_no") or "").strip()
    values["scope"] = check(_clean_scope, data.get("scope"))
    frequency = data.get("frequency") or SamplingPlan.Frequency.QUARTERLY
    if frequency not in SamplingPlan.Frequency.values:
        errors["frequency"] = ["抽查频次不正确"]
    batches = BATCHES_BY_FREQUENCY.get(frequency) or data.get("batches")
    if not isinstance(batches, int) or not 1 <= batches <= 52:
        errors["batches"] = ["批次数应为 1–52 的整数"]
    values["frequency"], values["batches"] = frequency, batches
    mode = data.get("strata_mode") or SamplingPlan.StrataMode.RISK
    if mode not in SamplingPlan.StrataMode.values:
        errors["strata_mode"] = ["分层方式不正确"]
        mode = SamplingPlan.StrataMode.RISK
    values["strata_mode"] = mode
    values["strata"] = check(clean_strata, data.get("strata") or (default_strata() if mode == "risk" else None), mode)
    values["focus_ratio"] = check(_clean_ratio, data.get("focus_ratio"), "focus_ratio", "重点对象抽查比例", required=False)
    focus_complaints = data.get("focus_complaints", 3)
    if not isinstance(focus_complaints, int) or focus_complaints < 1:
        errors["focus_complaints"] = ["投诉举报次数应为不小于 1 的整数"]
    values["focus_complaints"] = focus_complaints
    cap = data.get("annual_cap", 2)
    if not isinstance(cap, int) or not 0 <= cap <= 365:
        errors["annual_cap"] = ["年度抽查次数上限应为 0–365 的整数（0 为不限）"]
    values["annual_cap"] = cap
    for flag in ("exclude_inspected_by_plan", "exclude_higher_plan", "exclude_inactive"):
        values[flag] = bool(data.get(flag, True))
    values["coverage_target"] = check(
        _clean_ratio, data.get("coverage_target", DEFAULT_COVERAGE_TARGET), "coverage_target", "年度覆盖率目标", required=True
    )

    # Items: the owner's current items; a joint plan: each participant's own items.
    items = list(data.get("items") or [])
    if kind == SamplingPlan.Kind.JOINT:
        participants = list(data.get("participants") or [])
        if len(participants) < 2:
            errors["participants"] = ["部门联合抽查至少需要两个参与部门"]
        if any(
            o.kind != Organization.Kind.DEPARTMENT or o.pk not in actor.visible_org_ids or o.region_id not in actor.visible_region_ids
            for o in participants
        ):
            errors.setdefault("participants", []).append("参与部门须为本辖区的行政监管部门")
        part_ids = {o.pk for o in participants}
        if any(i.organization_id not in part_ids for i in items):
            errors["items"] = ["所选事项须属于参与部门"]
        missing = [o.label for o in participants if not any(i.organization_id == o.pk for i in items)]
        if missing and "participants" not in errors:
            errors["items"] = [f"请为每个参与部门选择本部门事项（缺：{'、'.join(missing)}）"]
        values["participants"] = participants
    else:
        if any(i.organization_id != actor.organization_id for i in items):
            errors["items"] = ["所选事项须为本单位的抽查事项"]
    if any(not i.is_current or i.status != CheckItem.Status.ACTIVE for i in items):
        errors.setdefault("items", []).append("只能选择现行有效的抽查事项")
    if not items and "items" not in errors:
        errors["items"] = ["请至少选择一项抽查事项"]
    values["items"] = items
    if errors:
        raise ValidationError(errors)
    return values


def _save_relations(plan: SamplingPlan, values: dict[str, Any]) -> None:
    plan.items.set(values["items"])
    if plan.kind != SamplingPlan.Kind.JOINT:
        return
    wanted = {o.pk: o for o in values["participants"]}
    existing = {p.department_id: p for p in plan.participants.all()}
    for dept_id, row in existing.items():
        if dept_id not in wanted:
            row.delete()
    for dept_id, org in wanted.items():
        row = existing.get(dept_id)
        if row is None:
            # Owned by the plan's owner (the office), like the plan.
            row = PlanParticipant(plan=plan, department=org, organization_id=plan.organization_id, region_id=plan.region_id)
            row.save()
        row.items.set([i for i in values["items"] if i.organization_id == dept_id])


def _audit_relations(plan: SamplingPlan) -> dict[str, Any]:
    return {
        "items": sorted(plan.items.values_list("pk", flat=True)),
        "participants": sorted(plan.participants.values_list("department_id", flat=True)),
    }


def _record_create(actor: Actor, obj: Any, relations: dict[str, Any], note: str = "") -> None:
    """The audit entry of a new row, with its many-to-many relations (the log is append-only)."""
    after = audit.snapshot(obj) | relations
    audit.record(actor=actor, action="create", target=obj, changes={k: [None, v] for k, v in after.items()}, note=note)


# ---------------------------------------------------------------------------------------------
# Plans


@transaction.atomic
def plan_create(*, actor: Actor, data: dict[str, Any]) -> SamplingPlan:
    """A draft plan of the actor's organization; a leading-group office writes joint plans only."""
    ensure(can_write_plans, actor)
    if actor.is_office:
        kind = SamplingPlan.Kind.JOINT
    else:
        if data.get("kind") == SamplingPlan.Kind.JOINT:
            raise ValidationError({"kind": "部门联合抽查计划由双随机办编制"})
        kind = SamplingPlan.Kind.DEPARTMENT
    values = _clean_plan_data(actor, data, kind)
    plan = SamplingPlan(kind=kind, status=SamplingPlan.Status.DRAFT, created_by_id=actor.user_id)
    for f in PLAN_FIELDS:
        setattr(plan, f, values[f])
    plan.set_tenant(actor)
    plan.save()
    _save_relations(plan, values)
    _record_create(actor, plan, _audit_relations(plan))
    return plan


@transaction.atomic
def plan_update(*, actor: Actor, plan: SamplingPlan, data: dict[str, Any]) -> SamplingPlan:
    """Edit a draft (a new plan, a returned one, or an adjustment not yet submitted)."""
    ensure(can_write_plans, actor, message="只有计划编制人员可以修改抽查计划")
    ensure(can_edit_plan, actor, plan)
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in EDITABLE:
        raise ValidationError("只有草案状态的计划可以修改；已批准的计划请通过“调整计划”生成新版本")
    # An adjustment (a version after the first) stays in its plan's year.
    values = _clean_plan_data(actor, data, plan.kind, keep_year=plan.year if plan.previous_id else None)
    if plan.previous_id is not None and "adjustment_reason" in data:
        reason = (data.get("adjustment_reason") or "").strip()
        if not reason:
            raise ValidationError({"adjustment_reason": "请填写调整原因"})
        values["adjustment_reason"] = reason
    before = audit.snapshot(plan) | _audit_relations(plan)
    for f in (*PLAN_FIELDS, "adjustment_reason"):
        if f in values:
            setattr(plan, f, values[f])
    plan.save()
    _save_relations(plan, values)
    after = audit.snapshot(plan) | _audit_relations(plan)
    changes = audit.diff(before, after)
    if changes:
        audit.record(actor=actor, action="update", target=plan, changes=changes)
    return plan


def _transition(*, actor: Actor, plan: SamplingPlan, expected: tuple[str, ...], message: str) -> tuple[SamplingPlan, dict]:
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in expected:
        raise ValidationError(message)
    return plan, audit.snapshot(plan)


@transaction.atomic
def plan_submit(*, actor: Actor, plan: SamplingPlan) -> SamplingPlan:
    ensure(can_write_plans, actor, message="只有计划编制人员可以提交审批")
    ensure(can_edit_plan, actor, plan)
    plan, before = _transition(actor=actor, plan=plan, expected=EDITABLE, message="只有草案可以提交审批")
    if not plan.items.exists():
        raise ValidationError("计划没有抽查事项，不能提交")
    plan.status = SamplingPlan.Status.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.save()
    audit.record_update(actor=actor, obj=plan, before=before, action="submit")
    _review(actor=actor, plan=plan, decision=PlanReview.Decision.SUBMITTED, opinion="", at=plan.submitted_at)
    events.emit("sampling.plan.submitted", actor=actor, obj=plan)
    return plan


OPINION_MAX = 500


def _clean_opinion(opinion: str | None, *, required: bool, missing: str) -> str:
    """审批意见: several lines of text, no control characters, at most ``OPINION_MAX`` characters."""
    text = (opinion or "").strip()
    if required and not text:
        raise ValidationError({"opinion": missing})
    if len(text) > OPINION_MAX:
        raise ValidationError({"opinion": _("审批意见不能超过 %(max)s 个字（现 %(n)s 个）") % {"max": OPINION_MAX, "n": len(text)}})
    bad = first_control_char(text, multiline=True)
    if bad is not None:
        raise ValidationError({"opinion": _("审批意见含有不允许的控制字符（%(char)s）") % {"char": describe_control_char(text[bad])}})
    return text


def _review(*, actor: Actor, plan: SamplingPlan, decision: str, opinion: str, at: dt.datetime) -> PlanReview:
    """Append one step of the plan's approval history (the plan's tenant, like the plan)."""
    review = PlanReview(plan=plan, decision=decision, opinion=opinion, by_id=actor.user_id, at=at,
                        organization_id=plan.organization_id, region_id=plan.region_id)
    review.save()
    audit.record_create(actor=actor, obj=review)
    return review


@transaction.atomic
def plan_approve(*, actor: Actor, plan: SamplingPlan, opinion: str = "") -> SamplingPlan:
    """A leader of the owner approves, with an optional opinion (审批意见); an approved adjustment
    supersedes the version before it."""
    ensure(can_decide_plan, actor, plan)
    opinion = _clean_opinion(opinion, required=False, missing="")
    plan, before = _transition(
        actor=actor, plan=plan, expected=(SamplingPlan.Status.SUBMITTED,), message="只有待审批的计划可以批准"
    )
    plan.status = SamplingPlan.Status.APPROVED
    plan.approved_by_id = actor.user_id
    plan.approved_at = timezone.now()
    plan.save()
    audit.record_update(actor=actor, obj=plan, before=before, action="approve")
    _review(actor=actor, plan=plan, decision=PlanReview.Decision.APPROVED, opinion=opinion, at=plan.approved_at)
    if plan.previous_id is not None:
        old = SamplingPlan.objects.select_for_update().get(pk=plan.previous_id)
        old_before = audit.snapshot(old)
        old.status = SamplingPlan.Status.SUPERSEDED
        old.save()
        audit.record_update(actor=actor, obj=old, before=old_before, action="supersede", note=f"由第{plan.version}版取代")
    events.emit("sampling.plan.approved", actor=actor, obj=plan)
    return plan


@transaction.atomic
def plan_return(*, actor: Actor, plan: SamplingPlan, opinion: str) -> SamplingPlan:
    """A leader sends a submitted plan back to draft; the opinion (why) is required and kept as
    the plan's review (``PlanReview``), which the plan page shows."""
    ensure(can_decide_plan, actor, plan)
    opinion = _clean_opinion(opinion, required=True, missing=_("退回时请填写审批意见（退回原因）"))
    plan, before = _transition(
        actor=actor, plan=plan, expected=(SamplingPlan.Status.SUBMITTED,), message="只有待审批的计划可以退回"
    )
    plan.status = SamplingPlan.Status.DRAFT
    plan.save()
    audit.record_update(actor=actor, obj=plan, before=before, action="return", note=opinion)
    _review(actor=actor, plan=plan, decision=PlanReview.Decision.RETURNED, opinion=opinion, at=timezone.now())
    events.emit("sampling.plan.returned", actor=actor, obj=plan)
    return plan


@transaction.atomic
def plan_publish(*, actor: Actor, plan: SamplingPlan) -> SamplingPlan:
    """Mark an approved plan (or adjustment) as published (秦皇岛: 年度计划……及时向社会公开)."""
    ensure(can_publish_plan, actor, plan)
    plan, before = _transition(
        actor=actor, plan=plan, expected=(SamplingPlan.Status.APPROVED,), message="只有已批准的计划可以公开"
    )
    plan.status = SamplingPlan.Status.PUBLISHED
    plan.published_at = timezone.now()
    plan.save()
    audit.record_update(actor=actor, obj=plan, before=before, action="publish")
    return plan


@transaction.atomic
def plan_adjust(*, actor: Actor, plan: SamplingPlan, reason: str, data: dict[str, Any] | None = None) -> SamplingPlan:
    """A new draft version of an approved/published plan, with the reason; the old one stays in force
    until the new version is approved. ``data`` (optional) are the adjusted values."""
    ensure(can_write_plans, actor, message="只有计划编制人员可以调整抽查计划")
    ensure(can_edit_plan, actor, plan)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写调整原因"})
    old = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    if old.status not in IN_FORCE:
        raise ValidationError("只有已批准或已公开的计划可以调整")
    if SamplingPlan.objects.filter(previous=old).exists():
        raise ValidationError("该计划已有一个调整中的新版本，请在新版本上继续修改")
    new = SamplingPlan(
        kind=old.kind, previous=old, version=old.version + 1, status=SamplingPlan.Status.DRAFT,
        adjustment_reason=reason, created_by_id=actor.user_id,
    )
    for f in PLAN_FIELDS:
        setattr(new, f, getattr(old, f))
    new.set_tenant(actor)
    new.save()
    new.items.set(old.items.all())
    new.joint_items.set(old.joint_items.all())
    for part in old.participants.all():
        row = PlanParticipant(plan=new, department_id=part.department_id)
        row.set_tenant(actor)
        row.save()
        row.items.set(part.items.all())
    coverage = [
        HigherPlanCoverage(plan=new, entity_id=h.entity_id, source=h.source, organization_id=h.organization_id, region_id=h.region_id)
        for h in HigherPlanCoverage.objects.filter(plan=old)
    ]
    assert_writable(actor, coverage)
    HigherPlanCoverage.objects.bulk_create(coverage)
    _record_create(actor, new, _audit_relations(new), note=f"调整第{old.version}版：{reason}")
    if data:
        values = dict(data)
        values["adjustment_reason"] = reason
        new = plan_update(actor=actor, plan=new, data=values)
    return new


# ---------------------------------------------------------------------------------------------
# The preview


def plan_preview(*, actor: Actor, plan: SamplingPlan) -> dict[str, Any]:
    """Before any draw: per stratum the eligible count, the quota of each batch, the expected
    annual coverage and inspections per entity, against the plan's targets.

    Every "全年" figure is the whole year: the targets the completed batches drew (counted from
    their draws, per stratum) plus what the remaining batches are expected to draw — the same
    figures the coverage is computed from. Remaining batches are simulated on the current pool:
    with "already drawn by this plan" on, each batch draws from what the batches before it left
    (no overlap, the drawn being out of the pool already); otherwise every batch draws from the
    full stratum, the drawn included.
    """
    pool = plan_pool_counts(actor=actor, plan=plan)
    lineage = plan_lineage_ids(plan)
    done_batches = Draw.objects.filter(plan_id__in=lineage, status=Draw.Status.COMPLETED).count()
    done_by_stratum = dict(
        DrawSelection.objects.filter(draw__plan_id__in=lineage, draw__status=Draw.Status.COMPLETED, status__in=COUNTED)
        .values_list("stratum").annotate(n=Count("pk")).order_by()
    )
    remaining = max(plan.batches - done_batches, 0)
    drawn_before = pool.excluded_counts.get(REASON_BY_PLAN, 0)
    no_overlap = plan.exclude_inspected_by_plan
    warnings: list[str] = []
    rows: list[dict[str, Any]] = []
    per_batch_totals = [0] * remaining
    strata = list(pool.strata)
    # A stratum drawn earlier but gone from the plan since (an adjustment): its targets still count.
    known = {s.stratum for s in strata}
    strata += [hashrank.Stratum(name, count=0) for name in sorted(done_by_stratum) if name not in known]
    for s in strata:
        n = pool.counts.get(s.stratum, 0)
        done = done_by_stratum.get(s.stratum, 0)
        # Who the year's figures are of: the eligible now, plus (no overlap) the drawn, who left the pool.
        base = n + done if no_overlap else max(n, done)
        left = n
        draws: list[int] = []
        untouched = 1 - Fraction(done, base) if base else Fraction(1)
        for b in range(remaining):
            k = hashrank.quota(left if no_overlap else n, s) if s.stratum in known else 0
            draws.append(k)
            per_batch_totals[b] += k
            if no_overlap:
                left -= k
            elif n:
                untouched *= 1 - Fraction(k, n)
        total = done + sum(draws)
        covered = Fraction(total) if no_overlap else base * (1 - untouched)
        ratio = Fraction(s.ratio) if s.ratio is not None else (Fraction(s.count or 0, n) if n else None)
        below = s.stratum in known and ratio is not None and ratio < BATCH_FLOOR and n > 0
        if below:
            warnings.append(f"“{s.stratum}”每批抽查比例低于 3%（曲阳 §17、阳城文旅：每次抽查比例不低于3%）")
        rows.append({
            "stratum": s.stratum,
            "ratio": s.ratio,
            "ratio_pct": float(Fraction(s.ratio) * 100) if s.ratio is not None else None,
            "count": s.count,
            "in_plan": s.stratum in known,
            "eligible": n,
            "base": base,
            "done": done,
            "quota": draws[0] if draws else 0,
            "batches": draws,
            "total": total,
            "covered": covered,
            "coverage_pct": float(covered / base * 100) if base else 0.0,
            "per_entity": float(Fraction(total, base)) if base else 0.0,
            "below_floor": below,
        })
    base = sum(r["base"] for r in rows)
    done_total = sum(r["done"] for r in rows)
    total_draws = sum(r["total"] for r in rows)
    coverage = sum((r["covered"] for r in rows), Fraction(0)) / base if base else Fraction(0)
    target = Fraction(plan.coverage_target) if plan.coverage_target is not None else Fraction(0)
    coverage_ok = coverage >= target
    if base and not coverage_ok:
        warnings.append(f"按当前比例，预计年度覆盖率 {float(coverage * 100):.1f}% 低于目标 {float(target * 100):.0f}%")
    if not pool.eligible:
        warnings.append("当前名录库中没有符合条件的检查对象")
    return {
        "plan": plan,
        "strata": rows,
        "batches": [{"no": done_batches + i + 1, "total": t} for i, t in enumerate(per_batch_totals)],
        "batches_count": plan.batches,
        "done_batches": done_batches,
        "done_total": done_total,
        "remaining_total": total_draws - done_total,
        "eligible": pool.eligible,
        "base": base,
        "total": pool.total,
        "drawn_before": drawn_before,
        "excluded_counts": pool.excluded_counts,
        "excluded_total": pool.excluded,
        "draws_total": total_draws,
        "coverage": float(coverage),
        "coverage_pct": float(coverage * 100),
        "coverage_target_pct": float(target * 100),
        "coverage_ok": coverage_ok,
        "per_entity": float(Fraction(total_draws, base)) if base else 0.0,
        "warnings": warnings,
    }


# ---------------------------------------------------------------------------------------------
# Tasks


def _plan_item_ids(plan: SamplingPlan) -> set[int]:
    return set(plan.items.values_list("pk", flat=True))


def _clean_task_data(actor: Actor, plan: SamplingPlan, data: dict[str, Any], task: SamplingTask | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    batch_no = data.get("batch_no") or 1
    if not isinstance(batch_no, int) or not 1 <= batch_no <= plan.batches:
        errors["batch_no"] = [f"批次应在 1–{plan.batches} 之间"]
    values["batch_no"] = batch_no
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = ["请填写任务名称"]
    values["name"] = name
    uid = (data.get("uid") or "").strip()
    if not uid:
        code = Organization.objects.filter(pk=plan.organization_id).values_list("code", flat=True).first() or "T"
        uid = f"{code}-{plan.year}-{batch_no}"
    if any(c in uid for c in "\t\n\x00") or len(uid) > 80:
        errors["uid"] = ["任务编号不能包含制表符或换行，且不超过 80 个字符"]
    # Unique across every organization (it is the public task_uid): checked on the base table,
    # revealing nothing but "taken".
    taken = SamplingTask._base_manager.filter(uid=uid)
    if task is not None:
        taken = taken.exclude(pk=task.pk)
    if taken.exists():
        errors["uid"] = [f"任务编号“{uid}”已被使用，请换一个"]
    values["uid"] = uid
    items = list(data.get("items") or [])
    allowed = _plan_item_ids(plan)
    if not items:
        errors["items"] = ["请至少选择一项抽查事项"]
    elif any(i.pk not in allowed for i in items):
        errors["items"] = ["任务的抽查事项须为年度计划中的事项"]
    values["items"] = items
    try:
        values["scope"] = _clean_scope(data.get("scope"), "scope")
        if not any(values["scope"].values()):
            values["scope"] = {}
    except ValidationError as exc:
        errors.update(exc.message_dict)
    strata = data.get("strata") or []
    values["strata"] = []
    if strata:
        try:
            values["strata"] = clean_strata(strata, plan.strata_mode)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    reserve = data.get("reserve_size", 2)
    if not isinstance(reserve, int) or not 0 <= reserve <= 100:
        errors["reserve_size"] = ["每层备选数量应为 0–100 的整数"]
    values["reserve_size"] = reserve
    values["team_requirements"] = _clean_team(plan, data.get("team_requirements"), errors)
    values["specialties"] = [str(s).strip() for s in (data.get("specialties") or []) if str(s).strip()]
    start, end = data.get("window_start") or None, data.get("window_end") or None
    errors.update(task_window_errors(plan, start, end))
    values["window_start"], values["window_end"] = start, end
    if errors:
        raise ValidationError(errors)
    return values


def task_window_errors(plan: SamplingPlan, start: dt.date | None, end: dt.date | None) -> dict[str, list[str]]:
    """A task's inspection window lies inside its plan's year and does not end before it starts."""
    errors: dict[str, list[str]] = {}
    messages = {
        "window_start": (_("检查开始日期格式不正确，应为 YYYY-MM-DD"),
                         _("检查开始日期应在计划年度内（%(first)s 至 %(last)s），现为 %(day)s")),
        "window_end": (_("检查截止日期格式不正确，应为 YYYY-MM-DD"),
                       _("检查截止日期应在计划年度内（%(first)s 至 %(last)s），现为 %(day)s")),
    }
    for field, day in (("window_start", start), ("window_end", end)):
        if day is not None and not isinstance(day, dt.date):
            errors[field] = [messages[field][0]]
        elif day is not None and day.year != plan.year:
            errors[field] = [messages[field][1] % {
                "first": f"{plan.year}-01-01", "last": f"{plan.year}-12-31", "day": day.isoformat(),
            }]
    if not errors and start and end and start > end:
        errors["window_end"] = [_("检查截止日期不能早于开始日期")]
    return errors


def _clean_team(plan: SamplingPlan, raw: Any, errors: dict[str, list[str]]) -> list[dict[str, int]]:
    """A department task: one entry of its own, count ≥ 2 (阳城文旅: 每次选派的执法检查人员不少于2人).
    A joint task: one entry per participating department, count ≥ 1 each, ≥ 2 in all."""
    field = "team_requirements"
    if not isinstance(raw, list) or not raw:
        errors[field] = ["请填写检查组人员要求"]
        return []
    result: list[dict[str, int]] = []
    for entry in raw:
        try:
            dept, count = int(entry["department"]), int(entry["count"])
        except (KeyError, TypeError, ValueError):
            errors[field] = ["检查组人员要求格式不正确"]
            return []
        result.append({"department": dept, "count": count})
    depts = [e["department"] for e in result]
    if len(set(depts)) != len(depts):
        errors[field] = ["同一部门只能填写一次"]
    elif plan.kind == SamplingPlan.Kind.JOINT:
        expected = set(plan.participants.values_list("department_id", flat=True))
        if set(depts) != expected:
            errors[field] = ["联合抽查任务须为每个参与部门各填写一项人员要求"]
        elif any(e["count"] < 1 for e in result):
            errors[field] = ["每个参与部门至少派 1 名执法检查人员"]
        elif sum(e["count"] for e in result) < MIN_TEAM:
            errors[field] = ["每个检查组不少于 2 名执法检查人员"]
    else:
        if depts != [plan.organization_id]:
            errors[field] = ["部门抽查任务的检查组只能由本部门人员组成"]
        elif result[0]["count"] < MIN_TEAM:
            errors[field] = ["每个检查组不少于 2 名执法检查人员（阳城文旅：每次选派的执法检查人员不少于2人）"]
        elif result[0]["count"] > 20:
            errors[field] = ["每个检查组不超过 20 人"]
    return result


TASK_FIELDS = (
    "batch_no", "name", "uid", "scope", "strata", "reserve_size", "team_requirements", "specialties",
    "window_start", "window_end",
)


@transaction.atomic
def task_create(*, actor: Actor, plan: SamplingPlan, data: dict[str, Any]) -> SamplingTask:
    """A task (one batch) of an approved/published plan, in draft."""
    ensure(can_write_plans, actor, message="只有计划编制人员可以创建抽查任务")
    ensure(can_edit_plan, actor, plan)
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in IN_FORCE:
        raise ValidationError("只有已批准或已公开的计划可以创建抽查任务")
    values = _clean_task_data(actor, plan, data, None)
    task = SamplingTask(plan=plan, status=SamplingTask.Status.DRAFT, created_by_id=actor.user_id)
    for f in TASK_FIELDS:
        setattr(task, f, values[f])
    task.set_tenant(actor)
    task.save()
    task.items.set(values["items"])
    _record_create(actor, task, {"items": sorted(i.pk for i in values["items"])})
    if data.get("ready"):
        task = task_set_ready(actor=actor, task=task)
    return task


@transaction.atomic
def task_update(*, actor: Actor, task: SamplingTask, data: dict[str, Any]) -> SamplingTask:
    """Edit a task that has not been drawn (draft or ready)."""
    ensure(can_write_plans, actor, message="只有计划编制人员可以修改抽查任务")
    task = SamplingTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    ensure(can_edit_plan, actor, task.plan)
    if task.status not in (SamplingTask.Status.DRAFT, SamplingTask.Status.READY):
        raise ValidationError("已抽取或已结束的任务不能修改")
    if task.draws.filter(status__in=[Draw.Status.COMMITTED, Draw.Status.RUNNING]).exists():
        raise ValidationError("该任务正在抽取，不能修改")
    values = _clean_task_data(actor, task.plan, data, task)
    before = audit.snapshot(task) | {"items": sorted(task.items.values_list("pk", flat=True))}
    for f in TASK_FIELDS:
        setattr(task, f, values[f])
    task.save()
    task.items.set(values["items"])
    changes = audit.diff(before, audit.snapshot(task) | {"items": sorted(i.pk for i in values["items"])})
    if changes:
        audit.record(actor=actor, action="update", target=task, changes=changes)
    return task


@transaction.atomic
def task_set_ready(*, actor: Actor, task: SamplingTask) -> SamplingTask:
    """Draft → ready (待抽取): the draw ceremony may start."""
    ensure(can_write_plans, actor, message="只有计划编制人员可以下达抽查任务")
    task = SamplingTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    ensure(can_edit_plan, actor, task.plan)
    if task.status != SamplingTask.Status.DRAFT:
        raise ValidationError("只有草稿状态的任务可以设为待抽取")
    if task.plan.status not in IN_FORCE:
        raise ValidationError("所属计划已调整或未批准，不能下达该任务")
    before = audit.snapshot(task)
    task.status = SamplingTask.Status.READY
    task.save()
    audit.record_update(actor=actor, obj=task, before=before, action="ready")
    return task


@transaction.atomic
def task_cancel(*, actor: Actor, task: SamplingTask, reason: str) -> SamplingTask:
    ensure(can_cancel_task, actor, task)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写取消原因"})
    task = SamplingTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    if task.status not in (SamplingTask.Status.DRAFT, SamplingTask.Status.READY):
        raise ValidationError("已抽取的任务不能取消")
    if task.draws.filter(status__in=[Draw.Status.COMMITTED, Draw.Status.RUNNING]).exists():
        raise ValidationError("该任务正在抽取，不能取消")
    before = audit.snapshot(task)
    task.status = SamplingTask.Status.CANCELLED
    task.save()
    audit.record_update(actor=actor, obj=task, before=before, action="cancel", note=reason)
    return task


def task_preview(*, actor: Actor, task: SamplingTask) -> dict[str, Any]:
    """What a draw of the task would freeze now: counts and quotas per stratum, excluded counts."""
    pool = task_pool_counts(actor=actor, task=task)
    rows = [
        {"stratum": s.stratum, "ratio": s.ratio, "ratio_pct": float(Fraction(s.ratio) * 100) if s.ratio else None,
         "count": s.count, "eligible": pool.counts.get(s.stratum, 0), "quota": hashrank.quota(pool.counts.get(s.stratum, 0), s)}
        for s in pool.strata
    ]
    return {
        "strata": rows,
        "eligible": pool.eligible,
        "total": pool.total,
        "selected_total": sum(r["quota"] for r in rows),
        "excluded_counts": pool.excluded_counts,
        "excluded_total": pool.excluded,
    }
