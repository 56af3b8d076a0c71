"""What the inspection page shows, gathered in one place: the visit, each department's part
with its check points, answers and evidence, what the actor may do (``inspections.policies``),
the save conflicts, the review history, the versions and the follow-up.

On a joint visit (one inspection, a part per department) the team that visits together sees the
whole visit: the actor's own part first, then the other departments' parts read-only — their
check points, answers, notes, evidence and who filled them. Those parts' items are read past
the actor's scope once the visit itself was found in it (``items_of_parts``, as the record does)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _

from inspections import policies
from inspections.documents.records import items_of_parts
from inspections.forms.fill import DraftForm, point_name, result_code_groups
from inspections.models import Answer, DraftConflict, Evidence, Handling, Inspection, InspectionPart, Review
from inspections.services import inspections as svc
from inventory.models import CheckItem, CheckPoint
from tenancy.context import Actor

MAP_SEARCH = "https://uri.amap.com/search?keyword="

STATUS_BADGE = {
    Inspection.Status.PENDING: "info",
    Inspection.Status.TODO: "warn",
    Inspection.Status.DRAFT: "info",
    Inspection.Status.SUBMITTED: "info",
    Inspection.Status.RETURNED: "bad",
    Inspection.Status.APPROVED: "ok",
    Inspection.Status.REPLACED: "",
}
HANDLING_BADGE = {
    Handling.Status.OPEN: "warn", Handling.Status.IN_PROGRESS: "info", Handling.Status.RECHECK: "info",
    Handling.Status.CLOSED: "ok",
}


def map_url(address: str) -> str:
    """A link that opens the address in a map (a plain link the phone follows; nothing loaded)."""
    return MAP_SEARCH + quote(address) if address else ""


@dataclass
class PointRow:
    point: CheckPoint
    answer: Answer | None
    evidence: list[Evidence] = field(default_factory=list)
    input: Any = None
    note: Any = None
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return point_name(self.point.pk)

    @property
    def shown_value(self) -> str:
        """The answer as read (for parts the actor does not fill)."""
        a = self.answer
        if a is None:
            return ""
        if a.status:
            return a.get_status_display()
        if a.text:
            return a.text
        if a.number is not None:
            text = format(a.number, "f")
            return text.rstrip("0").rstrip(".") if "." in text else text
        if a.date is not None:
            return a.date.isoformat()
        return ""

    @property
    def abnormal(self) -> bool:
        return self.answer is not None and self.answer.status == Answer.Status.ABNORMAL


@dataclass
class ItemGroup:
    item: CheckItem
    rows: list[PointRow]


@dataclass
class PartView:
    part: InspectionPart
    mine: bool
    editable: bool
    groups: list[ItemGroup]
    evidence: list[Evidence]
    inspectors: list[str] = field(default_factory=list)  # who fills it (the draw's names)


def inspection_parts(inspection: Inspection) -> list[InspectionPart]:
    parts = list(
        InspectionPart.objects.filter(inspection=inspection).select_related("organization").prefetch_related("items")
    )
    for part in parts:
        part.inspection = inspection
    # policies.departments_of reads this instead of asking again.
    inspection._department_ids = {p.organization_id for p in parts}  # type: ignore[attr-defined]
    return parts


def _pool_names(inspection: Inspection) -> dict[int, str]:
    return {int(e["id"]): e.get("name") or e.get("key", "") for e in inspection.draw.inspector_pool if e.get("id") is not None}


def team_names(inspection: Inspection) -> list[str]:
    """The team as drawn, by the names the draw froze (readable by every participant)."""
    names = _pool_names(inspection)
    return [names.get(int(i), f"#{i}") for i in inspection.team]


def _points_of_others(parts: list[InspectionPart]) -> dict[int, list[CheckPoint]]:
    """The check points of other departments' parts, in the form's order (item code, order),
    each carrying its item (read past the actor's scope: see the module's docstring)."""
    out: dict[int, list[CheckPoint]] = {}
    for part_id, items in items_of_parts(p.pk for p in parts).items():
        points = []
        for item in items:
            for point in item.point_list:
                point.item = item
                points.append(point)
        out[part_id] = points
    return out


def inspection_page(
    actor: Actor, inspection: Inspection, *, form: DraftForm | None = None, errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The inspection page's context; ``errors``: a refused submission's, shown at their fields."""
    parts = inspection_parts(inspection)
    can_edit_visit = policies.can_edit_visit(actor, inspection)
    my_part = next((p for p in parts if p.organization_id == actor.organization_id), None)
    can_fill = my_part is not None and policies.can_fill_part(actor, my_part)
    answers: dict[int, dict[int, Answer]] = defaultdict(dict)
    for answer in Answer.objects.filter(part__in=parts):
        answers[answer.part_id][answer.point_id] = answer
    evidence = list(
        Evidence.objects.filter(inspection=inspection, withdrawn_at__isnull=True)
        .exclude(kind=Evidence.Kind.SIGNATURE).select_related("answer").order_by("created_at", "pk")
    )
    by_point: dict[int, list[Evidence]] = defaultdict(list)
    general: dict[int | None, list[Evidence]] = defaultdict(list)
    for row in evidence:
        if row.answer_id is not None:
            by_point[row.answer.point_id].append(row)
        else:
            general[row.part_id].append(row)
    # The actor's own department's parts through the scope (the form and the service read the
    # same points); the other departments' parts past it.
    others = [p for p in parts if p.organization_id not in actor.visible_org_ids]
    points_of = {p.pk: list(svc.required_points(p)) for p in parts if p not in others}
    points_of |= {p.pk: [] for p in others} | _points_of_others(others)
    names = _pool_names(inspection)
    if form is None and (can_fill or can_edit_visit):
        form = DraftForm(
            inspection=inspection, visit=can_edit_visit, part=can_fill,
            points=points_of[my_part.pk] if can_fill and my_part is not None else [],
            answers=answers[my_part.pk] if my_part is not None else {},
            note=my_part.note if my_part is not None else "",
        )
    if form is not None and errors:
        form.add_service_errors({k: v for k, v in errors.items() if k != "__all__"})
    bound = {r["point"].pk: r for r in form.point_rows()} if form is not None else {}
    views = []
    for part in parts:
        editable = can_fill and part is my_part
        groups: dict[int, ItemGroup] = {}
        for point in points_of[part.pk]:
            group = groups.setdefault(point.item_id, ItemGroup(item=point.item, rows=[]))
            row = PointRow(point=point, answer=answers[part.pk].get(point.pk), evidence=by_point.get(point.pk, []))
            if editable and point.pk in bound:
                row.input, row.note, row.errors = bound[point.pk]["field"], bound[point.pk]["note"], bound[point.pk]["errors"]
            group.rows.append(row)
        views.append(PartView(part=part, mine=part is my_part, editable=editable, groups=list(groups.values()),
                              evidence=general.get(part.pk, []),
                              inspectors=[names.get(int(i), f"#{i}") for i in part.inspectors]))
    views.sort(key=lambda v: (not v.mine, v.part.pk))
    versions = list(
        Inspection.objects.filter(selection_id=inspection.selection_id).exclude(pk=inspection.pk)
        .exclude(status=Inspection.Status.REPLACED).order_by("version")
    )
    can_submit = policies.can_submit(actor, inspection)
    signature = inspection.signature if inspection.signature_id and inspection.signature.withdrawn_at is None else None
    return {
        "inspection": inspection, "entity": inspection.entity, "map_url": map_url(inspection.entity.address),
        "badge": STATUS_BADGE.get(inspection.status, ""), "parts": views, "my_part": my_part if can_fill else None,
        "form": form, "editing": form is not None, "can_edit_visit": can_edit_visit, "can_fill": can_fill,
        "can_submit": can_submit, "can_review": policies.can_review(actor, inspection),
        "can_correct": policies.can_correct(actor, inspection),
        "can_add_handling": policies.can_add_handling(actor, inspection) and inspection.results.filter(is_problem=True).exists(),
        "can_confirm": my_part is not None and policies.can_confirm(actor, my_part),
        "general_evidence": general.get(None, []), "signature": signature,
        "result_groups": result_code_groups(), "results": list(inspection.results.all()),
        "team": team_names(inspection),
        "conflicts": list(DraftConflict.objects.filter(inspection=inspection, resolved_at__isnull=True).select_related("by")),
        "can_resolve": can_edit_visit,
        "reviews": list(Review.objects.filter(inspection=inspection).select_related("by", "department").order_by("at", "pk")),
        "versions": versions,
        "handlings": handlings_of(inspection),
        "missing": errors if errors is not None else (svc.submission_errors(inspection) if can_submit and form is not None else {}),
        "submit_errors": errors or {},
        "locked_note": _locked_note(inspection),
    }


def handlings_of(inspection: Inspection) -> list[Handling]:
    """The follow-up of every version of the visit (a measure stays with the result it followed)."""
    rows = list(
        Handling.objects.filter(inspection__selection_id=inspection.selection_id)
        .select_related("organization").order_by("created_at", "pk")
    )
    for row in rows:
        row.badge = HANDLING_BADGE.get(row.status, "")  # type: ignore[attr-defined]
    return rows


def _locked_note(inspection: Inspection) -> str:
    if inspection.status == Inspection.Status.APPROVED:
        return _("检查结果已审核通过并锁定；如需修改，请使用“更正”生成新版本。")
    if inspection.status == Inspection.Status.SUBMITTED:
        return _("检查结果已提交审核，审核期间不能修改。")
    if inspection.status == Inspection.Status.REPLACED:
        return _("该检查对象已被替换，本检查不再进行。")
    return ""
