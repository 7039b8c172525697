"""Many-questions benchmark: builds a publication of thousands of single-choice questions and times it (issue 22).

Run from the project root (everything happens in a temporary folder, nothing in the project changes):

    .venv/bin/python benchmarks/bench_many_questions.py                     # 1,000 and 5,000 questions
    .venv/bin/python benchmarks/bench_many_questions.py --questions 5000 --runs 3
    .venv/bin/python benchmarks/bench_many_questions.py --questions 5000 --profile build.prof

A DHS recode file has about 5,000 variables. For each size the script writes a seeded, labelled SPSS file (one
single-choice question of four options per variable, every respondent answering each), drafts a project from it with
`surveypress init` as a user would (one indicator per question, charts for the first 300: init.MAX_DRAFTED_CHARTS,
pages of ten questions), then runs `build_tables.py` in that project as a child process, each run in a fresh copy with
an empty chart cache (a cold build). It prints the wall time, the CPU time and peak memory of the build process
(benchmarks/measured.py: the build's process tree, none of this script's memory), and each stage's time from the
build's own progress lines (a stage run once per edition is summed).
300 respondents keep the 5,000-question file under formats.text.STREAM_CSV_ABOVE_BYTES (read whole, pandas engine);
`--respondents 500` (or 20000, a DHS-sized file) makes it streamed through DuckDB, which counts so many questions in
long form (engines/duckdb_long.py; figures in RESULTS.md).
Targets on the 2-core machine: 5,000 questions built in <= 30 s and <= 1 GB. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import measured  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyreadstat  # noqa: E402

from surveypress.draft import init  # noqa: E402

RESPONDENTS = 300
TARGET_SECONDS = 30
TARGET_BYTES = 1024**3
TARGET_QUESTIONS = 5_000  # the size the targets apply to
STAGE_LINE = re.compile(r"^(\w+)\s+(.*?)\s+(\d+\.\d+) s$")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def write_sav(path: Path, questions: int, respondents: int) -> None:
    """A seeded, labelled .sav: `questions` four-option single-choice variables, every respondent answering each."""
    generator = np.random.default_rng(22)
    columns = {"respondent_id": [f"R-{case:06d}" for case in range(1, respondents + 1)]}
    for number in range(questions):
        columns[f"v{number:05d}"] = generator.integers(1, 5, respondents).astype(float)
    frame = pd.DataFrame(columns)
    options = {1: "Strongly agree", 2: "Agree", 3: "Disagree", 4: "Strongly disagree"}
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={name: f"Question {name}" for name in frame.columns},
        variable_value_labels={name: options for name in frame.columns[1:]},
    )


def draft_project(folder: Path, questions: int, respondents: int) -> Path:
    """A project drafted by `surveypress init` from a generated .sav of `questions` variables; gives its folder."""
    project = folder / "project"
    project.mkdir()
    source = folder / "survey.sav"
    write_sav(source, questions, respondents)
    arguments = [str(source), "--content", str(project / "publication"), "--population", "people"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as log:
        code = init.main(arguments, stream=log)
    if code != 0:
        raise SystemExit(f"init exited {code}:\n{log.getvalue()[-2000:]}")
    return project


def run_build(project: Path, profile: str | None = None) -> dict:
    """Runs build_tables.py in `project` as a child process; its wall, CPU, peak RSS and stage times."""
    command = [sys.executable, str(ROOT / "build_tables.py"), "--content", "publication"]
    if profile:
        command[1:1] = ["-m", "cProfile", "-o", str(Path(profile).resolve())]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SURVEYPRESS_CACHE_DIR": str(project / ".cache")}
    before = load_average()
    done = measured.run(command, cwd=project, env=environment)
    log, code = done.stderr, done.code
    if code == 0 and not re.search(r"^done ", log, re.M):
        code = -1  # under cProfile a failed build's exit code is lost; a finished build prints `done`
    stages: dict[str, float] = {}
    for line in log.splitlines():
        match = STAGE_LINE.match(line.strip())
        if match and match.group(1) != "done":
            stages[match.group(1)] = stages.get(match.group(1), 0.0) + float(match.group(3))
    return {
        "code": code,
        "log": log,
        "wall": done.wall,
        "cpu": done.cpu,
        "peak": done.peak,
        "stages": stages,
        "load": f"{before} -> {load_average()}",
    }


def measure(questions: int, respondents: int, runs: int, profile: str | None, keep: bool) -> dict:
    """Drafts the project once and builds a fresh copy of it `runs` times; gives the run with the median wall."""
    folder = Path(tempfile.mkdtemp(prefix="surveypress-many-questions-"))
    try:
        started = time.perf_counter()
        drafted = draft_project(folder, questions, respondents)
        print(f"{questions:>6,} questions: drafted by init in {time.perf_counter() - started:.1f} s", flush=True)
        results = []
        for run in range(runs):
            project = folder / f"run-{run}"
            shutil.copytree(drafted, project)
            result = run_build(project, profile)
            results.append(result)
            if result["code"] != 0:
                print(f"    build exited {result['code']}:\n{result['log'][-2000:]}")
                return result
            print(f"    run {run + 1}: {result['wall']:.1f} s, peak {result['peak'] / 1024**2:,.0f} MB", flush=True)
        ordered = sorted(results, key=lambda result: result["wall"])
        median = ordered[len(ordered) // 2]
        median["walls"] = [result["wall"] for result in results]
        return median
    finally:
        if keep:
            print(f"    kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def report(questions: int, result: dict) -> bool:
    """Prints one size's figures; True when it meets the targets (or is not the size they apply to)."""
    if result["code"] != 0:
        print(f"FAIL  {questions:,} questions: the build exited {result['code']}")
        return False
    walls = ", ".join(f"{wall:.1f}" for wall in result["walls"])
    print(
        f"build  {questions:>6,} questions: median wall {result['wall']:.1f} s ({walls}), CPU {result['cpu']:.1f} s, "
        f"peak {result['peak'] / 1024**2:,.0f} MB, load average {result['load']}"
    )
    for name, seconds in sorted(result["stages"].items(), key=lambda item: -item[1]):
        print(f"    {name:<10} {seconds:7.2f} s")
    if questions != TARGET_QUESTIONS:
        return True
    passed = True
    for text, ok in (
        (f"{questions:,} questions built in <= {TARGET_SECONDS} s: {result['wall']:.1f} s", result["wall"] <= 30),
        (f"{questions:,} questions in <= 1 GB: {result['peak'] / 1024**3:.2f} GB", result["peak"] <= TARGET_BYTES),
    ):
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
        passed &= ok
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, nargs="+", default=[1_000, 5_000], help="questions (variables)")
    parser.add_argument("--respondents", type=int, default=RESPONDENTS, help="rows of the generated file")
    parser.add_argument("--runs", type=int, default=1, help="builds per size, each in a fresh copy (median shown)")
    parser.add_argument("--profile", help="write the build's cProfile statistics to this file (one size, one run)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects to inspect them")
    arguments = parser.parse_args()
    print(f"load average {load_average()} on {os.cpu_count()} cores")
    passed = True
    for questions in arguments.questions:
        result = measure(questions, arguments.respondents, arguments.runs, arguments.profile, arguments.keep)
        passed &= report(questions, result)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
