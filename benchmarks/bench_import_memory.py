"""Issue 9: what an import holds. Each step runs in a process of its own (import_memory_worker),
so each peak RSS figure is that step's alone (Django and the process itself included).

(a) a workbook of a few hundred KB whose one cell unpacks to 300 MB (× ``--scale``): through the
    upload page's preview and through ``import_registry --dry-run`` — before the fix 1.84 GB and
    1.5 GB; target < 300 MB;
(b) a 1,000,000-row CSV (× ``--scale``) through ``import_registry`` (preview, then the import in
    one transaction) — before the fix 1.2 GB; target < 500 MB, and rows/s.

Its entities live in the county and organization of ``bench_import`` (陵川县 140524), with codes
of their own (JM…), in this benchmark's own database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from django.db import connection, connections

from benchmarks.bench_import import REGION, _department
from inventory.codes import make_uscc

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def hostile_workbook(path: Path, cell_bytes: int) -> None:
    """A header, one row whose name cell holds ``cell_bytes`` of "A", one ordinary row; written
    streaming, so generating it holds a megabyte."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')

        def row(*cells: str) -> str:
            return "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"

        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(f'<worksheet xmlns="{MAIN}"><sheetData>{row("统一社会信用代码", "主体名称")}'.encode())
            out.write(f'<row><c t="inlineStr"><is><t>{make_uscc("91", REGION, "JM0000001")}</t></is></c><c t="inlineStr"><is><t>'.encode())
            chunk = b"A" * (1 << 20)
            for _ in range(cell_bytes >> 20):
                out.write(chunk)
            out.write(f'</t></is></c></row>{row(make_uscc("91", REGION, "JM0000002"), "乙公司")}</sheetData></worksheet>'.encode())


def big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("统一社会信用代码,主体名称,主体类型,法定代表人,住所（经营场所）,行业代码,成立日期,信用风险分类,投诉举报数\r\n")
        for i in range(rows):
            out.write(f"{make_uscc('91', REGION, f'JM{i:07d}')},陵川县基准商贸有限公司{i},企业,王{i % 97},"
                      f"陵川县崇文镇{i % 300}号,F5211,20{i % 24:02d}-0{1 + i % 9}-1{i % 9},{'ABCD'[i % 4]},{i % 3}\r\n")


def _worker(mode: str, path: Path, *extra: str, media: str) -> dict[str, Any]:
    env = {**os.environ, "DJANGO_MEDIA_ROOT": media}
    command = [sys.executable, "-m", "benchmarks.import_memory_worker", connection.settings_dict["NAME"], mode, str(path), *extra]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        print(done.stdout[-2000:], done.stderr[-4000:], flush=True)
        raise RuntimeError("the import worker failed")
    return json.loads(lines[-1].removeprefix("RESULT "))


def run(args: Any) -> None:
    _department()  # the organization the workers import for
    connections.close_all()  # the workers' connections only, while they run
    work = Path(tempfile.mkdtemp(prefix="bench-import-memory-"))
    media = str(work / "media")
    cell = max(16, int(300 * args.scale)) << 20
    started = time.perf_counter()
    hostile = work / "hostile.xlsx"
    hostile_workbook(hostile, cell)
    print(f"(a) workbook of {hostile.stat().st_size / 1024:.0f} KB whose one cell unpacks to {cell >> 20} MB "
          f"(made in {time.perf_counter() - started:.1f}s)", flush=True)
    for label, mode, extra in (("upload page's preview", "preview", ()), ("import_registry --dry-run", "command", ("--dry-run",))):
        r = _worker(mode, hostile, *extra, media=media)
        outcome = f"{r['total_rows']} rows, {r['rejected']} rejected: {r['first_error']}" if mode == "preview" else r["summary"]
        print(f"  {label}: {r['seconds']:.1f}s, peak RSS {r['rss_peak_mb']:.0f} MB (after start-up {r['rss_start_mb']:.0f} MB)"
              f" — {outcome}", flush=True)
    print("  target < 300 MB (before: 1.84 GB preview, 1.5 GB --dry-run)", flush=True)

    rows = max(1000, int(1_000_000 * args.scale))
    big = work / "big.csv"
    started = time.perf_counter()
    big_csv(big, rows)
    print(f"(b) CSV of {rows:,} rows, {big.stat().st_size / 2**20:.0f} MB (made in {time.perf_counter() - started:.1f}s)", flush=True)
    r = _worker("command", big, media=media)
    print(f"  import_registry: {r['seconds']:.1f}s = {rows / r['seconds']:.0f} rows/s (preview and import), peak RSS "
          f"{r['rss_peak_mb']:.0f} MB (after start-up {r['rss_start_mb']:.0f} MB) — {r['summary']}", flush=True)
    print("  target < 500 MB (before: 1.2 GB, 91 s)", flush=True)
    big.unlink()
