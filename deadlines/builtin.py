"""The rules of the apps before deadlines (sampling, inventory), with their sources.

Later apps (inspections, publication) register theirs the same way from their own ``ready()``;
the engine names none of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from inventory.models import Inspector
from sampling.models import Draw, Filing, FilingDecision, RecusalRequest, SamplingPlan, SamplingTask
from sampling.services.filings import FILING_TIME_LIMIT, filing_office_for
from sampling.services.plans import batch_period
from tenancy.context import Role
from tenancy.i18n import fixed_label, stored_format

from .models import Unit
from .rules import CLOSE, OPEN, Rule

FILING = FILING_TIME_LIMIT  # the time limit sampling asks for (tenancy.timelimits)
FILING_ACK = "sampling.filing_ack"
RECUSAL = "sampling.recusal"
PLAN_APPROVAL = "sampling.plan_approval"
BATCH = "sampling.batch"
CERT_EXPIRY = "inventory.cert_expiry"

# Sources are stored with each due item in Chinese (catalog msgids: pages show them translated).
FILING_SOURCE = gettext_noop("阳城县发改局 2023 方案：随机抽取检查对象和检查人员 2 日内报领导小组办公室备案")
FILING_PERIOD = 2


# --------------------------------------------------------------------------------------------
# Filing a draw with the office (阳城县发改局方案: 2 日内报领导小组办公室备案)


def _draw_subject(event: str, obj: Any, data: Mapping[str, Any]) -> Draw | None:
    if event == "sampling.draw.completed":
        return obj
    if event == "sampling.filing.submitted":
        return obj.draw if obj.kind == Filing.Kind.DRAW else None
    if event == "sampling.filing.decided":
        # A returned draw filing is due again, counted from the return.
        filing = obj.filing
        returned = obj.decision == FilingDecision.Decision.RETURNED and filing.kind == Filing.Kind.DRAW
        return filing.draw if returned else None
    return None


def _draw_anchor(draw: Draw, event: str, obj: Any) -> dt.datetime | None:
    if event == "sampling.filing.decided":
        return obj.created_at or timezone.now()
    return draw.drawn_at


def _filing_office(draw: Draw) -> int | None:
    try:
        return filing_office_for(region=draw.region).pk
    except ValidationError:
        return None


def _describe_draw(draw: Draw) -> tuple[str, str, dict[str, Any]]:
    text = stored_format(pgettext_lazy("stored format", "%(task)s（%(uid)s）"), {"task": draw.task.name, "uid": draw.task_uid})
    return text, "sampling:filing_submit", {"pk": draw.pk}


# --------------------------------------------------------------------------------------------
# The office acknowledging a filing


def _filing_subject(event: str, obj: Any, data: Mapping[str, Any]) -> Filing | None:
    if event == "sampling.filing.submitted":
        # A joint draw filed by the office with itself is acknowledged at once: nothing is due.
        return obj if obj.office_id != obj.organization_id else None
    return obj.filing


def _describe_filing(filing: Filing) -> tuple[str, str, dict[str, Any]]:
    text = stored_format(pgettext_lazy("stored format", "%(kind)s：%(task)s（%(org)s）"), {
        "kind": fixed_label(Filing.Kind, filing.kind), "task": filing.draw.task.name, "org": filing.organization.name,
    })
    return (
        text,
        "sampling:filing_detail",
        {"pk": filing.pk},
    )


# --------------------------------------------------------------------------------------------
# Recusal (曲阳 §16: 经所在单位主管负责人批准)


def _describe_recusal(req: RecusalRequest) -> tuple[str, str, dict[str, Any]]:
    text = stored_format(pgettext_lazy("stored format", "%(name)s：%(kind)s（%(uid)s，%(key)s）"), {
        "name": req.inspector.name, "kind": fixed_label(RecusalRequest.Kind, req.kind), "uid": req.draw.task_uid,
        "key": req.selection.key,
    })
    return (
        text,
        "sampling:recusal_decide",
        {"pk": req.pk},
    )


# --------------------------------------------------------------------------------------------
# A plan's next batch window (阳城县文旅局方案: 每季度进行1次双随机抽查)


def next_batch(plan: SamplingPlan, today: dt.date | None = None) -> tuple[int, str, dt.date] | None:
    """The plan's first batch whose window has not ended and which has not been drawn:
    (number, name, last day of its window); ``None`` when there is none (or no windows)."""
    today = today or timezone.localdate()
    drawn = set(
        SamplingTask.objects.filter(
            plan=plan, status__in=(SamplingTask.Status.DRAWN, SamplingTask.Status.CLOSED)
        ).values_list("batch_no", flat=True)
    )
    for number in range(1, plan.batches + 1):
        name, _start, end = batch_period(plan, number)
        if end is None or number in drawn or end < today:
            continue
        return number, name, end
    return None


def _plan_in_force(plan: SamplingPlan) -> bool:
    return plan.status in (SamplingPlan.Status.APPROVED, SamplingPlan.Status.PUBLISHED) and next_batch(plan) is not None


def _batch_anchor(plan: SamplingPlan, event: str, obj: Any) -> dt.date | None:
    batch = next_batch(plan)
    return batch[2] if batch else None


def _describe_batch(plan: SamplingPlan) -> tuple[str, str, dict[str, Any]]:
    batch = next_batch(plan)
    text = stored_format(pgettext_lazy("stored format", "%(plan)s：%(batch)s抽取"), {"plan": plan, "batch": batch[1] if batch else ""})
    return text, "sampling:plan_detail", {"pk": plan.pk}


def _plan_subject(event: str, obj: Any, data: Mapping[str, Any]) -> list[SamplingPlan]:
    if isinstance(obj, SamplingTask):
        return [obj.plan]
    # An approved adjustment supersedes the version before it: that one's batches are not due.
    return [obj, obj.previous] if obj.previous_id else [obj]


# --------------------------------------------------------------------------------------------
# Inspectors' certificates


def _certificate_due(inspector: Inspector) -> bool:
    return inspector.cert_expires_on is not None and inspector.status != Inspector.Status.LEFT


def _describe_inspector(inspector: Inspector) -> tuple[str, str, dict[str, Any]]:
    expires = inspector.cert_expires_on.isoformat() if inspector.cert_expires_on else ""
    text = stored_format(pgettext_lazy("stored format", "%(name)s（%(cert)s）执法证 %(date)s 到期"), {
        "name": inspector.name, "cert": inspector.cert_no, "date": expires,
    })
    return (
        text,
        "inventory:inspector_detail",
        {"pk": inspector.pk},
    )


DECIDERS = (Role.ADMIN, Role.LEADER, Role.PLANNER)

RULES: tuple[Rule, ...] = (
    Rule(
        key=FILING,
        label=_("抽取结果报送备案"),
        target_type="sampling.draw",
        period=FILING_PERIOD,
        unit=Unit.WORKDAYS,
        source=FILING_SOURCE,
        events={
            "sampling.draw.completed": (OPEN,),
            "sampling.filing.submitted": (CLOSE,),
            "sampling.filing.decided": (OPEN,),
        },
        subject=_draw_subject,
        should_open=lambda draw: draw.status == Draw.Status.COMPLETED and draw.drawn_at is not None,
        anchor=_draw_anchor,
        responsible=lambda draw: draw.organization_id,
        roles=(Role.PLANNER, Role.ADMIN),
        escalate_to=_filing_office,
        describe=_describe_draw,
        counted_from=_("抽取完成后"),
        order=10,
    ),
    Rule(
        key=FILING_ACK,
        label=_("双随机办确认备案"),
        target_type="sampling.filing",
        period=2,
        unit=Unit.WORKDAYS,
        source=gettext_noop("平台默认：双随机办收到备案后 2 个工作日内确认或退回（可按本单位规定调整）"),
        events={"sampling.filing.submitted": (OPEN,), "sampling.filing.decided": (CLOSE,)},
        subject=_filing_subject,
        anchor=lambda filing, event, obj: filing.submitted_at,
        responsible=lambda filing: filing.office_id,
        roles=DECIDERS,
        describe=_describe_filing,
        counted_from=_("报送后"),
        order=20,
    ),
    Rule(
        key=RECUSAL,
        label=_("审批回避申请"),
        target_type="sampling.recusalrequest",
        period=2,
        unit=Unit.WORKDAYS,
        source=gettext_noop("曲阳县联合抽查实施细则第十六条：更换执法人员须经所在单位主管负责人批准（期限为平台默认，双随机办可调整）"),
        events={"sampling.recusal.requested": (OPEN,), "sampling.recusal.decided": (CLOSE,)},
        anchor=lambda req, event, obj: req.created_at,
        responsible=lambda req: req.inspector.organization_id,
        roles=(Role.LEADER,),
        describe=_describe_recusal,
        office_default=True,
        counted_from=_("申请后"),
        order=30,
    ),
    Rule(
        key=PLAN_APPROVAL,
        label=_("审批抽查计划"),
        target_type="sampling.samplingplan",
        period=5,
        unit=Unit.WORKDAYS,
        source=gettext_noop("平台默认：分管领导收到年度抽查计划后 5 个工作日内审批（双随机办可调整）"),
        events={
            "sampling.plan.submitted": (OPEN,),
            "sampling.plan.approved": (CLOSE,),
            "sampling.plan.returned": (CLOSE,),
        },
        anchor=lambda plan, event, obj: plan.submitted_at,
        responsible=lambda plan: plan.organization_id,
        roles=(Role.LEADER,),
        describe=lambda plan: (str(plan), "sampling:plan_detail", {"pk": plan.pk}),
        office_default=True,
        counted_from=_("提交后"),
        order=40,
    ),
    Rule(
        key=BATCH,
        label=_("按批次完成抽取"),
        target_type="sampling.samplingplan",
        period=0,
        unit=Unit.DAYS_BEFORE,
        source=gettext_noop("阳城县文旅局 2023 方案：每季度进行1次双随机抽查（各批次在其检查期限结束前完成抽取）"),
        events={"sampling.plan.approved": (OPEN,), "sampling.task.drawn": (OPEN,)},
        subject=_plan_subject,
        should_open=_plan_in_force,
        anchor=_batch_anchor,
        responsible=lambda plan: plan.organization_id,
        roles=(Role.PLANNER, Role.ADMIN),
        describe=_describe_batch,
        replace_when_moved=True,
        counted_from=_("批次截止日"),
        order=50,
    ),
    Rule(
        key=CERT_EXPIRY,
        label=_("执法证到期换证"),
        target_type="inventory.inspector",
        period=30,
        unit=Unit.DAYS_BEFORE,
        source=gettext_noop("执法证有效期：到期前 30 日提醒换证（证件过期的人员不参与抽取）"),
        events={"inventory.inspector.saved": (OPEN,)},
        should_open=_certificate_due,
        anchor=lambda inspector, event, obj: inspector.cert_expires_on,
        responsible=lambda inspector: inspector.organization_id,
        roles=(Role.ADMIN, Role.PLANNER),
        describe=_describe_inspector,
        replace_when_moved=True,
        counted_from=_("执法证到期日"),
        order=60,
    ),
)
