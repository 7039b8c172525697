"""Two builds of the same commit give the same bytes, wherever and whenever they run.

Builds the tracked files twice, in two temporary copies, with the same SOURCE_DATE_EPOCH but a different folder,
hash seed and time zone, then compares every file of datasets/, datapackage.json, docs/ and site/. The first build
starts from an empty chart cache and fills it; the second takes every chart from it, so a warm cache is shown to
change no byte. It is slow (two
full builds), so it is marked `slow`; `make test` and .ci/run run it, `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPARED = ("datasets", "datapackage.json", "docs", "site")
BIN = Path(sys.executable).parent
# Any fixed instant will do; this one is not the publication date, so a build that ignores it would differ.
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def copy_tracked_files(destination: Path) -> None:
    """Copies what git tracks (as it is in the work tree), nothing generated or installed."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listing.decode("utf-8").split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not part of this build
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def build(project: Path, hash_seed: str, time_zone: str, cache: Path) -> str:
    """Builds tables and site; gives build_tables.py's progress log."""
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": EPOCH,
        "PYTHONHASHSEED": hash_seed,
        "TZ": time_zone,
        "SURVEYPRESS_CACHE_DIR": str(cache),
    }
    logs = []
    for command in ([sys.executable, "build_tables.py"], [str(BIN / "mkdocs"), "build", "--strict", "--quiet"]):
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{' '.join(command)} failed in {project}:\n{result.stderr[-3000:]}"
        logs.append(result.stderr)
    return logs[0]


def digests(project: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for name in COMPARED:
        top = project / name
        for path in [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()):
            files[path.relative_to(project).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


@pytest.mark.slow
def test_two_builds_of_the_same_commit_are_byte_for_byte_identical_with_a_cold_and_a_warm_cache(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second-build"
    for project in (first, second):
        copy_tracked_files(project)
    cache = tmp_path / "cache"
    cold = build(first, hash_seed="1", time_zone="UTC", cache=cache)
    warm = build(second, hash_seed="2", time_zone="Asia/Shanghai", cache=cache)
    # One draw line per edition (language): "draw  24 charts (zh-Hans), 24 drawn".
    drawn = [
        [count for line in log.splitlines() if line.startswith("draw ") for count in re.findall(r"(\d+) drawn", line)]
        for log in (cold, warm)
    ]
    assert "0" not in drawn[0] and set(drawn[1]) == {"0"}, (
        f"the first build should draw every chart, the second none: {drawn}"
    )

    first_files, second_files = digests(first), digests(second)
    assert any(name.startswith("site/") for name in first_files), "mkdocs wrote no site/"
    assert "site/sitemap.xml.gz" in first_files, "the gzip header's mtime is one thing this test exists to check"
    only_one = sorted(set(first_files) ^ set(second_files))
    assert not only_one, f"files present in one build only: {only_one[:20]}"
    differing = sorted(name for name in first_files if first_files[name] != second_files[name])
    assert not differing, f"{len(differing)} files differ between the two builds, e.g. {differing[:20]}"
