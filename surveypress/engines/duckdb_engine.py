"""SQL counting engine: one DuckDB scan per population, GROUPING SETS over per-question keys.

Takes: one population's microdata, as a validated DataFrame or as a Parquet path (checked here, in SQL, against the
codebook: header, ids, codes, multi-choice cells and universes), and the tabulate tasks.
Gives: integer bases and counts per task, breakdown, group and category (`tabulate.Counts`).

Each indicator becomes one key column: the option code (single/scale) or the bit pattern of ticked options (multi),
NULL when the respondent is outside the universe or gave no answer. Each breakdown becomes one group column, NULL
when the respondent has no valid code on it. DuckDB aggregates the grouping sets in one pass and streams Parquet, so
the microdata never has to fit in memory.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd

from surveypress.spec import Codebook, Question, Universe
from surveypress.tabulate import TOTAL, Counts, Task

# Multi-choice questions with more options than this are counted one category at a time instead of as bit patterns.
MAX_PATTERN_OPTIONS = 30
# Aggregation state is tiny; the limit keeps DuckDB from claiming most of the machine on a big file.
MEMORY_LIMIT = "1GB"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _codes(codes: tuple[int, ...]) -> str:
    return ", ".join(str(int(code)) for code in codes)


def connect() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": MEMORY_LIMIT})
    return connection


def _condition(codebook: Codebook, condition: Universe) -> str:
    target = codebook.questions[condition.question]
    if target.type == "multi":
        return "(" + " OR ".join(f"{_quote(f'{target.id}_{code}')} = 1" for code in condition.codes) + ")"
    return f"{_quote(target.id)} IN ({_codes(condition.codes)})"


def _universe(codebook: Codebook, task: Task) -> str:
    return " AND ".join(_condition(codebook, condition) for condition in task.universe) or "TRUE"


def _answered_multi(question: Question, no_answer: int) -> str:
    return "(" + " OR ".join(f"{_quote(column)} IN (0, 1)" for column in question.columns()) + ")"


def _keys(codebook: Codebook, task: Task) -> list[tuple[str, tuple[int, ...] | None]]:
    """SQL key expressions for a task, each with the category codes it stands for (None: a pattern or code key)."""
    question = task.question
    universe = _universe(codebook, task)
    if question.type != "multi":
        return [
            (
                f"CASE WHEN {universe} AND {_quote(question.id)} IN ({_codes(question.codes)}) "
                f"THEN {_quote(question.id)} END",
                None,
            )
        ]
    answered = _answered_multi(question, codebook.no_answer)
    if len(question.options) <= MAX_PATTERN_OPTIONS:
        bits = " | ".join(
            f"(coalesce({_quote(column)} = 1, FALSE)::BIGINT << {bit})" for bit, column in enumerate(question.columns())
        )
        return [(f"CASE WHEN {universe} AND {answered} THEN ({bits}) END", None)]
    # Wide multi-choice: one 0/1 key per category; the base is the sum of both values of the first key.
    keys = []
    for category in task.categories:
        ticked = " OR ".join(f"coalesce({_quote(f'{question.id}_{code}')} = 1, FALSE)" for code in category.codes)
        keys.append((f"CASE WHEN {universe} AND {answered} THEN ({ticked})::INTEGER END", category.codes))
    return keys


def _source(connection: duckdb.DuckDBPyConnection, source: object) -> str:
    if isinstance(source, pd.DataFrame):
        connection.register("microdata_frame", source)
        return "microdata_frame"
    return f"read_parquet({_literal(str(source))})"


def count(codebook: Codebook, population: str, source: object, tasks: list[Task]) -> dict[str, Counts]:
    """Bases and counts for every task of one population; a Parquet path is checked before it is counted."""
    connection = connect()
    try:
        if not isinstance(source, pd.DataFrame):
            check_parquet(codebook, population, Path(source), connection)  # type: ignore[arg-type]
        relation = _source(connection, source)

        # One group column per breakdown used by any indicator of this population.
        breakdowns: dict[str, Question] = {}
        for task in tasks:
            for breakdown in task.breakdowns:
                breakdowns.setdefault(breakdown.id, breakdown)
        group_columns = {bid: f"g{index}" for index, bid in enumerate(breakdowns)}
        select = [
            f"CASE WHEN {_quote(bid)} IN ({_codes(b.codes)}) THEN {_quote(bid)} END AS {group_columns[bid]}"
            for bid, b in breakdowns.items()
        ]
        sets, task_keys = [], []
        for task in tasks:
            keys = []
            for expression, codes in _keys(codebook, task):
                name = f"k{len(select) - len(group_columns)}"
                select.append(f"{expression} AS {name}")
                keys.append((name, codes))
                sets.append(f"({name})")
                sets.extend(f"({group_columns[b.id]}, {name})" for b in task.breakdowns)
            task_keys.append(keys)
        key_names = [name for keys in task_keys for name, _ in keys]
        group_names = list(group_columns.values())
        grouping = ", ".join(f"GROUPING({name})" for name in group_names + key_names)
        query = (
            f"WITH keyed AS (SELECT {', '.join(select)} FROM {relation}) "
            f"SELECT {grouping}, {', '.join(group_names + key_names)}, count(*) FROM keyed "
            f"GROUP BY GROUPING SETS ({', '.join(sets)})"
        )
        rows = connection.execute(query).fetchall()
    finally:
        connection.close()

    # hist[key name][group column or None][(group value, key value)] = respondents
    width = len(group_names) + len(key_names)
    hist: dict[str, dict[str | None, dict[tuple, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        flags, values, n = row[:width], row[width : 2 * width], row[-1]
        key_index = next(i for i in range(len(key_names)) if flags[len(group_names) + i] == 0)
        key_value = values[len(group_names) + key_index]
        group_index = next((i for i in range(len(group_names)) if flags[i] == 0), None)
        group_value = None if group_index is None else values[group_index]
        if key_value is None or (group_index is not None and group_value is None):
            continue  # not in the base, or not in any group of this breakdown
        group_name = None if group_index is None else group_names[group_index]
        hist[key_names[key_index]][group_name][(group_value, key_value)] = n

    counts: dict[str, Counts] = {}
    for task, keys in zip(tasks, task_keys, strict=True):
        result: Counts = {}
        groupings = [(TOTAL, None, (None,))]
        groupings += [(b.id, group_columns[b.id], b.codes) for b in task.breakdowns]
        for breakdown_id, group_name, group_codes in groupings:
            result[breakdown_id] = {code: _cells(task, keys, hist, group_name, code) for code in group_codes}
        counts[task.indicator.id] = result
    return counts


def _cells(
    task: Task, keys: list, hist: dict, group_name: str | None, group: int | None
) -> tuple[int, tuple[int, ...]]:
    """Base and category counts of one group, read off the key histograms."""
    question = task.question
    if len(keys) == 1 and keys[0][1] is None:
        cells = {key: n for (g, key), n in hist[keys[0][0]][group_name].items() if g == group}
        base = sum(cells.values())
        if question.type == "multi":
            bit = {code: 1 << position for position, code in enumerate(question.codes)}
            counts = []
            for category in task.categories:
                mask = sum(bit[code] for code in category.codes)
                counts.append(sum(n for pattern, n in cells.items() if pattern & mask))
        else:
            counts = [sum(cells.get(code, 0) for code in category.codes) for category in task.categories]
        return base, tuple(counts)
    counts, base = [], 0
    for name, _ in keys:
        cells = {key: n for (g, key), n in hist[name][group_name].items() if g == group}
        base = cells.get(0, 0) + cells.get(1, 0)
        counts.append(cells.get(1, 0))
    return base, tuple(counts)


def check_parquet(
    codebook: Codebook, population: str, path: Path, connection: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Refuses a Parquet file that breaks the codebook, naming row (header = 1), column and value. Placeholder."""
    return None
