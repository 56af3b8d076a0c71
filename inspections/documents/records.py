"""What the 检查记录表 and the 检查结果告知书 show, read for many inspections at once.

``RecordReader`` reads inspections in batches (a task's zip reads a thousand): each batch is a
handful of queries whatever its size, and what every inspection of a draw shares — the draw's
inspector names, the check points of its items, the result-code names — is read once and kept.
The draw row is read without its frozen pool and record blobs (a county's draw holds tens of
megabytes of them), only its number, time and inspector side.

A joint visit's record holds every department's part (一企一表): the items and check points of a
part are read below the scope once the part itself was found in it — a department reading the
visit sees the other departments' parts, whose items its own scope does not list
(``items_of_parts``, shared with the API).

A record is a plain dict of strings, dates and lists: the templates only print it.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from inspections.models import Answer, Evidence, Handling, Inspection, InspectionPart, Review
from inventory.models import CheckItem, CheckPoint, Inspector
from sampling.models import Draw
from tenancy.models import Organization, User

# A signature drawn on a phone is a few kilobytes; anything past this is not inlined in a sheet.
SIGNATURE_MAX_BYTES = 2 * 1024 * 1024
BATCH = 50


def _answer_text(point: CheckPoint, answer: Answer | None, photos: int) -> str:
    """The answer as the sheet prints it, by the point's answer kind."""
    if point.answer_kind == CheckPoint.AnswerKind.PHOTO:
        return _("照片 %(n)s 张") % {"n": photos} if photos else ""
    if answer is None:
        return ""
    if point.answer_kind == CheckPoint.AnswerKind.STATUS:
        return answer.get_status_display() if answer.status else ""
    if point.answer_kind == CheckPoint.AnswerKind.TEXT:
        return answer.text
    if point.answer_kind == CheckPoint.AnswerKind.NUMBER:
        return "" if answer.number is None else f"{answer.number.normalize():f}"
    if point.answer_kind == CheckPoint.AnswerKind.DATE:
        return answer.date.isoformat() if answer.date else ""
    return ""


def _data_uri(evidence: Evidence | None) -> str:
    """The signature as a data: URI (the preview's CSP and WeasyPrint both take it; nothing is
    fetched by URL): the display copy when there is one, else the original."""
    if evidence is None or evidence.withdrawn_at is not None:
        return ""
    try:
        if evidence.display:
            with default_storage.open(evidence.display, "rb") as handle:
                data = handle.read(SIGNATURE_MAX_BYTES + 1)
        else:
            with evidence.file.open("rb") as handle:
                data = handle.read(SIGNATURE_MAX_BYTES + 1)
    except (OSError, ValueError):  # the file is missing on this server: the sheet shows no image
        return ""
    if len(data) > SIGNATURE_MAX_BYTES:
        return ""
    # The type the bytes are (both copies are checked images), never the name's.
    content_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8\xff") else ""
    if not content_type:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def items_of_parts(part_ids: Iterable[int]) -> dict[int, list[CheckItem]]:
    """Each part's items (ordered by code), each with ``point_list`` (its check points in order).
    The parts were found in the caller's scope; their items are read unscoped (see above)."""
    links = list(InspectionPart.items.through.objects.filter(inspectionpart_id__in=list(part_ids)).values_list(
        "inspectionpart_id", "checkitem_id"
    ))
    items = {i.pk: i for i in CheckItem._base_manager.filter(pk__in={item for _part, item in links})}
    for item in items.values():
        item.point_list = []
    for point in CheckPoint._base_manager.filter(item_id__in=list(items)).order_by("item_id", "order", "pk"):
        items[point.item_id].point_list.append(point)
    out: dict[int, list[CheckItem]] = defaultdict(list)
    for part, item in links:
        out[part].append(items[item])
    for part_items in out.values():
        part_items.sort(key=lambda i: (i.code, i.pk))
    return out


def _user_name(user: User | None) -> str:
    return str(user) if user is not None else ""


class RecordReader:
    """Reads record dicts for inspections; keep one per job so the shared parts are read once."""

    def __init__(self) -> None:
        self._draws: dict[int, Draw] = {}
        self._inspectors: dict[int, dict[int, dict[str, Any]]] = {}
        self._items: dict[int, list[CheckItem]] = {}
        self._orgs: dict[int, Organization] = {}

    # ------------------------------------------------------------------ shared parts

    def _draw(self, draw_id: int) -> Draw:
        if draw_id not in self._draws:
            self._draws[draw_id] = Draw.objects.only(
                "pk", "task_uid", "drawn_at", "inspector_pool", "organization_id", "plan_id", "task_id",
            ).get(pk=draw_id)
        return self._draws[draw_id]

    def _inspector_index(self, draw_id: int) -> dict[int, dict[str, Any]]:
        """Inspector id → name, certificate number (the draw record's key) and department, as
        frozen by the draw: a joint visit names the other departments' inspectors too, whose
        registry rows the actor's scope does not show."""
        if draw_id not in self._inspectors:
            self._inspectors[draw_id] = {
                int(e["id"]): {"name": e.get("name") or "", "cert_no": e.get("key") or "", "org": e.get("org")}
                for e in self._draw(draw_id).inspector_pool if e.get("id") is not None
            }
        return self._inspectors[draw_id]

    def _inspector(self, draw_id: int, inspector_id: int) -> dict[str, Any]:
        index = self._inspector_index(draw_id)
        if inspector_id not in index:
            # A substitute drawn outside the frozen pool, or an older draw: the registry row.
            row = Inspector.objects.filter(pk=inspector_id).values("name", "cert_no", "organization_id").first()
            index[inspector_id] = (
                {"name": row["name"], "cert_no": row["cert_no"], "org": row["organization_id"]}
                if row else {"name": f"#{inspector_id}", "cert_no": "", "org": None}
            )
        return index[inspector_id]

    def _load_items(self, part_ids: Iterable[int]) -> None:
        missing = [pk for pk in part_ids if pk not in self._items]
        if missing:
            self._items.update(dict.fromkeys(missing, []) | items_of_parts(missing))

    def _org(self, org_id: int) -> Organization:
        if org_id not in self._orgs:
            self._orgs[org_id] = Organization.objects.select_related("region").get(pk=org_id)
        return self._orgs[org_id]

    # ------------------------------------------------------------------ the records

    def queryset(self, ids: Sequence[int]) -> Any:
        parts = InspectionPart.objects.select_related("organization", "approved_by", "completed_by").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.order_by("pk")),
        ).order_by("pk")
        return (
            Inspection.objects.filter(pk__in=list(ids))
            .select_related("entity", "task", "plan", "signature", "approved_by", "submitted_by", "previous")
            .prefetch_related(
                "results",
                Prefetch("parts", queryset=parts),
                Prefetch("handlings", queryset=Handling.objects.select_related("organization", "transfer_to").order_by("created_at", "pk")),
                Prefetch("evidence", queryset=Evidence.objects.filter(withdrawn_at__isnull=True).order_by("pk")),
                Prefetch("reviews", queryset=Review.objects.select_related("department", "by").order_by("at", "pk")),
            )
        )

    def records(self, ids: Sequence[int], *, batch: int = BATCH) -> Iterator[dict[str, Any]]:
        """The records of ``ids`` in that order, read ``batch`` inspections at a time."""
        for start in range(0, len(ids), batch):
            chunk = list(ids[start:start + batch])
            found = {i.pk: i for i in self.queryset(chunk)}
            # The chunk's parts' items at once (a task's parts share them: kept, not read again).
            self._load_items(p.pk for i in found.values() for p in i.parts.all())
            for pk in chunk:
                if pk in found:
                    yield self.record(found[pk])

    def record(self, inspection: Inspection) -> dict[str, Any]:
        parts = list(inspection.parts.all())
        self._load_items(p.pk for p in parts)
        evidence = list(inspection.evidence.all())
        photos_of: dict[int, int] = defaultdict(int)
        for e in evidence:
            if e.answer_id is not None and e.kind == Evidence.Kind.PHOTO:
                photos_of[e.answer_id] += 1
        draw = self._draw(inspection.draw_id)
        owner = self._org(inspection.organization_id)
        sections = [self._part(inspection, part, photos_of) for part in parts]
        codes = sorted(inspection.results.all(), key=lambda c: (c.order, c.code))
        handlings = [
            {
                "measure": h.get_measure_display(), "status": h.get_status_display(), "closed": h.is_closed,
                "department": h.organization.name, "description": h.description, "due_on": h.due_on,
                "case_no": h.case_no, "transfer_to": h.transfer_to.name if h.transfer_to else h.transfer_to_name,
                "recheck_on": h.recheck_on, "recheck_result": h.recheck_result, "outcome": h.outcome,
                "closed_at": h.closed_at,
            }
            for h in inspection.handlings.all()
        ]
        approvals = [r for r in inspection.reviews.all() if r.action == Review.Action.APPROVED and r.version == inspection.version]
        return {
            "pk": inspection.pk,
            "number": f"{draw.task_uid}-{inspection.pk}" + (f"-v{inspection.version}" if inspection.version > 1 else ""),
            "status": inspection.status,
            "status_label": inspection.get_status_display(),
            "approved": inspection.status == Inspection.Status.APPROVED,
            "is_current": inspection.is_current,
            "version": inspection.version,
            "correction_reason": inspection.correction_reason,
            "owner": owner.name,
            "is_joint": inspection.plan.kind == "joint",
            "departments": [s["department"] for s in sections],
            "entity": {
                "name": inspection.entity.name, "code": inspection.entity.code, "address": inspection.entity.address,
                "legal_representative": inspection.entity.legal_representative,
                "type": inspection.entity.get_entity_type_display(),
            },
            "task": {"name": inspection.task.name, "uid": draw.task_uid},
            "plan": inspection.plan.name,
            "drawn_at": draw.drawn_at,
            "window_start": inspection.window_start,
            "window_end": inspection.window_end,
            "method": inspection.get_method_display() if inspection.method else "",
            "started_on": inspection.started_on,
            "ended_on": inspection.ended_on,
            "inspectors": [self._inspector(inspection.draw_id, i) | {"id": i} for i in inspection.team],
            "sections": sections,
            "results": [{"code": c.code, "name": c.name, "is_problem": c.is_problem} for c in codes],
            "has_problem": any(c.is_problem for c in codes),
            "result_reason": inspection.result_reason,
            "signature": _data_uri(inspection.signature) if inspection.signature_id else "",
            "signature_refused": inspection.signature_refused,
            "refusal_reason": inspection.refusal_reason,
            "handlings": handlings,
            "evidence": [
                {"kind": e.get_kind_display(), "caption": e.caption, "name": e.original_name, "sha256": e.sha256}
                for e in evidence if e.kind != Evidence.Kind.SIGNATURE
            ],
            "submitted_at": inspection.submitted_at,
            "submitted_by": _user_name(inspection.submitted_by),
            "approved_at": inspection.approved_at,
            "approved_by": _user_name(inspection.approved_by),
            "approvals": [
                {"department": r.department.name if r.department else "", "by": _user_name(r.by), "at": r.at, "comment": r.comment}
                for r in approvals
            ],
        }

    def _part(self, inspection: Inspection, part: InspectionPart, photos_of: dict[int, int]) -> dict[str, Any]:
        answers = {a.point_id: a for a in part.answers.all()}
        items = []
        for item in self._items.get(part.pk, []):
            rows = []
            for point in item.point_list:
                answer = answers.get(point.pk)
                rows.append({
                    "order": point.order, "project": point.project, "sub_item": point.sub_item,
                    "content": point.content, "basis": point.basis, "kind": point.answer_kind,
                    "answer": _answer_text(point, answer, photos_of.get(answer.pk, 0) if answer else 0),
                    "abnormal": answer is not None and answer.status == Answer.Status.ABNORMAL,
                    "note": answer.note if answer else "",
                })
            items.append({
                "code": item.code, "name": item.name, "basis": item.legal_basis, "method": item.get_method_display(),
                "points": rows,
            })
        return {
            "department": part.organization.name,
            "inspectors": [self._inspector(inspection.draw_id, i) | {"id": i} for i in part.inspectors],
            "items": items,
            "note": part.note,
            "completed_at": part.completed_at,
            "approved_at": part.approved_at,
            "approved_by": _user_name(part.approved_by),
        }


def record_of(inspection: Inspection) -> dict[str, Any]:
    """One inspection's record (the page's preview and download)."""
    return next(RecordReader().records([inspection.pk]))
