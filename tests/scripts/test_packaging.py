"""What a clone ships: secrets stay out of git and out of the image; the package metadata needs no
deprecated form."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _patterns(path: Path) -> set[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line.rstrip("/").lstrip("/") for line in lines if line and not line.startswith("#")}


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_env_file_is_ignored_by_git():
    for name in (".env", ".env.production"):
        assert subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT).returncode == 0, name
    assert subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=ROOT).returncode == 1


def test_docker_build_context_leaves_out_secrets_and_local_state():
    assert {".env", ".env.*", ".git", ".venv", "var"} <= _patterns(ROOT / ".dockerignore")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    # The image refuses to build if any of them arrived anyway (a context without .dockerignore).
    guard = re.search(r"for p in ([^;]+); do", dockerfile)
    assert guard and set(guard.group(1).split()) >= {".env", ".git", ".venv", "var"}


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "AGPL-3.0-or-later"
    (setuptools,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    assert int(re.search(r">=(\d+)", setuptools).group(1)) >= 77  # PEP 639 support
