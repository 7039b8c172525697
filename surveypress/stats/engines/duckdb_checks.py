"""The codebook's rules as SQL, on a Parquet file that never becomes a DataFrame (load.py's rules, held to the
same standard): the header and column types (the `microdata` view), respondent ids, codes and universes.

A build screens the file while it counts it (duckdb_engine.py); only a file the screen rejects runs the detailed
checks here, which find the earliest failing row and column and have load.py word the problem on that row
(`raise_as_load`), so both paths name the same column, value, expectation and hint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from surveypress.content import Codebook, Design
from surveypress.errors import InputError
from surveypress.microdata import load, numeric, rules
from surveypress.stats.engines import duckdb_long
from surveypress.stats.engines.duckdb_sql import (
    asked_sql,
    banded,
    cell_value,
    code_list,
    design_values,
    is_integer,
    literal,
    quote,
    raw_design_cells,
    raw_number,
)

# Load's rules, restated in SQL so a Parquet file that never becomes a DataFrame is held to the same standard.
FIRST_DATA_ROW = 2  # spreadsheet rows: the header is row 1, so the first respondent (file row 0) is row 2


@dataclass(frozen=True)
class Checked:
    """A Parquet file as `checked_view` sees it: each stored column's type, and the SQL of each column of the
    `microdata` view over `source` (so a query that needs a few columns of a wide file can select just those)."""

    types: dict[str, str]
    columns: dict[str, str]
    source: str

    def relation(self, columns: Iterable[str]) -> str:
        """A subquery holding only these columns of the `microdata` view (binding the whole view of a file of
        thousands of columns takes seconds, each query again)."""
        listed = ", ".join(f"{self.columns[column]} AS {quote(column)}" for column in dict.fromkeys(columns))
        return f"(SELECT {listed} FROM {self.source})"


def checked_view(
    connection: duckdb.DuckDBPyConnection, codebook: Codebook, population: str, path: Path, name: str
) -> Checked:
    """Checks header and column types of a Parquet file; creates the views `raw_microdata` (as stored) and
    `microdata` (question columns as integers, empty text as NULL)."""
    source = f"read_parquet({literal(str(path))}, file_row_number = true)"
    try:
        schema = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as error:
        raise InputError(name, "a Parquet file", value=str(error).splitlines()[0][:120]) from None
    types = {column: column_type for column, column_type, *_ in schema if column != "file_row_number"}
    found = [column for column, *_ in schema if column != "file_row_number"]
    expected = codebook.columns_of(population)
    rules.check_columns(found, expected, population, name)
    select = {"file_row_number": "file_row_number", "respondent_id": f"CAST({quote('respondent_id')} AS VARCHAR)"}
    for question in codebook.questions_of(population):
        if question.numeric is not None:
            # The view holds band codes, so universes and counts treat a numeric question like any other.
            select[question.id] = banded(question, codebook.no_answer)
    design = codebook.populations[population].design
    if design is not None:
        select.update(design_values(design, types))
        # The raw stratum and PSU cells too: grouped and joined as stored, only their distinct values are trimmed.
        select.update({name: quote(column) for name, column in raw_design_cells(design).items()})
    for column in expected[1:]:
        if codebook.questions.get(column) is not None and codebook.questions[column].numeric is not None:
            continue
        if design is not None and column in design.columns():
            continue
        if not is_integer(types[column]) and types[column].upper() != "VARCHAR":
            raise InputError(name, "integer or text columns", column=column, value=types[column])
        select[column] = cell_value(column, types[column])
    connection.execute(f"CREATE OR REPLACE TEMP VIEW raw_microdata AS SELECT * FROM {source}")
    numbers = [f"{raw_number(q.id)} AS {quote(q.id)}" for q in codebook.questions_of(population) if q.numeric]
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW raw_numbers AS SELECT {', '.join(['file_row_number', *numbers])} FROM {source}"
    )
    listed = ", ".join(f"{sql} AS {quote(column)}" for column, sql in select.items())
    connection.execute(f"CREATE OR REPLACE TEMP VIEW microdata AS SELECT {listed} FROM {source}")
    return Checked(types, select, source)


def id_rule_checks() -> list[tuple[str, str, str]]:
    """rules.ID_RULES as SQL: (condition, column, expected) each."""
    ids = quote("respondent_id")
    return [(rule.sql(ids), "respondent_id", rule.expected) for rule in rules.ID_RULES]


def screen_ids(connection: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, bool]:
    """(respondents, whether every id is present, trimmed and unique), in one parallel scan of the id column (and
    a second, with the rules themselves, only when the one-pattern screen flags some id)."""
    ids = quote("respondent_id")
    total, distinct, flagged = connection.execute(
        f"SELECT count(*), count(DISTINCT {ids}), count_if({rules.id_screen_sql(ids)}) FROM {relation}"
    ).fetchone()
    if flagged:
        rule_sql = " OR ".join(sql for sql, _, _ in id_rule_checks())
        flagged = connection.execute(f"SELECT count_if({rule_sql}) FROM {relation}").fetchone()[0]
    return total, flagged == 0 and distinct == total


# What a text cell that is not a whole number counts as in long form: no code or no-answer code can be it.
MALFORMED = -(2**62)


def screened(checked: Checked, codebook: Codebook, population: str) -> Checked:
    """`checked` with each text answer column's cell that is not a whole number (rules.malformed_sql) as MALFORMED,
    which no question allows, so counting the file screens its text too (numeric questions' bands already do)."""
    columns = dict(checked.columns)
    for question in codebook.questions_of(population):
        for column in question.columns() if question.numeric is None else ():
            if not is_integer(checked.types[column]):
                text = f"CAST({quote(column)} AS VARCHAR)"
                columns[column] = f"CASE WHEN {rules.malformed_sql(text)} THEN {MALFORMED} ELSE {columns[column]} END"
    return replace(checked, columns=columns)


def _first_problem(
    connection: duckdb.DuckDBPyConnection,
    view: str,
    checks: list[tuple[str, str, str]],
    relation: Callable[[list[str]], str] | None = None,
) -> tuple:
    """(row index, column, expected) of the earliest failing check, in one scan; checks are (sql, column, expected).
    Given `relation` (SQL for a relation of some columns and file_row_number), many checks run
    duckdb_long.MANY_EXPRESSIONS a query, each over the columns its checks name (a file of thousands of columns)."""
    if not checks:
        return None
    if relation is None or len(checks) <= duckdb_long.MANY_EXPRESSIONS:
        batches = [(view, 0, checks)]
    else:
        size = duckdb_long.MANY_EXPRESSIONS
        batches = [
            (relation(_named_columns(sql for sql, _, _ in checks[at : at + size])), at, checks[at : at + size])
            for at in range(0, len(checks), size)
        ]
    failing = []
    for source, offset, batch in batches:
        firsts = ", ".join(f"min(file_row_number) FILTER (WHERE {sql})" for sql, _, _ in batch)
        with duckdb_long.independent_columns(connection, len(batch)):
            rows = connection.execute(f"SELECT {firsts} FROM {source}").fetchone()
        failing += [(row, offset + position) for position, row in enumerate(rows) if row is not None]
    if not failing:
        return None
    row, position = min(failing)
    return row, checks[position][1], checks[position][2]


QUOTED_NAME = re.compile(r'"((?:[^"]|"")*)"')


def _named_columns(sqls: Iterable[str]) -> list[str]:
    """The columns that these SQL expressions name (every name is quoted, `quote`), each once."""
    names = (name.replace('""', '"') for sql in sqls for name in QUOTED_NAME.findall(sql))
    return list(dict.fromkeys(names))


def _cell(connection: duckdb.DuckDBPyConnection, view: str, row: int, column: str) -> object:
    return connection.execute(f"SELECT {quote(column)} FROM {view} WHERE file_row_number = ?", [row]).fetchone()[0]


def check_rows(
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    checked: Checked,
    name: str,
    id_checks: list[tuple[str, str, str]],
) -> None:
    """Finds and raises the first problem, one scan per kind of check (run only on a file the screen rejected)."""
    view = "microdata"
    code_checks = _code_checks(codebook, population, checked.types)
    universe_checks = _universe_checks(codebook, population)

    def typed(columns: list[str]) -> str:
        return checked.relation(["file_row_number", *(c for c in columns if c in checked.columns)])

    def stored(columns: list[str]) -> str:
        listed = ", ".join(quote(c) for c in dict.fromkeys(["file_row_number", *columns]) if c in checked.columns)
        return f"(SELECT {listed} FROM {checked.source})"

    fail = partial(_raise_at, connection, codebook, population, name)

    # The same order as load.py: ids, repeated ids, codes, universes; within each, the earliest row then column.
    # load.py looks for blank ids in every row before it looks for padded ones.
    for id_check in id_checks:
        found = _first_problem(connection, typed(["respondent_id"]), [id_check])
        if found:
            fail(found)
    _refuse_repeated_id(connection, typed(["respondent_id"]), name)
    found = _first_problem(connection, "raw_microdata", code_checks, stored)
    if found:
        fail(found)
    found = _first_problem(connection, view, universe_checks, typed)
    if found and found[2].startswith("either"):
        # Name the first option cell holding the no-answer code, as load.py does.
        row, column, expected = found
        question = next(q for q in codebook.questions_of(population) if q.columns()[0] == column)
        cells = [_cell(connection, view, row, c) for c in question.columns()]
        found = (row, question.columns()[cells.index(codebook.no_answer)], expected)
    if found:
        fail(found, source=view)


def _raise_at(
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    name: str,
    found: tuple,
    source: str = "raw_microdata",
) -> None:
    """Raises the problem `found` (row, column, expected) as load.py words it, or, where load.py passes the row
    alone, with the cell's value as `source` holds it (a numeric question's with a hint)."""
    row, column, expected = found
    raise_as_load(connection, codebook, population, name, row)
    value = _cell(connection, source, row, column)
    value = "" if value is None else str(value)
    hint = ""
    question = codebook.questions.get(column)
    if question is not None and question.numeric is not None and source == "raw_microdata":
        value = value.removesuffix(".0") if isinstance(_cell(connection, source, row, column), float) else value
        number = _cell(connection, "raw_numbers", row, column)
        hint = "The value is not a number" if number is None else numeric.problem_hint(question.numeric, number)
    raise InputError(name, expected, row=row + FIRST_DATA_ROW, column=column, value=value, hint=hint)


def _refuse_repeated_id(connection: duckdb.DuckDBPyConnection, relation: str, name: str) -> None:
    """Raises for the id that repeats first (at its second row, naming the first), if any."""
    ids = quote("respondent_id")
    repeated = connection.execute(
        f"SELECT {ids}, min(file_row_number), list(file_row_number ORDER BY file_row_number)[2] AS second "
        f"FROM {relation} GROUP BY {ids} HAVING count(*) > 1 ORDER BY second LIMIT 1"
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


def raise_as_load(
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    name: str,
    row: int,
    design: Design | None = None,
    rows: list[int] | None = None,
    overrides: dict[str, list[str]] | None = None,
) -> None:
    """Raises load.py's own message for the problem on one row: load.py checks that row alone (its cells as text,
    as it reads any file), so both paths name the same column, value, expectation and hint.

    A design's whole-file rules (two PSUs per stratum) cannot hold on one row, so load.py checks the row under
    `design` (by default the weight alone, which the file passed); a design problem passes the `rows` that show it
    (and `overrides`: cells standing in for a column, when the rule counts more rows than are worth reading)."""
    declared = codebook.populations[population].design
    if declared is not None:
        shown = design or Design(weight=declared.weight)
        codebook = replace(
            codebook,
            populations={**codebook.populations, population: replace(codebook.populations[population], design=shown)},
        )
    rows = rows or [row]
    columns = codebook.columns_of(population)
    types = {column: kind for column, kind, *_ in connection.execute("DESCRIBE raw_microdata").fetchall()}

    def as_text(column: str) -> str:
        # A whole number stored as a float (a numeric question's raw value) reads as written: 120, not 120.0.
        text = f"CAST({quote(column)} AS VARCHAR)"
        if types.get(column) in ("DOUBLE", "FLOAT"):
            return f"regexp_replace({text}, '\\.0$', '')"
        return text

    with duckdb_long.independent_columns(connection, len(columns)):
        found = dict(
            connection.execute(
                f"SELECT file_row_number, [{', '.join(as_text(column) for column in columns)}] FROM raw_microdata "
                f"WHERE file_row_number IN ({code_list(tuple(rows))})"
            ).fetchall()
        )
    arrays = {
        column: pa.array(["" if found[at][index] is None else found[at][index] for at in rows], pa.string())
        for index, column in enumerate(columns)
    }
    arrays.update({column: pa.array(cells, pa.string()) for column, cells in (overrides or {}).items()})
    try:
        load.validate(codebook, population, arrays, name)
    except InputError as error:
        if error.row is not None:
            error.row = rows[error.row - FIRST_DATA_ROW] + FIRST_DATA_ROW
        raise error from None


def _code_checks(codebook: Codebook, population: str, types: dict[str, str]) -> list[tuple[str, str, str]]:
    """Per column: text that is not a whole number, or a value outside the codebook (run on `raw_microdata`)."""
    no_answer = codebook.no_answer
    checks = []
    for question in codebook.questions_of(population):
        expected = rules.codes_expected(question, no_answer)
        if question.numeric is not None:
            text = f"CAST({quote(question.id)} AS VARCHAR)"
            unknown = rules.unknown_codes_sql(banded(question, no_answer), question, no_answer)
            checks.append((f"{text} <> '' AND {unknown}", question.id, expected))
            continue
        for column in question.columns():
            check = rules.unknown_codes_sql(cell_value(column, types[column]), question, no_answer)
            if not is_integer(types[column]):
                text = f"CAST({quote(column)} AS VARCHAR)"
                check = f"{rules.malformed_sql(text)} OR ({check})"
            checks.append((check, column, expected))
    return checks


def _universe_checks(codebook: Codebook, population: str) -> list[tuple[str, str, str]]:
    """Per column: a cell filled outside the universe or empty inside; per multi-choice question: half no-answer."""
    no_answer = codebook.no_answer
    checks = []
    for question in codebook.questions_of(population):
        asked = asked_sql(codebook, question)
        for column in question.columns():
            outside, inside = rules.misplaced_sql(quote(column), asked)
            checks.append((outside, column, rules.outside_universe(question, codebook)))
            checks.append((inside, column, rules.inside_universe(question, codebook)))
        if question.type == "multi":
            # All cells present (checked above) and holding both no-answer and 0/1 is a half-answered question.
            mixed = rules.half_answered_sql([quote(column) for column in question.columns()], no_answer)
            checks.append((f"({asked}) AND {mixed}", question.columns()[0], rules.half_answered(question, no_answer)))
    return checks
