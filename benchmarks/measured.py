"""A command run as a process, with the kernel's own figures for it: wall time, CPU time and peak RSS.

Why a launcher. The kernel keeps a process's RSS high-water mark across exec: a child started from a big parent (a
pytest worker that has just generated a million respondents, a benchmark holding its reference data) reports the
parent's peak as its own, whether it was forked or vforked. So the command runs under a small Python launcher: the
launcher's peak is the imports of `subprocess`, and what it reads with RUSAGE_CHILDREN after waiting is the command's
process tree (its largest single process, and the CPU time of all of it) and nothing of the caller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w", encoding="utf-8") as report:
    json.dump({"code": code, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * 1024}, report)
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    wall: float  # seconds
    cpu: float  # seconds, the command and every descendant it waited for
    peak: int  # bytes, the largest single process of the command's tree


def run(command: list[str], cwd: Path | str | None = None, env: dict[str, str] | None = None) -> Run:
    """Runs `command` to the end, its output captured as text, and measures it (see the module's docstring)."""
    with tempfile.TemporaryDirectory(prefix="measured-") as folder:
        figures = Path(folder) / "figures.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(figures), *command],
            cwd=cwd,
            env=env if env is not None else dict(os.environ),
            capture_output=True,
            text=True,
            encoding="utf-8",
        )
        wall = time.perf_counter() - started
        if not figures.exists():
            raise SystemExit(f"the measuring launcher failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        measured = json.loads(figures.read_text(encoding="utf-8"))
    return Run(measured["code"], done.stdout, done.stderr, wall, measured["cpu"], measured["peak"])
