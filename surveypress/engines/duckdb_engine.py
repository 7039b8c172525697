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
import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from surveypress.content import Codebook, Design, Question, Universe
from surveypress.engines import duckdb_long
from surveypress.errors import InputError
from surveypress.microdata import load, rules
from surveypress.microdata.load import UTF8_BOM
from surveypress.publish import layout
from surveypress.publish.outputs import runs_as_formula
from surveypress.stats import numeric
from surveypress.stats.design import Layout, cluster_sums, respondent_sums, unit_layout
from surveypress.stats.tasks import TOTAL, Counts, Sums, Task, universe_chain

# Aggregation state is tiny; the limit keeps DuckDB from claiming most of the machine on a big file. With 1 GB the
# weighted, stratified, clustered 1e7 build peaked at 1.09 GB (the process, Python included); with 768 MB at 0.70 GB
# in the same time (36 s), and the unweighted 1e7 build at 0.64 GB.
MEMORY_LIMIT = "768MB"
# Overrides MEMORY_LIMIT (a size as DuckDB writes one: 2GB, 1500MB), for a machine with memory to spare. A build
# that reaches the limit stops with exit 4 and a message naming this variable (build.py).
MEMORY_ENV = "SURVEYPRESS_DUCKDB_MEMORY"
MEMORY_SIZE = re.compile(r"\s*[0-9]+(\.[0-9]+)?\s*([KMGT]i?B|B)\s*", re.IGNORECASE)


def memory_limit() -> str:
    """The memory DuckDB may use: MEMORY_ENV when set, else MEMORY_LIMIT."""
    size = os.environ.get(MEMORY_ENV, "").strip() or MEMORY_LIMIT
    if not MEMORY_SIZE.fullmatch(size):
        raise InputError(f"the environment variable {MEMORY_ENV}", "a size such as 2GB or 1500MB", value=size)
    return size


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
    connection = duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": memory_limit()})
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
    (its question, breakdowns and universe flags) and, when checking, one per question no indicator covers;
    beyond duckdb_long.MAX_GROUPING_SETS sets, in long form (see duckdb_long.py)."""

    def __init__(self, codebook: Codebook, population: str, tasks: list[Task], checking: bool) -> None:
        self.codebook = codebook
        self.flags: dict[str, str] = {}  # universe SQL -> flag column
        self.flag_columns: dict[str, tuple[str, ...]] = {}  # flag column -> the columns its SQL reads
        needed = [(*task.breakdowns, task.question) for task in tasks]
        if checking:
            needed += [(question,) for question in codebook.questions_of(population)]
        for questions in needed:
            for question in questions:
                if question.universe is not None:
                    flag = self.flags.setdefault(_asked(codebook, question), f"asked_{len(self.flags)}")
                    chain = universe_chain(codebook, question)
                    read = {column for c in chain for column in codebook.questions[c.question].columns()}
                    self.flag_columns[flag] = tuple(sorted(read))
        self.splits: dict[tuple[str, ...], duckdb_long.Split] = {}  # set -> its own cells and context
        self.of_task = {task.indicator.id: self._set(task.question, task.breakdowns) for task in tasks}
        self.of_question = {}
        sets = list(dict.fromkeys(self.of_task.values()))
        if checking:
            # The sets holding each column, in order: a question's covering set is among those of its first cell.
            holding: dict[str, list[tuple[str, ...]]] = defaultdict(list)
            for columns in sets:
                for column in columns:
                    holding[column].append(columns)
            for question in codebook.questions_of(population):
                own = set(_set_columns(codebook, (question,), self.flags))
                # Any set holding the question's cells and its universe flag shows every problem of that question.
                candidates = holding[question.columns()[0]]
                covering = next((columns for columns in candidates if own <= set(columns)), None)
                if covering is None:
                    covering = self._set(question, ())
                    sets.append(covering)
                    for column in covering:
                        holding[column].append(covering)
                self.of_question[question.id] = covering
        self.sets = sets
        # Per grouping set: (values, respondents).
        self.rows: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        self.layout: Layout | None = None  # a streamed file's design, from its checks
        self.checked: Checked | None = None  # a streamed file's columns, from its checks

    def _set(self, question: Question, breakdowns: tuple[Question, ...]) -> tuple[str, ...]:
        """The grouping set of a question with breakdowns, its split into own cells and context noted."""
        columns = _set_columns(self.codebook, (*breakdowns, question), self.flags)
        flag = self.flags[_asked(self.codebook, question)] if question.universe is not None else None
        own = tuple(question.columns())
        context = tuple(column for column in columns if column not in own and column != flag)
        self.splits.setdefault(columns, duckdb_long.Split(context, own, flag))
        return columns

    def count(
        self,
        connection: duckdb.DuckDBPyConnection,
        relation: str,
        checked: Checked | None = None,
        long: bool = True,
    ) -> bool:
        """Counts every set over `relation` (or, given many sets and `long`, over `checked`'s columns, in long
        form); gives whether it counted in long form."""
        if long and len(self.sets) > duckdb_long.MAX_GROUPING_SETS:
            if checked is None:
                checked = Checked({}, {column: _quote(column) for column in self._stored()}, relation)
            splits = [self.splits[columns] for columns in self.sets]
            flags = {name: sql for sql, name in self.flags.items()}
            found = duckdb_long.count_long(connection, splits, flags, self.flag_columns, checked.relation)
            for columns, combinations in zip(self.sets, found, strict=True):
                self.rows[columns].extend(combinations)
            return True
        used = list(dict.fromkeys(column for columns in self.sets for column in columns))
        projection = [f"{sql} AS {name}" for sql, name in self.flags.items()]
        projection += [_quote(column) for column in used if column not in self.flags.values()]
        aggregates = "count(*)"
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
        return False

    def _stored(self) -> list[str]:
        """Every stored column the sets read (a flag's through its universe questions)."""
        names = {column for columns in self.sets for column in columns}
        return sorted({column for name in names for column in self.flag_columns.get(name, (name,))})

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
    return _tallies(codebook, tasks, combinations)


def _tallies(codebook: Codebook, tasks: list[Task], combinations: _Combinations) -> dict[str, Counts]:
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


@dataclass(frozen=True)
class Checked:
    """A Parquet file as `_checked_view` sees it: each stored column's type, and the SQL of each column of the
    `microdata` view over `source` (so a query that needs a few columns of a wide file can select just those)."""

    types: dict[str, str]
    columns: dict[str, str]
    source: str

    def relation(self, columns: Iterable[str]) -> str:
        """A subquery holding only these columns of the `microdata` view (binding the whole view of a file of
        thousands of columns takes seconds, each query again)."""
        listed = ", ".join(f"{self.columns[column]} AS {_quote(column)}" for column in dict.fromkeys(columns))
        return f"(SELECT {listed} FROM {self.source})"


def _checked_view(
    connection: duckdb.DuckDBPyConnection, codebook: Codebook, population: str, path: Path, name: str
) -> Checked:
    """Checks header and column types of a Parquet file; creates the views `raw_microdata` (as stored) and
    `microdata` (question columns as integers, empty text as NULL)."""
    source = f"read_parquet({_literal(str(path))}, file_row_number = true)"
    try:
        schema = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as error:
        raise InputError(name, "a Parquet file", value=str(error).splitlines()[0][:120]) from None
    types = {column: column_type for column, column_type, *_ in schema if column != "file_row_number"}
    found = [column for column, *_ in schema if column != "file_row_number"]
    expected = codebook.columns_of(population)
    rules.check_columns(found, expected, population, name)
    select = {"file_row_number": "file_row_number", "respondent_id": f"CAST({_quote('respondent_id')} AS VARCHAR)"}
    for question in codebook.questions_of(population):
        if question.numeric is not None:
            # The view holds band codes, so universes and counts treat a numeric question like any other.
            select[question.id] = _banded(question, codebook.no_answer)
    design = codebook.populations[population].design
    if design is not None:
        select.update(_design_values(design, types))
        # The raw stratum and PSU cells too: grouped and joined as stored, only their distinct values are trimmed.
        select.update({name: _quote(column) for name, column in _raw_design_cells(design).items()})
    for column in expected[1:]:
        if codebook.questions.get(column) is not None and codebook.questions[column].numeric is not None:
            continue
        if design is not None and column in design.columns():
            continue
        if not _is_integer(types[column]) and types[column].upper() != "VARCHAR":
            raise InputError(name, "integer or text columns", column=column, value=types[column])
        select[column] = _value(column, types[column])
    connection.execute(f"CREATE OR REPLACE TEMP VIEW raw_microdata AS SELECT * FROM {source}")
    numbers = [f"{_raw_number(q.id)} AS {_quote(q.id)}" for q in codebook.questions_of(population) if q.numeric]
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW raw_numbers AS SELECT {', '.join(['file_row_number', *numbers])} FROM {source}"
    )
    listed = ", ".join(f"{sql} AS {_quote(column)}" for column, sql in select.items())
    connection.execute(f"CREATE OR REPLACE TEMP VIEW microdata AS SELECT {listed} FROM {source}")
    return Checked(types, select, source)


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
    """(respondents, whether every id is present, trimmed and unique), in one parallel scan of the id column (and
    a second, with the rules themselves, only when the one-pattern screen flags some id)."""
    ids = _quote("respondent_id")
    total, distinct, flagged = connection.execute(
        f"SELECT count(*), count(DISTINCT {ids}), count_if({rules.id_screen_sql(ids)}) FROM {relation}"
    ).fetchone()
    if flagged:
        rule_sql = " OR ".join(sql for sql, _, _ in _id_checks())
        flagged = connection.execute(f"SELECT count_if({rule_sql}) FROM {relation}").fetchone()[0]
    return total, flagged == 0 and distinct == total


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
    checked = _checked_view(connection, codebook, population, path, name)
    types = checked.types
    id_checks = _id_checks()
    total, ids_ok = screen_ids(connection, checked.relation(["respondent_id"]))
    if total == 0:
        raise InputError(name, "at least one respondent row", value="(no rows)")
    design = codebook.populations[population].design
    if design is not None:
        # load.py checks ids, then the design, then codes: an id problem is named first.
        if not ids_ok:
            _check_rows(connection, codebook, population, checked, name, id_checks)
        layout = _check_design(connection, codebook, population, design, name)
    combinations = _Combinations(codebook, population, tasks, checking=True)
    combinations.layout = layout if design is not None else None
    combinations.checked = checked
    long = combinations.count(connection, "microdata", _screened(checked, codebook, population))
    # Text columns were parsed in the view, so only the detailed checks see their raw cells (counted in long form,
    # a cell that is not a whole number was counted as MALFORMED, which the screen flags).
    all_integer = all(_is_integer(types[column]) for column in codebook.question_columns_of(population))
    if (all_integer or long) and ids_ok and not combinations.problems():
        return combinations
    # Text columns, or a screen that flagged something: the detailed checks raise for the first bad cell, if any.
    _check_rows(connection, codebook, population, checked, name, id_checks)
    return combinations


# What a text cell that is not a whole number counts as in long form: no code or no-answer code can be it.
MALFORMED = -(2**62)


def _screened(checked: Checked, codebook: Codebook, population: str) -> Checked:
    """`checked` with each text answer column's cell that is not a whole number (rules.malformed_sql) as MALFORMED,
    which no question allows, so counting the file screens its text too (numeric questions' bands already do)."""
    columns = dict(checked.columns)
    for question in codebook.questions_of(population):
        for column in question.columns() if question.numeric is None else ():
            if not _is_integer(checked.types[column]):
                text = f"CAST({_quote(column)} AS VARCHAR)"
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
    """The columns that these SQL expressions name (every name is quoted, `_quote`), each once."""
    names = (name.replace('""', '"') for sql in sqls for name in QUOTED_NAME.findall(sql))
    return list(dict.fromkeys(names))


def _cell(connection: duckdb.DuckDBPyConnection, view: str, row: int, column: str) -> object:
    return connection.execute(f"SELECT {_quote(column)} FROM {view} WHERE file_row_number = ?", [row]).fetchone()[0]


def _check_rows(
    connection: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    population: str,
    checked: Checked,
    name: str,
    id_checks: list[tuple[str, str, str]],
) -> None:
    """Finds and raises the first problem, one scan per kind of check (run only on a file the screen rejected)."""
    view = "microdata"
    ids = _quote("respondent_id")
    code_checks = _code_checks(codebook, population, checked.types)
    universe_checks = _universe_checks(codebook, population)

    def typed(columns: list[str]) -> str:
        return checked.relation(["file_row_number", *(c for c in columns if c in checked.columns)])

    def stored(columns: list[str]) -> str:
        listed = ", ".join(_quote(c) for c in dict.fromkeys(["file_row_number", *columns]) if c in checked.columns)
        return f"(SELECT {listed} FROM {checked.source})"

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
        found = _first_problem(connection, typed(["respondent_id"]), [id_check])
        if found:
            fail(found)
    repeated = connection.execute(
        f"SELECT {ids}, min(file_row_number), list(file_row_number ORDER BY file_row_number)[2] AS second "
        f"FROM {typed(['respondent_id'])} GROUP BY {ids} HAVING count(*) > 1 ORDER BY second LIMIT 1"
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


def _raise_as_load(
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
        text = f"CAST({_quote(column)} AS VARCHAR)"
        if types.get(column) in ("DOUBLE", "FLOAT"):
            return f"regexp_replace({text}, '\\.0$', '')"
        return text

    with duckdb_long.independent_columns(connection, len(columns)):
        found = dict(
            connection.execute(
                f"SELECT file_row_number, [{', '.join(as_text(column) for column in columns)}] FROM raw_microdata "
                f"WHERE file_row_number IN ({_codes(tuple(rows))})"
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


def _recoded(column: str, column_type: str, classes: dict[int, int] | None) -> str:
    """SQL for a cell as an integer, with a public-use file's recodes (code -> code it is released as) applied."""
    value = _value(column, column_type)
    changed = {code: to for code, to in (classes or {}).items() if code != to}
    if not changed:
        return value
    cases = " ".join(f"WHEN {int(code)} THEN {int(to)}" for code, to in sorted(changed.items()))
    return f"CASE {value} {cases} ELSE {value} END"


def _released_number(column: str, whole: bool) -> str:
    """SQL for a numeric question's raw cell as released: a whole number as BIGINT (`22`, never `22.0`), else a
    double; empty as NULL. Its value is checked already (numeric.py), so the cast loses nothing."""
    return f"CAST({_raw_number(column)} AS BIGINT)" if whole else _raw_number(column)


def write_released(
    source: object,
    columns: list[str],
    classes: dict[str, dict[int, int]],
    target: Path,
    verbatim: tuple[str, ...] = (),
    connected: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    numbers: dict[str, bool] | None = None,
) -> None:
    """Writes a streamed file's released columns as CSV (or Parquet, when `target` ends in .parquet), with the
    public-use recodes applied (protect.py keeps the same rules for files read whole), in file order, without holding
    the file in memory. `verbatim` columns (a design's weights, strata and PSUs) are written as they are, not read as
    answer codes; `numbers` names the numeric questions' columns, each with whether it holds whole numbers.
    `connected` is given the connection first (another thread may `interrupt()` it)."""
    numbers = numbers or {}
    connection = connect()
    if connected is not None:
        connected(connection)
    try:
        relation = parquet(Path(source))  # type: ignore[arg-type]
        types = {name: kind for name, kind, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
        as_parquet = target.suffix.lower() == ".parquet"
        select = [f"CAST({_quote(columns[0])} AS VARCHAR) AS {_quote(columns[0])}"]
        select += [
            (_quote(column) if as_parquet else f"CAST({_quote(column)} AS VARCHAR)") + f" AS {_quote(column)}"
            if column in verbatim
            else f"{_released_number(column, numbers[column])} AS {_quote(column)}"
            if column in numbers
            else f"{_recoded(column, types[column], classes.get(column))} AS {_quote(column)}"
            for column in columns[1:]
        ]
        connection.execute("SET preserve_insertion_order = true")
        # Written in file order, the copy runs on one core whatever it is given (a second thread only costs more:
        # 8.0 s of CPU instead of 9.2 s for 8.7 million rows), and the build counts the tables on the others meanwhile.
        connection.execute("SET threads = 1")
        if as_parquet:
            with duckdb_long.independent_columns(connection, len(select)):
                connection.execute(
                    f"COPY (SELECT {', '.join(select)} FROM {relation}) TO {_literal(str(target))} "
                    f"(FORMAT parquet, ROW_GROUP_SIZE {layout.PARQUET_ROW_GROUP})"
                )
            return
        body = Path(f"{target}.body")
        with duckdb_long.independent_columns(connection, len(select)):
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
        design = codebook.populations[population].design
        # Design columns as the validated frame holds them: weights and sizes as doubles, codes as trimmed text.
        kept = _design_values(design, types) if design else {}
        # A numeric question keeps its raw value: whole numbers as integers, others as doubles.
        kept.update(
            {q.id: _released_number(q.id, q.whole_numbers) for q in codebook.questions_of(population) if q.numeric}
        )
        select = [f"CAST({_quote(columns[0])} AS VARCHAR) AS {_quote(columns[0])}"]
        select += [
            f"{kept[column] if column in kept else f'CAST({_value(column, types[column])} AS SMALLINT)'} AS "
            f"{_quote(column)}"
            for column in columns[1:]
        ]
        connection.execute("SET preserve_insertion_order = true")
        with duckdb_long.independent_columns(connection, len(select)):
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
                check = f"{rules.malformed_sql(text)} OR ({check})"
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


def _design_number(column: str, column_type: str) -> str:
    """SQL for a weight or population size as a double; NULL when empty, not a plain number or not finite."""
    if column_type.upper() in ("DOUBLE", "FLOAT", "DECIMAL") or _is_integer(column_type):
        value = f"CAST({_quote(column)} AS DOUBLE)"
    else:
        text = f"CAST({_quote(column)} AS VARCHAR)"
        value = f"(CASE WHEN regexp_full_match({text}, '{load.PLAIN_NUMBER}') THEN TRY_CAST({text} AS DOUBLE) END)"
    return f"(CASE WHEN isfinite({value}) THEN {value} END)"


# The characters of WHITESPACE, for trim(): much quicker than a regular expression on every row.
WHITESPACE_CHARACTERS = "\t\n\v\f\r \x85\xa0" + "".join(
    chr(point) for point in (0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)


def _design_label(column: str) -> str:
    """SQL for a stratum or PSU code as load.py keeps it: text, trimmed of white space, empty when missing."""
    return f"trim(coalesce(CAST({_quote(column)} AS VARCHAR), ''), {_literal(WHITESPACE_CHARACTERS)})"


def _design_values(design: Design, types: dict[str, str]) -> dict[str, str]:
    """SQL for each design column as the validated frame holds it: weights and sizes as doubles, codes as text."""
    values = {design.weight: _design_number(design.weight, types[design.weight])}
    for column in (design.strata, design.cluster):
        if column:
            values[column] = _design_label(column)
    if isinstance(design.fpc, str):
        values[design.fpc] = _design_number(design.fpc, types[design.fpc])
    return values


def _raw_design_cells(design: Design) -> dict[str, str]:
    """The `microdata` view's names for the stored stratum and PSU cells: {name: design column}."""
    cells = {"__design_h": design.strata, "__design_c": design.cluster}
    return {name: column for name, column in cells.items() if column}


def _group_design(connection: duckdb.DuckDBPyConnection, design: Design) -> list[tuple]:
    """One scan of the design columns, grouped by the stored stratum (and PSU) cells: per group, its labels as
    load.py keeps them, respondents, first row, smallest and largest population size, and the first row with no
    weight, a weight not above 0, or no valid population size. Kept as the table `design_groups`, which maps the
    stored cells to PSUs for the weighted sums; trimming the distinct cells instead of every row's saves a second
    per ten million rows."""
    raw = _raw_design_cells(design)
    h_raw = "__design_h" if "__design_h" in raw else "''"
    c_raw = "__design_c" if "__design_c" in raw else "''"
    weight = _quote(design.weight)
    size = _quote(design.fpc) if isinstance(design.fpc, str) else "NULL"
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE design_groups AS "
        f"SELECT {_design_label('h_raw')} AS h, {_design_label('c_raw')} AS c, * FROM ("
        f"SELECT {h_raw} AS h_raw, {c_raw} AS c_raw, count(*) AS n, min(file_row_number) AS first, "
        f"min({size}) AS smallest, max({size}) AS largest, "
        f"min(file_row_number) FILTER (WHERE {weight} IS NULL) AS no_weight, "
        f"min(file_row_number) FILTER (WHERE {weight} <= 0) AS low_weight, "
        f"min(file_row_number) FILTER (WHERE {size} IS NULL OR {size} <= 0) AS no_size "
        "FROM microdata GROUP BY ALL)"
    )
    return connection.execute(
        "SELECT h, c, n, first, smallest, largest, no_weight, low_weight, no_size FROM design_groups"
    ).fetchall()


def _design_cells(design: Design) -> str:
    """SQL for the design columns of `microdata` under fixed names: w, h (stratum, '' without strata), c (PSU, the
    row without clusters) and size (population size), with each row's file_row_number."""
    weight = _quote(design.weight)
    stratum = _quote(design.strata) if design.strata else "''"
    cluster = _quote(design.cluster) if design.cluster else "CAST(file_row_number AS VARCHAR)"
    size = _quote(design.fpc) if isinstance(design.fpc, str) else "NULL"
    return (
        f"SELECT file_row_number, {weight} AS w, {stratum} AS h, {cluster} AS c, {size} AS size, "
        f"CAST({weight} AS VARCHAR) AS w_text FROM microdata"
    )


def _check_design(
    connection: duckdb.DuckDBPyConnection, codebook: Codebook, population: str, design: Design, name: str
) -> Layout:
    """load.py's design rules on a streamed file, in load.py's order: weights, stratum and PSU codes, two PSUs per
    stratum, population sizes; gives the design's layout. Two narrow scans screen the file (the second is the
    aggregation over PSUs the layout needs); only a broken file pays for finding the first row breaking a rule,
    and load.py words the problem (`_raise_as_load`)."""
    cells = f"({_design_cells(design)})"
    sized = isinstance(design.fpc, str)
    groups = _group_design(connection, design)

    def earliest(rows: Iterable[int | None]) -> int | None:
        return min((row for row in rows if row is not None), default=None)

    found = (
        earliest(group[6] for group in groups),
        earliest(group[7] for group in groups),
        earliest(group[3] for group in groups if group[0] == "") if design.strata else None,
        earliest(group[3] for group in groups if runs_as_formula(group[0])) if design.strata else None,
        earliest(group[3] for group in groups if group[1] == "") if design.cluster else None,
        earliest(group[3] for group in groups if runs_as_formula(group[1])) if design.cluster else None,
        earliest(group[8] for group in groups) if sized else None,
    )
    for row in found[:6]:
        if row is not None:
            _raise_as_load(connection, codebook, population, name, row, design)
    # (stratum, PSU or '', respondents, smallest and largest population size) per PSU, or per stratum unclustered.
    merged: dict[tuple[str, str], list] = {}
    for stratum, cluster, respondents, _, smallest, largest, *_ in groups:
        key = (stratum, cluster if design.cluster else "")
        unit = merged.setdefault(key, [0, None, None])
        unit[0] += respondents
        unit[1] = smallest if unit[1] is None else unit[1] if smallest is None else min(unit[1], smallest)
        unit[2] = largest if unit[2] is None else unit[2] if largest is None else max(unit[2], largest)
    units = [(stratum, cluster, *unit) for (stratum, cluster), unit in merged.items()]
    psus: dict[str, int] = defaultdict(int)
    sizes: dict[str, set] = defaultdict(set)
    for stratum, _, respondents, smallest, largest in units:
        psus[stratum] += 1 if design.cluster else respondents
        sizes[stratum] |= {smallest, largest}
    count = "count(DISTINCT c)" if design.cluster else "count(*)"
    if design.strata and min(psus.values()) == 1:
        row = connection.execute(
            f"WITH s AS (SELECT h, {count} AS psus FROM {cells} GROUP BY h) "
            f"SELECT min(file_row_number) FROM {cells} JOIN s USING (h) WHERE s.psus = 1"
        ).fetchone()[0]
        _raise_as_load(connection, codebook, population, name, row, design)
    if not sized:
        return unit_layout(design, [(stratum, cluster, n, None) for stratum, cluster, n, *_ in units])
    # The population-size rules hold per stratum; load.py words them on the rows (or stand-ins) that show them.
    alone = Design(weight=design.weight, fpc=design.fpc)
    if found[6] is not None:
        _raise_as_load(connection, codebook, population, name, found[6], alone)
    if any(len(values) > 1 for values in sizes.values()):
        row = connection.execute(
            f"WITH s AS (SELECT h, arg_min(size, file_row_number) AS first, min(file_row_number) AS first_row "
            f"FROM {cells} GROUP BY h) SELECT file_row_number, first_row FROM {cells} JOIN s USING (h) "
            "WHERE size <> first ORDER BY file_row_number LIMIT 1"
        ).fetchone()
        _raise_as_load(connection, codebook, population, name, row[0], alone, [row[1], row[0]])
    if any(min(sizes[stratum]) < psus[stratum] for stratum in psus):
        row, count = connection.execute(
            f"WITH s AS (SELECT h, {count} AS psus FROM {cells} GROUP BY h) "
            f"SELECT file_row_number, psus FROM {cells} JOIN s USING (h) WHERE size < psus "
            "ORDER BY file_row_number LIMIT 1"
        ).fetchone()
        # As many stand-in rows (distinct ids and PSUs, the row's size) as the stratum has PSUs.
        stand_ins = {"respondent_id": [f"R{index}" for index in range(count)]}
        if design.cluster:
            stand_ins[design.cluster] = [str(index) for index in range(count)]
        clustered = Design(weight=design.weight, cluster=design.cluster, fpc=design.fpc)
        _raise_as_load(connection, codebook, population, name, row, clustered, [row] * count, stand_ins)
    return unit_layout(design, [(stratum, cluster, n, smallest) for stratum, cluster, n, smallest, _ in units])


def weighted_sums(
    codebook: Codebook, population: str, frame: pd.DataFrame, tasks: list[Task], design: Design, layout: Layout
) -> dict[str, Sums]:
    """Weighted sums per task, breakdown, group and stratum (see surveypress/stats/design.py) of a validated frame, from
    one DuckDB scan that sums weights and squared weights per combination of raw cells, stratum and PSU."""
    connection = connect()
    try:
        connection.register("microdata_frame", frame)
        return _weighted_in_batches(connection, codebook, population, None, tasks, design, layout)
    finally:
        connection.close()


def count_weighted(
    codebook: Codebook, population: str, path: Path, tasks: list[Task], name: str
) -> tuple[dict[str, Counts], Layout, dict[str, Sums]]:
    """`count` and `weighted_sums_parquet` of a streamed file with a design, on one connection: the file is checked
    once (its design too, which gives the layout), counted, then summed by PSU."""
    design = codebook.populations[population].design
    connection = connect()
    try:
        combinations = _check(connection, codebook, population, Path(path), name, tasks)
        counts = _tallies(codebook, tasks, combinations)
        layout = combinations.layout
        return (
            counts,
            layout,
            _weighted_in_batches(connection, codebook, population, combinations.checked, tasks, design, layout),
        )
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
        checked = _checked_view(connection, codebook, population, path, name)
        layout = _check_design(connection, codebook, population, design, name)
        return layout, _weighted_in_batches(connection, codebook, population, checked, tasks, design, layout)
    finally:
        connection.close()


# Above this many combinations of breakdown groups, the weighted sums group by each breakdown apart (GROUPING SETS).
CROSSED_GROUPS = 256
# Tasks summed by one query: each adds a sum per code and measure, and a query of thousands of tasks (a file of
# thousands of questions) is tens of thousands of aggregates, which DuckDB plans for minutes.
WEIGHTED_TASKS = 64


def _weighted_in_batches(
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
            read = [design.weight, *_raw_design_cells(design)]
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
    asked = _asked(codebook, question)
    if question.type != "multi":
        cell = _quote(question.id)
        return asked, [f"{cell} = {int(code)}" for code in question.codes]
    columns = question.columns()
    answered = " OR ".join(f"coalesce({_quote(column)} IN (0, 1), FALSE)" for column in columns)
    ticked = {code: f"{_quote(cell)} = 1" for code, cell in zip(question.codes, columns, strict=True)}
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
    (`streamed`: `relation` is a checked file's `microdata` view, whose design `_group_design` grouped).

    Each respondent is a few small integers in SQL: its PSU (or stratum) index, its group in each breakdown and
    its answers to each task (`_answers`). One GROUP BY over PSU and breakdown groups sums, per task, the weight of
    each answer (unclustered also the squared weight and the respondents); numpy adds those rows up per domain.
    So the result has PSUs × breakdown groups rows whatever the file's size (with GROUPING SETS, one per breakdown,
    when the groups of all breakdowns crossed would be many: PSUs × (1 + Σ groups) rows)."""
    clustered = layout.shape.clustered
    strata = len(layout.shape.psus)
    units = layout.unit_stratum.size if clustered else strata
    breakdowns = list({breakdown.id: breakdown for task in tasks for breakdown in task.breakdowns}.values())
    position = {breakdown.id: index for index, breakdown in enumerate(breakdowns)}
    # The design's units as a small table to join: (stratum, PSU) -> PSU index, or stratum -> stratum index.
    if clustered:
        keys = pd.DataFrame(list(layout.unit_keys), columns=["__h", "__c"])
        keys["__unit"] = list(layout.unit_keys.values())
    else:
        keys = pd.DataFrame({"__h": list(layout.strata_labels), "__unit": range(strata)})
    connection.complete()  # an earlier check's result, read with fetchone(), may not stay open beside new work
    connection.register("design_units", keys)
    on = "cells.__h = units.__h" + (" AND cells.__c = units.__c" if clustered else "")
    if streamed:
        # The stored cells, as `_group_design` grouped them, map to the PSUs of their trimmed labels.
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE design_map AS SELECT g.h_raw AS __h, g.c_raw AS __c, u.__unit "
            f"FROM design_groups g JOIN design_units u ON g.h = u.__h{' AND g.c = u.__c' if clustered else ''}"
        )
        stratum = "__design_h" if design.strata else "''"
        cluster = "__design_c"
    else:
        stratum = _quote(design.strata) if design.strata else "''"
        cluster = _quote(design.cluster) if clustered else ""
    weight = f"CAST({_quote(design.weight)} AS DOUBLE)"
    measures = [weight] if clustered else [weight, f"{weight} * {weight}", "1.0"]  # Σw; unclustered also Σw², n
    projection = ["units.__unit AS __unit", *(f"{measure} AS __m{m}" for m, measure in enumerate(measures))]
    for index, breakdown in enumerate(breakdowns):
        # Group position among the breakdown's codes; len(codes) outside its universe or without a code.
        cases = " ".join(f"WHEN {int(code)} THEN {at}" for at, code in enumerate(breakdown.codes))
        projection.append(
            f"CASE WHEN {_asked(codebook, breakdown)} THEN (CASE {_quote(breakdown.id)} {cases} "
            f"ELSE {len(breakdown.codes)} END) ELSE {len(breakdown.codes)} END AS __g{index}"
        )
    cells = {column for task in tasks for column in task.question.columns()}
    projection.extend(_quote(column) for column in sorted(cells))
    # Per task, its measures inside its base (NULL outside), computed once; then one sum per measure and answer
    # (a single-choice task's codes, a multi-choice task's base and categories), measure by measure.
    answers: list[tuple[str, str]] = []  # (measure column, with {m} for the measure; condition)
    offsets = []
    for t, task in enumerate(tasks):
        base, conditions = _answers(codebook, task)
        carrier = "__m{m}"
        if base != "TRUE":
            carrier = f"__m{{m}}_{t}"
            projection.extend(f"CASE WHEN {base} THEN __m{m} END AS __m{m}_{t}" for m in range(len(measures)))
        offsets.append(len(answers))
        answers.extend((carrier, condition) for condition in conditions)
    offsets.append(len(answers))
    # A group where every summed value is NULL sums to NULL: that is 0.
    sums = [
        f"coalesce(sum({carrier.format(m=m)}{'' if condition == 'TRUE' else f' * CAST({condition} AS TINYINT)'}), 0)"
        for m in range(len(measures))
        for carrier, condition in answers
    ]
    groups = [f"__g{index}" for index in range(len(breakdowns))]
    sizes = [len(breakdown.codes) + 1 for breakdown in breakdowns]
    crossed = int(np.prod(sizes)) <= CROSSED_GROUPS
    if crossed:
        grouping = ", ".join(["__unit", *groups])
        selected = ["__unit", *groups]
    else:
        grouping = "GROUPING SETS (" + ", ".join(["(__unit)", *(f"(__unit, {group})" for group in groups)]) + ")"
        selected = ["__unit", *(f"coalesce({group}, -1) AS {group}" for group in groups)]
    design_keys = f"{stratum} AS __h" + (f", {cluster} AS __c" if clustered else "")
    columns = connection.execute(
        f"WITH cells AS (SELECT *, {design_keys} FROM {relation}), "
        f"answers AS (SELECT {', '.join(projection)} FROM cells JOIN {'design_map' if streamed else 'design_units'} "
        f"AS units ON {on}) "
        f"SELECT {', '.join([*selected, *sums])} FROM answers GROUP BY {grouping}"
    ).fetchnumpy()
    found = np.column_stack([np.asarray(column, dtype=float) for column in columns.values()])
    rows = len(found)
    unit = found[:, 0].astype(np.int64)
    values = found[:, 1 + len(groups) :].reshape(rows, len(measures), len(answers))

    def slot(index: int | None) -> np.ndarray:
        """(measures, units × groups, answers): the rows added up by PSU (and the breakdown's group)."""
        if index is None:
            where, count = unit, 1
            # Crossed rows each hold one part of the whole sample; of grouping-set rows, those of the first set.
            inside = np.ones(rows, dtype=bool) if crossed else (found[:, 1 : 1 + len(groups)] == -1).all(axis=1)
        else:
            group = found[:, 1 + index]
            count = sizes[index]
            inside = group >= 0
            where = unit * count + np.where(inside, group, 0).astype(np.int64)
        result = np.zeros((len(measures), units * count, len(answers)))
        for m in range(len(measures)):
            np.add.at(result[m], where[inside], values[inside, m, :])
        return result

    def domain(task: Task, t: int, sums: np.ndarray) -> object:
        """`sums` (measures, units, answers) of one domain -> design.DomainSums."""
        own = sums[:, :, offsets[t] : offsets[t + 1]]
        if task.question.type == "multi":
            base, chosen = own[:, :, 0], own[:, :, 1:]
        else:
            # Column i is code i; a category sums the columns of its codes.
            member = np.zeros((len(task.question.codes), len(task.categories)))
            for k, category in enumerate(task.categories):
                for code in category.codes:
                    member[task.question.codes.index(code), k] = 1
            base, chosen = own.sum(axis=2), own @ member
        if clustered:
            return cluster_sums(layout.unit_stratum, base[0], chosen[0], strata)
        return respondent_sums(base[0], chosen[0], base[1], chosen[1], base[2])

    whole = slot(None)
    by_breakdown = {breakdown.id: slot(index) for index, breakdown in enumerate(breakdowns)}
    result: dict[str, Sums] = {}
    for t, task in enumerate(tasks):
        found_sums: Sums = {TOTAL: {None: domain(task, t, whole)}}
        for breakdown in task.breakdowns:
            count = sizes[position[breakdown.id]]
            split = by_breakdown[breakdown.id].reshape(len(measures), units, count, len(answers))
            found_sums[breakdown.id] = {
                code: domain(task, t, split[:, :, g, :]) for g, code in enumerate(breakdown.codes)
            }
        result[task.indicator.id] = found_sums
    return result
