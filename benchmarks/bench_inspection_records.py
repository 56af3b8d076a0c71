"""A task's 检查记录表 as one zip: what the worker's job costs in time and peak memory for a task of
1,000 × scale inspections.

The county of ``bench_draw`` (entities × 4 of the targets at least, risk A–D in quarters, 300
inspectors, teams of 2); a task over two check items of six points each draws 250 × scale targets
per risk class by count, in the ceremony; the draw makes the inspections (inspections' handler of
``sampling.draw.completed``). Their results are then written in bulk as a finished task has them
(every point answered, method, dates, a result code, a refusal recorded): the figure is the zip's,
not the filling's. The job runs in a fresh process (``benchmarks.inspection_records_worker``), as
a Celery worker runs it: its time, time per record, peak RSS (target < 500 MB whatever the task's
size: memory must not grow with it) and the zip's size.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from benchmarks.bench_draw import _world
from inspections.models import Answer, Inspection, InspectionPart, ResultCode
from inventory.models import CheckItem, CheckPoint
from sampling.models import SamplingPlan, SamplingTask
from sampling.services import draws as draw_services
from tenancy.actors import actor_for
from tenancy.models import Membership, Organization, User
from tenancy.scoping import actor_scope, system_scope

POINTS = (
    "经营许可证是否在有效期内并悬挂", "是否按规定公示收费标准", "安全出口是否畅通",
    "是否建立并执行进货查验记录制度", "从业人员是否持证上岗", "是否接纳未成年人",
)


def _items(org: Organization) -> list[CheckItem]:
    items = []
    for n, name in enumerate(("文化市场经营行为检查", "旅游服务质量检查"), start=1):
        item = CheckItem.objects.create(
            organization=org, region=org.region, code=f"BENCH-{n:03d}", name=name, legal_basis="《娱乐场所管理条例》第九条",
        )
        CheckPoint.objects.bulk_create(
            CheckPoint(organization=org, region=org.region, item=item, order=i, project=text, sub_item="现场检查",
                       content=text, basis="《娱乐场所管理条例》")
            for i, text in enumerate(POINTS, start=1)
        )
        items.append(item)
    return items


def _task(base: SamplingTask, per_class: int, items: list[CheckItem]) -> SamplingTask:
    plan = SamplingPlan.objects.get(pk=base.plan_id)
    plan.items.set(items)
    task = SamplingTask.objects.create(
        organization_id=base.organization_id, region_id=base.region_id, plan=plan, name="基准测试检查任务",
        uid="BENCH-INSPECT-1", status=SamplingTask.Status.READY, reserve_size=1, team_requirements=base.team_requirements,
        strata=[{"stratum": s, "count": per_class} for s in "ABCD"],
    )
    task.items.set(items)
    return task


def _finish(task: SamplingTask) -> int:
    """Write the results a finished task holds, in bulk: every point answered, the visit's fields."""
    today = timezone.localdate()
    inspections = list(Inspection.objects.filter(task=task).values_list("pk", flat=True))
    parts = list(InspectionPart.objects.filter(inspection__task=task).values_list("pk", "organization_id", "region_id"))
    points = list(CheckPoint.objects.filter(item__in=task.items.all()).values_list("pk", "item_id"))
    Answer.objects.bulk_create(
        (Answer(organization_id=org, region_id=region, part_id=part, item_id=item, point_id=point,
                status=Answer.Status.ABNORMAL if (part + point) % 17 == 0 else Answer.Status.NORMAL,
                note="现场核查，情况属实" if point % 3 == 0 else "", changed_in=2)
         for part, org, region in parts for point, item in points),
        batch_size=5000,
    )
    Inspection.objects.filter(task=task).update(
        status=Inspection.Status.SUBMITTED, confirmed_at=timezone.now(), method=Inspection.Method.ONSITE,
        started_on=today - dt.timedelta(days=3), ended_on=today - dt.timedelta(days=2), signature_refused=True,
        refusal_reason="负责人不在场，店员拒绝签字", result_reason="",
    )
    clean = ResultCode.objects.get(code="01")
    Inspection.results.through.objects.bulk_create(
        (Inspection.results.through(inspection_id=pk, resultcode_id=clean.pk) for pk in inspections), batch_size=5000,
    )
    return len(inspections)


def _worker(db_name: str, task_id: int, user_id: int, org_id: int, media: str) -> dict[str, Any]:
    env = {**os.environ, "MEDIA_ROOT": media}
    command = [sys.executable, "-m", "benchmarks.inspection_records_worker", db_name, str(task_id), str(user_id), str(org_id)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        print(done.stdout[-2000:], done.stderr[-4000:], flush=True)
        raise RuntimeError("the records worker failed")
    return json.loads(lines[-1].removeprefix("RESULT "))


def run(args: Any) -> None:
    per_class = max(10, round(250 * args.scale))
    org, base = _world(max(8 * per_class, 4000))
    media = tempfile.mkdtemp(prefix="bench-records-")
    settings.MEDIA_ROOT = media
    with system_scope():
        items = _items(org)
        task = _task(base, per_class, items)
        user = User.objects.create_user(username="bench_planner", password="x" * 12)
        Membership.objects.create(user=user, organization=org, region=org.region, is_planner=True, is_viewer=True)
    actor = actor_for(user, org)
    started = time.perf_counter()
    with actor_scope(actor):
        draw = draw_services.draw_commit(actor=actor, task=task)
        draw = draw_services.draw_execute(actor=actor, draw=draw, public_entropy="bench", witnesses=["基准"])
    print(f"drawn {sum(a['selected'] for a in draw.allocation):,} targets (inspections made with the draw): "
          f"{time.perf_counter() - started:.1f}s", flush=True)
    with system_scope(), transaction.atomic():
        count = _finish(task)
    print(f"{count:,} inspections with their results written", flush=True)
    # The worker reads what is committed: the benchmark's database is its own, dropped afterwards.
    result = _worker(connection.settings_dict["NAME"], task.pk, user.pk, org.pk, media)
    count = max(1, result["count"])
    per_record = 1000 * result["seconds"] / count
    print(
        f"检查记录表 zip of {result['count']:,} inspections in a fresh worker process: {result['seconds']:.1f}s "
        f"({per_record:.0f} ms a record; CPU {1000 * result['cpu_seconds'] / count:.0f} ms a record), RSS after "
        f"start-up {result['rss_start_mb']:.0f} MB, peak {result['rss_peak_mb']:.0f} MB — target < 500 MB; zip "
        f"{result['zip_bytes'] / 2**20:.1f} MB ({result['zip_bytes'] / count / 1024:.0f} KB a record)",
        flush=True,
    )
