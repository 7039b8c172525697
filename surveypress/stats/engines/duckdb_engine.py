"""SQL counting engine: one DuckDB scan per population with GROUPING SETS, one set per indicator.

Takes: one population's microdata, as a validated DataFrame or as a Parquet path (checked here, in SQL, against the
codebook: header, ids, codes, multi-choice cells and universes), and the tabulate tasks.
Gives: integer bases and counts per task, breakdown, group and category (`tasks.Counts`).

Each grouping set holds an indicator's raw question cells, its breakdown columns and one boolean per universe chain,
so DuckDB only counts the few thousand distinct combinations; who is in a base, a group or a category is decided
in Python on those combinations. DuckDB streams Parquet, so the microdata never has to fit in memory.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd

from surveypress.content import Codebook, Question
from surveypress.errors import InputError
from surveypress.microdata import rules
from surveypress.stats.design import Layout
from surveypress.stats.engines import duckdb_long
from surveypress.stats.engines.duckdb_checks import (
    Checked,
    check_rows,
    checked_view,
    id_rule_checks,
    screen_ids,
    screened,
)
from surveypress.stats.engines.duckdb_design import check_design
from surveypress.stats.engines.duckdb_sql import asked_sql, connect, is_integer, parquet, quote, raw_number
from surveypress.stats.engines.duckdb_sums import weighted_in_batches
from surveypress.stats.tasks import TOTAL, Counts, Sums, Task, universe_chain


def _set_columns(codebook: Codebook, questions: tuple[Question, ...], flags: dict[str, str]) -> tuple[str, ...]:
    """The raw columns of these questions and their universe flags, each once, sorted so that two indicators
    needing the same columns share one grouping set."""
    columns: list[str] = []
    for question in questions:
        if question.universe is not None:
            columns.append(flags[asked_sql(codebook, question)])
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
                    flag = self.flags.setdefault(asked_sql(codebook, question), f"asked_{len(self.flags)}")
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
        flag = self.flags[asked_sql(self.codebook, question)] if question.universe is not None else None
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
                checked = Checked({}, {column: quote(column) for column in self._stored()}, relation)
            splits = [self.splits[columns] for columns in self.sets]
            flags = {name: sql for sql, name in self.flags.items()}
            found = duckdb_long.count_long(connection, splits, flags, self.flag_columns, checked.relation)
            for columns, combinations in zip(self.sets, found, strict=True):
                self.rows[columns].extend(combinations)
            return True
        used = list(dict.fromkeys(column for columns in self.sets for column in columns))
        projection = [f"{sql} AS {name}" for sql, name in self.flags.items()]
        projection += [quote(column) for column in used if column not in self.flags.values()]
        aggregates = "count(*)"
        grouping = ", ".join(f"GROUPING({quote(column)})" for column in used)
        listed = ", ".join("(" + ", ".join(quote(c) for c in columns) + ")" for columns in self.sets)
        result = connection.execute(
            f"WITH cells AS (SELECT {', '.join(projection)} FROM {relation}) "
            f"SELECT {grouping}, {', '.join(quote(c) for c in used)}, {aggregates} FROM cells "
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
            flag = self.flags.get(asked_sql(self.codebook, question)) if question.universe is not None else None
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
    universe = flags.get(asked_sql(codebook, question)) if question.universe is not None else None
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
            in_universe = breakdown.universe is None or values[flags[asked_sql(codebook, breakdown)]]
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


def histogram(path: Path, question: Question, no_answer: int) -> dict[int, int]:
    """{value × 10^decimals: respondents} of a numeric question's answered cells in a Parquet file (already checked)."""
    value = raw_number(question.id)
    connection = connect()
    try:
        rows = connection.execute(
            f"SELECT CAST(round(v * {question.numeric.scale}) AS BIGINT), count(*) FROM "
            f"(SELECT {value} AS v FROM {parquet(path)}) WHERE v IS NOT NULL AND v <> {no_answer} GROUP BY 1"
        ).fetchall()
    finally:
        connection.close()
    return {int(whole): int(count) for whole, count in rows}


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
    checked = checked_view(connection, codebook, population, path, name)
    types = checked.types
    id_checks = id_rule_checks()
    total, ids_ok = screen_ids(connection, checked.relation(["respondent_id"]))
    if total == 0:
        raise InputError(name, "at least one respondent row", value="(no rows)")
    design = codebook.populations[population].design
    if design is not None:
        # load.py checks ids, then the design, then codes: an id problem is named first.
        if not ids_ok:
            check_rows(connection, codebook, population, checked, name, id_checks)
        layout = check_design(connection, codebook, population, design, name)
    combinations = _Combinations(codebook, population, tasks, checking=True)
    combinations.layout = layout if design is not None else None
    combinations.checked = checked
    long = combinations.count(connection, "microdata", screened(checked, codebook, population))
    # Text columns were parsed in the view, so only the detailed checks see their raw cells (counted in long form,
    # a cell that is not a whole number was counted as MALFORMED, which the screen flags).
    all_integer = all(is_integer(types[column]) for column in codebook.question_columns_of(population))
    if (all_integer or long) and ids_ok and not combinations.problems():
        return combinations
    # Text columns, or a screen that flagged something: the detailed checks raise for the first bad cell, if any.
    check_rows(connection, codebook, population, checked, name, id_checks)
    return combinations


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
            weighted_in_batches(connection, codebook, population, combinations.checked, tasks, design, layout),
        )
    finally:
        connection.close()
