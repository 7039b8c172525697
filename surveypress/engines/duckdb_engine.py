"""SQL counting engine: one DuckDB scan per population with GROUPING SETS, one set per indicator.

Takes: one population's microdata, as a validated DataFrame or as a Parquet path (checked here, in SQL, against the
codebook: header, ids, codes, multi-choice cells and universes), and the tabulate tasks.
Gives: integer bases and counts per task, breakdown, group and category (`tasks.Counts`).

Each grouping set holds an indicator's raw question cells, its breakdown columns and one boolean per universe chain,
so DuckDB only counts the few thousand distinct combinations; who is in a base, a group or a category is decided
in Python on those combinations. DuckDB streams Parquet, so the microdata never has to fit in memory.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from surveypress import load, numeric, rules
from surveypress.design import Layout, cluster_sums, respondent_sums
from surveypress.errors import InputError
from surveypress.load import UTF8_BOM
from surveypress.spec import Codebook, Design, Question, Universe
from surveypress.tasks import TOTAL, Counts, Sums, Task, universe_chain

# Aggregation state is tiny; the limit keeps DuckDB from claiming most of the machine on a big file.
MEMORY_LIMIT = "1GB"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _codes(codes: tuple[int, ...]) -> str:
    return ", ".join(str(int(code)) for code in codes)


def parquet(path: Path | str) -> str:
    """SQL for reading one Parquet file."""
    return f"read_parquet({_literal(str(path))})"


def connect() -> duckdb.DuckDBPyConnection:
    # No progress bar: the build prints one line per stage on stderr and nothing else.
    connection = duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": MEMORY_LIMIT})
    connection.execute("SET enable_progress_bar = false")
    return connection


def _condition(codebook: Codebook, condition: Universe) -> str:
    target = codebook.questions[condition.question]
    if target.type == "multi":
        return "(" + " OR ".join(f"{_quote(f'{target.id}_{code}')} = 1" for code in condition.codes) + ")"
    return f"{_quote(target.id)} IN ({_codes(condition.codes)})"


def _asked(codebook: Codebook, question: Question) -> str:
    """SQL that is true exactly for respondents inside the question's universe chain (never NULL)."""
    conditions = universe_chain(codebook, question)
    return " AND ".join(f"coalesce({_condition(codebook, condition)}, FALSE)" for condition in conditions) or "TRUE"


def _set_columns(codebook: Codebook, questions: tuple[Question, ...], flags: dict[str, str]) -> tuple[str, ...]:
    """The raw columns of these questions and their universe flags, each once, sorted so that two indicators
    needing the same columns share one grouping set."""
    columns: list[str] = []
    for question in questions:
        if question.universe is not None:
            columns.append(flags[_asked(codebook, question)])
        columns.extend(question.columns())
    return tuple(sorted(set(columns)))


class _Combinations:
    """Distinct combinations of raw cells, counted by DuckDB in one scan with one grouping set per indicator
    (its question, breakdowns and universe flags) and, when checking, one per question no indicator covers."""

    def __init__(
        self, codebook: Codebook, population: str, tasks: list[Task], checking: bool, design: Design | None = None
    ) -> None:
        self.codebook = codebook
        self.design = design
        self.flags: dict[str, str] = {}  # universe SQL -> flag column
        needed = [(*task.breakdowns, task.question) for task in tasks]
        if checking:
            needed += [(question,) for question in codebook.questions_of(population)]
        for questions in needed:
            for question in questions:
                if question.universe is not None:
                    self.flags.setdefault(_asked(codebook, question), f"asked_{len(self.flags)}")
        # A weighted count keeps each combination apart by stratum and PSU, whose weights the variance sums.
        design_columns = tuple(c for c in (design.strata, design.cluster) if c) if design else ()
        self.of_task = {
            task.indicator.id: tuple(
                sorted({*_set_columns(codebook, (*task.breakdowns, task.question), self.flags), *design_columns})
            )
            for task in tasks
        }
        self.of_question = {}
        sets = list(dict.fromkeys(self.of_task.values()))
        if checking:
            for question in codebook.questions_of(population):
                own = set(_set_columns(codebook, (question,), self.flags))
                # Any set holding the question's cells and its universe flag shows every problem of that question.
                covering = next((columns for columns in sets if own <= set(columns)), None)
                if covering is None:
                    covering = tuple(sorted(own))
                    sets.append(covering)
                self.of_question[question.id] = covering
        self.sets = sets
        # Per grouping set: (values, respondents) or, with a design, (values, respondents, Σw, Σw²).
        self.rows: dict[tuple[str, ...], list[tuple]] = defaultdict(list)

    def count(self, connection: duckdb.DuckDBPyConnection, relation: str) -> None:
        used = list(dict.fromkeys(column for columns in self.sets for column in columns))
        projection = [f"{sql} AS {name}" for sql, name in self.flags.items()]
        projection += [_quote(column) for column in used if column not in self.flags.values()]
        aggregates = "count(*)"
        if self.design is not None:
            weight = _quote(self.design.weight)
            projection.append(f"CAST({weight} AS DOUBLE) AS {weight}")
            aggregates += f", sum({weight}), sum({weight} * {weight})"
        grouping = ", ".join(f"GROUPING({_quote(column)})" for column in used)
        listed = ", ".join("(" + ", ".join(_quote(c) for c in columns) + ")" for columns in self.sets)
        result = connection.execute(
            f"WITH cells AS (SELECT {', '.join(projection)} FROM {relation}) "
            f"SELECT {grouping}, {', '.join(_quote(c) for c in used)}, {aggregates} FROM cells "
            f"GROUP BY GROUPING SETS ({listed})"
        ).fetchall()
        position = {column: index for index, column in enumerate(used)}
        by_grouping = {tuple(0 if column in columns else 1 for column in used): columns for columns in self.sets}
        width = len(used)
        for row in result:
            columns = by_grouping[tuple(row[:width])]
            values = {column: row[width + position[column]] for column in columns}
            self.rows[columns].append((values, *row[2 * width :]))

    def problems(self) -> bool:
        """True when any combination breaks a code, universe or multi-choice rule (the detailed checks say where)."""
        no_answer = self.codebook.no_answer
        for question_id, columns in self.of_question.items():
            question = self.codebook.questions[question_id]
            allowed = set(rules.allowed(question, no_answer))
            flag = self.flags.get(_asked(self.codebook, question)) if question.universe is not None else None
            for values, *_ in self.rows[columns]:
                cells = [values[column] for column in question.columns()]
                asked = True if flag is None else values[flag]
                if any(cell is not None and cell not in allowed for cell in cells):
                    return True
                if any(rules.misplaced_cell(cell, asked) for cell in cells):
                    return True
                if asked and question.type == "multi" and rules.half_answered_cells(cells, no_answer):
                    return True
        return False


def count(
    codebook: Codebook, population: str, source: object, tasks: list[Task], name: str | None = None
) -> dict[str, Counts]:
    """Bases and counts for every task of one population; a Parquet path is checked while it is counted.

    DuckDB only counts distinct combinations of raw cells; deciding who is in the base, in a group or in a category
    happens here on those few thousand combinations, as the pandas engine decides it per respondent.
    """
    connection = connect()
    try:
        if isinstance(source, pd.DataFrame):
            connection.register("microdata_frame", source)
            combinations = _Combinations(codebook, population, tasks, checking=False)
            combinations.count(connection, "microdata_frame")
        else:
            combinations = _check(connection, codebook, population, Path(source), name or str(source), tasks)  # type: ignore[arg-type]
    finally:
        connection.close()
    return {
        task.indicator.id: _tally(
            codebook, task, combinations.flags, combinations.rows[combinations.of_task[task.indicator.id]]
        )
        for task in tasks
    }


def _tally(codebook: Codebook, task: Task, flags: dict[str, str], combinations: list[tuple[dict, int]]) -> Counts:
    """Bases and category counts of one task from its combinations of raw cells."""
    question = task.question
    universe = flags.get(_asked(codebook, question)) if question.universe is not None else None
    if question.type == "multi":
        columns = question.columns()
        members = [[columns[question.codes.index(code)] for code in category.codes] for category in task.categories]
    result: Counts = {TOTAL: {None: [0, [0] * len(task.categories)]}}
    for breakdown in task.breakdowns:
        result[breakdown.id] = {code: [0, [0] * len(task.categories)] for code in breakdown.codes}
    for values, n, *_ in combinations:
        if universe is not None and not values[universe]:
            continue
        if question.type == "multi":
            if not any(values[column] in (0, 1) for column in columns):
                continue  # not asked, or no answer
            chosen = [any(values[column] == 1 for column in member) for member in members]
        else:
            code = values[question.id]
            if code not in question.codes:
                continue  # not asked, no answer, or not a code of the question
            chosen = [code in category.codes for category in task.categories]
        targets = [result[TOTAL][None]]
        for breakdown in task.breakdowns:
            group = values[breakdown.id]
            in_universe = breakdown.universe is None or values[flags[_asked(codebook, breakdown)]]
            if in_universe and group in result[breakdown.id]:
                targets.append(result[breakdown.id][group])
        for target in targets:
            target[0] += n
            for index, yes in enumerate(chosen):
                target[1][index] += n * yes
    return {
        breakdown: {group: (base, tuple(cells)) for group, (base, cells) in groups.items()}
        for breakdown, groups in result.items()
    }


# Load's rules, restated in SQL so a Parquet file that never becomes a DataFrame is held to the same standard.
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
    rules.check_columns(found, expected, population, name)
    select = ["file_row_number", f"CAST({_quote('respondent_id')} AS VARCHAR) AS respondent_id"]
    for question in codebook.questions_of(population):
        if question.numeric is not None:
            # The view holds band codes, so universes and counts treat a numeric question like any other.
            select.append(f"{_banded(question, codebook.no_answer)} AS {_quote(question.id)}")
    for column in expected[1:]:
        if codebook.questions.get(column) is not None and codebook.questions[column].numeric is not None:
            continue
        if not _is_integer(types[column]) and types[column].upper() != "VARCHAR":
            raise InputError(name, "integer or text columns", column=column, value=types[column])
        select.append(f"{_value(column, types[column])} AS {_quote(column)}")
    connection.execute(f"CREATE OR REPLACE TEMP VIEW raw_microdata AS SELECT * FROM {source}")
    numbers = [f"{_raw_number(q.id)} AS {_quote(q.id)}" for q in codebook.questions_of(population) if q.numeric]
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW raw_numbers AS SELECT {', '.join(['file_row_number', *numbers])} FROM {source}"
    )
    connection.execute(f"CREATE OR REPLACE TEMP VIEW microdata AS SELECT {', '.join(select)} FROM {source}")
    return types


def _raw_number(column: str) -> str:
    """SQL for a numeric question's raw cell as a double, whatever the column type; NULL when empty or not a number."""
    text = f"CAST({_quote(column)} AS VARCHAR)"
    return f"CASE WHEN regexp_full_match({text}, '{numeric.NUMBER_TEXT[1:-1]}') THEN CAST({text} AS DOUBLE) END"


def _banded(question: Question, no_answer: int) -> str:
    """SQL for a numeric question's band code: NULL when empty, `numeric.NO_BAND` when malformed or out of range."""
    text = f"CAST({_quote(question.id)} AS VARCHAR)"
    return (
        f"(CASE WHEN {text} IS NULL OR {text} = '' THEN NULL WHEN {_raw_number(question.id)} IS NULL "
        f"THEN {numeric.NO_BAND} ELSE {numeric.band_sql(_raw_number(question.id), question.numeric, no_answer)} END)"
    )


def histogram(path: Path, question: Question, no_answer: int) -> dict[int, int]:
    """{value × 10^decimals: respondents} of a numeric question's answered cells in a Parquet file (already checked)."""
    value = _raw_number(question.id)
    connection = connect()
    try:
        rows = connection.execute(
            f"SELECT CAST(round(v * {question.numeric.scale}) AS BIGINT), count(*) FROM "
            f"(SELECT {value} AS v FROM {parquet(path)}) WHERE v IS NOT NULL AND v <> {no_answer} GROUP BY 1"
        ).fetchall()
    finally:
        connection.close()
    return {int(whole): int(count) for whole, count in rows}


def _id_checks() -> list[tuple[str, str, str]]:
    """rules.ID_RULES as SQL: (condition, column, expected) each."""
    ids = _quote("respondent_id")
    return [(rule.sql(ids), "respondent_id", rule.expected) for rule in rules.ID_RULES]


def screen_ids(connection: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, bool]:
    """(respondents, whether every id is present, trimmed and unique), in one parallel scan of the id column."""
    ids = _quote("respondent_id")
    total, distinct, bad = connection.execute(
        f"SELECT count(*), count(DISTINCT {ids}), count_if({' OR '.join(sql for sql, _, _ in _id_checks())}) "
        f"FROM {relation}"
    ).fetchone()
    return total, bad == 0 and distinct == total


def check_parquet(
    codebook: Codebook,
    population: str,
    path: Path,
    connection: duckdb.DuckDBPyConnection | None = None,
    name: str | None = None,
) -> None:
    """Refuses a Parquet file that breaks the codebook, as load.py would: the earliest problem, by row then column.

    Order of checks as in load.py: header, respondent ids, codes, then universes (empty exactly outside, a
    multi-choice question all no-answer or none).
    """
    own = connection is None
    connection = connection or connect()
    try:
        _check(connection, codebook, population, Path(path), name or str(path), [])
    finally:
        if own:
            connection.close()


def _check(
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    path: Path,
    name: str,
    tasks: list[Task],
) -> _Combinations:
    """Checks a Parquet file and gives the tasks' combinations, counted in the same scan as the screening."""
    types = _checked_view(connection, codebook, population, path, name)
    id_checks = _id_checks()
    total, ids_ok = screen_ids(connection, "microdata")
    if total == 0:
        raise InputError(name, "at least one respondent row", value="(no rows)")
    combinations = _Combinations(codebook, population, tasks, checking=True)
    combinations.count(connection, "microdata")
    # Text columns were parsed in the view, so only the detailed checks see their raw cells.
    all_integer = all(_is_integer(types[column]) for column in codebook.question_columns_of(population))
    if all_integer and ids_ok and not combinations.problems():
        return combinations
    # Text columns, or a screen that flagged something: the detailed checks raise for the first bad cell, if any.
    _check_rows(connection, codebook, population, types, name, id_checks)
    return combinations


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
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    types: dict[str, str],
    name: str,
    id_checks: list[tuple[str, str, str]],
) -> None:
    """Finds and raises the first problem, one scan per kind of check (run only on a file the screen rejected)."""
    view = "microdata"
    ids = _quote("respondent_id")
    code_checks = _code_checks(codebook, population, types)
    universe_checks = _universe_checks(codebook, population)

    def fail(found: tuple, source: str = "raw_microdata") -> None:
        row, column, expected = found
        _raise_as_load(connection, codebook, population, name, row)
        value = _cell(connection, source, row, column)
        value = "" if value is None else str(value)
        hint = ""
        question = codebook.questions.get(column)
        if question is not None and question.numeric is not None and source == "raw_microdata":
            value = value.removesuffix(".0") if isinstance(_cell(connection, source, row, column), float) else value
            number = _cell(connection, "raw_numbers", row, column)
            hint = "The value is not a number" if number is None else numeric.problem_hint(question.numeric, number)
        raise InputError(name, expected, row=row + FIRST_DATA_ROW, column=column, value=value, hint=hint)

    # The same order as load.py: ids, repeated ids, codes, universes; within each, the earliest row then column.
    # load.py looks for blank ids in every row before it looks for padded ones.
    for id_check in id_checks:
        found = _first_problem(connection, view, [id_check])
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
            rules.REPEATED_ID,
            row=second + FIRST_DATA_ROW,
            column="respondent_id",
            value=value,
            hint=rules.repeated_id_hint("row", first + FIRST_DATA_ROW),
        )
    found = _first_problem(connection, "raw_microdata", code_checks)
    if found:
        fail(found)
    found = _first_problem(connection, view, universe_checks)
    if found and found[2].startswith("either"):
        # Name the first option cell holding the no-answer code, as load.py does.
        row, column, expected = found
        question = next(q for q in codebook.questions_of(population) if q.columns()[0] == column)
        cells = [_cell(connection, view, row, c) for c in question.columns()]
        found = (row, question.columns()[cells.index(codebook.no_answer)], expected)
    if found:
        fail(found, source=view)


def _raise_as_load(
    connection: duckdb.DuckDBPyConnection, codebook: Codebook, population: str, name: str, row: int
) -> None:
    """Raises load.py's own message for the problem on one row: load.py checks that row alone (its cells as text,
    as it reads any file), so both paths name the same column, value, expectation and hint."""
    columns = codebook.columns_of(population)
    types = {column: kind for column, kind, *_ in connection.execute("DESCRIBE raw_microdata").fetchall()}

    def as_text(column: str) -> str:
        # A whole number stored as a float (a numeric question's raw value) reads as written: 120, not 120.0.
        text = f"CAST({_quote(column)} AS VARCHAR)"
        if types.get(column) in ("DOUBLE", "FLOAT"):
            return f"regexp_replace({text}, '\\.0$', '')"
        return text

    cells = connection.execute(
        f"SELECT {', '.join(as_text(column) for column in columns)} FROM raw_microdata WHERE file_row_number = ?",
        [row],
    ).fetchone()
    arrays = {
        column: pa.array(["" if cell is None else cell], pa.string())
        for column, cell in zip(columns, cells, strict=True)
    }
    try:
        load.validate(codebook, population, arrays, name)
    except InputError as error:
        if error.row is not None:
            error.row += row
        raise error from None


def _recoded(column: str, column_type: str, classes: dict[int, int] | None) -> str:
    """SQL for a cell as an integer, with a public-use file's recodes (code -> code it is released as) applied."""
    value = _value(column, column_type)
    changed = {code: to for code, to in (classes or {}).items() if code != to}
    if not changed:
        return value
    cases = " ".join(f"WHEN {int(code)} THEN {int(to)}" for code, to in sorted(changed.items()))
    return f"CASE {value} {cases} ELSE {value} END"


def write_released_csv(source: object, columns: list[str], classes: dict[str, dict[int, int]], target: Path) -> None:
    """Writes a streamed file's released columns as CSV, with the public-use recodes applied (protect.py keeps the
    same rules for files read whole), in file order, without holding the file in memory."""
    connection = connect()
    try:
        relation = parquet(Path(source))  # type: ignore[arg-type]
        types = {name: kind for name, kind, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
        select = [f"CAST({_quote(columns[0])} AS VARCHAR) AS {_quote(columns[0])}"]
        select += [
            f"{_recoded(column, types[column], classes.get(column))} AS {_quote(column)}" for column in columns[1:]
        ]
        connection.execute("SET preserve_insertion_order = true")
        body = Path(f"{target}.body")
        connection.execute(
            f"COPY (SELECT {', '.join(select)} FROM {relation}) TO {_literal(str(body))} (FORMAT csv, HEADER true)"
        )
        # The byte-order mark every published CSV starts with (outputs.CSV_ENCODING), then DuckDB's rows as a stream.
        with target.open("wb") as out, body.open("rb") as rows:
            out.write(UTF8_BOM)
            shutil.copyfileobj(rows, out, 16 << 20)
        body.unlink()
    finally:
        connection.close()


def k_anonymity(
    source: object, quasi: list[str], classes: dict[str, dict[int, int]] | None = None
) -> tuple[int, int, int, tuple]:
    """(records, k, sample uniques, the smallest combination's values) over the quasi-identifiers of a Parquet
    file, grouped in one scan (after a public-use file's recodes, `classes`); values are integers, None for an empty
    cell. Ties go to the first combination in ascending order with empty cells last, as protect.disclosure_report
    orders them in memory."""
    connection = connect()
    try:
        relation = parquet(Path(source))  # type: ignore[arg-type]
        types = dict(
            (column, column_type)
            for column, column_type, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        )
        records = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        if not quasi or not records:
            return records, records, int(records == 1), ()
        keys = [
            f"{_recoded(column, types[column], (classes or {}).get(column))} AS {_quote(column)}" for column in quasi
        ]
        ordered = ", ".join(f"{_quote(column)} ASC NULLS LAST" for column in quasi)
        listed = ", ".join(_quote(column) for column in quasi)
        row = connection.execute(
            f"WITH cells AS (SELECT {', '.join(keys)} FROM {relation}), "
            f"groups AS (SELECT {listed}, count(*) AS n FROM cells GROUP BY ALL) "
            f"SELECT n, (SELECT count_if(n = 1) FROM groups), {listed} FROM groups ORDER BY n, {ordered} LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return records, row[0], row[1], tuple(row[2:])


def write_typed_parquet(codebook: Codebook, population: str, source: object, target: Path, row_group: int) -> None:
    """Writes a checked microdata file as Parquet for release, streamed: ids as text, answers as small integers
    (an empty cell as null), rows in file order."""
    connection = connect()
    try:
        relation = parquet(Path(source))  # type: ignore[arg-type]
        schema = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        types = {column: column_type for column, column_type, *_ in schema}
        columns = codebook.columns_of(population)
        select = [f"CAST({_quote(columns[0])} AS VARCHAR) AS {_quote(columns[0])}"]
        select += [f"CAST({_value(column, types[column])} AS SMALLINT) AS {_quote(column)}" for column in columns[1:]]
        connection.execute("SET preserve_insertion_order = true")
        connection.execute(
            f"COPY (SELECT {', '.join(select)} FROM {relation}) TO {_literal(str(target))} "
            f"(FORMAT parquet, ROW_GROUP_SIZE {int(row_group)})"
        )
    finally:
        connection.close()


def _code_checks(codebook: Codebook, population: str, types: dict[str, str]) -> list[tuple[str, str, str]]:
    """Per column: text that is not a whole number, or a value outside the codebook (run on `raw_microdata`)."""
    no_answer = codebook.no_answer
    checks = []
    for question in codebook.questions_of(population):
        expected = rules.codes_expected(question, no_answer)
        if question.numeric is not None:
            text = f"CAST({_quote(question.id)} AS VARCHAR)"
            banded = rules.unknown_codes_sql(_banded(question, no_answer), question, no_answer)
            checks.append((f"{text} <> '' AND {banded}", question.id, expected))
            continue
        for column in question.columns():
            check = rules.unknown_codes_sql(_value(column, types[column]), question, no_answer)
            if not _is_integer(types[column]):
                text = f"CAST({_quote(column)} AS VARCHAR)"
                check = f"({text} <> '' AND NOT regexp_full_match({text}, '{rules.INTEGER_TEXT}')) OR ({check})"
            checks.append((check, column, expected))
    return checks


def _universe_checks(codebook: Codebook, population: str) -> list[tuple[str, str, str]]:
    """Per column: a cell filled outside the universe or empty inside; per multi-choice question: half no-answer."""
    no_answer = codebook.no_answer
    checks = []
    for question in codebook.questions_of(population):
        asked = _asked(codebook, question)
        for column in question.columns():
            outside, inside = rules.misplaced_sql(_quote(column), asked)
            checks.append((outside, column, rules.outside_universe(question, codebook)))
            checks.append((inside, column, rules.inside_universe(question, codebook)))
        if question.type == "multi":
            # All cells present (checked above) and holding both no-answer and 0/1 is a half-answered question.
            mixed = rules.half_answered_sql([_quote(column) for column in question.columns()], no_answer)
            checks.append((f"({asked}) AND {mixed}", question.columns()[0], rules.half_answered(question, no_answer)))
    return checks


def weighted_sums(
    codebook: Codebook, population: str, frame: pd.DataFrame, tasks: list[Task], design: Design, layout: Layout
) -> dict[str, Sums]:
    """Weighted sums per task, breakdown, group and stratum (see surveypress/design.py), from one DuckDB scan that
    sums weights and squared weights per combination of raw cells, stratum and PSU."""
    connection = connect()
    try:
        connection.register("microdata_frame", frame)
        combinations = _Combinations(codebook, population, tasks, checking=False, design=design)
        combinations.count(connection, "microdata_frame")
    finally:
        connection.close()
    return {
        task.indicator.id: _weigh(
            codebook,
            task,
            combinations.flags,
            combinations.rows[combinations.of_task[task.indicator.id]],
            design,
            layout,
        )
        for task in tasks
    }


def _weigh(
    codebook: Codebook, task: Task, flags: dict[str, str], combinations: list[tuple], design: Design, layout: Layout
) -> Sums:
    """Per domain: PSU totals of Σw and Σw·y (clustered), or per-stratum Σw, Σw·y, Σw², Σw²·y (unclustered)."""
    question = task.question
    universe = flags.get(_asked(codebook, question)) if question.universe is not None else None
    strata = len(layout.shape.psus)
    stratum_of = {label: index for index, label in enumerate(layout.strata_labels)}
    clustered = layout.shape.clustered
    units = layout.unit_stratum.size if clustered else strata
    width = len(task.categories)
    if question.type == "multi":
        columns = question.columns()
        members = [[columns[question.codes.index(code)] for code in category.codes] for category in task.categories]
    # One accumulator per domain: Σw, Σw·y (and Σw², Σw²·y without clusters) per unit (PSU or stratum).
    domains: dict[tuple, list[np.ndarray]] = {}

    def accumulator(key: tuple) -> list[np.ndarray]:
        if key not in domains:
            domains[key] = [
                np.zeros(units),
                np.zeros((units, width)),
                np.zeros(units),
                np.zeros((units, width)),
                np.zeros(units),
            ]
        return domains[key]

    for values, n, sw, sw2 in combinations:
        if universe is not None and not values[universe]:
            continue
        if question.type == "multi":
            if not any(values[column] in (0, 1) for column in columns):
                continue
            chosen = np.array([any(values[column] == 1 for column in member) for member in members], dtype=float)
        else:
            code = values[question.id]
            if code not in question.codes:
                continue
            chosen = np.array([code in category.codes for category in task.categories], dtype=float)
        stratum = str(values[design.strata]) if design.strata else ""
        unit = layout.unit_keys[(stratum, str(values[design.cluster]))] if clustered else stratum_of[stratum]
        keys = [(TOTAL, None)]
        for breakdown in task.breakdowns:
            group = values[breakdown.id]
            in_universe = breakdown.universe is None or values[flags[_asked(codebook, breakdown)]]
            if in_universe and group in breakdown.codes:
                keys.append((breakdown.id, group))
        for key in keys:
            sums = accumulator(key)
            sums[0][unit] += sw
            sums[1][unit] += sw * chosen
            sums[2][unit] += sw2
            sums[3][unit] += sw2 * chosen
            sums[4][unit] += n

    def finish(key: tuple):
        a, b, a2, b2, n = accumulator(key)
        if clustered:
            return cluster_sums(layout.unit_stratum, a, b, strata)
        return respondent_sums(a, b, a2, b2, n)

    result: Sums = {TOTAL: {None: finish((TOTAL, None))}}
    for breakdown in task.breakdowns:
        result[breakdown.id] = {code: finish((breakdown.id, code)) for code in breakdown.codes}
    return result
