"""Import a generated 100,000-row entity workbook end to end (issue 3 benchmark).

Target on PostgreSQL: ≥ 5,000 rows/s and < 500 MB peak. ``--scale`` scales the row count.
Prints: workbook generation time, preview (read + validate every row), import (read, validate,
upsert, audit, in one transaction), a re-import of the same file (nothing changes) and an import
of a changed file with the same codes (every row updated: the update path).

Its entities live in their own county (陵川县 140524) and organization, with codes no other
benchmark generates, so it neither touches nor counts the entities of ``bench_entity_list`` or
``bench_draw`` when ``make bench`` runs them in one database.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from openpyxl import Workbook

from benchmarks.support import peak_rss_mb
from inventory.codes import make_uscc
from inventory.importer.jobs import import_run
from inventory.models import ImportJob, MarketEntity, RegistryEntry
from inventory.services.imports import import_preview
from tenancy.actors import actor_for
from tenancy.context import OrgKind, Role
from tenancy.jobs import job_update
from tenancy.models import AuditEntry, Job, Organization, Region
from tenancy.scoping import actor_scope, system_scope

HEADERS = ["统一社会信用代码", "主体名称", "主体类型", "法定代表人", "住所（经营场所）", "行业代码", "所属行业", "成立日期",
           "登记状态", "信用风险分类", "列入经营异常名录", "列入严重违法失信名单", "投诉举报数", "分类标注"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
WORDS = ["宏达", "鑫源", "华晟", "永盛", "金诚", "恒通", "瑞丰", "泰和", "佳禾", "润泽", "东升", "新航"]
TRADES = [("F5211", "百货零售", "商贸有限公司"), ("H6110", "旅游饭店", "酒店管理有限公司"),
          ("R9013", "互联网上网服务", "网络科技有限公司"), ("L7271", "旅行社服务", "旅行社有限公司"),
          ("C1431", "糕点面包制造", "食品有限公司")]


REGION = "140524"  # 陵川县: a county no other benchmark uses
ORG_CODE = "BENCH-IMPORT"


def generate_workbook(rows: int, region: str, seed: int = 20260101) -> bytes:
    """``rows`` entities with codes 91<region>JR0000000… (sequence i); another ``seed`` gives the
    same codes with other names, people, addresses, dates, risk classes and tags."""
    rnd = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("检查对象")
    ws.append(["陵川县检查对象名录库（基准测试）"])  # a title row above the header, as real files have
    ws.append(HEADERS)
    for i in range(rows):
        code, trade, suffix = TRADES[i % len(TRADES)]
        ws.append([
            make_uscc("91", region, f"JR{i:07d}"),
            f"陵川县{rnd.choice(WORDS)}{rnd.choice(WORDS)}{suffix}{i}",
            "企业",
            rnd.choice(SURNAMES) + rnd.choice("伟芳娜敏静强磊军洋勇"),
            f"陵川县崇文镇{rnd.randint(1, 300)}号",
            code,
            trade,
            f"{rnd.randint(1995, 2024)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "存续",
            rnd.choice("AABBBBBCCD"),
            "是" if rnd.random() < 0.03 else "否",
            "否",
            rnd.choice([0, 0, 0, 1, 2]),
            rnd.choice(["", "重点", "食品、重点", "旅游"]),
        ])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _department() -> Any:
    with system_scope():
        province, _ = Region.objects.get_or_create(code="140000", defaults={"name": "山西省", "level": "province"})
        city, _ = Region.objects.get_or_create(code="140500", defaults={"name": "晋城市", "level": "city", "parent": province})
        county, _ = Region.objects.get_or_create(code=REGION, defaults={"name": "陵川县", "level": "county", "parent": city})
        org, _ = Organization.objects.get_or_create(
            code=ORG_CODE, defaults={"name": "陵川县基准测试局", "kind": OrgKind.DEPARTMENT, "region": county}
        )
    return actor_for(None, org, via="bench", roles=frozenset(Role.ALL))


@contextmanager
def measure(label: str) -> Iterator[dict[str, float]]:
    """Wall time and process RSS peak (not tracemalloc: it slows this allocation-heavy code 2–3×)."""
    out: dict[str, float] = {}
    started = time.perf_counter()
    yield out
    out["seconds"] = time.perf_counter() - started
    print(f"{label}: {out['seconds']:.2f}s, process RSS peak so far {peak_rss_mb():.0f} MB", flush=True)


def _import(actor: Any, data: bytes, filename: str, label: str, rows: int) -> ImportJob:
    job = import_preview(actor=actor, kind=ImportJob.Kind.ENTITIES, data=data, filename=filename)
    job.mode = ImportJob.Mode.ALL
    job.save()
    job_update(job.run_id, status=Job.Status.RUNNING)
    with measure(label) as m:
        job = import_run(actor=actor, job=job, report_progress=True)
    print(f"  {rows / m['seconds']:.0f} rows/s; created {job.created_count}, updated {job.updated_count}, "
          f"unchanged {job.unchanged_count}, status {job.status}", flush=True)
    return job


def run(args: Any) -> None:
    rows = max(100, int(100_000 * args.scale))
    actor = _department()
    started = time.perf_counter()
    data = generate_workbook(rows, REGION)
    changed = generate_workbook(rows, REGION, seed=7)
    print(f"generated 2 × {rows} rows ({len(data) / 2**20:.1f} MB .xlsx each) in {time.perf_counter() - started:.1f}s",
          flush=True)
    with actor_scope(actor):
        with measure("preview (read + validate)") as m:
            job = import_preview(actor=actor, kind=ImportJob.Kind.ENTITIES, data=data, filename="bench.xlsx")
        print(f"  {rows / m['seconds']:.0f} rows/s; {job.total_rows} rows, {job.rejected_count} rejected", flush=True)
        _import(actor, data, "bench.xlsx", "IMPORT (read + validate + upsert + audit, one transaction; all new)", rows)
        _import(actor, data, "bench-again.xlsx", "re-import of the same file (nothing changes)", rows)
        _import(actor, changed, "bench-changed.xlsx", "import of a changed file, same codes (update path)", rows)
        print(f"  entities {MarketEntity.objects.count()}, registry entries {RegistryEntry.objects.count()}, "
              f"audit entries {AuditEntry.objects.count()} (this benchmark's county and department only)", flush=True)
    print(f"process peak RSS {peak_rss_mb():.0f} MB (includes generating the workbooks) — target < 500 MB", flush=True)
    connections.close_all()  # the "progress" connection would keep the benchmark database open
