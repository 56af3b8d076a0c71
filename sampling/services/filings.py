"""Filing (备案) with the leading-group office: submit, acknowledge or return, resubmit.

Rules (the work plans, see docs/RULES.md):
- 阳城县发改局方案: "随机抽取检查对象和检查人员 2 日内报领导小组办公室备案" — the deadline is the
  time limit ``FILING_TIME_LIMIT`` (``tenancy.timelimits``): the deadlines engine's, 2 working days
  on China's calendar unless the organization set its own; ``settings.FILING_DEADLINE_DAYS``
  calendar days when no engine is installed. ``due_at`` keeps the deadline as it stood when filed.
- 曲阳县联合抽查实施细则 §16: a change of inspectors (回避/递补) is approved by the unit's leader "并报县
  双随机办备案" — substitutions and target replacements are filed too (``kind``).

Filings and decisions are append-only: a returned filing is answered by a new filing whose
``previous`` is the returned one; each filing has at most one decision.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sampling import pdf
from sampling.models import Draw, Filing, FilingAttachment, FilingDecision, Substitution, TargetReplacement
from sampling.policies import (
    can_attach_to_filing,
    can_decide_filing,
    can_decide_filings,
    can_file,
    can_file_draw,
    can_resubmit_filing,
)
from sampling.record_codec import record_sha256
from sampling.selectors.draws import draw_record
from sampling.selectors.filings import (
    RecordSource,
    annex_needed,
    filing_annex_rows,
    filing_sheet,
    pdf_rendered_in_background,
    record_source,
)
from tenancy import audit, events, timelimits
from tenancy.context import Actor, OrgKind
from tenancy.i18n import fixed_label
from tenancy.models import Organization, Region
from tenancy.policies import ensure
from tenancy.uploads import CheckedUpload, attachment_store

JOINT_SELF_REASON = "联合抽查由本办组织"
FILING_TIME_LIMIT = "sampling.filing"
_AUDITED_FIELDS = (
    "draw", "plan", "office", "kind", "substitution", "replacement", "previous", "submitted_at", "submitted_by",
    "due_at", "note", "record_sha256",
)


def filing_office_for(*, region: Region) -> Organization:
    """The leading-group office (双随机办) of ``region``, else the nearest one up the region tree.

    The addressee is fixed by this rule, never taken from input, so it is read unscoped: a county
    department cannot otherwise see the city office it may have to file with.
    """
    current: Region | None = region
    while current is not None:
        office = (
            Organization._base_manager.filter(kind=OrgKind.OFFICE, region_id=current.pk, is_active=True)
            .order_by("pk")
            .first()
        )
        if office is not None:
            return office
        current = current.parent
    raise ValidationError(_("本辖区及上级均未设立双随机办，无法报送备案，请联系系统管理员。"))


def filing_deadline(*, actor: Actor, draw: Draw, start: dt.datetime) -> dt.datetime:
    """When a filing of ``draw`` counted from ``start`` is due, for the actor's organization."""
    default = dt.timedelta(days=settings.FILING_DEADLINE_DAYS)
    return timelimits.due_at(FILING_TIME_LIMIT, actor=actor, obj=draw, start=start, default=default)


def _deadline(
    *, actor: Actor, draw: Draw, kind: str, substitution: Substitution | None, replacement: TargetReplacement | None
) -> dt.datetime:
    if kind == Filing.Kind.SUBSTITUTION and substitution is not None:
        return filing_deadline(actor=actor, draw=draw, start=substitution.created_at)
    if kind == Filing.Kind.REPLACEMENT and replacement is not None:
        return filing_deadline(actor=actor, draw=draw, start=replacement.created_at)
    return filing_deadline(actor=actor, draw=draw, start=draw.drawn_at)


def _check_event(
    *, draw: Draw, kind: str, substitution: Substitution | None, replacement: TargetReplacement | None
) -> None:
    if kind not in Filing.Kind.values:
        raise ValidationError({"kind": _("备案类型无效。")})
    if kind == Filing.Kind.DRAW and (substitution is not None or replacement is not None):
        raise ValidationError({"kind": _("抽取结果备案不应附带递补记录。")})
    if kind == Filing.Kind.SUBSTITUTION and (substitution is None or substitution.draw_id != draw.pk):
        raise ValidationError({"substitution": _("请指定本次抽取的人员递补记录。")})
    if kind == Filing.Kind.REPLACEMENT and (replacement is None or replacement.draw_id != draw.pk):
        raise ValidationError({"replacement": _("请指定本次抽取的对象递补记录。")})


@transaction.atomic
def filing_submit(
    *,
    actor: Actor,
    draw: Draw,
    kind: str = Filing.Kind.DRAW,
    substitution: Substitution | None = None,
    replacement: TargetReplacement | None = None,
    note: str = "",
    attachments: Sequence[CheckedUpload] = (),
) -> Filing:
    """File a completed draw (or one of its substitution/replacement events) with the office,
    with ``attachments`` (files checked by ``tenancy.uploads``: a signed scan, say).

    Once per draw and event, unless the standing filing was returned: then the new filing points
    at the returned one. A joint draw filed by the office with itself is acknowledged at once.
    """
    ensure(can_file, actor)
    # The row lock serializes two people pressing "报送备案" at once.
    draw = Draw.objects.select_for_update().select_related("task", "region").get(pk=draw.pk)
    ensure(can_file_draw, actor, draw)
    if draw.status != Draw.Status.COMPLETED or draw.drawn_at is None:
        raise ValidationError(_("只有已完成的抽取才能报送备案。"))
    _check_event(draw=draw, kind=kind, substitution=substitution, replacement=replacement)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("说明不能超过 2000 字。")})

    latest = (
        Filing.objects.filter(draw=draw, kind=kind, substitution=substitution, replacement=replacement)
        .select_related("decision")
        .order_by("-submitted_at", "-id")
        .first()
    )
    previous: Filing | None = None
    now = timezone.now()
    due_at = _deadline(actor=actor, draw=draw, kind=kind, substitution=substitution, replacement=replacement)
    if latest is not None:
        decision = FilingDecision.objects.filter(filing=latest).first()
        if decision is None or decision.decision != FilingDecision.Decision.RETURNED:
            raise ValidationError(_("该抽取已报送备案，无需重复报送。"))
        previous = latest
        # A returned filing gets a fresh window from the return, never a shorter one.
        due_at = max(due_at, filing_deadline(actor=actor, draw=draw, start=decision.created_at))

    office = filing_office_for(region=draw.region)
    # The pool stays with the draw (frozen, immutable): the filing refers to it by draw and hash,
    # and its record_sha256 is that of the whole record, pool included.
    record = draw_record(draw, variant="filing", pool=False)
    filing = Filing(
        draw=draw,
        plan_id=draw.plan_id,
        office=office,
        kind=kind,
        substitution=substitution,
        replacement=replacement,
        previous=previous,
        submitted_at=now,
        submitted_by_id=actor.user_id,
        due_at=due_at,
        note=note,
        record=record,
        record_sha256=record_sha256(record, draw=draw),
    )
    filing.set_tenant(actor)
    filing.save()

    if pdf_rendered_in_background(filing):
        # Minutes of layout for thousands of rows: a worker attaches it once this commits.
        transaction.on_commit(lambda: _queue_pdf(filing))
    else:
        _render_pdf(actor, filing)
    # The record itself (the whole pool) is not copied into the log: its SHA-256 stands for it.
    after = audit.snapshot(filing, _AUDITED_FIELDS) | {"pdf": filing.pdf.name or None, "annex": filing.annex.name or None}
    audit.record(
        actor=actor, action="create", target=filing, changes={k: [None, v] for k, v in after.items()},
        note=_("报送备案：%(task)s") % {"task": draw.task.name},
    )
    _store_attachments(actor=actor, filing=filing, uploads=attachments)
    events.emit("sampling.filing.submitted", actor=actor, obj=filing)

    if office.pk == actor.organization_id:
        # A joint plan's draw is organized by the office itself: filed and acknowledged at once.
        _decide(actor=actor, filing=filing, decision=FilingDecision.Decision.ACKNOWLEDGED, reason=JOINT_SELF_REASON)
    return filing


def _stored(field: Any) -> bool:
    return bool(field) and field.storage.exists(field.name)


def _attach_annex(actor: Actor, filing: Filing, source: RecordSource) -> None:
    """Write the annex (every target and reserve, names a chunk at a time) and attach it with its
    SHA-256."""
    targets, reserves = filing_annex_rows(actor=actor, filing=filing, source=source)
    info = [
        (_("备案编号"), filing.pk),
        (_("报送单位"), filing.organization.name),
        (_("备案机关"), filing.office.name),
        (_("抽查任务"), filing.draw.task.name),
        (_("任务编号"), filing.draw.task_uid),
        (_("报送时间"), timezone.localtime(filing.submitted_at).strftime("%Y-%m-%d %H:%M")),
        (_("备案记录摘要（SHA-256）"), filing.record_sha256),
        (_("抽中对象数"), source.count("selected")),
        (_("备选对象数"), source.count("reserve")),
    ]
    with pdf.annex_file(info=info, targets=targets, reserves=reserves) as (handle, sha256):
        filing.annex.save(f"filing-{filing.draw.task_uid}-{filing.pk}-annex.xlsx", File(handle), save=False)
    filing.annex_sha256 = sha256


def _render_pdf(actor: Actor, filing: Filing) -> list[str]:
    """Render the 备案表 and attach it, with its annex first when the sheet lists only part of
    the targets (the PDF prints the annex's SHA-256). Returns the fields it set.

    A worker loads the filing without its record: the record's long lists are read an element
    at a time (``record_source``): decoded whole, a record of tens of thousands of targets would
    stay in the memory of the process that then lays out the PDF."""
    source = record_source(filing)
    changed: list[str] = []
    if annex_needed(filing, source) and not _stored(filing.annex):
        _attach_annex(actor, filing, source)
        changed += ["annex", "annex_sha256"]
        # openpyxl's workbook and sheets refer to each other: the shared-string table of a long
        # annex waits for the cycle collector, which must run before layout.
        gc.collect()
    sheet = filing_sheet(actor=actor, filing=filing, source=source)
    del source  # the sheet holds its first rows only
    content = pdf.filing_form_pdf(sheet)
    filing.pdf.save(f"filing-{filing.draw.task_uid}-{filing.pk}.pdf", ContentFile(content), save=False)
    changed.append("pdf")
    filing.save(update_fields=[*changed, "updated_at"])
    return changed


def _queue_pdf(filing: Filing) -> None:
    from sampling.tasks import filing_pdf_task  # noqa: PLC0415  (tasks import the services)

    # The job writes the filer's row whoever asked (the office, after a lost job): it acts for
    # the filing's organization, as no one in particular — the sheet is the record as filed.
    filing_pdf_task.delay(filing.pk, actor={"user_id": None, "organization_id": filing.organization_id, "via": "task"})


def filing_pdf_request(*, actor: Actor, filing: Filing) -> None:
    """Ask a worker for a filing's missing PDF again (its first job lost with a worker, say):
    harmless when one is already on its way, which attaches the PDF once. ``actor`` sees the
    filing (the caller read it through the scoped managers)."""
    _queue_pdf(filing)


@transaction.atomic
def filing_attach_pdf(*, actor: Actor, filing: Filing) -> Filing:
    """Render and attach the 备案表 of a filing that has none, or whose file has gone missing, with
    its annex when it needs one (the worker's half of ``filing_submit``). An attached annex is
    never replaced; a lost one is written again, and the PDF with it (it prints its hash). The
    row lock makes a second job wait for the first, then find the PDF."""
    filing = (
        Filing.objects.select_for_update().select_related("draw", "draw__task", "organization", "office")
        .defer("record").get(pk=filing.pk)
    )
    before = {"pdf": filing.pdf.name or None, "annex": filing.annex.name or None, "annex_sha256": filing.annex_sha256}
    annex_lost = bool(filing.annex_sha256) and not _stored(filing.annex)
    if _stored(filing.pdf) and not annex_lost:
        return filing
    if annex_lost:
        filing.annex = None
    _render_pdf(actor, filing)
    after = {"pdf": filing.pdf.name, "annex": filing.annex.name or None, "annex_sha256": filing.annex_sha256}
    audit.record(
        actor=actor, action="update", target=filing,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        note=_("备案表已生成：%(task)s") % {"task": filing.draw.task_uid},
    )
    return filing


def _store_attachments(
    *, actor: Actor, filing: Filing, uploads: Sequence[CheckedUpload], decision: FilingDecision | None = None
) -> list[FilingAttachment]:
    """Each checked upload as an attachment of the filing (or of the decision on it), audited."""
    return [
        attachment_store(
            actor=actor, attachment=FilingAttachment(filing=filing, decision=decision), upload=upload,
            note=_("备案附件：%(name)s（SHA-256 %(sha)s）") % {"name": upload.name, "sha": upload.sha256},
        )
        for upload in uploads
    ]


@transaction.atomic
def filing_attach(*, actor: Actor, filing: Filing, attachments: Sequence[CheckedUpload]) -> list[FilingAttachment]:
    """补充附件: the filer adds files to a filing already sent (the 备案表 signed and scanned
    exists only after the PDF). Append-only: nothing is replaced or removed."""
    ensure(can_file, actor, message=_("只有管理员、计划编制人员或分管领导可以上传备案附件。"))
    ensure(can_attach_to_filing, actor, filing)
    if not attachments:
        raise ValidationError({"attachments": _("请选择要上传的文件。")})
    return _store_attachments(actor=actor, filing=filing, uploads=attachments)


def _decide(
    *, actor: Actor, filing: Filing, decision: str, reason: str, attachments: Sequence[CheckedUpload] = ()
) -> FilingDecision:
    row = FilingDecision(filing=filing, decision=decision, reason=reason, decided_by_id=actor.user_id)
    row.set_tenant(actor)
    row.save()
    # The audit log keeps the Chinese word whatever the page's language (pages translate labels).
    decided = fixed_label(FilingDecision.Decision, row.decision)
    audit.record_create(actor=actor, obj=row, note=f"{decided}：{reason}" if reason else "")
    _store_attachments(actor=actor, filing=filing, uploads=attachments, decision=row)
    events.emit("sampling.filing.decided", actor=actor, obj=row)
    return row


@transaction.atomic
def filing_decide(
    *, actor: Actor, filing: Filing, decision: str, reason: str = "", attachments: Sequence[CheckedUpload] = ()
) -> FilingDecision:
    """The office acknowledges (确认备案) or returns (退回, reason required) a filing, once, with
    ``attachments`` (its signed receipt, say)."""
    ensure(can_decide_filings, actor)
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    ensure(can_decide_filing, actor, filing)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if decision not in FilingDecision.Decision.values:
        errors["decision"] = _("请选择“确认备案”或“退回”。")
    if decision == FilingDecision.Decision.RETURNED and not reason:
        errors["reason"] = _("退回时必须填写退回原因。")
    if len(reason) > 300:
        errors["reason"] = _("意见不能超过 300 字。")
    if errors:
        raise ValidationError(errors)
    if FilingDecision.objects.filter(filing=filing).exists():
        raise ValidationError(_("该备案已办理，不能重复办理。"))
    return _decide(actor=actor, filing=filing, decision=decision, reason=reason, attachments=attachments)


def filing_acknowledge(*, actor: Actor, filing: Filing, reason: str = "") -> FilingDecision:
    return filing_decide(actor=actor, filing=filing, decision=FilingDecision.Decision.ACKNOWLEDGED, reason=reason)


def filing_return(*, actor: Actor, filing: Filing, reason: str) -> FilingDecision:
    return filing_decide(actor=actor, filing=filing, decision=FilingDecision.Decision.RETURNED, reason=reason)


@transaction.atomic
def filing_resubmit(
    *, actor: Actor, filing: Filing, note: str = "", attachments: Sequence[CheckedUpload] = ()
) -> Filing:
    """Answer a returned filing with a new one for the same draw and event."""
    ensure(can_resubmit_filing, actor, filing)
    decision = FilingDecision.objects.filter(filing=filing).first()
    if decision is None or decision.decision != FilingDecision.Decision.RETURNED:
        raise ValidationError(_("只有被退回的备案可以重新报送。"))
    if Filing.objects.filter(previous=filing).exists():
        raise ValidationError(_("该备案已重新报送。"))
    return filing_submit(
        actor=actor,
        draw=filing.draw,
        kind=filing.kind,
        substitution=filing.substitution,
        replacement=filing.replacement,
        note=note,
        attachments=attachments,
    )

