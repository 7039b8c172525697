"""Answers as option texts, and multi-select questions exported as one cell: what applies to every input format.

Takes: a microdata file's text columns, read by its format (`surveypress.formats`), and how publication.yml says to
read it (`content.Source`: answers, multi_separator).
Gives: the columns as the codebook defines them (`answers_to_codes`): option texts turned into the codebook's codes,
and one cell listing the chosen options split into 0/1 option columns, so every later check and message is the one a
CSV of codes gets. How the source tool numbers its respondents (`Rows`) is the format's.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from surveypress.content import Codebook, Question, Source
from surveypress.errors import InputError
from surveypress.formats.base import CASES, SPREADSHEET_ROWS, Rows, SourceTable
from surveypress.microdata.rules import FORMULA_CODE_HINT, Problem, formula_cells, raise_earliest

# An answer given as text is a cell of the input file, published as it is under release: full.
FORMULA_ANSWER = "an answer that does not start with =, +, - or @"

__all__ = ["CASES", "SPREADSHEET_ROWS", "Rows", "SourceTable", "answers_to_codes", "source_columns"]

# Characters people or platforms put around an answer: NFKC turns full-width and no-break spaces into spaces.
SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------------------------
# Answers as option texts, and multi-select questions in one cell.


def source_columns(codebook: Codebook, population: str, source: Source) -> list[str]:
    """The header the file must have: the codebook's columns (id, design columns, questions), with each multi question
    in one column when the file declares a `multi_separator`."""
    design = codebook.populations[population].design
    columns = ["respondent_id", *(design.columns() if design else [])]
    for question in codebook.questions_of(population):
        multi_in_one = question.type == "multi" and source.multi_separator is not None
        columns.extend([question.id] if multi_in_one else question.columns())
    return columns


def normalise(text: str) -> str:
    """An answer text compared as a reader sees it: NFKC (full-width letters, digits and spaces become plain), runs of
    spaces as one, no spaces around, case ignored."""
    return SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def option_texts(question: Question, codebook_file: str = "codebook.yml") -> dict[str, int]:
    """Normalised label -> code, over every language the codebook gives the options in."""
    texts: dict[str, int] = {}
    for option in question.options:
        for label in dict.fromkeys(option.texts.values()):
            key = normalise(label)
            if texts.get(key, option.code) != option.code:
                raise InputError(
                    codebook_file,
                    "option labels that differ within a question once width, spaces and case are ignored",
                    column=f"question {question.id}",
                    value=label,
                    hint=f"Options {texts[key]} and {option.code} read the same, so an answer text cannot tell them"
                    " apart",
                )
            texts[key] = option.code
    return texts


def answers_to_codes(
    columns: dict[str, pa.Array], codebook: Codebook, population: str, source: Source, name: str, rows: Rows
) -> dict[str, pa.Array]:
    """Columns as the codebook defines them: option texts mapped to codes (`answers: text`) and multi-select cells
    split into 0/1 option columns (`multi_separator`). Without either, the columns come back unchanged."""
    if source.answers != "text" and source.multi_separator is None:
        return columns
    no_answer = str(codebook.no_answer)
    converted: dict[str, pa.Array] = {"respondent_id": columns["respondent_id"]}
    problems: list[Problem] = []
    order = 0
    for question in codebook.questions_of(population):
        order += 1
        as_text = source.answers == "text"
        texts = option_texts(question) if as_text else {}
        if as_text or (question.type == "multi" and source.multi_separator is not None):
            # Answers as texts (or lists) are cells of the input file, which release full publishes as it is.
            columns_here = (
                question.columns() if question.type != "multi" or source.multi_separator is None else [question.id]
            )
            problems += [
                problem for column in columns_here if (problem := _formula_answer(columns[column], column, order))
            ]
        if question.type != "multi" or source.multi_separator is None:
            for column in question.columns():
                if as_text and question.type != "multi":
                    converted[column], problem = _map_single(columns[column], column, order, question, texts, no_answer)
                    problems += [problem] if problem else []
                else:
                    converted[column] = columns[column]
            continue
        option_columns, problem = _split_multi(
            columns[question.id], question, order, texts, no_answer, source.multi_separator
        )
        converted.update(option_columns)
        problems += [problem] if problem else []
    raise_earliest(problems, name, rows)
    return converted


def _formula_answer(values: pa.Array, column: str, order: int) -> Problem | None:
    """The first answer cell a spreadsheet would run as a formula (text.runs_as_formula), as the ids' rule words it."""
    formulas = formula_cells(values).to_numpy(zero_copy_only=False)
    if not formulas.any():
        return None
    index = int(np.argmax(formulas))
    return Problem(
        index, order, column, values[index].as_py(), FORMULA_ANSWER, FORMULA_CODE_HINT.replace("code", "text")
    )


def _nearest(text: str, question: Question) -> str:
    """The option label closest to a text no label matches, for the error message."""
    labels = {normalise(label): label for option in question.options for label in option.texts.values()}
    close = difflib.get_close_matches(normalise(text), list(labels), n=1, cutoff=0)
    if not close:
        return ""
    label = labels[close[0]]
    code = next(o.code for o in question.options if label in o.texts.values())
    return f"The nearest label is {label!r} (code {code})"


def _expected_texts(question: Question, no_answer: str) -> str:
    return f"an option text of question {question.id} (in any language of the codebook), or {no_answer} (no answer)"


def _map_single(
    values: pa.Array, column: str, order: int, question: Question, texts: dict[str, int], no_answer: str
) -> tuple[pa.Array, Problem | None]:
    """Option texts -> codes; each distinct text is looked up once, so a million rows cost a few distinct lookups."""
    distinct = pc.unique(values).to_pylist()
    mapped: list[str | None] = []
    for text in distinct:
        if text in ("", no_answer):
            mapped.append(text)
        else:
            code = texts.get(normalise(text))
            mapped.append(None if code is None else str(code))
    result = pc.take(pa.array(mapped, pa.string()), pc.index_in(values, value_set=pa.array(distinct, pa.string())))
    unknown = pc.is_null(result).to_numpy(zero_copy_only=False)
    if not unknown.any():
        return result, None
    index = int(np.argmax(unknown))
    value = values[index].as_py()
    expected = _expected_texts(question, no_answer)
    return result, Problem(index, order, column, value, expected, _nearest(value, question))


def _split_multi(
    values: pa.Array, question: Question, order: int, texts: dict[str, int], no_answer: str, separator: str
) -> tuple[dict[str, pa.Array], Problem | None]:
    """One cell listing the chosen options -> one 0/1 column per option; empty stays empty (not asked) and the
    no-answer code fills every option column."""
    distinct = pc.unique(values).to_pylist()
    ticked: list[tuple[str, ...] | None] = []
    bad: set[str] = set()
    for cell in distinct:
        if cell in ("", no_answer):
            ticked.append((cell,) * len(question.options))
            continue
        chosen: set[int] = set()
        for part in cell.split(separator):
            if not normalise(part):
                continue  # "a┋b┋" ends with a separator
            code = _option_code(part, question, texts)
            if code is None:
                bad.add(cell)
                break
            chosen.add(code)
        ticked.append(tuple("1" if option.code in chosen else "0" for option in question.options))
    positions = pc.index_in(values, value_set=pa.array(distinct, pa.string()))
    columns = {}
    for i, column in enumerate(question.columns()):
        cells = pa.array([None if cell in bad else codes[i] for cell, codes in zip(distinct, ticked, strict=True)])
        columns[column] = pc.take(cells.cast(pa.string()), positions)
    if not bad:
        return columns, None
    unknown = pc.is_in(values, value_set=pa.array(sorted(bad), pa.string())).to_numpy(zero_copy_only=False)
    index = int(np.argmax(unknown))
    cell = values[index].as_py()
    part = next(p for p in cell.split(separator) if normalise(p) and _option_code(p, question, texts) is None)
    expected = (
        f"option texts of question {question.id} separated by {separator!r}"
        if texts
        else f"option codes of question {question.id} separated by {separator!r}"
    )
    hint = _nearest(part, question) if texts else f"The codes are {', '.join(str(c) for c in question.codes)}"
    return columns, Problem(index, order, question.id, part, expected, f"{hint}; the cell is {cell!r}")


def _option_code(part: str, question: Question, texts: dict[str, int]) -> int | None:
    """The code one listed option stands for: by its text when answers are texts, else as a code."""
    text = normalise(part)
    if texts:
        return texts.get(text)
    return int(text) if text.isdigit() and int(text) in question.codes else None
