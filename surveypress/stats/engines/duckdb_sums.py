"""The DuckDB engine's weighted sums: per task, domain and stratum (or PSU), the sums stats/design.py turns into
weighted shares and their variance, from one aggregation over the respondents, for a validated frame or a
streamed Parquet file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from surveypress.content import Codebook, Design, Question
from surveypress.stats.design import Layout, cluster_sums, respondent_sums
from surveypress.stats.engines.duckdb_checks import Checked, checked_view
from surveypress.stats.engines.duckdb_design import check_design
from surveypress.stats.engines.duckdb_sql import asked_sql, connect, quote, raw_design_cells
from surveypress.stats.tasks import TOTAL, Sums, Task, universe_chain


def weighted_sums(
    codebook: Codebook, population: str, frame: pd.DataFrame, tasks: list[Task], design: Design, layout: Layout
) -> dict[str, Sums]:
    """Weighted sums per task, breakdown, group and stratum (see surveypress/stats/design.py) of a validated frame, from
    one DuckDB scan that sums weights and squared weights per combination of raw cells, stratum and PSU."""
    connection = connect()
    try:
        connection.register("microdata_frame", frame)
        return weighted_in_batches(connection, codebook, population, None, tasks, design, layout)
    finally:
        connection.close()


def weighted_sums_parquet(
    codebook: Codebook, population: str, path: Path, tasks: list[Task], name: str
) -> tuple[Layout, dict[str, Sums]]:
    """The design's layout and the weighted sums of a streamed Parquet file (its design columns checked first, as
    load.py checks them), in three narrow scans, never holding it in memory."""
    design = codebook.populations[population].design
    connection = connect()
    try:
        checked = checked_view(connection, codebook, population, path, name)
        layout = check_design(connection, codebook, population, design, name)
        return layout, weighted_in_batches(connection, codebook, population, checked, tasks, design, layout)
    finally:
        connection.close()


# Above this many combinations of breakdown groups, the weighted sums group by each breakdown apart (GROUPING SETS).
CROSSED_GROUPS = 256
# Tasks summed by one query: each adds a sum per code and measure, and a query of thousands of tasks (a file of
# thousands of questions) is tens of thousands of aggregates, which DuckDB plans for minutes.
WEIGHTED_TASKS = 64


def weighted_in_batches(
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    checked: Checked | None,
    tasks: list[Task],
    design: Design,
    layout: Layout,
) -> dict[str, Sums]:
    """`_weighted` of a checked file (`checked`), or of the registered `microdata_frame` (None), WEIGHTED_TASKS
    tasks a query; a batch of a checked file reads only the columns its tasks need (see `Checked.relation`)."""
    if len(tasks) <= WEIGHTED_TASKS:
        relation = "microdata_frame" if checked is None else "microdata"
        return _weighted(connection, codebook, population, relation, tasks, design, layout, checked is not None)
    result: dict[str, Sums] = {}
    for start in range(0, len(tasks), WEIGHTED_TASKS):
        batch = tasks[start : start + WEIGHTED_TASKS]
        relation = "microdata_frame"
        if checked is not None:
            questions = {q.id: q for task in batch for q in (task.question, *task.breakdowns)}
            read = [design.weight, *raw_design_cells(design)]
            for question in questions.values():
                read += question.columns()
                for condition in universe_chain(codebook, question):
                    read += codebook.questions[condition.question].columns()
            relation = checked.relation(read)
        result.update(_weighted(connection, codebook, population, relation, batch, design, layout, checked is not None))
    return result


def _answers(codebook: Codebook, task: Task) -> tuple[str, list[str]]:
    """One task in SQL: its base (true for a respondent inside it), and one condition per summed answer. A
    single-choice task's base is its universe, and it has one answer per code of its question, true when the cell
    holds that code; a multi-choice task's base also needs some option cell 0 or 1, and its answers are the base
    itself (TRUE) and then each category, true when the respondent ticked it. A condition may be NULL where a cell
    is empty: the sum skips it. The rules are `_tally`'s, applied to a respondent instead of a combination of
    cells; each compares a raw cell with a constant, which DuckDB evaluates far quicker than a CASE."""
    question = task.question
    asked = asked_sql(codebook, question)
    if question.type != "multi":
        cell = quote(question.id)
        return asked, [f"{cell} = {int(code)}" for code in question.codes]
    columns = question.columns()
    answered = " OR ".join(f"coalesce({quote(column)} IN (0, 1), FALSE)" for column in columns)
    ticked = {code: f"{quote(cell)} = 1" for code, cell in zip(question.codes, columns, strict=True)}
    categories = [" OR ".join(ticked[code] for code in category.codes) for category in task.categories]
    return f"({asked}) AND ({answered})", ["TRUE", *categories]


def _weighted(
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    relation: str,
    tasks: list[Task],
    design: Design,
    layout: Layout,
    streamed: bool = False,
) -> dict[str, Sums]:
    """Per task, domain and stratum, the sums design.py needs, from one aggregation over the respondents
    (`streamed`: `relation` is a checked file's `microdata` view, whose design `group_design` grouped).

    Each respondent is a few small integers in SQL: its PSU (or stratum) index, its group in each breakdown and
    its answers to each task (`_answers`). One GROUP BY over PSU and breakdown groups sums, per task, the weight of
    each answer (unclustered also the squared weight and the respondents); numpy adds those rows up per domain.
    So the result has PSUs × breakdown groups rows whatever the file's size (with GROUPING SETS, one per breakdown,
    when the groups of all breakdowns crossed would be many: PSUs × (1 + Σ groups) rows)."""
    clustered = layout.shape.clustered
    breakdowns = list({breakdown.id: breakdown for task in tasks for breakdown in task.breakdowns}.values())
    units = _register_units(connection, layout, streamed)
    weight = f"CAST({quote(design.weight)} AS DOUBLE)"
    measures = [weight] if clustered else [weight, f"{weight} * {weight}", "1.0"]  # Σw; unclustered also Σw², n
    projection, answers, offsets = _projection(codebook, tasks, breakdowns, len(measures))
    projection = [f"{measure} AS __m{m}" for m, measure in enumerate(measures)] + projection
    sizes = [len(breakdown.codes) + 1 for breakdown in breakdowns]
    keys = f"{_design_keys(design, clustered, streamed)} FROM {relation}), "
    rows = _aggregate(connection, keys, units, layout, projection, len(measures), answers, sizes)
    whole = rows.added_up(None, 1)
    by_breakdown = {breakdown.id: rows.by_group(index, sizes[index]) for index, breakdown in enumerate(breakdowns)}
    result: dict[str, Sums] = {}
    for t, task in enumerate(tasks):
        own = slice(offsets[t], offsets[t + 1])
        found_sums: Sums = {TOTAL: {None: _domain(task, whole[:, :, own], layout)}}
        for breakdown in task.breakdowns:
            split = by_breakdown[breakdown.id]
            found_sums[breakdown.id] = {
                code: _domain(task, split[:, :, g, own], layout) for g, code in enumerate(breakdown.codes)
            }
        result[task.indicator.id] = found_sums
    return result


def _aggregate(
    connection: duckdb.DuckDBPyConnection,
    keys: str,
    units: str,
    layout: Layout,
    projection: list[str],
    measures: int,
    answers: list[tuple[str, str]],
    sizes: list[int],
) -> _Rows:
    """The one GROUP BY over PSU and breakdown groups (crossed, or GROUPING SETS when CROSSED_GROUPS is exceeded),
    one sum per measure and answer."""
    # A group where every summed value is NULL sums to NULL: that is 0.
    sums = [
        f"coalesce(sum({carrier.format(m=m)}{'' if condition == 'TRUE' else f' * CAST({condition} AS TINYINT)'}), 0)"
        for m in range(measures)
        for carrier, condition in answers
    ]
    groups = [f"__g{index}" for index in range(len(sizes))]
    crossed = int(np.prod(sizes)) <= CROSSED_GROUPS
    if crossed:
        grouping = ", ".join(["__unit", *groups])
        selected = ["__unit", *groups]
    else:
        grouping = "GROUPING SETS (" + ", ".join(["(__unit)", *(f"(__unit, {group})" for group in groups)]) + ")"
        selected = ["__unit", *(f"coalesce({group}, -1) AS {group}" for group in groups)]
    columns = connection.execute(
        f"WITH cells AS (SELECT *, {keys}"
        f"answers AS (SELECT {', '.join(['units.__unit AS __unit', *projection])} FROM cells JOIN {units} "
        f"AS units ON {_units_on(layout.shape.clustered)}) "
        f"SELECT {', '.join([*selected, *sums])} FROM answers GROUP BY {grouping}"
    ).fetchnumpy()
    found = np.column_stack([np.asarray(column, dtype=float) for column in columns.values()])
    count = layout.unit_stratum.size if layout.shape.clustered else len(layout.shape.psus)
    return _Rows(found, len(groups), measures, len(answers), crossed, count)


def _register_units(connection: duckdb.DuckDBPyConnection, layout: Layout, streamed: bool) -> str:
    """Registers the design's units as a small table to join, (stratum, PSU) -> PSU index, or stratum -> stratum
    index; gives its name (a streamed file's, `design_map`, keyed by the stored cells `group_design` grouped)."""
    clustered = layout.shape.clustered
    if clustered:
        keys = pd.DataFrame(list(layout.unit_keys), columns=["__h", "__c"])
        keys["__unit"] = list(layout.unit_keys.values())
    else:
        keys = pd.DataFrame({"__h": list(layout.strata_labels), "__unit": range(len(layout.shape.psus))})
    connection.complete()  # an earlier check's result, read with fetchone(), may not stay open beside new work
    connection.register("design_units", keys)
    if not streamed:
        return "design_units"
    # The stored cells, as `group_design` grouped them, map to the PSUs of their trimmed labels.
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE design_map AS SELECT g.h_raw AS __h, g.c_raw AS __c, u.__unit "
        f"FROM design_groups g JOIN design_units u ON g.h = u.__h{' AND g.c = u.__c' if clustered else ''}"
    )
    return "design_map"


def _design_keys(design: Design, clustered: bool, streamed: bool) -> str:
    """SQL naming a respondent's stratum __h (and PSU __c, clustered) as the units table keys them."""
    if streamed:
        stratum = "__design_h" if design.strata else "''"
        cluster = "__design_c"
    else:
        stratum = quote(design.strata) if design.strata else "''"
        cluster = quote(design.cluster) if clustered else ""
    return f"{stratum} AS __h" + (f", {cluster} AS __c" if clustered else "")


def _units_on(clustered: bool) -> str:
    return "cells.__h = units.__h" + (" AND cells.__c = units.__c" if clustered else "")


def _projection(
    codebook: Codebook, tasks: list[Task], breakdowns: list[Question], measures: int
) -> tuple[list[str], list[tuple[str, str]], list[int]]:
    """The respondent's columns after its measures (__m0, ...): its group in each breakdown (__g0, ...), the tasks'
    cells and, per task with a base, its measures inside the base (NULL outside), computed once; with the answers
    summed, (measure column with {m} for the measure, condition) each (a single-choice task's codes, a
    multi-choice task's base and categories), and where each task's answers start (and the last ends)."""
    projection = []
    for index, breakdown in enumerate(breakdowns):
        # Group position among the breakdown's codes; len(codes) outside its universe or without a code.
        cases = " ".join(f"WHEN {int(code)} THEN {at}" for at, code in enumerate(breakdown.codes))
        projection.append(
            f"CASE WHEN {asked_sql(codebook, breakdown)} THEN (CASE {quote(breakdown.id)} {cases} "
            f"ELSE {len(breakdown.codes)} END) ELSE {len(breakdown.codes)} END AS __g{index}"
        )
    cells = {column for task in tasks for column in task.question.columns()}
    projection.extend(quote(column) for column in sorted(cells))
    answers: list[tuple[str, str]] = []
    offsets = []
    for t, task in enumerate(tasks):
        base, conditions = _answers(codebook, task)
        carrier = "__m{m}"
        if base != "TRUE":
            carrier = f"__m{{m}}_{t}"
            projection.extend(f"CASE WHEN {base} THEN __m{m} END AS __m{m}_{t}" for m in range(measures))
        offsets.append(len(answers))
        answers.extend((carrier, condition) for condition in conditions)
    offsets.append(len(answers))
    return projection, answers, offsets


class _Rows:
    """The aggregation's rows: PSU (or stratum) index, breakdown groups, then the sums by measure and answer."""

    def __init__(self, found: np.ndarray, groups: int, measures: int, answers: int, crossed: bool, units: int) -> None:
        self.found = found
        self.groups = groups
        self.measures = measures
        self.answers = answers
        self.crossed = crossed
        self.units = units  # PSUs (strata, unclustered)
        self.unit = found[:, 0].astype(np.int64)
        self.values = found[:, 1 + groups :].reshape(len(found), measures, answers)

    def added_up(self, index: int | None, count: int) -> np.ndarray:
        """(measures, units × groups, answers): the rows added up by PSU (and breakdown `index`'s `count` groups)."""
        if index is None:
            where = self.unit
            # Crossed rows each hold one part of the whole sample; of grouping-set rows, those of the first set.
            grouped = self.found[:, 1 : 1 + self.groups]
            inside = np.ones(len(self.found), dtype=bool) if self.crossed else (grouped == -1).all(axis=1)
        else:
            group = self.found[:, 1 + index]
            inside = group >= 0
            where = self.unit * count + np.where(inside, group, 0).astype(np.int64)
        result = np.zeros((self.measures, self.units * count, self.answers))
        for m in range(self.measures):
            np.add.at(result[m], where[inside], self.values[inside, m, :])
        return result

    def by_group(self, index: int, count: int) -> np.ndarray:
        """(measures, units, groups, answers) of breakdown `index`, of `count` groups."""
        return self.added_up(index, count).reshape(self.measures, self.units, count, self.answers)


def _domain(task: Task, own: np.ndarray, layout: Layout) -> object:
    """One domain's sums of one task's answers, (measures, units, answers) -> design.DomainSums."""
    if task.question.type == "multi":
        base, chosen = own[:, :, 0], own[:, :, 1:]
    else:
        # Column i is code i; a category sums the columns of its codes.
        member = np.zeros((len(task.question.codes), len(task.categories)))
        for k, category in enumerate(task.categories):
            for code in category.codes:
                member[task.question.codes.index(code), k] = 1
        base, chosen = own.sum(axis=2), own @ member
    if layout.shape.clustered:
        return cluster_sums(layout.unit_stratum, base[0], chosen[0], len(layout.shape.psus))
    return respondent_sums(base[0], chosen[0], base[1], chosen[1], base[2])
