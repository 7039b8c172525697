"""The codebook's rules for microdata, each declared once: what it refuses, its message, and its compiled forms.

Every engine applies the same rules. `load.py` checks a file read whole with pyarrow and numpy masks; the DuckDB
engine checks a streamed Parquet file in SQL; the pandas engine screens a Parquet file with numpy while it counts.
Each rule below gives all of them its test (an Arrow or numpy mask, the same test as an SQL expression and, where the
DuckDB engine screens counted combinations in Python, on one set of cells) and its message (`expected` and `hint` of
the `InputError`), so a rule and its wording cannot drift between the engines.
Which file a message names and how rows are numbered stays with the reader (`readers.Rows`).

`RULES` lists every rule with the engines that apply it; tests/test_rules.py checks that each is exercised by the
bad-input catalogue (tests/fixtures/bad_inputs/cases.yml, whose messages are the contract) on every engine.
Numeric questions' raw-value rules live in `numeric.py` and are referred to here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from surveypress.content import INVISIBLE_CATEGORIES, Codebook, Question
from surveypress.errors import InputError
from surveypress.microdata import numeric
from surveypress.text import FORMULA_STARTS
from surveypress.text import NUMBER as FORMULA_NUMBER

# A code: an optional minus and at most nine ASCII digits (anchored by each engine as its regex flavour needs).
INTEGER_TEXT = "-?[0-9]{1,9}"
FULL_WIDTH_DIGITS = re.compile("[\uff10-\uff19]")
# Characters people paste by accident around a code: ASCII and full-width spaces, no-break space, tabs.
STRAY_SPACE = re.compile(r"^[\s\u3000\u00a0]|[\s\u3000\u00a0]$")
# The characters an id must not hold (spec.INVISIBLE_CATEGORIES), as a class for RE2 (pyarrow and DuckDB).
INVISIBLE = "[" + "".join(rf"\p{{{category}}}" for category in INVISIBLE_CATEGORIES) + "]"
# What pyarrow's utf8_trim_whitespace trims (the Unicode White_Space characters), as RE2 for DuckDB.
WHITESPACE = r"[\t\n\v\f\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
FORMULA_START = "^[" + "".join({"\t": r"\t", "\r": r"\r"}.get(start, "\\" + start) for start in FORMULA_STARTS) + "]"


@dataclass(frozen=True)
class Rule:
    """One rule: its key, the engines that apply it, and a pattern every message it gives matches."""

    key: str
    about: str
    engines: tuple[str, ...]
    message: str  # a regular expression over the whole catalogued message (after the file, row and column)

    def gave(self, message: str) -> bool:
        return re.search(self.message, message) is not None


# The engines: load.py (a file read whole), the DuckDB engine's SQL (a streamed Parquet file) and the pandas
# engine's numpy screen of a Parquet file (which flags a file and leaves naming the cell to the SQL checks).
LOAD, SQL, SCREEN = "load", "duckdb", "pandas"
RULES = (
    Rule("missing_column", "every codebook column in the header", (LOAD, SQL), r"expected a column for every codebook"),
    Rule("extra_column", "no column the codebook lacks", (LOAD, SQL), r"expected only the columns the codebook"),
    Rule("blank_id", "an id in every row", (LOAD, SQL), r"expected a respondent id in every row"),
    Rule("padded_id", "ids without spaces around", (LOAD, SQL), r"expected a respondent id without leading"),
    Rule("invisible_id", "ids of visible characters", (LOAD, SQL), r"expected a respondent id of visible"),
    Rule("formula_id", "ids a spreadsheet does not run", (LOAD, SQL), r"expected a respondent id that does not"),
    Rule("repeated_id", "each id once", (LOAD, SQL), r"expected each respondent id once"),
    Rule("malformed_code", "codes are whole numbers", (LOAD, SQL), r"expected one of the codes .*\. The value"),
    Rule(
        "unknown_code",
        "codes of the question",
        (LOAD, SQL, SCREEN),
        r"expected one of the codes [^.]*(\. Out of range for this scale)?$",
    ),
    Rule("multi_cell", "multi cells 0, 1 or no answer", (LOAD, SQL, SCREEN), r"expected 0 \(not ticked\)"),
    Rule("outside_universe", "empty outside the universe", (LOAD, SQL, SCREEN), r"expected an empty cell, because"),
    Rule("inside_universe", "answered inside the universe", (LOAD, SQL, SCREEN), r"expected a code or the no-answer"),
    Rule("half_answered", "multi all no answer or none", (LOAD, SQL, SCREEN), r"expected either .* in every option"),
    Rule(
        "numeric_value",
        "numeric raw values",
        (LOAD, SQL, SCREEN),
        r"expected a (whole number|number with at most \d+ decimals) from .* for question",
    ),
)


# --- Columns ------------------------------------------------------------------------------------------------------


def check_columns(found: list[str], expected: list[str], population: str, name: str) -> None:
    """Exactly the codebook's columns (any order): a missing one first, then one the codebook does not define."""
    # Sets to look in: a list scanned per column was quadratic (seconds at 5,000 columns).
    found_set, expected_set = set(found), set(expected)
    missing = [column for column in expected if column not in found_set]
    extra = [column for column in found if column not in expected_set]
    if not missing and not extra:
        return
    # A name that matches once its spaces are removed is a typo worth saying so.
    for column in extra:
        if column.strip() != column and column.strip() in missing:
            raise InputError(
                name,
                f"the column name {column.strip()!r}",
                row=1,
                column=column.strip(),
                value=column,
                hint="The name contains stray spaces",
            )
    if missing:
        raise InputError(
            name,
            f"a column for every codebook question of population '{population}'",
            row=1,
            column=missing[0],
            value=None,
            hint=f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
            + (f"; columns not in the codebook: {', '.join(extra)}" if extra else ""),
        )
    raise InputError(
        name,
        f"only the columns the codebook defines for population '{population}'",
        row=1,
        column=extra[0],
        value=extra[0],
        hint=f"Column{'s' if len(extra) > 1 else ''} not in the codebook: {', '.join(extra)}",
    )


# --- Respondent ids -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdRule:
    """A rule on one id: `arrow(ids)` is the mask of ids that break it, `sql(column)` the same test in DuckDB."""

    expected: str
    arrow: Callable[[pa.Array], pa.Array]
    sql: Callable[[str], str]
    hint: Callable[[str], str] = lambda value: ""


def formula_cells(ids: pa.Array) -> pa.Array:
    """Mask of text cells a spreadsheet would run as a formula: text.runs_as_formula over a column."""
    starts = pc.starts_with(ids, FORMULA_STARTS[0])
    for start in FORMULA_STARTS[1:]:
        starts = pc.or_(starts, pc.starts_with(ids, start))
    return pc.and_(starts, pc.invert(pc.match_substring_regex(ids, FORMULA_NUMBER.pattern)))


def _invisible_hint(value: str) -> str:
    found = next(c for c in value if unicodedata.category(c) in INVISIBLE_CATEGORIES)
    return (
        f"The id contains the invisible character U+{ord(found):04X}; an id with one looks like another id or like a "
        "blank"
    )


# In the order load.py looks for them: every row for blank ids before any row for padded ones, and so on.
ID_RULES = (
    IdRule(
        "a respondent id in every row",
        lambda ids: pc.equal(pc.utf8_trim_whitespace(ids), ""),
        lambda ids: f"{ids} IS NULL OR regexp_full_match({ids}, '{WHITESPACE}*')",
    ),
    IdRule(
        "a respondent id without leading or trailing spaces",
        lambda ids: pc.not_equal(pc.utf8_trim_whitespace(ids), ids),
        lambda ids: f"regexp_matches({ids}, '^{WHITESPACE}|{WHITESPACE}$')",
        lambda value: "The id contains stray spaces",
    ),
    IdRule(
        "a respondent id of visible characters",
        lambda ids: pc.match_substring_regex(ids, INVISIBLE),
        lambda ids: f"regexp_matches({ids}, '{INVISIBLE}')",
        _invisible_hint,
    ),
    IdRule(
        "a respondent id that does not start with =, +, - or @",
        formula_cells,
        lambda ids: (
            f"(regexp_matches({ids}, '{FORMULA_START}') AND NOT "
            f"regexp_full_match({ids}, '{FORMULA_NUMBER.pattern.replace(chr(39), chr(39) * 2)}'))"
        ),
        lambda value: (
            "A spreadsheet opening the published file would run it as a formula; the microdata file is "
            "published as it is, so change the id (e.g. R-001)"
        ),
    ),
)
# A stratum or PSU code is published too (in the microdata and the public-use file): the same rule as an id's.
FORMULA_CODE_HINT = (
    "A spreadsheet opening the published file would run it as a formula; the microdata file is published as it is, "
    "so change the code"
)
REPEATED_ID = "each respondent id once"


def id_screen_sql(ids: str) -> str:
    """SQL true for every id that some rule of ID_RULES refuses (and for a few they accept: numbers with a sign),
    as one regular expression: an engine screens a file's ids in one pass and runs the rules only when it matches."""
    pattern = f"^{WHITESPACE}*$|^{WHITESPACE}|{WHITESPACE}$|{INVISIBLE}|{FORMULA_START}"
    return f"{ids} IS NULL OR regexp_matches({ids}, '{pattern}')"


def repeated_id_hint(row_label: str, earlier_row: int) -> str:
    return f"The same id is on {row_label} {earlier_row}"


# --- Codes --------------------------------------------------------------------------------------------------------


def allowed(question: Question, no_answer: int) -> tuple[int, ...]:
    """The values a cell of the question may hold when answered: its codes (0 and 1 for a multi option), no answer."""
    return (0, 1, no_answer) if question.type == "multi" else (*question.codes, no_answer)


def codes_expected(question: Question, no_answer: int) -> str:
    if question.numeric is not None:
        return numeric.expected(question, no_answer)
    if question.type == "multi":
        return f"0 (not ticked), 1 (ticked) or {no_answer} (no answer)"
    codes = ", ".join(str(code) for code in question.codes)
    return f"one of the codes {codes} of question {question.id}, or {no_answer} (no answer)"


def unknown_code_hint(question: Question) -> str:
    return "Out of range for this scale" if question.type == "scale" else ""


def unknown_codes(values: np.ndarray, empty: np.ndarray, question: Question, no_answer: int) -> np.ndarray:
    """Mask of answered cells holding a value the question does not allow."""
    return ~empty & ~np.isin(values, np.array(allowed(question, no_answer), dtype=values.dtype))


def unknown_codes_sql(value: str, question: Question, no_answer: int) -> str:
    """The same test in SQL, on a cell given as an integer expression (NULL = empty)."""
    return f"{value} IS NOT NULL AND {value} NOT IN ({', '.join(str(int(c)) for c in allowed(question, no_answer))})"


def malformed_sql(text: str) -> str:
    """SQL true for a text cell that is neither empty nor a whole number (`INTEGER_TEXT`); `text` is VARCHAR."""
    return f"({text} <> '' AND NOT regexp_full_match({text}, '{INTEGER_TEXT}'))"


def malformed_hint(value: str) -> str:
    """Why a cell that is not an integer is wrong, as specifically as the text allows."""
    if FULL_WIDTH_DIGITS.search(value):
        digit = FULL_WIDTH_DIGITS.search(value).group()
        return f"The value contains a full-width digit ({digit!r}); type ASCII digits 0-9"
    if STRAY_SPACE.search(value):
        return "The value contains stray spaces before or after the code"
    if re.fullmatch(r"-?[0-9]+\.[0-9]*", value):
        return "The value has a decimal point; codes are whole numbers"
    return "The value is not a whole number"


# --- Universes ----------------------------------------------------------------------------------------------------


def universe_text(question: Question, codebook: Codebook) -> str:
    """Who is asked the question, as the universe messages say it."""
    universe = question.universe
    if universe is None:
        return "asked of everyone"
    target = codebook.questions[universe.question]
    codes = " or ".join(str(code) for code in universe.codes)
    if target.type == "multi":
        return f"asked only of respondents who ticked option {codes} of {target.id}"
    return f"asked only of respondents whose {target.id} is {codes}"


def outside_universe(question: Question, codebook: Codebook) -> str:
    return f"an empty cell, because this respondent is outside the universe ({universe_text(question, codebook)})"


def inside_universe(question: Question, codebook: Codebook) -> str:
    return (
        f"a code or the no-answer code {codebook.no_answer}, because this respondent is inside the universe"
        f" ({universe_text(question, codebook)})"
    )


def misplaced(empty: np.ndarray, asked: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(answered outside the universe, empty inside it); `asked` None means everyone is asked."""
    if asked is None:
        return np.zeros(len(empty), dtype=bool), empty
    return ~asked & ~empty, asked & empty


def misplaced_cell(cell: int | None, asked: bool) -> bool:
    """The same test on one cell (None when empty), as the DuckDB screen applies it to counted combinations."""
    return (cell is None) == asked


def misplaced_sql(column: str, asked: str) -> tuple[str, str]:
    """The same two tests in SQL: `asked` is true exactly inside the universe, `column` NULL when empty."""
    return f"NOT ({asked}) AND {column} IS NOT NULL", f"({asked}) AND {column} IS NULL"


def half_answered(question: Question, no_answer: int) -> str:
    return f"either {no_answer} (no answer) in every option column of {question.id} or 0/1 in every one"


def half_answered_mask(no_answers: list[np.ndarray], answered: np.ndarray) -> np.ndarray:
    """Respondents who answered a multi question with the no-answer code in some option cells but not all."""
    return answered & np.logical_or.reduce(no_answers) & ~np.logical_and.reduce(no_answers)


def half_answered_cells(cells: list[int | None], no_answer: int) -> bool:
    """The same test on one answered respondent's option cells (or one counted combination of them)."""
    return no_answer in cells and set(cells) != {no_answer}


def half_answered_sql(cells: list[str], no_answer: int) -> str:
    listed = ", ".join(cells)
    return f"coalesce(least({listed}) = {no_answer} AND greatest({listed}) <> {no_answer}, FALSE)"


# --- Reporting ----------------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """A refused cell found by a whole-column check, kept until every column is checked: the earliest is raised."""

    index: int  # 0-based respondent index
    order: int  # column position, to break ties between columns on the same row
    column: str
    value: object
    expected: str
    hint: str = ""


def raise_earliest(problems: list[Problem], name: str, rows) -> None:
    """Raises the problem on the earliest row (then column); `rows` numbers respondents (`readers.Rows`)."""
    if problems:
        problem = min(problems, key=lambda p: (p.index, p.order))
        raise InputError(
            name,
            problem.expected,
            row=problem.index + rows.first,
            column=problem.column,
            value=problem.value,
            hint=problem.hint,
            row_label=rows.label,
        )
