"""Scale benchmark of the tabulate stage: load + tabulation of every indicator at 1e5, 1e6 and 1e7 respondents.

Run from the project root (one command; generates the data on first run, about 1 GB under benchmarks/data/):

    .venv/bin/python benchmarks/bench_tabulate.py                 # all sizes, all engines
    .venv/bin/python benchmarks/bench_tabulate.py --sizes 1e5 1e6 # a quicker subset

Synthetic microdata follows the content folder's codebook (same questions, universes, multi-choice columns, the
no-answer code), split between populations in the proportions of the shipped microdata, and is written as Parquet in
chunks so generation stays lean. Each measured run is a fresh child process, so its peak memory is its own
(benchmarks/measured.py: the kernel's resource usage of its process tree, RSS high-water mark). Three runs per size:

- `reference`: `pandas.read_parquet` then one `value_counts` per indicator question and breakdown (no validation);
- `pandas`:    `tabulate(pub, {population: parquet path}, engine="pandas")` (SQL checks, then numpy bincounts);
- `duckdb`:    `tabulate(pub, {population: parquet path}, engine="duckdb")` (SQL checks, then GROUPING SETS).

It prints wall time, peak memory, growth from one size to the next and each engine's speed-up over the reference,
then PASS/FAIL against the targets in benchmarks/README.md. The 300-page site benchmark is benchmarks/bench_site.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import measured  # noqa: E402

from surveypress import content as spec  # noqa: E402
from surveypress.content import Codebook, Publication, Question  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
CONTENT = ROOT / "publication"
CHUNK = 1_000_000
# Row groups of this many rows let DuckDB and pyarrow read one file on every core.
ROW_GROUP = 131_072
NO_ANSWER_RATE = 0.03
GENERATOR_VERSION = 2  # bump when the generator changes, so stale files are rebuilt
ENGINES = ("reference", "pandas", "duckdb")
SIZES = (100_000, 1_000_000, 10_000_000)
GIB = 1024**3


# Generate data.


def population_sizes(pub: Publication, respondents: int) -> dict[str, int]:
    """Respondents per population in the proportions of the shipped microdata (equal shares if it is missing)."""
    weights = {}
    for population in pub.codebook.populations.values():
        path = population.microdata
        weights[population.id] = max(sum(1 for _ in path.open(encoding="utf-8")) - 1, 1) if path.is_file() else 1
    total = sum(weights.values())
    sizes = {pid: respondents * weight // total for pid, weight in weights.items()}
    first = next(iter(sizes))
    sizes[first] += respondents - sum(sizes.values())
    return sizes


def _asked(codebook: Codebook, question: Question, values: dict, asked: dict) -> np.ndarray:
    """Who is asked `question` in this chunk, following the universe chain through the answers drawn so far."""
    universe = question.universe
    target = codebook.questions[universe.question]
    if target.type == "multi":
        chose = np.zeros(len(asked[target.id]), dtype=bool)
        for code in universe.codes:
            chose |= values[f"{target.id}_{code}"] == 1
    else:
        chose = np.isin(values[target.id], universe.codes)
    return asked[target.id] & chose


def generate_chunk(codebook: Codebook, population: str, start: int, size: int, seed: int) -> pa.Table:
    """`size` respondents numbered from `start`: answers drawn per question, empty outside universes."""
    rng = np.random.default_rng([seed, start])
    shapes = np.random.default_rng(seed)  # the same answer distributions in every chunk
    no_answer = codebook.no_answer
    values: dict[str, np.ndarray] = {}
    asked: dict[str, np.ndarray] = {}
    nulls: dict[str, np.ndarray] = {}
    for question in codebook.questions_of(population):
        inside = np.ones(size, dtype=bool) if question.universe is None else _asked(codebook, question, values, asked)
        asked[question.id] = inside
        silent = inside & (rng.random(size) < NO_ANSWER_RATE)
        if question.type == "multi":
            for column in question.columns():
                ticked = (rng.random(size) < shapes.uniform(0.05, 0.6)).astype(np.int8)
                values[column] = np.where(silent, no_answer, ticked).astype(np.int8)
                nulls[column] = ~inside
        else:
            weights = shapes.dirichlet(np.ones(len(question.options)) * 2)
            codes = rng.choice(np.array(question.codes, dtype=np.int8), size=size, p=weights)
            values[question.id] = np.where(silent, no_answer, codes).astype(np.int8)
            nulls[question.id] = ~inside
    numbers = pa.array(np.arange(start, start + size, dtype=np.int64))
    ids = pc.binary_join_element_wise("R-", pc.cast(numbers, pa.string()), "")
    columns = {"respondent_id": ids}
    for column in codebook.columns_of(population)[1:]:
        columns[column] = pa.array(values[column], type=pa.int8(), mask=nulls[column])
    return pa.table(columns)


def generate(pub: Publication, respondents: int) -> dict[str, Path]:
    """Parquet files for `respondents` in total, generated once and reused."""
    folder = DATA / f"v{GENERATOR_VERSION}-{respondents}"
    paths = {}
    for seed, (population, size) in enumerate(population_sizes(pub, respondents).items()):
        path = folder / f"{population}.parquet"
        paths[population] = path
        if path.is_file() and pq.ParquetFile(path).metadata.num_rows == size:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        writer = None
        for start in range(0, size, CHUNK):
            chunk = generate_chunk(pub.codebook, population, start, min(CHUNK, size - start), seed)
            writer = writer or pq.ParquetWriter(partial, chunk.schema)
            writer.write_table(chunk, row_group_size=ROW_GROUP)
        writer.close()
        partial.replace(path)
    return paths


# Measured runs (each in its own child process).


def run_reference(pub: Publication, paths: dict[str, Path]) -> dict:
    import pandas as pd

    started = time.perf_counter()
    frames = {population: pd.read_parquet(path) for population, path in paths.items()}
    loaded = time.perf_counter()
    cells = 0
    for indicator in pub.indicators:
        frame = frames[indicator.population]
        columns = pub.codebook.questions[indicator.question].columns()
        cells += len(frame[columns].value_counts())
        for breakdown in indicator.breakdowns:
            cells += len(frame[[breakdown, *columns]].value_counts())
    return {"load": loaded - started, "tabulate": time.perf_counter() - loaded, "rows": cells}


def run_engine(pub: Publication, paths: dict[str, Path], engine: str) -> dict:
    from surveypress.stats.tabulate import tabulate

    started = time.perf_counter()
    table = tabulate(pub, paths, engine=engine)
    return {"load": None, "tabulate": None, "total": time.perf_counter() - started, "rows": len(table)}


def high_water_mark() -> int:
    """This process's peak resident set size in bytes (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def child(engine: str, respondents: int) -> None:
    pub = spec.load_publication(CONTENT)
    paths = generate(pub, respondents)
    result = run_reference(pub, paths) if engine == "reference" else run_engine(pub, paths, engine)
    result["hwm"] = high_water_mark()
    print(json.dumps(result))


def measure(engine: str, respondents: int) -> dict:
    """Runs one engine at one size in a fresh process; wall time and RSS high-water come from the OS."""
    command = [sys.executable, __file__, "--child", engine, "--respondents", str(respondents)]
    done = measured.run(command, cwd=ROOT)
    if done.code != 0:
        raise SystemExit(f"{engine} at {respondents:,} failed with exit code {done.code}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["total"] = result.get("total") or result["load"] + result["tabulate"]
    # Peak: the larger of the child's own VmHWM and the kernel's RSS high-water mark for its process tree.
    wall, peak, cpu = done.wall, max(result["hwm"], done.peak), done.cpu
    result.update(engine=engine, respondents=respondents, wall=wall, peak=peak, cpu=cpu, load=os.getloadavg()[0])
    return result


# Report.


def report(results: list[dict]) -> bool:
    by = {(r["engine"], r["respondents"]): r for r in results}
    sizes = sorted({r["respondents"] for r in results})
    print()
    print(
        "| respondents | engine | load + tabulate (s) | process wall (s) | process CPU (s) | peak RSS (MB) "
        "| growth | vs reference | load average |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        for engine in ENGINES:
            result = by.get((engine, size))
            if not result:
                continue
            smaller = [s for s in sizes if s < size and (engine, s) in by]
            growth = f"{result['total'] / by[(engine, smaller[-1])]['total']:.1f}×" if smaller else ""
            reference = by.get(("reference", size))
            speedup = (
                f"{reference['total'] / result['total']:.1f}× faster" if reference and engine != "reference" else ""
            )
            print(
                f"| {size:,} | {engine} | {result['total']:.2f} | {result['wall']:.2f} | {result['cpu']:.2f} | "
                f"{result['peak'] / 1024**2:,.0f} | {growth} | {speedup} | {result['load']:.1f} |"
            )
    print()
    passed = True

    def target(text: str, ok: bool) -> None:
        nonlocal passed
        passed &= ok
        print(f"{'PASS' if ok else 'FAIL'}  {text}")

    for engine in ("pandas", "duckdb"):
        small, big = by.get((engine, 1_000_000)), by.get((engine, 10_000_000))
        if small:
            target(f"{engine}: 1e6, every table (load + tabulate) <= 3 s: {small['total']:.2f} s", small["total"] <= 3)
        if big:
            target(f"{engine}: 1e7, load + tabulate <= 15 s: {big['total']:.2f} s", big["total"] <= 15)
            target(f"{engine}: 1e7, peak memory <= 2 GB: {big['peak'] / GIB:.2f} GB", big["peak"] <= 2 * GIB)
        if small and big:
            growth = big["total"] / small["total"]
            target(f"{engine}: growth 1e6 -> 1e7 <= 12x: {growth:.1f}x", growth <= 12)
        reference = by.get(("reference", 10_000_000))
        if big and reference:
            speedup = reference["total"] / big["total"]
            by_cpu = reference["cpu"] / big["cpu"]
            target(
                f"{engine}: 1e7, >= 3x faster than value_counts: {speedup:.1f}x (CPU: {by_cpu:.1f}x)",
                speedup >= 3,
            )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=SIZES, help="respondents in total, e.g. 1e6")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=ENGINES)
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--respondents", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.respondents)
        return

    pub = spec.load_publication(CONTENT)
    sizes = [int(size) for size in arguments.sizes]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        f"(other work on the machine slows every wall time); {len(pub.indicators)} indicators",
        flush=True,
    )
    for size in sizes:
        started = time.perf_counter()
        paths = generate(pub, size)
        megabytes = sum(path.stat().st_size for path in paths.values()) / 1024**2
        print(f"data {size:,} respondents: {megabytes:,.0f} MB Parquet ({time.perf_counter() - started:.1f} s)")
    results = []
    for size in sizes:
        for engine in arguments.engines:
            result = measure(engine, size)
            results.append(result)
            print(
                f"{engine:>9} {size:>12,}: {result['total']:7.2f} s, cpu {result['cpu']:6.2f} s, "
                f"peak {result['peak'] / 1024**2:7,.0f} MB, load average {result['load']:.1f}",
                flush=True,
            )
    sys.exit(0 if report(results) else 1)


if __name__ == "__main__":
    main()
