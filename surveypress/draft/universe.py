"""Universes read off the data, for `surveypress init` from SPSS, Stata and data files.

Takes: the draft's questions in file order and their microdata columns (text, "" = not asked).
Gives: for each question some respondents left empty, the nearest earlier question whose answers say exactly who
answered it (`question.universe`, marked as inferred for a person to confirm), or a TODO note and its blanks written
as the no-answer code; the converted data file's columns read one at a time (`ParquetColumns`).

It stays linear in the number of questions: instead of trying every earlier question against every question with
blanks, each question files the fingerprints of the respondent sets its answers pick out (`CHOICE_SETS`), and a
question with blanks looks its own set up among them; only the questions found there are checked exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from surveypress.i18n import _

if TYPE_CHECKING:
    from surveypress.draft.model import Draft, Question

# A question with at most this many answer codes files every combination of them (2**6 - 1 = 63 sets); one with
# more files each code alone, all codes but one, and all codes: a filter question has few answers.
ALL_COMBINATIONS_UP_TO = 6
FINGERPRINT_SEED = 20221  # fixed, so a draft is the same on every run
MASK64 = 2**64 - 1


def infer_universes(draft: Draft) -> None:
    """For a question left empty for some respondents, the nearest earlier question whose answers say exactly who
    was asked. What is found is marked as inferred; what is not is written as no answer (`no_answer_columns`)
    and noted for a person."""
    assert draft.microdata is not None
    columns = Columns(draft.microdata, draft.no_answer)
    size = len(draft.microdata["respondent_id"])
    weights = np.random.default_rng(FINGERPRINT_SEED).integers(0, MASK64, size, dtype=np.uint64, endpoint=True)
    filed: dict[int, list[int]] = {}  # fingerprint of a respondent set -> earlier questions whose answers pick it
    for index, question in enumerate(draft.questions):
        answered = ~columns.empty(_columns_of(question)[0])
        if not answered.all():
            _look_up(draft, index, answered, filed.get(_fingerprint(weights, answered), []), columns)
        for fingerprint in _choice_fingerprints(question, columns, weights):
            filed.setdefault(fingerprint, []).append(index)


def _look_up(draft: Draft, index: int, answered: np.ndarray, candidates: list[int], columns: Columns) -> None:
    question = draft.questions[index]
    for earlier in reversed(candidates):
        target = draft.questions[earlier]
        found = _universe_from(target, answered, columns)
        if found is not None:
            question.universe = (target.id, found)
            question.universe_note = f"inferred from the data: answered exactly when {target.id} is {found}"
            return
    # The build reads an empty cell as "not asked", which a question without a universe cannot be: the blanks are
    # written as the no-answer code, so the first build runs, and the note says how to undo it.
    question.universe_note = "TODO: some respondents have no answer here (written as no answer); say who was asked"
    question.blank_is_no_answer = True
    draft.notes.append(
        _(
            "{question}: left empty by some respondents, and no earlier question explains it; written as no answer"
            " ({code}). If they were not asked, give the question a universe and leave their cells empty"
        ).format(question=question.id, code=draft.no_answer)
    )


class Columns:
    """The microdata's columns as whole numbers and blank masks, made when asked (one column at a time in memory)."""

    def __init__(self, microdata: dict[str, pa.Array], no_answer: int) -> None:
        self.microdata = microdata
        self.no_answer = no_answer

    def empty(self, column: str) -> np.ndarray:
        return pc.equal(self.microdata[column], "").to_numpy(zero_copy_only=False)

    def codes(self, column: str) -> np.ndarray:
        # The codes were checked against the labels, so every non-empty cell is a whole number; blank reads as 0.
        values = self.microdata[column]
        return pc.cast(pc.if_else(pc.equal(values, ""), "0", values), pa.int64()).to_numpy(zero_copy_only=False)


def _columns_of(question: Question) -> list[str]:
    if question.type == "multi":
        return [f"{question.id}_{option.code}" for option in question.options]
    return [question.id]


def _fingerprint(weights: np.ndarray, mask: np.ndarray) -> int:
    """A respondent set as one number: the sum (modulo 2**64) of random weights of its members."""
    return int(weights[mask].sum(dtype=np.uint64))


def _choice_fingerprints(question: Question, columns: Columns, weights: np.ndarray) -> set[int]:
    """Fingerprints of the respondent sets that choosing some of the question's answers picks out."""
    if question.type == "numeric":
        return set()  # raw numbers, not answers a universe is made of
    if question.type == "multi":
        ticked = [columns.codes(column) == 1 for column in _columns_of(question)]
        ticked = [mask for mask in ticked if mask.any()]
        return {_fingerprint(weights, np.logical_or.reduce(chosen)) for chosen in _code_sets(ticked)}
    values = columns.codes(question.id)
    chosen = (values > 0) & (values != columns.no_answer)
    # One sum per answer code: sort the respondents by their code, then add up each run.
    order = np.argsort(values[chosen], kind="stable")
    codes = values[chosen][order]
    if not len(codes):
        return set()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sums = [int(total) for total in np.add.reduceat(weights[chosen][order], starts)]
    return {sum(group) & MASK64 for group in _code_sets(sums)}


def _code_sets(items: list) -> list[tuple]:
    """The combinations of a question's answers whose respondent sets are filed (see ALL_COMBINATIONS_UP_TO)."""
    if len(items) <= ALL_COMBINATIONS_UP_TO:
        return [group for size in range(1, len(items) + 1) for group in combinations(items, size)]
    singles = [(item,) for item in items]
    all_but_one = [tuple(items[:position] + items[position + 1 :]) for position in range(len(items))]
    return [*singles, *all_but_one, tuple(items)]


def _universe_from(target: Question, answered: np.ndarray, columns: Columns) -> list[int] | None:
    """The codes of `target` whose choice says exactly who answered, or None when no choice does."""
    if target.type == "multi":
        ticked = {o.code: columns.codes(f"{target.id}_{o.code}") == 1 for o in target.options}
        codes = [code for code, mask in ticked.items() if mask.any() and answered[mask].all()]
        if not codes:
            return None
        chose = np.logical_or.reduce([ticked[code] for code in codes])
    else:
        values, blank = columns.codes(target.id), columns.empty(target.id)
        no_answer = columns.no_answer
        codes = sorted({int(v) for v in np.unique(values[answered & ~blank]) if v != no_answer and v > 0})
        if not codes or (answered & (blank | (values == no_answer))).any():
            return None
        chose = ~blank & np.isin(values, codes)
    return codes if np.array_equal(chose, answered) else None


def no_answer_columns(draft: Draft) -> list[str]:
    """The microdata columns whose empty cells are written as the no-answer code (`Question.blank_is_no_answer`)."""
    return [column for question in draft.questions if question.blank_is_no_answer for column in _columns_of(question)]


class ParquetColumns(Mapping):
    """The converted microdata's columns as text ('' = not asked), read one at a time from the scratch Parquet file:
    what `init_universe.infer_universes` reads, without holding the whole file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.names = pq.ParquetFile(path).schema_arrow.names

    def __getitem__(self, column: str) -> pa.ChunkedArray:
        if column not in self.names:
            raise KeyError(column)
        values = pq.read_table(self.path, columns=[column]).column(0)
        return pc.fill_null(values.cast(pa.string()), "")

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)
