"""Two inspectors save the same part at once: the later save, based on an older revision, keeps
what only it changed, keeps both texts where both changed a text, keeps the stored value of any
other field both changed, and records the conflict — nothing typed by either is lost."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from inspections.models import Answer, DraftConflict, InspectionPart
from inspections.services import inspections as svc
from tenancy.scoping import actor_scope
from tests.inspections.conftest import drawn
from tests.inspections.support import first, fresh, points_of

pytestmark = pytest.mark.django_db


def test_the_later_save_keeps_both_texts_and_reports_the_conflict(world):
    d = drawn(world, "A1", entities=12, inspectors=4)
    inspection = first(d)
    one, two = (d.actor_of(i) for i in inspection.team)
    [p1, p2] = points_of(inspection)
    with scopes_disabled():
        part = InspectionPart.objects.get(inspection=inspection)
    loaded, loaded_visit = part.revision, inspection.revision  # both open the form at these revisions

    with actor_scope(one):
        first_save = svc.inspection_save(
            actor=one, inspection=inspection, revision=loaded_visit, part=part, part_revision=loaded,
            note="营业执照悬挂在显著位置", answers={p1.pk: {"status": "normal"}}, visit={"result_reason": "甲的说明"},
        )
    assert first_save.conflict is None
    with actor_scope(two):
        later = svc.inspection_save(
            actor=two, inspection=inspection, revision=loaded_visit, part=part, part_revision=loaded,
            note="现场未见营业执照", answers={p1.pk: {"status": "abnormal"}, p2.pk: {"status": "normal"}},
            visit={"result_reason": "乙的说明", "method": "onsite"},
        )
    assert later.conflicted
    with scopes_disabled():
        part.refresh_from_db()
        answers = {a.point_id: a for a in Answer.objects.filter(part=part)}
        conflict = DraftConflict.objects.get(pk=later.conflict.pk)
    assert part.note.startswith("营业执照悬挂在显著位置") and part.note.endswith("现场未见营业执照")
    assert "同时保存的内容" in part.note
    assert answers[p1.pk].status == "normal"  # the stored choice stays; the other is in the conflict
    assert answers[p2.pk].status == "normal"  # only the later save touched it: applied
    visit = fresh(inspection)
    assert visit.method == "onsite" and "甲的说明" in visit.result_reason and "乙的说明" in visit.result_reason
    fields = {(f["field"], f.get("key")): (f["theirs"], f["mine"]) for f in conflict.fields}
    assert fields[("note", None)] == ("营业执照悬挂在显著位置", "现场未见营业执照")
    assert fields[(f"point_{p1.pk}", "status")] == ("normal", "abnormal")
    assert fields[("result_reason", None)] == ("甲的说明", "乙的说明")
    assert (conflict.by_id, conflict.base_revision) == (d.users[inspection.team[1]].pk, loaded)

    # Saved again from the new revision, nothing conflicts.
    with actor_scope(two):
        again = svc.inspection_save(
            actor=two, inspection=inspection, part=part, part_revision=part.revision, answers={p1.pk: {"status": "abnormal"}},
        )
    assert again.conflict is None
    with scopes_disabled():
        assert Answer.objects.get(part=part, point=p1).status == "abnormal"
