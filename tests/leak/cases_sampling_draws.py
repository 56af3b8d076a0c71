"""Leak-matrix entries for the draw ceremony, recusals and replacements."""

from __future__ import annotations

from tests.factories import (
    make_committed_draw,
    make_completed_draw,
    make_draw_job,
    make_ready_task,
    make_recusal,
    make_recusal_attachment,
)

from .registry import Case

FACTORIES = {
    "draw_task": make_ready_task,
    "draw_committed": make_committed_draw,
    "draw_completed": make_completed_draw,
    "draw_recusal": make_recusal,
    "draw_recusal_attachment": make_recusal_attachment,
    "draw_job": make_draw_job,
}


def _plan(task_or_draw) -> dict:
    return {"pk": task_or_draw.plan_id}


CASES = {
    "sampling:draw_start": Case(factory="draw_task"),
    "sampling:draw_commit": Case(factory="draw_task", method="post"),
    "sampling:draw_detail": Case(factory="draw_completed"),
    "sampling:draw_execute": Case(factory="draw_committed", method="post", data={"public_entropy": "1", "witnesses": "甲"}),
    "sampling:draw_abandon": Case(factory="draw_committed", method="post", data={"reason": "重新冻结"}),
    "sampling:draw_verify": Case(factory="draw_completed"),
    "sampling:draw_record": Case(factory="draw_completed"),
    "sampling:draw_targets_xlsx": Case(factory="draw_completed"),
    "sampling:draw_progress": Case(factory="draw_job"),
    "sampling:draw_plan_all": Case(factory="draw_task", method="post", kwargs=_plan, data={"witnesses": "甲"}),
    "sampling:recusal_request": Case(factory="draw_completed"),
    "sampling:recusal_decide": Case(factory="draw_recusal"),
    "sampling:recusal_attachment": Case(factory="draw_recusal_attachment"),
    "sampling:recusal_list": Case(factory="draw_recusal", kind="list"),
    "sampling:replacement_create": Case(factory="draw_completed"),
    "api:draw-list": Case(factory="draw_completed", kind="list"),
    "api:draw-detail": Case(factory="draw_completed"),
    "api:draw-record": Case(factory="draw_completed"),
}
