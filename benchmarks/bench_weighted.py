"""Weighted-design benchmark: times the build, as a process, on a weighted, stratified, clustered Parquet input.

Run from the project root (everything happens in a temporary folder; nothing in the project changes):

    .venv/bin/python benchmarks/bench_weighted.py --full               # the targets: 1e6 and 1e7, PASS/FAIL
    .venv/bin/python benchmarks/bench_weighted.py --full 1e5           # quicker
    .venv/bin/python benchmarks/bench_weighted.py                      # the tiny codebook, 1e6 respondents
    .venv/bin/python benchmarks/bench_weighted.py --respondents 10000000 --engine duckdb

`--full` takes the default publication's content folder and bench_tabulate.py's generated Parquet files (the
codebook's full structure: every question, universe chain, multi-choice column and the no-answer code), adds design
columns after respondent_id (residents: 150 strata of 24 PSUs, enterprises: 40 strata of 10 PSUs, weights that
differ by stratum, a population size per stratum) and declares the design in publication.yml. It runs
`build_tables.py` in the project as a child process (bench_build.py's `run_build`: wall, CPU, peak RSS and stage
times) and prints PASS/FAIL against bench_build.py's targets (1e7 <= 30 s and <= 1 GB, growth 1e6 -> 1e7 <= 10x).
The files are streamed (Parquet above formats.parquet.STREAM_PARQUET_ABOVE_BYTES), so the DuckDB engine checks the
design columns, counts and sums the weights by PSU without loading them (engines/duckdb_engine.py `count_weighted`).

Without `--full` it copies the tiny test publication (tests/fixtures/tiny), declares a design for its `people`
population (weight, 200 strata, 10 PSUs per stratum, a population size per stratum) and writes that many
respondents as Parquet, with answers that follow the codebook's universes and depend on the PSU.

Results: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
STRATA = 200
PSUS_PER_STRATUM = 10


def people(respondents: int, seed: int = 7) -> pa.Table:
    """Respondents of a stratified two-stage sample; missing cells are nulls (not asked), -9 no answer."""
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, STRATA * PSUS_PER_STRATUM, respondents)
    stratum = psu // PSUS_PER_STRATUM
    effect = rng.normal(0, 0.8, STRATA * PSUS_PER_STRATUM)[psu]
    used = np.where(rng.random(respondents) < 1 / (1 + np.exp(-(0.8 + effect))), 1, 2).astype(np.int8)
    used[rng.random(respondents) < 0.02] = -9
    asked = used == 1
    channels = [np.where(rng.random(respondents) < p, 1, 0).astype(np.int8) for p in (0.6, 0.4, 0.15)]
    unanswered = asked & (rng.random(respondents) < 0.03)
    for column in channels:
        column[unanswered] = -9
    satisfied_asked = asked & ((channels[0] == 1) | (channels[1] == 1))
    satisfaction = rng.choice(np.array([1, 2, 3, 4, 5, -9], dtype=np.int8), respondents)

    def masked(values: np.ndarray, mask: np.ndarray) -> pa.Array:
        return pa.array(values, mask=~mask)

    return pa.table(
        {
            "respondent_id": pa.array(np.char.add("P-", np.arange(respondents).astype(str))),
            "weight": pa.array(np.round(rng.uniform(0.5, 2.0, respondents) * (1 + stratum % 5), 4)),
            "stratum": pa.array(np.char.add("S", stratum.astype(str))),
            "psu": pa.array(np.char.add("C", (psu % PSUS_PER_STRATUM).astype(str))),
            "stratum_psus": pa.array(np.full(respondents, PSUS_PER_STRATUM * 40, dtype=np.int32)),
            "p_region": pa.array(np.where(rng.random(respondents) < 0.4, 1, 2).astype(np.int8)),
            "p_used": pa.array(used),
            "p_channels_1": masked(channels[0], asked),
            "p_channels_2": masked(channels[1], asked),
            "p_channels_3": masked(channels[2], asked),
            "p_satisfaction": masked(satisfaction, satisfied_asked),
        }
    )


def make_project(folder: Path, respondents: int) -> Path:
    project = folder / "weighted"
    shutil.copytree(TINY, project)
    microdata = project / "datasets" / "microdata"
    (microdata / "people.csv").unlink()
    pq.write_table(people(respondents), microdata / "people.parquet")
    # No printed figures: matching them searches every base up to the population size, a cost of its own that the
    # unweighted scale benchmarks measure.
    figures = project / "publication" / "published_figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    meta_path = project / "publication" / "publication.yml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    meta["microdata"]["people"] = "datasets/microdata/people.parquet"
    meta["design"] = {"people": {"weight": "weight", "strata": "stratum", "cluster": "psu", "fpc": "stratum_psus"}}
    meta["limits"] = {"max_file_mb": 8192}
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return project


# The default publication's full codebook, weighted: per population (strata, PSUs per stratum), about what a
# national two-stage household sample and a stratified enterprise sample of this size would draw.
FULL_DESIGN = {"residents": (150, 24), "enterprises": (40, 10)}
FULL_SIZES = (1_000_000, 10_000_000)
WEIGHTED_VERSION = 1  # bump when the design columns change, so stale files are rebuilt


def with_design(source: Path, target: Path, strata: int, psus: int, seed: int) -> None:
    """Copies one generated population file (bench_tabulate.generate: the codebook's full structure) with design
    columns after respondent_id, a million rows at a time: weight, stratum, PSU and the stratum's PSUs in the
    population. PSU j of stratum h holds the respondents numbered h·psus + j modulo strata·psus, so every PSU has
    respondents; weights differ by stratum."""
    rng = np.random.default_rng(seed)
    file = pq.ParquetFile(source)
    writer = None
    start = 0
    for batch in file.iter_batches(batch_size=1_000_000):
        size = batch.num_rows
        unit = (np.arange(start, start + size) * 7919) % (strata * psus)
        stratum = unit // psus
        design = {
            "weight": pa.array(np.round(rng.uniform(0.5, 2.0, size) * (1 + stratum % 7) * 10, 3)),
            "stratum": pa.array(np.char.add("S", stratum.astype(str))),
            "psu": pa.array(np.char.add("C", (unit % psus).astype(str))),
            "stratum_psus": pa.array(np.full(size, psus * 50, dtype=np.int32)),
        }
        names = batch.schema.names
        table = pa.table({names[0]: batch.column(0), **design, **{name: batch.column(name) for name in names[1:]}})
        writer = writer or pq.ParquetWriter(target.with_suffix(".partial"), table.schema)
        writer.write_table(table, row_group_size=131_072)
        start += size
    writer.close()
    target.with_suffix(".partial").replace(target)


def full_project(folder: Path, respondents: int) -> Path:
    """The default publication, its microdata the generated Parquet files with a design declared per population."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_build
    import bench_tabulate

    from surveypress import content as spec

    pub = spec.load_publication(ROOT / "publication")
    generated = bench_tabulate.generate(pub, respondents)
    data = bench_tabulate.DATA / f"weighted-v{WEIGHTED_VERSION}-{respondents}"
    data.mkdir(parents=True, exist_ok=True)
    paths = {}
    for seed, (population, source) in enumerate(generated.items()):
        paths[population] = data / f"{population}.parquet"
        rows = pq.ParquetFile(source).metadata.num_rows
        if not paths[population].is_file() or pq.ParquetFile(paths[population]).metadata.num_rows != rows:
            with_design(source, paths[population], *FULL_DESIGN[population], seed)
    project = bench_build.make_project(folder, paths)
    meta = project / "publication" / "publication.yml"
    declared = "".join(
        f"  {population}: {{weight: weight, strata: stratum, cluster: psu, fpc: stratum_psus}}\n"
        for population in FULL_DESIGN
    )
    # The report's printed figures stay: reconcile compares its percentages with the weighted shares.
    meta.write_text(meta.read_text(encoding="utf-8") + f"design:\n{declared}", encoding="utf-8")
    return project


def full(sizes: list[int]) -> int:
    """The weighted, stratified, clustered build of the default publication's full codebook at each size, with
    bench_build.py's targets; prints PASS/FAIL and gives the exit status."""
    import bench_build

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {bench_build.load_average()}")
    results = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-weighted-full-") as folder:
            project = full_project(Path(folder), size)
            results[size] = bench_build.run_build(project)
            table = pd.read_csv(project / "datasets" / "indicators.csv", usecols=["se"])
            assert table["se"].notna().any(), "the build published no standard errors"
        print(bench_build.run_line(f"weighted build {size:>12,}", results[size]), flush=True)
    return 0 if bench_build.report(results, None) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("auto", "pandas", "duckdb"), default="auto")
    parser.add_argument(
        "--full",
        nargs="*",
        type=float,
        metavar="SIZE",
        help="the default publication's full codebook, weighted, at these sizes (default 1e6 1e7), with targets",
    )
    arguments = parser.parse_args()
    if arguments.full is not None:
        return full([int(size) for size in arguments.full or FULL_SIZES])
    with tempfile.TemporaryDirectory(prefix="bench-weighted-") as folder:
        began = time.perf_counter()
        project = make_project(Path(folder), arguments.respondents)
        size = (project / "datasets" / "microdata" / "people.parquet").stat().st_size
        print(
            f"input      {arguments.respondents:,} respondents, {size / 1e6:.1f} MB Parquet, "
            f"{time.perf_counter() - began:.1f} s to generate",
            flush=True,
        )
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(ROOT / "build_tables.py"), "--content", "publication", "--engine", arguments.engine],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )
        elapsed = time.perf_counter() - began
        print(done.stderr, end="")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"build      exit {done.returncode}, {elapsed:.1f} s wall, peak memory {peak:.0f} MB")
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
