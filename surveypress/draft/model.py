"""What `surveypress init` drafts, whatever the source: the draft (questions, options, pages), its names and limits,
and the choices every source shares (ids, multiple-choice columns, pages of charts, which questions get a chart).
init.py drafts from SPSS, Stata and XLSForm files, draft/data.py from data files; both fill a `Draft`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from surveypress import i18n, languages
from surveypress.content import MAX_NAME_CHARACTERS, MAX_QUESTIONS
from surveypress.draft.project import say

NO_ANSWER = -9
# Limits, in one place (README "Your own survey" and ARCHITECTURE.md "surveypress init" state them): far past what a
# real survey needs, reached only by a broken or hostile file, and keeping the drafted site quick to build.
# A file with more variables is refused: the largest surveys have a few thousand (a DHS recode about 5,000). Drafting
# is linear, about 1 s of a core per 1,000 variables, so at most 10,000 keep init near 10 s; 20,000 took 21 s. The
# same number as a codebook's questions (content/codebook.py), so that whatever init drafts, build reads.
MAX_VARIABLES = MAX_QUESTIONS
MAX_CHART_OPTIONS = 30  # a question with more answers gets its table but no drafted chart (bars past 30 are unread)
MAX_DRAFTED_CHARTS = 300  # charts drafted in all (300 draw in about 30 s); later questions get their tables only
MAX_CHARTS_PER_PAGE = 50  # an XLSForm group with more questions shows the first 50 charts
QUESTIONS_PER_PAGE = 10  # SPSS and Stata files have no groups: their charts go ten to a page
MAX_NAME = MAX_NAME_CHARACTERS  # ids and page names are file names: longer ones are cut and given a hash
CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
ID_NAMES = ("respondent_id", "id", "caseid", "case_id", "respid", "resp_id", "key", "_uuid", "instanceid", "_id")
MULTI_COLUMN = re.compile(r"^(?P<question>.+)_(?P<code>[0-9]+)$")
LABEL_SEPARATORS = ":\uff1a-\u2014_|/ "  # ASCII and full-width colon, dashes, bars, slashes, space


@dataclass
class Option:
    code: int
    labels: dict[str, str]


@dataclass
class Question:
    id: str
    type: str  # single | scale | multi | numeric
    text: dict[str, str]
    options: list[Option]
    group: str
    universe: tuple[str, list[int]] | None = None
    universe_note: str = ""
    blank_is_no_answer: bool = False  # left empty by some, explained by no universe: written as the no-answer code
    charted: bool = False  # whether init drafts a chart for it (_choose_charts)
    choice_names: dict[str, int] = field(default_factory=dict)  # XLSForm choice name -> code
    numeric: dict[str, Any] | None = None  # numeric questions: range, decimals, bands (the options are the bands)


@dataclass
class Draft:
    source: Path
    source_name: str
    population: str
    name: str
    languages: list[str]
    title: dict[str, str]
    questions: list[Question]
    groups: dict[str, dict[str, str]]  # group id -> title by language, in page order
    no_answer: int = NO_ANSWER
    microdata: Mapping[str, pa.Array] | None = None  # codebook columns as text (SPSS/Stata and data files)
    microdata_file: Path | None = None  # the converted microdata already written to a scratch file (init_data)
    workspace: Any = None  # what keeps that scratch file (a TemporaryDirectory) while the draft lives
    notes: list[str] = field(default_factory=list)  # what init left out or guessed, for the person to check


# ---------------------------------------------------------------------------------------------------------------
# Names and languages.


def identifier(text: str, fallback: str = "q") -> str:
    """A lower_snake_case id (the codebook's id pattern) from a variable or file name; accents dropped (Région ->
    region), other letters outside a-z become `_`."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    name = re.sub(r"[^a-z0-9_]+", "_", plain.strip().lower()).strip("_")
    name = re.sub(r"_+", "_", name)
    if not name or not name[0].isalpha():
        name = f"{fallback}_{name}".strip("_")
    return short_name(name)


def short_name(name: str, separator: str = "_") -> str:
    """A name that fits in a file name everywhere: past MAX_NAME characters, its start and a hash of the whole."""
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: MAX_NAME - len(digest) - 1].rstrip('_-')}{separator}{digest}"


class Names:
    """Hands out unique names: a name taken before gets _2, _3, ... (its start cut to keep within MAX_NAME)."""

    def __init__(self, separator: str = "_") -> None:
        self.separator = separator
        self.taken: set[str] = set()
        self.next_number: dict[str, int] = {}

    def take(self, name: str) -> str:
        unique, number = name, self.next_number.get(name, 2)
        while unique in self.taken:
            suffix = f"{self.separator}{number}"
            unique, number = f"{name[: MAX_NAME - len(suffix)]}{suffix}", number + 1
        self.next_number[name] = number
        self.taken.add(unique)
        return unique


def language_of(texts: Sequence[str]) -> str:
    """The language labels are written in, as far as init can tell from their characters: a language the engine has
    a catalogue for, written in the CJK script they use (Chinese characters: zh-Hans), else English."""
    shipped = [folder.replace("_", "-") for folder in i18n.available()]
    return languages.written_in(list(texts), shipped)


def in_languages(text: str, language: str, languages: list[str]) -> dict[str, str]:
    """A label in every declared language: the source's text in its own language, a TODO in the others."""
    known = language if language in languages else languages[0]
    return {tag: text if tag == known else f"{say('todo', tag)}: {text}" for tag in languages}


# ---------------------------------------------------------------------------------------------------------------
# SPSS and Stata.


def _multi_columns(
    names: list[str],
    columns: dict[str, pa.Array],
    value_labels: dict[str, dict[float, str]],
    used: set[str],
    no_answer: str,
) -> dict[str, tuple[str, list[tuple[str, int]]]]:
    """0/1 variables named `<question>_<code>` (two or more per question) -> {first variable: (question, members)}."""
    by_prefix: dict[str, list[tuple[str, int]]] = {}
    for column in names:
        match = MULTI_COLUMN.match(column)
        if column in used or not match or int(match["code"]) <= 0:
            continue
        if set(value_labels.get(column, {})) - {0.0, 1.0}:
            continue
        if set(pc.unique(columns[column]).to_pylist()) - {"", "0", "1", no_answer}:
            continue
        by_prefix.setdefault(match["question"], []).append((column, int(match["code"])))
    return {members[0][0]: (prefix, members) for prefix, members in by_prefix.items() if len(members) >= 2}


def _groups_of_ten(draft: Draft, language: str) -> dict[str, dict[str, str]]:
    """SPSS and Stata files have no question groups: pages of QUESTIONS_PER_PAGE charted questions in file order."""
    groups: dict[str, dict[str, str]] = {}
    charted = [question for question in draft.questions if question.charted]
    count = (len(charted) + QUESTIONS_PER_PAGE - 1) // QUESTIONS_PER_PAGE
    for index, question in enumerate(charted):
        number = index // QUESTIONS_PER_PAGE + 1
        page = "questions" if count == 1 else f"questions-{number}"
        question.group = page
        suffix = "" if count == 1 else f" {number}"
        groups.setdefault(page, {tag: say("questions", tag) + suffix for tag in draft.languages})
    return groups


def _choose_charts(draft: Draft) -> None:
    """A chart for each question, in file order, within the limits (MAX_CHART_OPTIONS, MAX_DRAFTED_CHARTS,
    MAX_CHARTS_PER_PAGE); the questions left without one keep their indicator and table, and a note names them."""
    left_out: dict[str, list[str]] = {}
    on_page: dict[str, int] = {}
    total = 0
    for question in draft.questions:
        if len(question.options) > MAX_CHART_OPTIONS:
            reason = f"more than {MAX_CHART_OPTIONS} options"
        elif total >= MAX_DRAFTED_CHARTS:
            reason = f"past the first {MAX_DRAFTED_CHARTS} charts"
        elif question.group and on_page.get(question.group, 0) >= MAX_CHARTS_PER_PAGE:
            reason = f"past the first {MAX_CHARTS_PER_PAGE} charts of page {question.group}"
        else:
            question.charted = True
            total += 1
            on_page[question.group] = on_page.get(question.group, 0) + 1
            continue
        left_out.setdefault(reason, []).append(question.id)
    for reason, ids in left_out.items():
        named = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        draft.notes.append(
            f"{named}: {reason}, so no chart was drafted (the indicator and its table are);"
            " add a chart to charts.yml and a page to show one"
        )
