"""In-memory counting engine: one numpy bincount per question × breakdown over small-int code arrays.

Takes: one population's validated microdata frame (nullable small-int question columns) and the tabulate tasks.
Gives: integer bases and counts per task, breakdown, group and category (`tabulate.Counts`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from surveypress.spec import Codebook, Question
from surveypress.tabulate import TOTAL, Counts, Task

# Multi-choice questions with up to this many options are counted as bit patterns (2**n bins) in one pass.
MAX_PATTERN_OPTIONS = 14


class _Answers:
    """Code arrays of one population's frame, built on demand; breakdown and universe arrays are kept for reuse."""

    def __init__(self, codebook: Codebook, frame: pd.DataFrame) -> None:
        self.codebook = codebook
        self.frame = frame
        self.kept: dict[str, np.ndarray] = {}
        self.universes: dict[str, np.ndarray] = {}

    def raw(self, column: str) -> np.ndarray:
        series = self.frame[column]
        dtype = getattr(series.dtype, "numpy_dtype", series.dtype)
        # Not asked becomes the no-answer code: neither is in any base, and the universe mask is applied anyway.
        return series.to_numpy(dtype=dtype, na_value=self.codebook.no_answer)

    def positions(self, question: Question, keep: bool = False) -> np.ndarray:
        """Single/scale: index of the chosen option in codebook order, -1 for not asked, no answer or unknown."""
        if question.id in self.kept:
            return self.kept[question.id]
        values = self.raw(question.id)
        dtype = np.int8 if len(question.options) < 127 else np.int16
        positions = np.full(len(values), -1, dtype=dtype)
        for position, code in enumerate(question.codes):
            positions[values == code] = position
        if keep:
            self.kept[question.id] = positions
        return positions

    def groups(self, breakdown: Question) -> np.ndarray:
        """Breakdown group of each respondent (option position), -1 when outside its universe or without a code."""
        key = f"groups of {breakdown.id}"
        if key not in self.kept:
            groups = self.positions(breakdown, keep=True)
            universe = self.in_universe(breakdown)
            self.kept[key] = groups if universe is None else np.where(universe, groups, -1).astype(groups.dtype)
        return self.kept[key]

    def ticks(self, question: Question) -> tuple[list[np.ndarray], np.ndarray]:
        """Multi: one ticked mask per option, and who answered (any option cell holds 0 or 1)."""
        ticked, answered = [], None
        for column in question.columns():
            values = self.raw(column)
            ticked.append(values == 1)
            answered_here = (values == 0) | ticked[-1]
            answered = answered_here if answered is None else answered | answered_here
        return ticked, answered

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
            mask = np.zeros(len(self.frame), dtype=bool)
            for position, code in enumerate(target.codes):
                if code in condition.codes:
                    mask |= ticked[position]
        else:
            lookup = np.zeros(len(target.options) + 1, dtype=bool)  # last slot catches position -1
            lookup[[target.codes.index(code) for code in condition.codes]] = True
            mask = lookup[self.positions(target, keep=True)]
        upstream = self.in_universe(target)
        if upstream is not None:
            mask &= upstream
        self.universes[question.id] = mask
        return mask


def _grouped(groups: np.ndarray | None, n_groups: int, keys: np.ndarray, n_keys: int, valid: np.ndarray) -> np.ndarray:
    """Counts of (group, key) pairs among valid respondents, as an n_groups × n_keys matrix."""
    if groups is None:
        return np.bincount(keys[valid], minlength=n_keys).reshape(1, n_keys)
    valid = valid & (groups >= 0)
    combined = groups[valid].astype(np.int64) * n_keys + keys[valid]
    return np.bincount(combined, minlength=n_groups * n_keys).reshape(n_groups, n_keys)


def _count_single(answers: _Answers, task: Task, groupings: list) -> dict:
    positions = answers.positions(task.question)
    valid = positions >= 0
    universe = answers.in_universe(task.question)
    if universe is not None:
        valid &= universe
    n_options = len(task.question.options)
    # Each category sums the option columns it covers (one for an option, several for a net).
    members = np.zeros((n_options, len(task.categories)), dtype=np.int64)
    for column, category in enumerate(task.categories):
        for code in category.codes:
            members[task.question.codes.index(code), column] = 1
    result = {}
    for breakdown_id, groups, codes in groupings:
        hist = _grouped(groups, len(codes), positions, n_options, valid)
        result[breakdown_id] = (hist.sum(axis=1), hist @ members)
    return result


def _count_multi(answers: _Answers, task: Task, groupings: list) -> dict:
    ticked, valid = answers.ticks(task.question)
    universe = answers.in_universe(task.question)
    if universe is not None:
        valid &= universe
    codes = task.question.codes
    result = {}
    if len(codes) <= MAX_PATTERN_OPTIONS:
        # One key per respondent: the bit pattern of ticked options; categories are read off the pattern histogram.
        patterns = np.zeros(len(valid), dtype=np.int32)
        for bit, mask in enumerate(ticked):
            patterns |= mask.astype(np.int32) << bit
        n_patterns = 1 << len(codes)
        every = np.arange(n_patterns)
        members = np.zeros((n_patterns, len(task.categories)), dtype=np.int64)
        for column, category in enumerate(task.categories):
            bits = sum(1 << codes.index(code) for code in category.codes)
            members[:, column] = (every & bits) != 0
        for breakdown_id, groups, group_codes in groupings:
            hist = _grouped(groups, len(group_codes), patterns, n_patterns, valid)
            result[breakdown_id] = (hist.sum(axis=1), hist @ members)
        return result
    chosen = []
    for category in task.categories:
        mask = np.zeros(len(valid), dtype=bool)
        for code in category.codes:
            mask |= ticked[codes.index(code)]
        chosen.append(mask & valid)
    for breakdown_id, groups, group_codes in groupings:
        n_groups = len(group_codes)
        if groups is None:
            bases = np.array([np.count_nonzero(valid)])
            cells = np.array([[np.count_nonzero(mask) for mask in chosen]])
        else:
            in_group = groups >= 0
            bases = np.bincount(groups[valid & in_group], minlength=n_groups)
            cells = np.stack([np.bincount(groups[mask & in_group], minlength=n_groups) for mask in chosen], axis=1)
        result[breakdown_id] = (bases, cells)
    return result


def count(codebook: Codebook, frame: pd.DataFrame, tasks: list[Task]) -> dict[str, Counts]:
    """Bases and counts for every task of one population."""
    answers = _Answers(codebook, frame)
    counts: dict[str, Counts] = {}
    for task in tasks:
        groupings = [(TOTAL, None, (None,))]
        for breakdown in task.breakdowns:
            groupings.append((breakdown.id, answers.groups(breakdown), breakdown.codes))
        counter = _count_multi if task.question.type == "multi" else _count_single
        raw = counter(answers, task, groupings)
        counts[task.indicator.id] = {
            breakdown_id: {
                code: (int(bases[row]), tuple(int(cell) for cell in cells[row])) for row, code in enumerate(codes)
            }
            for (breakdown_id, _, codes), (bases, cells) in zip(groupings, raw.values(), strict=True)
        }
    return counts


def _nullable(arrow_type: pa.DataType) -> object:
    """Integer Parquet columns become pandas nullable integers, as load.py gives them."""
    if pa.types.is_integer(arrow_type):
        return pd.api.types.pandas_dtype(str(arrow_type).replace("int", "Int").replace("uInt", "UInt"))
    return None


def read_checked_parquet(codebook: Codebook, population: str, path: Path) -> pd.DataFrame:
    """Checks a Parquet file in SQL (as the DuckDB engine does) and reads it into a frame with nullable ints."""
    from surveypress.engines import duckdb_engine

    duckdb_engine.check_parquet(codebook, population, path)
    return pq.read_table(path).to_pandas(types_mapper=_nullable)
