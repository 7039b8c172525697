"""Stage "tabulate": counts, bases, percentages and Wilson intervals for every indicator.

Takes: a `Publication` and its microdata, `{population: DataFrame}` as `load.load_microdata` gives it
(question columns nullable small ints, `<NA>` = not asked, `codebook.no_answer` = no answer) or
`{population: path to a Parquet file}`, which the DuckDB engine reads and checks without loading it into memory.
Gives: one long DataFrame with the columns `TABLE_COLUMNS`, one row per indicator × breakdown group × category, in the
order ARCHITECTURE.md fixes.

Two engines count the same cells: `pandas` (in memory, numpy bincounts) and `duckdb` (SQL with GROUPING SETS,
streams Parquet). Both hand back integer counts only; percentages and intervals are computed here, once, with exact
decimal arithmetic, so the two engines give identical tables to the last digit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from surveypress import i18n
from surveypress.content import Publication
from surveypress.errors import InputError
from surveypress.i18n import N_
from surveypress.languages import DEFAULT_LANGUAGES, Label
from surveypress.microdata import numeric
from surveypress.microdata.numeric import banded
from surveypress.stats.design import DesignShape, DomainSums, Layout, estimates, layout, percent_of, round_to

# The plan of what the engines count lives below both this stage and the engines, so neither imports the other back.
from surveypress.stats.tasks import TOTAL, Counts, Sums, Task, plan

TABLE_COLUMNS = [
    "indicator",
    "population",
    "breakdown",
    "group",
    "group_label",
    "category",
    "category_label",
    "count",
    "base",
    "percent",
    "ci_low",
    "ci_high",
]
# Added after ci_high when any population declares a design (publication.yml `design`): the standard error of the
# weighted percent and the design effect, in percent points and as a ratio, and the effective sample size.
DESIGN_COLUMNS = ["se", "deff", "n_eff"]
TOTAL_LABEL = N_("Total")  # the label columns carry its translation in each language
LABEL_COLUMNS = ("group_label", "category_label")
# Two-sided 95% normal quantile, as the statistical conventions fix it.
Z_95 = "1.959963984540054"
ENGINES = ("pandas", "duckdb", "spark")
# Above these sizes "auto" streams with DuckDB instead of holding numpy copies of every column
# (benchmarks/RESULTS.md: pandas is faster at 1e6 respondents, DuckDB faster and leaner at 1e7).
AUTO_DUCKDB_ROWS = 2_000_000
AUTO_DUCKDB_PARQUET_BYTES = 64 * 1024 * 1024


def round_half_away(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@lru_cache(maxsize=65536)
def share(count: int, base: int) -> tuple[float, float, float]:
    """Percent and 95% Wilson score interval (low, high) of count/base, in percent, rounded to 2 decimals.

    Computed in 40-digit decimals from the integers, so the result does not depend on which engine counted.
    Base 0 gives NaN for all three.
    """
    if base <= 0:
        return (math.nan, math.nan, math.nan)
    if not 0 <= count <= base:
        raise ValueError(f"count {count} outside 0..{base}")
    with localcontext() as context:
        context.prec = 40
        n, x, z = Decimal(base), Decimal(count), Decimal(Z_95)
        z2 = z * z
        percent = x * 100 / n
        # Wilson (1927): (x + z²/2 ± z·sqrt(x(n−x)/n + z²/4)) / (n + z²), written with integers where possible.
        spread = z * (x * (n - x) / n + z2 / 4).sqrt()
        low = (x + z2 / 2 - spread) / (n + z2) * 100
        high = (x + z2 / 2 + spread) / (n + z2) * 100
        # At 0 and n the bound is exactly 0 or 100; keep 40-digit residue from showing as -0.00.
        low = max(low, Decimal(0)) if count else Decimal(0)
        high = min(high, Decimal(100)) if count < base else Decimal(100)
        return (
            float(round_half_away(percent)),
            float(round_half_away(low)),
            float(round_half_away(high)),
        )


def wilson_interval(count: int, base: int) -> tuple[float, float]:
    """95% Wilson score interval of count/base in percent, rounded to 2 decimals half away from zero."""
    _, low, high = share(count, base)
    return low, high


def _size_of(source: object) -> tuple[int, int]:
    """(rows, bytes on disk) of one population's microdata, as far as it is known without reading it."""
    if isinstance(source, pd.DataFrame):
        return len(source), 0
    path = Path(source)  # type: ignore[arg-type]
    return 0, path.stat().st_size if path.is_file() else 0


def choose_engine(microdata: Mapping[str, object]) -> str:
    """The engine "auto" picks: DuckDB for many rows, big Parquet files or any file streamed from disk
    (sources.Streamed), pandas otherwise."""
    rows = sum(_size_of(source)[0] for source in microdata.values())
    size = sum(_size_of(source)[1] for source in microdata.values())
    streamed = any(hasattr(source, "display") for source in microdata.values())
    if streamed or rows > AUTO_DUCKDB_ROWS or size > AUTO_DUCKDB_PARQUET_BYTES:
        return "duckdb"
    return "pandas"


def display_name(path: Path, project_root: Path) -> str:
    """A file as errors name it: relative to the project when inside it, as load.py names files (a streamed CSV
    file is read from a Parquet copy, and named as the CSV file)."""
    if hasattr(path, "display"):
        return path.display  # type: ignore[attr-defined]
    path = Path(path)
    try:
        return path.resolve().relative_to(Path(project_root).resolve()).as_posix()
    except ValueError:
        return str(path)


def tabulate(pub: Publication, microdata: Mapping[str, object], engine: str = "auto") -> pd.DataFrame:
    """The indicator table (columns `TABLE_COLUMNS`) for every indicator of `pub`."""
    if engine == "auto":
        engine = choose_engine(microdata)
    if engine not in ENGINES:
        raise ValueError(f"engine must be 'auto' or one of {ENGINES}, not {engine!r}")
    tasks = plan(pub)
    microdata = banded(pub.codebook, microdata)
    counts: dict[str, Counts] = {}
    weighted: dict[str, tuple[DesignShape, Sums]] = {}
    for population, population_tasks in tasks.items():
        if population not in microdata:
            raise InputError(
                pub.codebook.populations[population].microdata,
                f"microdata for population '{population}'",
                hint="The loader returned no table for it",
            )
        source = microdata[population]
        # The engines import Task and Counts from this module, so they are imported when first used.
        if engine == "pandas":
            from surveypress.stats.engines import pandas_engine

            if isinstance(source, pd.DataFrame):
                counts.update(pandas_engine.count(pub.codebook, source, population_tasks))
            else:
                name = display_name(source, pub.project_root)  # type: ignore[arg-type]
                path = Path(source)  # type: ignore[arg-type]
                counts.update(pandas_engine.count_parquet(pub.codebook, population, path, population_tasks, name))
        elif engine == "spark":
            from surveypress.stats.engines import spark_engine

            name = None if isinstance(source, pd.DataFrame) else display_name(source, pub.project_root)  # type: ignore[arg-type]
            counts.update(spark_engine.count(pub.codebook, population, source, population_tasks, name))
        else:
            from surveypress.stats.engines import duckdb_engine

            name = None if isinstance(source, pd.DataFrame) else display_name(source, pub.project_root)  # type: ignore[arg-type]
            if name is not None and pub.codebook.populations[population].design is not None:
                # A streamed weighted file: checked, counted and summed by PSU on one connection.
                found, where, sums = duckdb_engine.count_weighted(
                    pub.codebook,
                    population,
                    Path(source),
                    population_tasks,
                    name,  # type: ignore[arg-type]
                )
                counts.update(found)
                weighted.update({indicator: (where.shape, task_sums) for indicator, task_sums in sums.items()})
                continue
            counts.update(duckdb_engine.count(pub.codebook, population, source, population_tasks, name))
        design = pub.codebook.populations[population].design
        if design is not None:
            weighted.update(_weigh(pub, population, source, population_tasks, engine))
    return assemble(pub, tasks, counts, weighted)


SUMMARY_COLUMNS = [
    "question",
    "population",
    "statistic",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "unit",
    "interval",
]


def summarize(pub: Publication, microdata: Mapping[str, object]) -> pd.DataFrame:
    """Mean and median, each with its 95% interval, of every numeric question's answered raw values (columns
    `SUMMARY_COLUMNS`, one row per question and statistic, in codebook order). Empty when there is none.

    Only the histogram of raw values comes from the data (numpy for a frame, one DuckDB scan for a Parquet file);
    the statistics are computed from it once, in `numeric.summarise`, with exact arithmetic.
    """
    rows: list[dict[str, object]] = []
    codebook = pub.codebook
    for question in codebook.questions.values():
        if question.numeric is None:
            continue
        source = microdata[question.population]
        if isinstance(source, pd.DataFrame):
            column = source[question.id].array
            raw = column.to_numpy(dtype="float64", na_value=math.nan)
            raw = raw[~np.isnan(raw) & (raw != codebook.no_answer)]
            whole, _ = numeric.scaled(raw, question.numeric)
            values, counts = np.unique(whole, return_counts=True)
            histogram = dict(zip(values.tolist(), counts.tolist(), strict=True))
        else:
            from surveypress.stats.engines import duckdb_engine

            histogram = duckdb_engine.histogram(Path(source), question, codebook.no_answer)  # type: ignore[arg-type]
        summary = numeric.summarise(histogram, question.numeric)
        for statistic, method in (("mean", numeric.MEAN_INTERVAL), ("median", numeric.MEDIAN_INTERVAL)):
            figures = summary[statistic]
            rows.append(
                {
                    "question": question.id,
                    "population": question.population,
                    "statistic": statistic,
                    **{
                        key: None if figures[key] is None else float(figures[key])
                        for key in ("value", "ci_low", "ci_high")
                    },
                    "n": figures["n"],
                    "unit": question.numeric.unit.text(pub.primary),
                    "interval": method,
                }
            )
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for name in ("value", "ci_low", "ci_high"):
        table[name] = table[name].astype("float64")
    table["n"] = table["n"].astype("int64")
    return table


def table_columns(languages: tuple[str, ...] = DEFAULT_LANGUAGES[:1]) -> list[str]:
    """TABLE_COLUMNS, each label column followed by one `<column>_<tag>` per non-primary language (`category_label_en`):
    a spreadsheet shows every language of a label side by side, and the plain column stays in the primary language."""
    columns = []
    for name in TABLE_COLUMNS:
        columns.append(name)
        if name in LABEL_COLUMNS:
            columns.extend(f"{name}_{i18n.column_suffix(tag)}" for tag in languages[1:])
    return columns


def _weigh(
    pub: Publication, population: str, source: object, tasks: list[Task], engine: str
) -> dict[str, tuple[DesignShape, Sums]]:
    """The engine's weighted sums for a population with a design, each with the design's shape."""
    design = pub.codebook.populations[population].design
    if not isinstance(source, pd.DataFrame):
        # A streamed file counted by another engine is summed by DuckDB by PSU, never loaded (the DuckDB engine
        # checks, counts and sums it in one go: tabulate).
        from surveypress.stats.engines import duckdb_sums

        name = display_name(source, pub.project_root)  # type: ignore[arg-type]
        path = Path(source)  # type: ignore[arg-type]
        where, sums = duckdb_sums.weighted_sums_parquet(pub.codebook, population, path, tasks, name)
        return {indicator: (where.shape, task_sums) for indicator, task_sums in sums.items()}
    where: Layout = layout(source, design)
    if engine == "pandas":
        from surveypress.stats.engines import pandas_engine

        sums = pandas_engine.weighted_sums(pub.codebook, source, tasks, where)
    else:
        from surveypress.stats.engines import duckdb_sums

        sums = duckdb_sums.weighted_sums(pub.codebook, population, source, tasks, design, where)
    return {indicator: (where.shape, task_sums) for indicator, task_sums in sums.items()}


def assemble(
    pub: Publication,
    tasks: dict[str, list[Task]],
    counts: dict[str, Counts],
    weighted: dict[str, tuple[DesignShape, Sums]] | None = None,
) -> pd.DataFrame:
    """Turns the engines' integers (and weighted sums) into the ordered long table."""
    weighted = weighted or {}
    table = _Columns(pub.languages, weighted)
    total = Label(texts={tag: i18n.gettext_in(tag, TOTAL_LABEL) for tag in pub.languages})
    # Rows follow indicators.yml order, whatever order the populations were counted in.
    by_indicator = {task.indicator.id: task for population_tasks in tasks.values() for task in population_tasks}
    for indicator in pub.indicators:
        task = by_indicator[indicator.id]
        result = counts[indicator.id]
        base, cells = result[TOTAL][None]
        table.add(task, TOTAL, TOTAL, total, base, cells)
        for breakdown in task.breakdowns:
            groups = result[breakdown.id]
            for option in sorted(breakdown.options, key=lambda option: option.code):
                base, cells = groups.get(option.code, (0, (0,) * len(task.categories)))
                table.add(task, breakdown.id, str(option.code), option, base, cells)
    return table.frame()


class _Columns:
    """The long table as a list per column, a row per category of each group, typed into a DataFrame at the end."""

    def __init__(self, languages: list[str], weighted: dict[str, tuple[DesignShape, Sums]]) -> None:
        self.languages = languages
        self.weighted = weighted
        names = table_columns(languages) + (DESIGN_COLUMNS if weighted else [])
        self.columns: dict[str, list] = {name: [] for name in names}

    def add(
        self, task: Task, breakdown: str, group: str, group_label: Label, base: int, cells: tuple[int, ...]
    ) -> None:
        """One group's rows: its categories' counts, percents and intervals (weighted where a design says so)."""
        columns = self.columns
        design = self.weighted.get(task.indicator.id)
        rows = [share(count, base) + (math.nan,) * 3 for count in cells]
        if design is not None:
            shape, sums = design
            domain = sums[breakdown][None if breakdown == TOTAL else int(group)]
            rows = [
                _weighted_row(domain, k, estimate) for k, estimate in enumerate(estimates(domain, shape, base, cells))
            ]
        for category, count, (percent, low, high, se, deff, n_eff) in zip(task.categories, cells, rows, strict=True):
            columns["indicator"].append(task.indicator.id)
            columns["population"].append(task.indicator.population)
            columns["breakdown"].append(breakdown)
            columns["group"].append(group)
            columns["category"].append(category.code)
            for index, tag in enumerate(self.languages):
                suffix = "" if index == 0 else f"_{i18n.column_suffix(tag)}"
                columns[f"group_label{suffix}"].append(group_label.text(tag))
                columns[f"category_label{suffix}"].append(category.label.text(tag))
            columns["count"].append(count)
            columns["base"].append(base)
            columns["percent"].append(percent)
            columns["ci_low"].append(low)
            columns["ci_high"].append(high)
            if self.weighted:
                columns["se"].append(se)
                columns["deff"].append(deff)
                columns["n_eff"].append(n_eff)

    def frame(self) -> pd.DataFrame:
        """The columns as a DataFrame: labels as text, counts as integers, figures as floats."""
        table = pd.DataFrame(self.columns)
        for name in table.columns[: table.columns.get_loc("category_label") + len(self.languages)]:
            table[name] = table[name].astype("str")
        for name in ("count", "base"):
            table[name] = table[name].astype("int64")
        for name in ("percent", "ci_low", "ci_high", *(DESIGN_COLUMNS if self.weighted else [])):
            table[name] = table[name].astype("float64")
        return table


def _weighted_row(domain: DomainSums, k: int, estimate) -> tuple[float, ...]:
    """Percent, interval and standard error in percent (2 decimals), design effect (2) and effective n (1)."""
    if math.isnan(estimate.share):
        return (math.nan,) * 6
    return (
        percent_of(float(domain.wy[:, k].sum()), float(domain.w.sum())),
        round_to(estimate.low * 100, 2),
        round_to(estimate.high * 100, 2),
        round_to(estimate.se * 100, 2),
        round_to(estimate.deff, 2),
        round_to(estimate.n_eff, 1),
    )
