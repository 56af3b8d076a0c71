"""Import a generated 100,000-row entity workbook end to end (issue 3 benchmark).

Target on PostgreSQL: ≥ 5,000 rows/s and < 500 MB peak. ``--scale`` scales the row count.
Prints: workbook generation time, preview (read + validate every row), import (read, validate,
upsert, audit, in one transaction), and a re-import of the same file (nothing changes).
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
from inventory.importing import import_preview, import_run
from inventory.models import ImportJob, MarketEntity, RegistryEntry
from tenancy.actors import actor_for
from tenancy.context import OrgKind, Role
from tenancy.models import AuditEntry, Organization, Region
from tenancy.scoping import actor_scope, system_scope

HEADERS = ["统一社会信用代码", "主体名称", "主体类型", "法定代表人", "住所（经营场所）", "行业代码", "所属行业", "成立日期",
           "登记状态", "信用风险分类", "列入经营异常名录", "列入严重违法失信名单", "投诉举报数", "分类标注"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
WORDS = ["宏达", "鑫源", "华晟", "永盛", "金诚", "恒通", "瑞丰", "泰和", "佳禾", "润泽", "东升", "新航"]
TRADES = [("F5211", "百货零售", "商贸有限公司"), ("H6110", "旅游饭店", "酒店管理有限公司"),
          ("R9013", "互联网上网服务", "网络科技有限公司"), ("L7271", "旅行社服务", "旅行社有限公司"),
          ("C1431", "糕点面包制造", "食品有限公司")]


def generate_workbook(rows: int, region: str) -> bytes:
    rnd = random.Random(20260101)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("检查对象")
    ws.append(["阳城县检查对象名录库（基准测试）"])  # a title row above the header, as real files have
    ws.append(HEADERS)
    for i in range(rows):
        code, trade, suffix = TRADES[i % len(TRADES)]
        ws.append([
            make_uscc("91", region, f"{i:09d}"),
            f"阳城县{rnd.choice(WORDS)}{rnd.choice(WORDS)}{suffix}{i}",
            "企业",
            rnd.choice(SURNAMES) + rnd.choice("伟芳娜敏静强磊军洋勇"),
            f"阳城县凤城镇{rnd.randint(1, 300)}号",
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
        county, _ = Region.objects.get_or_create(code="140522", defaults={"name": "阳城县", "level": "county", "parent": city})
        org, _ = Organization.objects.get_or_create(
            code="BENCH-IMPORT", defaults={"name": "阳城县基准测试局", "kind": OrgKind.DEPARTMENT, "region": county}
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


def run(args: Any) -> None:
    rows = max(100, int(100_000 * args.scale))
    actor = _department()
    started = time.perf_counter()
    data = generate_workbook(rows, "140522")
    print(f"generated {rows} rows ({len(data) / 2**20:.1f} MB .xlsx) in {time.perf_counter() - started:.1f}s", flush=True)
    with actor_scope(actor):
        with measure("preview (read + validate)") as m:
            job = import_preview(actor=actor, kind=ImportJob.Kind.ENTITIES, data=data, filename="bench.xlsx")
        print(f"  {rows / m['seconds']:.0f} rows/s; {job.total_rows} rows, {job.rejected_count} rejected", flush=True)
        job.mode = ImportJob.Mode.ALL
        job.status = ImportJob.Status.RUNNING
        job.save()
        with measure("import (read + validate + upsert + audit, one transaction)") as m:
            job = import_run(actor=actor, job=job, report_progress=True)
        print(f"  {rows / m['seconds']:.0f} rows/s; created {job.created_count}, updated {job.updated_count}, "
              f"status {job.status}", flush=True)
        again = import_preview(actor=actor, kind=ImportJob.Kind.ENTITIES, data=data, filename="bench-again.xlsx")
        again.mode = ImportJob.Mode.ALL
        again.save()
        with measure("re-import of the same file (nothing changes)") as m:
            again = import_run(actor=actor, job=again, report_progress=True)
        print(f"  {rows / m['seconds']:.0f} rows/s; created {again.created_count}, updated {again.updated_count}, "
              f"unchanged {again.unchanged_count}", flush=True)
        print(f"  entities {MarketEntity.objects.count()}, registry entries {RegistryEntry.objects.count()}, "
              f"audit entries {AuditEntry.objects.count()}", flush=True)
    print(f"process peak RSS {peak_rss_mb():.0f} MB (includes generating the workbook)", flush=True)
    connections.close_all()  # the "progress" connection would keep the benchmark database open
