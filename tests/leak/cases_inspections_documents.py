"""Leak-matrix entries for the inspection documents (the 检查记录表 and 检查结果告知书, a task's
records as one zip) and the inspections API (list, detail, the writes, record.pdf, progress).

Each organization's own object as in cases_inspections_pages: A1's department inspection for A1,
the county office's joint visit for AO. A zip job is its creator's alone (the planner's here): the
other roles of the same organization get the 404 a foreign job gets.
"""

from __future__ import annotations

from tests.factories import (
    make_filled_inspection,
    make_inspection,
    make_records_job,
    make_submitted_inspection,
)

from .registry import Case

FACTORIES = {
    "inspection_doc": make_inspection,
    "inspection_doc_filled": make_filled_inspection,
    "inspection_doc_submitted": make_submitted_inspection,
    "inspection_records_job": make_records_job,
}

_OWN = {"A1": "A1", "AO": "AO"}


def _task(inspection) -> dict:
    return {"pk": inspection.task_id}


CASES = {
    "inspections:record_preview": Case(factory="inspection_doc", own=_OWN),
    "inspections:record_pdf": Case(factory="inspection_doc", own=_OWN),
    "inspections:notice_preview": Case(factory="inspection_doc", own=_OWN),
    "inspections:notice_pdf": Case(factory="inspection_doc", own=_OWN),
    "inspections:task_records": Case(factory="inspection_doc", kwargs=_task, own=_OWN),
    "inspections:records_job": Case(factory="inspection_records_job", own=_OWN),
    "inspections:records_job_download": Case(factory="inspection_records_job", own=_OWN),
    "api:inspection-list": Case(factory="inspection_doc", kind="list", own=_OWN),
    "api:inspection-detail": Case(factory="inspection_doc", own=_OWN),
    "api:inspection-record-pdf": Case(factory="inspection_doc", own=_OWN),
    "api:inspection-confirm": Case(factory="inspection_doc", method="post", data={"note": "已比对"}, own=_OWN),
    "api:inspection-draft": Case(factory="inspection_doc", method="post", data={"note": "现场情况"}, own=_OWN),
    "api:inspection-submit": Case(factory="inspection_doc_filled", method="post", own=_OWN),
    "api:inspection-approve": Case(factory="inspection_doc_submitted", method="post", own=_OWN),
    "api:inspection-return": Case(factory="inspection_doc_submitted", method="post", data={"comment": "请补充"}, own=_OWN),
    "api:inspectionprogress-list": Case(factory="inspection_doc", kind="list", own=_OWN),
    "api:inspectionprogress-detail": Case(factory="inspection_doc", kwargs=_task, own=_OWN),
}
