"""In-memory counting engine: one numpy bincount per question over small-int code arrays.

Takes: one population's validated microdata frame (nullable small-int question columns, as load.py gives them), or
a Parquet path (question columns read in one threaded pass, screened against the codebook while they are counted),
and the tabulate tasks.
Gives: integer bases and counts per task, breakdown, group and category (`tasks.Counts`).

Each question is counted in one pass: every respondent gets one integer key combining their breakdown groups and
their answer (the option's position, or for a multi-choice question the bit pattern of ticked options), with one
extra slot for "none" at each level; `numpy.bincount` of the keys is the whole cross-tabulation, and the total and
each breakdown are sums over it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from surveypress.content import Codebook, Question
from surveypress.errors import InputError
from surveypress.microdata import numeric, rules
from surveypress.stats.design import Layout, cluster_sums, respondent_sums
from surveypress.stats.tasks import TOTAL, Counts, Sums, Task

# Multi-choice questions with up to this many options are counted as bit patterns (2**n slots) in one pass;
# wider ones one category at a time.
MAX_PATTERN_OPTIONS = 14


def _cells(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, empty) of a frame column without copying when it is a nullable integer array."""
    array = frame[column].array
    if isinstance(array, pd.arrays.IntegerArray):
        # The values under the mask are arbitrary; every use below combines them with `empty`.
        return array._data, array._mask
    values = pd.to_numeric(frame[column]).astype("Int64").array
    return values._data, values._mask


def _arrow_cells(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, empty) of an integer Arrow column; the values buffer is used as it is, without filling nulls."""
    values = table.column(column).combine_chunks()
    if not pa.types.is_integer(values.type):
        # Codes stored as text (already checked in SQL): empty text is "not asked".
        text = pc.cast(values, pa.string())
        values = pc.cast(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), pa.int64())
    data = np.frombuffer(values.buffers()[1], dtype=values.type.to_pandas_dtype())
    data = data[values.offset : values.offset + len(values)]
    if values.null_count == 0:
        return data, np.zeros(len(values), dtype=bool)
    return data, values.is_null().to_numpy(zero_copy_only=False)


def _arrow_bands(table: pa.Table, column: str, rule: numeric.Numeric, no_answer: int) -> tuple[np.ndarray, np.ndarray]:
    """(band codes, empty) of a numeric question's raw Arrow column; a cell that is not a number gets no band."""
    values = table.column(column).combine_chunks()
    text = pc.cast(values, pa.string()) if not pa.types.is_string(values.type) else values
    empty = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    if pa.types.is_string(values.type):
        is_number = pc.fill_null(pc.match_substring_regex(text, numeric.NUMBER_TEXT), False)
        values = pc.cast(pc.if_else(is_number, text, pa.scalar(None, pa.string())), pa.float64())
    raw = pc.fill_null(pc.cast(values, pa.float64()), math.nan).to_numpy(zero_copy_only=False)
    malformed = np.isnan(raw) & ~empty
    codes = numeric.band_array(np.nan_to_num(raw), empty, rule, no_answer)
    codes[malformed] = numeric.NO_BAND
    return codes, empty


class _Answers:
    """Code arrays of one population, read on demand; breakdown and universe arrays are kept for reuse.

    With `checking`, every question read is screened against the codebook (codes, universes, multi-choice
    no-answer); a problem is reported by `problem`, and the caller names its row with the SQL checks.
    """

    def __init__(self, codebook: Codebook, size: int, read, checking: bool = False) -> None:
        self.codebook = codebook
        self.size = size
        self.read = read
        self.checking = checking
        self.problem = ""
        self.kept: dict[str, np.ndarray] = {}
        self.universes: dict[str, np.ndarray] = {}
        self.screened: set[str] = set()

    def _lookup(self, question: Question, values: np.ndarray, empty: np.ndarray) -> np.ndarray:
        """Option position (0..n-1) per respondent; -1 for empty or no answer; -2 for a value outside the codebook."""
        width = np.iinfo(values.dtype).bits
        if width > 16:
            values = values.astype(np.int16) if values.min() >= -(2**15) and values.max() < 2**15 else values
            width = np.iinfo(values.dtype).bits
        limits = np.iinfo(values.dtype)
        # Codes the column's type cannot hold cannot occur in it.
        # The codes rules.allowed lets a cell hold; anything else is -2, which the screen reports.
        slots = [
            (code, -1 if code == self.codebook.no_answer else question.codes.index(code))
            for code in rules.allowed(question, self.codebook.no_answer)
        ]
        slots = [(code, position) for code, position in slots if limits.min <= code <= limits.max]
        if width > 16:
            positions = np.full(len(values), -2, dtype=np.int16)
            for code, position in slots:
                positions[values == code] = position
        else:
            # A table over every value the type can hold, indexed by the value's bit pattern read as unsigned.
            table = np.full(1 << width, -2, dtype=np.int16)
            unsigned = np.dtype(f"uint{width}")
            for code, position in slots:
                table[np.array([code], dtype=values.dtype).view(unsigned)[0]] = position
            positions = table[values.view(unsigned)]
        positions[empty] = -1
        return positions

    def positions(self, question: Question, keep: bool = False) -> np.ndarray:
        """Single/scale: option position in codebook order; -1 for not asked, no answer or an unknown code."""
        if question.id in self.kept:
            return self.kept[question.id]
        values, empty = self.read(question.id)
        positions = self._lookup(question, values, empty)
        if self.checking and question.id not in self.screened:
            self.screened.add(question.id)
            if (positions == -2).any():
                self.problem = f"a code outside the codebook in {question.id}"
            self._screen_universe(question, [empty])
        positions[positions == -2] = -1
        if keep:
            self.kept[question.id] = positions
        return positions

    def ticks(self, question: Question) -> tuple[list[np.ndarray], np.ndarray]:
        """Multi: one ticked mask per option, and who answered (any option cell holds 0 or 1)."""
        ticked, answered, empties, no_answers = [], np.zeros(self.size, dtype=bool), [], []
        checking = self.checking and question.id not in self.screened
        for column in question.columns():
            values, empty = self.read(column)
            # One table lookup per cell: its position in rules.allowed (0, 1, no answer), 3 for anything else, 4 for
            # empty.
            state = self._states(question, values)
            state[empty] = 4
            ticked.append(state == 1)
            answered |= state <= 1
            if checking:
                if (state == 3).any():
                    self.problem = f"a value other than 0, 1 or no answer in {column}"
                no_answers.append(state == 2)
                empties.append(empty)
        if checking:
            self.screened.add(question.id)
            self._screen_universe(question, empties)
            if rules.half_answered_mask(no_answers, ~np.logical_or.reduce(empties)).any():
                self.problem = f"a half-answered multi-choice question {question.id}"
        return ticked, answered

    def _states(self, question: Question, values: np.ndarray) -> np.ndarray:
        states = tuple((code, state) for state, code in enumerate(rules.allowed(question, self.codebook.no_answer)))
        width = np.iinfo(values.dtype).bits
        if width > 16:
            state = np.full(len(values), 3, dtype=np.int8)
            for code, value in states:
                state[values == code] = value
            return state
        limits = np.iinfo(values.dtype)
        unsigned = np.dtype(f"uint{width}")
        table = np.full(1 << width, 3, dtype=np.int8)
        for code, state in states:
            if limits.min <= code <= limits.max:
                table[np.array([code], dtype=values.dtype).view(unsigned)[0]] = state
        return table[values.view(unsigned)]

    def _screen_universe(self, question: Question, empties: list[np.ndarray]) -> None:
        asked = self.in_universe(question)
        for empty in empties:
            if any(mask.any() for mask in rules.misplaced(empty, asked)):
                self.problem = f"a cell of {question.id} filled outside its universe or empty inside it"

    def in_universe(self, question: Question) -> np.ndarray | None:
        """Who was asked `question`: every condition of its universe chain holds. None means everyone."""
        if question.universe is None:
            return None
        if question.id in self.universes:
            return self.universes[question.id]
        condition = question.universe
        target = self.codebook.questions[condition.question]
        if target.type == "multi":
            ticked, _ = self.ticks(target)
            mask = np.zeros(self.size, dtype=bool)
            for position, code in enumerate(target.codes):
                if code in condition.codes:
                    mask |= ticked[position]
        else:
            lookup = np.zeros(len(target.options) + 1, dtype=bool)  # the last slot catches position -1
            lookup[[target.codes.index(code) for code in condition.codes]] = True
            mask = lookup[self.positions(target, keep=True)]
        upstream = self.in_universe(target)
        if upstream is not None:
            mask &= upstream
        self.universes[question.id] = mask
        return mask

    def group_keys(self, breakdowns: tuple[Question, ...]) -> np.ndarray:
        """One integer per respondent for their groups in all these breakdowns, each with a slot for "no group"."""
        key = "group keys of " + " ".join(b.id for b in breakdowns)
        if key not in self.kept:
            combined, stride = np.zeros(self.size, dtype=np.int64), 1
            for breakdown in breakdowns:
                groups = self.groups(breakdown).astype(np.int64)
                groups[groups < 0] = len(breakdown.options)
                combined += groups * stride
                stride *= len(breakdown.options) + 1
            self.kept[key] = combined
        return self.kept[key]

    def groups(self, breakdown: Question) -> np.ndarray:
        """Breakdown group of each respondent (option position), -1 when outside its universe or without a code."""
        key = f"groups of {breakdown.id}"
        if key not in self.kept:
            groups = self.positions(breakdown, keep=True)
            universe = self.in_universe(breakdown)
            self.kept[key] = groups if universe is None else np.where(universe, groups, -1).astype(groups.dtype)
        return self.kept[key]


def _count_task(answers: _Answers, task: Task) -> Counts:
    """One bincount over (breakdown groups, answer) keys; the total and each breakdown are sums over it."""
    codes = task.question.codes
    shape = [len(breakdown.options) + 1 for breakdown in task.breakdowns]  # + 1: in no group of this breakdown
    groups = answers.group_keys(task.breakdowns) if task.breakdowns else None
    n_groups = int(np.prod(shape, dtype=np.int64))
    answer, valid, slots, members, ticked = _coded(answers, task)
    universe = answers.in_universe(task.question)
    if universe is not None:
        valid &= universe
    if slots:
        # The last answer slot holds everyone outside the base.
        keys = np.where(valid, answer, slots - 1).astype(np.int64)
        if groups is not None:
            keys += groups * slots
        cube = np.bincount(keys, minlength=n_groups * slots).reshape(n_groups, slots)[:, :-1]
        bases, cells = cube.sum(axis=1), cube @ members
    else:
        # Too many options for bit patterns: one bincount per category, and one for the base.
        keys = groups if groups is not None else np.zeros(answers.size, dtype=np.int64)
        bases = np.bincount(keys[valid], minlength=n_groups)
        cells = np.zeros((n_groups, len(task.categories)), dtype=np.int64)
        for column, category in enumerate(task.categories):
            chosen = np.zeros(answers.size, dtype=bool)
            for code in category.codes:
                chosen |= ticked[codes.index(code)]
            cells[:, column] = np.bincount(keys[valid & chosen], minlength=n_groups)
    return _margins(task, shape, bases, cells)


def _coded(answers: _Answers, task: Task) -> tuple[np.ndarray | None, np.ndarray, int, np.ndarray, list | None]:
    """Each respondent's answer as one slot number: (answer, answered, slots, members: slot × category 0/1, and a
    multiple-choice question's ticks). A single-choice answer is its code's position; a multiple-choice answer is the
    bit pattern of its ticks, or (no slots: too many options for patterns) None."""
    question = task.question
    codes = question.codes
    members = np.zeros((0, len(task.categories)), dtype=np.int64)
    if question.type != "multi":
        positions = answers.positions(question)
        slots = len(codes) + 1
        members = np.zeros((slots - 1, len(task.categories)), dtype=np.int64)
        for column, category in enumerate(task.categories):
            for code in category.codes:
                members[codes.index(code), column] = 1
        return positions, positions >= 0, slots, members, None
    ticked, valid = answers.ticks(question)
    slots = (1 << len(codes)) + 1 if len(codes) <= MAX_PATTERN_OPTIONS else 0
    if not slots:
        return None, valid, slots, members, ticked
    answer = np.zeros(answers.size, dtype=np.int32)
    for bit, mask in enumerate(ticked):
        answer |= mask.astype(np.int32) << bit
    every = np.arange(slots - 1)
    members = np.zeros((slots - 1, len(task.categories)), dtype=np.int64)
    for column, category in enumerate(task.categories):
        members[:, column] = (every & sum(1 << codes.index(code) for code in category.codes)) != 0
    return answer, valid, slots, members, ticked


def _margins(task: Task, shape: list[int], bases: np.ndarray, cells: np.ndarray) -> Counts:
    """The total and each breakdown's groups, summed over the other breakdowns of the (groups × categories) counts."""
    # Axes after reshaping: last breakdown first, ..., first breakdown (the group key is little-endian).
    bases = bases.reshape(list(reversed(shape)))
    cells = cells.reshape([*reversed(shape), len(task.categories)])
    axes = tuple(range(len(shape)))
    result: Counts = {TOTAL: {None: (int(bases.sum()), tuple(int(c) for c in cells.sum(axis=axes)))}}
    for index, breakdown in enumerate(task.breakdowns):
        axis = len(shape) - 1 - index
        others = tuple(a for a in axes if a != axis)
        by_base, by_cells = bases.sum(axis=others), cells.sum(axis=others)
        result[breakdown.id] = {
            code: (int(by_base[row]), tuple(int(c) for c in by_cells[row])) for row, code in enumerate(breakdown.codes)
        }
    return result


def count(codebook: Codebook, frame: pd.DataFrame, tasks: list[Task]) -> dict[str, Counts]:
    """Bases and counts for every task of one population's validated frame."""
    answers = _Answers(codebook, len(frame), lambda column: _cells(frame, column))
    return {task.indicator.id: _count_task(answers, task) for task in tasks}


def count_parquet(
    codebook: Codebook, population: str, path: Path, tasks: list[Task], name: str | None = None
) -> dict[str, Counts]:
    """Bases and counts from a Parquet file, read one column at a time and screened against the codebook while
    it is read; a file that fails the screen goes through the SQL checks, which name the row, column and value."""
    from surveypress.stats.engines import duckdb_engine

    name = name or str(path)
    file = _open(path, name)
    schema = file.schema_arrow
    if not all(
        pa.types.is_integer(schema.field(c).type) for c in codebook.question_columns_of(population) if c in schema.names
    ):
        # Text or missing columns: the SQL checks parse and name them; then read the checked values.
        duckdb_engine.check_parquet(codebook, population, path, name=name)
    else:
        _check_header_and_ids(codebook, population, path, file, name)
    # One multithreaded read of the question columns (about one byte per cell); ids were checked on their own.
    table = file.read(columns=codebook.question_columns_of(population), use_threads=True)
    rules = {q.id: q.numeric for q in codebook.questions_of(population) if q.numeric is not None}

    def read(column: str) -> tuple[np.ndarray, np.ndarray]:
        if column in rules:
            return _arrow_bands(table, column, rules[column], codebook.no_answer)
        return _arrow_cells(table, column)

    answers = _Answers(codebook, table.num_rows, read, checking=True)
    counts = {task.indicator.id: _count_task(answers, task) for task in tasks}
    for question in codebook.questions_of(population):
        if question.id not in answers.screened:
            answers.ticks(question) if question.type == "multi" else answers.positions(question)
    if answers.problem:
        duckdb_engine.check_parquet(codebook, population, path, name=name)
        raise InputError(name, "microdata that follows the codebook", value=answers.problem)  # pragma: no cover
    return counts


def _open(path: Path, name: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(name, "a Parquet file", value=str(error).splitlines()[0][:120]) from None


def _check_header_and_ids(codebook: Codebook, population: str, path: Path, file: pq.ParquetFile, name: str) -> None:
    """Header, then respondent ids present, trimmed and unique; any problem is named by the SQL checks."""
    from surveypress.stats.engines import duckdb_engine, duckdb_sql
    from surveypress.stats.engines.duckdb_checks import screen_ids

    names = file.schema_arrow.names
    if set(names) != set(codebook.columns_of(population)) or file.metadata.num_rows == 0:
        duckdb_engine.check_parquet(codebook, population, path, name=name)
        return
    connection = duckdb_sql.connect()
    try:
        _, ids_ok = screen_ids(connection, duckdb_sql.parquet(path))
    finally:
        connection.close()
    if not ids_ok:
        duckdb_engine.check_parquet(codebook, population, path, name=name)


def weighted_sums(codebook: Codebook, frame: pd.DataFrame, tasks: list[Task], layout: Layout) -> dict[str, Sums]:
    """Weighted sums per task, breakdown, group and stratum (see surveypress/stats/design.py) of a validated frame."""
    answers = _Answers(codebook, len(frame), lambda column: _cells(frame, column))
    return {task.indicator.id: _weigh_task(answers, task, layout) for task in tasks}


def _weigh_task(answers: _Answers, task: Task, layout: Layout) -> Sums:
    """For the total and each breakdown: bincounts of weights (and squared weights) by group and PSU or stratum."""
    question = task.question
    if question.type == "multi":
        ticked, valid = answers.ticks(question)
        chosen = []
        for category in task.categories:
            mask = np.zeros(answers.size, dtype=bool)
            for code in category.codes:
                mask |= ticked[question.codes.index(code)]
            chosen.append(mask)
    else:
        positions = answers.positions(question)
        valid = positions >= 0
        chosen = [
            np.isin(positions, [question.codes.index(code) for code in category.codes]) for category in task.categories
        ]
    universe = answers.in_universe(question)
    if universe is not None:
        valid = valid & universe
    strata = len(layout.shape.psus)
    clustered = layout.shape.clustered
    units = int(layout.unit_stratum.size) if clustered else strata
    w = layout.weights

    def domain_sums(keys: np.ndarray, groups: int) -> list:
        inside = valid & (keys >= 0)
        index = keys.astype(np.int64) * units + layout.unit

        def total(mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
            return np.bincount(index[mask], weights=weights[mask], minlength=groups * units).reshape(groups, units)

        a = total(inside, w)
        b = np.stack([total(inside & mask, w) for mask in chosen], axis=2)
        if clustered:
            return [cluster_sums(layout.unit_stratum, a[g], b[g], strata) for g in range(groups)]
        w2 = w * w
        a2 = total(inside, w2)
        b2 = np.stack([total(inside & mask, w2) for mask in chosen], axis=2)
        n = total(inside, np.ones(answers.size))
        return [respondent_sums(a[g], b[g], a2[g], b2[g], n[g]) for g in range(groups)]

    result: Sums = {TOTAL: {None: domain_sums(np.zeros(answers.size, dtype=np.int64), 1)[0]}}
    for breakdown in task.breakdowns:
        groups = answers.groups(breakdown)
        sums = domain_sums(groups.astype(np.int64), len(breakdown.options))
        result[breakdown.id] = dict(zip(breakdown.codes, sums, strict=True))
    return result
