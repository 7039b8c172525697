"""A template that uses an unknown value fails the whole build, from the command line, as every bad input does:
exit code 2, one message naming the template file, its line and the value, no traceback, earlier outputs untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"


def build(project: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py"), "--content", str(project / "publication")],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def snapshot(project: Path) -> dict[str, str]:
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and "templates" not in path.parts
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project built once; each test breaks a copy of it (its cache too, so the failing build is quick)."""
    assert TINY.is_dir(), f"the tiny fixture project is not at {TINY}"
    project = tmp_path_factory.mktemp("built") / "tiny"
    shutil.copytree(TINY, project)
    first = build(project)
    assert first.returncode == 0, first.stderr
    return project


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("{{ pct('no_such_indicator', 1) }}", "no_such_indicator"),
        ("{{ pct('p_used', 99) }}", "99"),
        ("{{ undefined_figure }}", "undefined_figure"),
    ],
)
def test_template_using_an_unknown_value_fails_the_build_naming_template_and_line(built, tmp_path, line, named):
    project = tmp_path / "tiny"
    shutil.copytree(built, project, symlinks=True)
    before = snapshot(project)

    template = project / "publication" / "templates" / "findings" / "broken.md.j2"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text(f"# 标题\n\n{line}\n", encoding="utf-8")
    failed = build(project)

    assert failed.returncode == 2, failed.stderr
    assert "Traceback" not in failed.stderr
    assert "findings/broken.md.j2" in failed.stderr
    assert "row 3" in failed.stderr
    assert named in failed.stderr
    assert snapshot(project) == before
