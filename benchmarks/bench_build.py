"""Scale benchmark of the build users run: `build_tables.py` as a process on 1e5, 1e6 and 1e7 respondents.

Run from the project root (generates the data on first run, under benchmarks/data/, shared with bench_tabulate.py):

    .venv/bin/python benchmarks/bench_build.py                    # 1e5, 1e6, 1e7
    .venv/bin/python benchmarks/bench_build.py --sizes 1e5 1e6    # quicker

For each size it writes a temporary project holding the default publication's content folder with its microdata
pointed at synthetic Parquet files of the codebook's full structure (bench_tabulate.generate: every question,
universe chain, multi-choice column and the no-answer code), runs `python build_tables.py` in it as a child
process (three times, each a first build in a new project: the run with the median wall time is reported), and
records the child's wall time, CPU time and peak RSS (benchmarks/measured.py: the kernel's figures for the build's
process tree, none of this script's own memory), and each stage's time from the build's progress
lines. The reference is bench_tabulate.py's plain pandas
run (`read_parquet`, then one `value_counts` per indicator and breakdown) at the largest size, in its own process.
Then the default publication is built in a temporary copy and built again five times with nothing changed (the
median of those is the no-change rebuild). Prints PASS/FAIL against the targets in benchmarks/README.md and exits 1
if one is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_tabulate  # noqa: E402
import measured  # noqa: E402

from surveypress import cache  # noqa: E402
from surveypress import content as spec  # noqa: E402

SIZES = (100_000, 1_000_000, 10_000_000)
GIB = 1024**3
STAGE_LINE = re.compile(r"^(\w+)\s+(.*?)\s+(\d+\.\d+) s$")


def load_average() -> str:
    """The first three fields of /proc/loadavg (1, 5 and 15 minutes)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())


def make_project(folder: Path, paths: dict[str, Path]) -> Path:
    """A project with the default content folder whose microdata are the generated Parquet files (hard links)."""
    project = folder / "project"
    shutil.copytree(ROOT / "publication", project / "publication")
    target = project / "datasets" / "microdata"
    target.mkdir(parents=True)
    meta = (project / "publication" / "publication.yml").read_text(encoding="utf-8")
    for population, path in paths.items():
        link = target / f"{population}.parquet"
        try:
            os.link(path, link)
        except OSError:
            shutil.copyfile(path, link)
        meta = re.sub(
            rf"^(\s+{population}:\s*)datasets/microdata/{population}\.csv",
            rf"\g<1>datasets/microdata/{population}.parquet",
            meta,
            flags=re.M,
        )
    (project / "publication" / "publication.yml").write_text(meta, encoding="utf-8")
    return project


def run_build(project: Path) -> dict:
    """Runs build_tables.py in `project` as a child process; its wall, CPU, peak RSS and stage times."""
    command = [sys.executable, str(ROOT / "build_tables.py"), "--content", "publication"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = load_average()
    done = measured.run(command, cwd=project, env=environment)
    log = done.stderr
    if done.code != 0:
        raise SystemExit(f"build_tables.py failed with exit code {done.code}:\n{log[-3000:]}")
    stages = {}
    for line in log.splitlines():
        match = STAGE_LINE.match(line.strip())
        if match:
            # A stage run once per edition (chart, narrate) is reported once per edition: its times add up.
            name = match.group(1)
            spent = stages[name][0] if name in stages and name != "done" else 0.0
            stages[name] = (spent + float(match.group(3)), match.group(2).strip())
    return {
        "wall": done.wall,
        "cpu": done.cpu,
        "peak": done.peak,
        "stages": stages,
        "load_before": before,
        "load_after": load_average(),
        "reconciliation_bytes": (project / "datasets" / "reconciliation.csv").stat().st_size,
    }


REBUILD_RUNS = 5


def measure_rebuild(runs: int = REBUILD_RUNS) -> dict:
    """The default publication built once in a temporary copy of its content and microdata, then `runs` times more
    with nothing changed: each run's wall time (charts drawn once come from the project's chart cache)."""
    with tempfile.TemporaryDirectory(prefix="rebuild-") as folder:
        project = Path(folder) / "project"
        shutil.copytree(ROOT / "publication", project / "publication")
        shutil.copytree(ROOT / "datasets" / "microdata", project / "datasets" / "microdata")
        os.environ.setdefault(cache.CACHE_ENV, str(ROOT / cache.DEFAULT_DIR))
        run_build(project)
        measured = [run_build(project) for _ in range(runs)]
    walls = sorted(result["wall"] for result in measured)
    cpu = sorted(result["cpu"] for result in measured)[runs // 2]
    return {"walls": walls, "median": walls[runs // 2], "cpu": cpu, "load": load_average()}


def report(results: dict[int, dict], reference: dict | None, rebuild: dict | None = None) -> bool:
    sizes = sorted(results)
    names = [name for name in next(iter(results.values()))["stages"] if name != "done"]
    print()
    print(
        "| respondents | build wall (s) | CPU (s) | peak RSS (MB) | growth | "
        + " | ".join(f"{name} (s)" for name in names)
        + " | load average before / after |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in names) + " | --- |")
    for size in sizes:
        result = results[size]
        smaller = [s for s in sizes if s < size]
        growth = f"{result['wall'] / results[smaller[-1]]['wall']:.1f}×" if smaller else ""
        stages = " | ".join(f"{result['stages'].get(name, (0.0, ''))[0]:.2f}" for name in names)
        print(
            f"| {size:,} | {result['wall']:.2f} | {result['cpu']:.2f} | {result['peak'] / 1024**2:,.0f} | {growth} | "
            f"{stages} | {result['load_before']} / {result['load_after']} |"
        )
    print()
    passed = True

    def target(text: str, ok: bool) -> None:
        nonlocal passed
        passed &= ok
        print(f"{'PASS' if ok else 'FAIL'}  {text}")

    million, ten_million = results.get(1_000_000), results.get(10_000_000)
    if million:
        target(f"1e6 build <= 10 s: {million['wall']:.2f} s", million["wall"] <= 10)
    if ten_million:
        target(f"1e7 build <= 30 s: {ten_million['wall']:.2f} s", ten_million["wall"] <= 30)
        target(f"1e7 peak memory <= 1 GB: {ten_million['peak'] / GIB:.2f} GB", ten_million["peak"] <= GIB)
    if million and ten_million:
        growth = ten_million["wall"] / million["wall"]
        target(f"growth 1e6 -> 1e7 <= 10x: {growth:.1f}x", growth <= 10)
    if reference:
        largest = results[max(sizes)]
        # The build's load and tabulate stages: for streamed files the checks run inside tabulate's scan.
        ours = largest["stages"]["load"][0] + largest["stages"]["tabulate"][0]
        speedup = reference["total"] / ours
        target(
            f"{max(sizes):.0e} tabulation (load + tabulate stages, with validation) >= 3x faster than pandas "
            f"value_counts: {reference['total']:.2f} s / {ours:.2f} s = {speedup:.1f}x",
            speedup >= 3,
        )
    if rebuild:
        runs = ", ".join(f"{wall:.2f}" for wall in rebuild["walls"])
        target(
            f"no-change rebuild of the default publication <= 1.5 s: median {rebuild['median']:.2f} s ({runs}; "
            f"CPU {rebuild['cpu']:.2f} s; load average {rebuild['load']})",
            rebuild["median"] <= 1.5,
        )
    for size in sizes:
        print(f"reconciliation.csv at {size:,} respondents: {results[size]['reconciliation_bytes']:,} bytes")
    return passed


def run_line(name: str, result: dict) -> str:
    """One build's figures as printed: wall and CPU time, peak memory, load average, then each stage's seconds."""
    stages = ", ".join(f"{stage} {seconds:.2f}" for stage, (seconds, _) in result["stages"].items())
    return (
        f"{name}: {result['wall']:6.2f} s, cpu {result['cpu']:6.2f} s, peak {result['peak'] / 1024**2:,.0f} MB, "
        f"load average {result['load_before']} -> {result['load_after']}\n    stages: {stages}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=SIZES, help="respondents in total, e.g. 1e6")
    parser.add_argument("--no-reference", action="store_true", help="skip the pandas value_counts reference run")
    parser.add_argument("--keep", action="store_true", help="leave the temporary projects to inspect")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the default publication's no-change rebuild")
    parser.add_argument("--runs", type=int, default=3, help="cold builds per size; the median is reported")
    arguments = parser.parse_args()

    pub = spec.load_publication(ROOT / "publication")
    sizes = [int(size) for size in arguments.sizes]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load_average()}", flush=True)
    results = {}
    for size in sizes:
        paths = bench_tabulate.generate(pub, size)
        megabytes = sum(path.stat().st_size for path in paths.values()) / 1024**2
        bench_tabulate.DATA.mkdir(parents=True, exist_ok=True)
        runs = []
        for _run in range(arguments.runs):
            # Each run is a first build: a new project, so no cache and no previous outputs.
            folder = Path(tempfile.mkdtemp(prefix="build-", dir=bench_tabulate.DATA))
            try:
                runs.append(run_build(make_project(folder, paths)))
            finally:
                if not arguments.keep:
                    shutil.rmtree(folder, ignore_errors=True)
            print(run_line(f"build {size:>12,} ({megabytes:,.0f} MB Parquet)", runs[-1]), flush=True)
        # The run with the median wall time stands for the size (its CPU, memory and stages with it).
        result = sorted(runs, key=lambda run: run["wall"])[len(runs) // 2]
        result["walls"] = sorted(run["wall"] for run in runs)
        results[size] = result
        if len(runs) > 1:
            walls = ", ".join(f"{wall:.2f}" for wall in result["walls"])
            print(f"build {size:>12,}: median of {len(runs)} runs {result['wall']:.2f} s ({walls})", flush=True)
    reference = None
    if not arguments.no_reference:
        reference = bench_tabulate.measure("reference", max(sizes))
        print(
            f"reference {max(sizes):,}: read_parquet + value_counts {reference['total']:.2f} s, "
            f"peak {reference['peak'] / 1024**2:,.0f} MB, load average {load_average()}",
            flush=True,
        )
    rebuild = None if arguments.no_rebuild else measure_rebuild()
    sys.exit(0 if report(results, reference, rebuild) else 1)


if __name__ == "__main__":
    main()
