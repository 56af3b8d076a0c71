"""The verifier's command line says what it shows: the first 50 problems, then how many more
(``--all`` prints every one) — as the README says."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sampling import hashrank as hr

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[2]
CASES: list[dict[str, Any]] = json.loads((ROOT / "tests" / "fixtures" / "hashrank_vectors.json").read_text(encoding="utf-8"))
INPUTS = {"spec", "task_uid", "secret", "public_entropy", "pool", "excluded", "strata", "reserve_size",
          "inspector_pool", "requirements", "conflicts", "substitutions"}


def _verify(record: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sampling.hashrank", "verify", "-", *args], cwd=ROOT,
        input=json.dumps(record, ensure_ascii=False), capture_output=True, text=True, encoding="utf-8", timeout=60,
    )


def _record(name: str) -> dict[str, Any]:
    (case,) = [c for c in CASES if c["name"] == name]
    inputs = {k: v for k, v in case.items() if k in INPUTS}
    if "substitutions" in inputs:
        inputs["substitutions"] = [{k: v for k, v in s.items() if k != "in"} for s in inputs["substitutions"]]
    return hr.build_record(inputs)


def test_many_problems_print_the_first_50_and_a_count_of_the_rest():
    record = _record("larger-pool-many-conflicts")
    record["public_entropy"] = "changed after the draw"  # every derived field differs
    problems = hr.verify(copy.deepcopy(record))
    assert len(problems) > hr.CLI_PROBLEM_LINES == 50

    short = _verify(record)
    assert short.returncode == 1
    lines = short.stdout.splitlines()
    assert lines[:50] == problems[:50]
    assert lines[50:] == [f"… and {len(problems) - 50} more (use --all)"]

    every = _verify(record, "--all")
    assert every.returncode == 1 and every.stdout.splitlines() == problems


def test_few_problems_are_all_printed_and_a_good_record_says_verified():
    record = _record("single-stratum-3pct")
    assert _verify(record).stdout == "verified\n"
    record["selected"][0]["rank"] = 99
    out = _verify(record)
    assert out.returncode == 1 and out.stdout.splitlines() == hr.verify(record)
    assert "more (use --all)" not in out.stdout


def test_readme_says_what_the_verifier_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"the first {hr.CLI_PROBLEM_LINES} problems" in readme and "more (use --all)" in readme
    assert "every mismatch" not in readme
