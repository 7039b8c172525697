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

from surveypress.errors import InputError
from surveypress.spec import Codebook, Question, Universe
from surveypress.tabulate import TOTAL, Counts, Task, universe_chain

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


def _answered_multi(question: Question) -> str:
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
    answered = _answered_multi(question)
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


def count(codebook: Codebook, population: str, source: object, tasks: list[Task]) -> dict[str, Counts]:
    """Bases and counts for every task of one population; a Parquet path is checked before it is counted."""
    connection = connect()
    try:
        if isinstance(source, pd.DataFrame):
            connection.register("microdata_frame", source)
            relation = "microdata_frame"
        else:
            relation = check_parquet(codebook, population, Path(source), connection)  # type: ignore[arg-type]

        # One group column per breakdown used by any indicator of this population.
        breakdowns: dict[str, Question] = {}
        for task in tasks:
            for breakdown in task.breakdowns:
                breakdowns.setdefault(breakdown.id, breakdown)
        group_columns = {bid: f"g{index}" for index, bid in enumerate(breakdowns)}
        select = [
            f"CASE WHEN {_asked(codebook, b)} AND {_quote(bid)} IN ({_codes(b.codes)}) "
            f"THEN {_quote(bid)} END AS {group_columns[bid]}"
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


# Load's rules, restated in SQL so a Parquet file that never becomes a DataFrame is held to the same standard.
INTEGER_TEXT = "-?[0-9]{1,9}"
FIRST_DATA_ROW = 2  # spreadsheet rows: the header is row 1, so the first respondent (file row 0) is row 2


def _value(name: str, column_type: str) -> str:
    """SQL for a cell as an integer: integer columns as they are, text parsed, empty text as NULL (not asked)."""
    if _is_integer(column_type):
        return _quote(name)
    text = f"CAST({_quote(name)} AS VARCHAR)"
    return f"CASE WHEN {text} = '' THEN NULL ELSE TRY_CAST({text} AS BIGINT) END"


def _is_integer(column_type: str) -> bool:
    return column_type.upper() in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


def _checked_view(
    connection: duckdb.DuckDBPyConnection, codebook: Codebook, population: str, path: Path, name: str
) -> dict[str, str]:
    """Checks header and column types of a Parquet file; creates the views `raw_microdata` (as stored) and
    `microdata` (question columns as integers, empty text as NULL). Gives each column's type."""
    source = f"read_parquet({_literal(str(path))}, file_row_number = true)"
    try:
        schema = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as error:
        raise InputError(name, "a Parquet file", value=str(error).splitlines()[0][:120]) from None
    types = {column: column_type for column, column_type, *_ in schema if column != "file_row_number"}
    found = [column for column, *_ in schema if column != "file_row_number"]
    expected = codebook.columns_of(population)
    missing = [column for column in expected if column not in types]
    extra = [column for column in found if column not in expected]
    if missing:
        raise InputError(
            name,
            f"a column for every codebook question of population '{population}'",
            row=1,
            column=missing[0],
            hint=f"Missing: {', '.join(missing)}" + (f"; not in the codebook: {', '.join(extra)}" if extra else ""),
        )
    if extra:
        raise InputError(
            name,
            f"only the columns the codebook defines for population '{population}'",
            row=1,
            column=extra[0],
            value=extra[0],
        )
    select = ["file_row_number", f"CAST({_quote('respondent_id')} AS VARCHAR) AS respondent_id"]
    for column in expected[1:]:
        if not _is_integer(types[column]) and types[column].upper() != "VARCHAR":
            raise InputError(name, "integer or text columns", column=column, value=types[column])
        select.append(f"{_value(column, types[column])} AS {_quote(column)}")
    connection.execute(f"CREATE OR REPLACE TEMP VIEW raw_microdata AS SELECT * FROM {source}")
    connection.execute(f"CREATE OR REPLACE TEMP VIEW microdata AS SELECT {', '.join(select)} FROM {source}")
    return types


def _asked(codebook: Codebook, question: Question) -> str:
    """SQL that is true exactly for respondents inside the question's universe chain (never NULL)."""
    conditions = universe_chain(codebook, question)
    return " AND ".join(f"coalesce({_condition(codebook, condition)}, FALSE)" for condition in conditions) or "TRUE"


def check_parquet(
    codebook: Codebook,
    population: str,
    path: Path,
    connection: duckdb.DuckDBPyConnection | None = None,
    name: str | None = None,
) -> str:
    """Refuses a Parquet file that breaks the codebook, as load.py would: the earliest problem, by row then column.

    Order of checks as in load.py: header, respondent ids, codes, then universes (empty exactly outside, a
    multi-choice question all no-answer or none). Gives the name of a view of the file with integer question columns.
    """
    own = connection is None
    connection = connection or connect()
    name = name or str(path)
    try:
        types = _checked_view(connection, codebook, population, path, name)
        _check_rows(connection, codebook, population, types, name)
        return "microdata"
    finally:
        if own:
            connection.close()


def _first_problem(connection: duckdb.DuckDBPyConnection, view: str, checks: list[tuple[str, str, str]]) -> tuple:
    """(row index, column, expected) of the earliest failing check, in one scan; checks are (sql, column, expected)."""
    if not checks:
        return None
    firsts = ", ".join(f"min(file_row_number) FILTER (WHERE {sql})" for sql, _, _ in checks)
    rows = connection.execute(f"SELECT {firsts} FROM {view}").fetchone()
    failing = [(row, position) for position, row in enumerate(rows) if row is not None]
    if not failing:
        return None
    row, position = min(failing)
    return row, checks[position][1], checks[position][2]


def _cell(connection: duckdb.DuckDBPyConnection, view: str, row: int, column: str) -> object:
    return connection.execute(f"SELECT {_quote(column)} FROM {view} WHERE file_row_number = ?", [row]).fetchone()[0]


def _check_rows(
    connection: duckdb.DuckDBPyConnection, codebook: Codebook, population: str, types: dict[str, str], name: str
) -> None:
    view = "microdata"

    def fail(found: tuple, source: str = "raw_microdata") -> None:
        row, column, expected = found
        value = _cell(connection, source, row, column)
        value = "" if value is None else str(value)
        raise InputError(name, expected, row=row + FIRST_DATA_ROW, column=column, value=value)

    if connection.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == 0:
        raise InputError(name, "at least one respondent row", value="(no rows)")

    # Respondent ids: present, without stray spaces, unique.
    ids = _quote("respondent_id")
    found = _first_problem(
        connection,
        view,
        [
            (f"{ids} IS NULL OR trim({ids}) = ''", "respondent_id", "a respondent id in every row"),
            (f"trim({ids}) <> {ids}", "respondent_id", "a respondent id without leading or trailing spaces"),
        ],
    )
    if found:
        fail(found)
    repeated = connection.execute(
        f"SELECT {ids}, min(file_row_number), list(file_row_number ORDER BY file_row_number)[2] AS second "
        f"FROM {view} GROUP BY {ids} HAVING count(*) > 1 ORDER BY second LIMIT 1"
    ).fetchone()
    if repeated:
        value, first, second = repeated
        raise InputError(
            name,
            "each respondent id once",
            row=second + FIRST_DATA_ROW,
            column="respondent_id",
            value=value,
            hint=f"The same id is on row {first + FIRST_DATA_ROW}",
        )

    questions = codebook.questions_of(population)
    no_answer = codebook.no_answer
    # Codes: text that is not a whole number, then values outside the codebook.
    code_checks = []
    for question in questions:
        allowed = (0, 1, no_answer) if question.type == "multi" else (*question.codes, no_answer)
        if question.type == "multi":
            expected = f"0 (not ticked), 1 (ticked) or {no_answer} (no answer)"
        else:
            codes = ", ".join(map(str, question.codes))
            expected = f"one of the codes {codes} of question {question.id}, or {no_answer} (no answer)"
        for column in question.columns():
            value = _value(column, types[column])
            check = f"{value} IS NOT NULL AND {value} NOT IN ({_codes(allowed)})"
            if not _is_integer(types[column]):
                text = f"CAST({_quote(column)} AS VARCHAR)"
                check = f"({text} <> '' AND NOT regexp_full_match({text}, '{INTEGER_TEXT}')) OR ({check})"
            code_checks.append((check, column, expected))
    found = _first_problem(connection, "raw_microdata", code_checks)
    if found:
        fail(found)

    # Universes: empty exactly outside; inside, a multi-choice question is all no-answer or none.
    universe_checks = []
    for question in questions:
        asked = _asked(codebook, question)
        if question.universe is None:
            rule = "asked of everyone"
        else:
            target = codebook.questions[question.universe.question]
            codes = " or ".join(map(str, question.universe.codes))
            rule = (
                f"asked only of respondents who ticked option {codes} of {target.id}"
                if target.type == "multi"
                else f"asked only of respondents whose {target.id} is {codes}"
            )
        for column in question.columns():
            universe_checks.append(
                (
                    f"NOT ({asked}) AND {_quote(column)} IS NOT NULL",
                    column,
                    f"an empty cell, because this respondent is outside the universe ({rule})",
                )
            )
            universe_checks.append(
                (
                    f"({asked}) AND {_quote(column)} IS NULL",
                    column,
                    f"a code or the no-answer code {no_answer}, because this respondent is inside the universe"
                    f" ({rule})",
                )
            )
        if question.type == "multi":
            cells = [_quote(column) for column in question.columns()]
            all_no = " AND ".join(f"{cell} = {no_answer}" for cell in cells)
            any_no = " OR ".join(f"{cell} = {no_answer}" for cell in cells)
            all_present = " AND ".join(f"{cell} IS NOT NULL" for cell in cells)
            universe_checks.append(
                (
                    f"({asked}) AND {all_present} AND ({any_no}) AND NOT ({all_no})",
                    question.columns()[0],
                    f"either {no_answer} (no answer) in every option column of {question.id} or 0/1 in every one",
                )
            )
    found = _first_problem(connection, view, universe_checks)
    if found and found[2].startswith("either"):
        # Name the first option cell holding the no-answer code, as load.py does.
        row, column, expected = found
        question = next(q for q in questions if q.type == "multi" and q.columns()[0] == column)
        cells = [_cell(connection, view, row, c) for c in question.columns()]
        found = (row, question.columns()[cells.index(no_answer)], expected)
    if found:
        fail(found, source=view)
