"""codebook.yml: questions, options, bands, universes; each population's file, source and design."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

from surveypress.content import models
from surveypress.content.labels import Option, label_texts
from surveypress.content.meta import ANSWERS, Design, Source
from surveypress.content.names import ID_PATTERN, require_name
from surveypress.content.paths import safe_path
from surveypress.content.validation import validated
from surveypress.content.yaml import line_of, read_yaml
from surveypress.errors import InputError
from surveypress.languages import DEFAULT_LANGUAGES, Label

# The question types, read off codebook.yml's model.
# A codebook with more questions is refused before any is read: the largest surveys have a few thousand (a DHS recode
# about 5,000, which builds in about half a minute); past ten thousand, a build runs for minutes on tables nobody reads,
# which only a broken or hostile file asks for. `init` holds a data file to the same number of variables.
MAX_QUESTIONS = 10_000
QUESTION_TYPES = get_args(models.Question.model_fields["type"].annotation)


# A microdata file given as a plain path: read with the defaults (no sheet named, option codes, a column per option).
PLAIN_SOURCE = Source.model_construct(path="")


@dataclass(frozen=True)
class Universe:
    """Who was asked: respondents whose answer to `question` is one of `codes` (any ticked, for multi)."""

    question: str
    codes: tuple[int, ...]


@dataclass(frozen=True)
class Band:
    """One band of a numeric question: raw values in [low, below); the last band also holds the range's maximum."""

    code: int
    low: Decimal
    below: Decimal | None  # None for the last band: up to and including the range's maximum


@dataclass(frozen=True)
class Numeric:
    """What a numeric question's raw value may be, and the bands (its options) the tables count."""

    minimum: Decimal
    maximum: Decimal
    decimals: int
    unit: Label
    bands: tuple[Band, ...]

    @property
    def scale(self) -> int:
        """Raw values times this are whole numbers: the engines and the summary work on those, exactly."""
        return 10**self.decimals

    def scaled(self, value: Decimal) -> int:
        return int(value * self.scale)


@dataclass(frozen=True)
class Question:
    id: str
    population: str
    type: str
    text: Label
    options: tuple[Option, ...]
    universe: Universe | None
    # Only for type numeric: range, unit and bands; `options` then holds the bands' codes and labels.
    numeric: Numeric | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(option.code for option in self.options)

    def option(self, code: int) -> Option:
        for option in self.options:
            if option.code == code:
                return option
        raise KeyError(code)

    def columns(self) -> list[str]:
        """The microdata columns that hold this question's answers."""
        if self.type == "multi":
            return [f"{self.id}_{option.code}" for option in self.options]
        return [self.id]

    @property
    def whole_numbers(self) -> bool:
        """Whether its columns hold whole numbers only: codes, 0/1 ticks, or a numeric question without decimals.
        The data package declares such a column integer, and every released file writes it so (`7`, never `7.0`)."""
        return self.numeric is None or self.numeric.decimals == 0


@dataclass(frozen=True)
class Population:
    id: str
    title: Label
    microdata: Path
    quasi_identifiers: tuple[str, ...] = ()
    source: Source = PLAIN_SOURCE
    design: Design | None = None


@dataclass(frozen=True)
class Codebook:
    no_answer: int
    populations: dict[str, Population]
    questions: dict[str, Question]

    def questions_of(self, population: str) -> list[Question]:
        return [q for q in self.questions.values() if q.population == population]

    def columns_of(self, population: str) -> list[str]:
        """The expected microdata header for a population, in order: id, design columns, questions."""
        design = self.populations[population].design
        return ["respondent_id", *(design.columns() if design else []), *self.question_columns_of(population)]

    def integer_columns_of(self, population: str) -> list[str]:
        """The answer columns of a population that hold whole numbers (`Question.whole_numbers`)."""
        return [column for q in self.questions_of(population) if q.whole_numbers for column in q.columns()]

    def question_columns_of(self, population: str) -> list[str]:
        """The microdata columns holding answers, in codebook order."""
        columns = []
        for question in self.questions_of(population):
            columns.extend(question.columns())
        return columns


def require_mapping(value: Any, source: Path, where: str, row: int | None = None) -> dict:
    if not isinstance(value, dict):
        raise InputError(source, "a mapping", row=row, column=where, value=value)
    return value


def is_code(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# What the build says of each key of a `microdata.<population>` mapping (validation.validated), in the order checked.
SOURCE_MESSAGES = {
    "path": "non-empty text",
    "sheet": "non-empty text",
    "multi_separator": "non-empty text",
    "answers": f"one of {', '.join(ANSWERS)}",
}


def microdata_source(entry: Any, source: Path, pop_id: str, row: int | None) -> tuple[str, Source]:
    """A `microdata.<population>` entry: a path, or a mapping {path, sheet, answers, multi_separator}."""
    where = f"microdata.{pop_id}"
    if isinstance(entry, str):
        return entry, PLAIN_SOURCE
    if not isinstance(entry, dict):
        raise InputError(source, "a file path, or a mapping with a 'path' key", row=row, column=where, value=entry)
    settings = validated(Source, entry, source, where, row, SOURCE_MESSAGES)
    return settings.path, settings


def load_codebook(
    path: Path,
    project_root: Path,
    microdata: dict[str, Any],
    qi: dict[str, list],
    languages: tuple[str, ...] = DEFAULT_LANGUAGES,
) -> Codebook:
    """Reads and checks codebook.yml: unique ids and codes, labels present, universes known and acyclic."""
    document = require_mapping(read_yaml(path), path, "(top level)")
    no_answer = _no_answer(document, path)
    populations = _populations(document, path, project_root, microdata, qi, languages)
    questions: dict[str, Question] = {}
    lines: dict[str, int | None] = {}
    entries = document.get("questions")
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "a non-empty list of questions", row=line_of(document, "questions"), column="questions")
    if len(entries) > MAX_QUESTIONS:
        raise InputError(
            path,
            f"at most {MAX_QUESTIONS:,} questions",
            row=line_of(document, "questions"),
            column="questions",
            value=f"{len(entries):,} questions",
            hint="Publish the questions in several publications, or leave out those nobody will read",
        )
    for index, entry in enumerate(entries, start=1):
        question = _question(entry, index, path, populations, lines, no_answer, languages)
        questions[question.id] = question
    _check_universes(path, questions, lines)
    _check_columns(path, populations, questions, lines)
    return Codebook(no_answer=no_answer, populations=populations, questions=questions)


def _no_answer(document: dict, path: Path) -> int:
    missing = require_mapping(document.get("missing") or {}, path, "missing", line_of(document, "missing"))
    no_answer = missing.get("no_answer", -9)
    if not is_code(no_answer) or no_answer >= 0:
        raise InputError(
            path,
            "a negative integer code",
            row=line_of(missing, "no_answer"),
            column="missing.no_answer",
            value=no_answer,
        )
    return no_answer


def _populations(
    document: dict,
    path: Path,
    project_root: Path,
    microdata: dict[str, Any],
    qi: dict[str, list],
    languages: tuple[str, ...],
) -> dict[str, Population]:
    """codebook.yml `populations`, each with its microdata file from publication.yml `microdata`."""
    meta_path = path.parent / "publication.yml"
    populations: dict[str, Population] = {}
    raw_populations = require_mapping(document.get("populations"), path, "populations", line_of(document))
    for pop_id, entry in raw_populations.items():
        row = line_of(raw_populations, pop_id)
        entry = require_mapping(entry, path, f"populations.{pop_id}", row)
        require_name(
            pop_id,
            path,
            "a lower_snake_case population id (e.g. residents)",
            row=row,
            column="populations",
            shape=ID_PATTERN,
        )
        if pop_id not in microdata:
            raise InputError(
                meta_path,
                f"a microdata file for population '{pop_id}' (declared in codebook.yml)",
                row=line_of(microdata),
                column="microdata",
            )
        file, source = microdata_source(microdata[pop_id], meta_path, pop_id, line_of(microdata, pop_id))
        populations[pop_id] = Population(
            id=pop_id,
            title=Label(texts=label_texts(entry.get("title"), path, f"populations.{pop_id}.title", row, languages)),
            microdata=safe_path(project_root, file, meta_path, f"microdata.{pop_id}", line_of(microdata, pop_id)),
            quasi_identifiers=tuple(qi.get(pop_id, ())),
            source=source,
        )
    return populations


def _question(
    entry: Any,
    index: int,
    path: Path,
    populations: dict[str, Population],
    lines: dict[str, int | None],
    no_answer: int,
    languages: tuple[str, ...],
) -> Question:
    """One entry of `questions`; `lines` gets the rows of its id and universe (and holds those of the ones before)."""
    where = f"questions[{index}]"
    entry = require_mapping(entry, path, where)
    row = line_of(entry)
    qid = entry.get("id")
    require_name(qid, path, "a lower_snake_case question id", row=row, column=f"{where}.id", shape=ID_PATTERN)
    where = f"question {qid}"
    if qid in lines:
        raise InputError(
            path,
            "question ids to be unique",
            row=row,
            column=f"{where}.id",
            value=qid,
            hint=f"The id is already used by the question on row {lines[qid]}",
        )
    if entry.get("population") not in populations:
        raise InputError(
            path,
            f"one of the populations {sorted(populations)}",
            row=line_of(entry, "population"),
            column=f"{where}.population",
            value=entry.get("population"),
        )
    if entry.get("type") not in QUESTION_TYPES:
        raise InputError(
            path,
            f"one of {', '.join(QUESTION_TYPES)}",
            row=line_of(entry, "type"),
            column=f"{where}.type",
            value=entry.get("type"),
        )
    options, numeric = _answers(entry, path, where, no_answer, languages)
    universe = _universe(entry, path, where)
    question = Question(
        id=qid,
        population=entry["population"],
        type=entry["type"],
        text=Label(texts=label_texts(entry.get("text"), path, f"{where}.text", row, languages)),
        options=options,
        universe=universe,
        numeric=numeric,
    )
    lines[qid] = row
    lines[f"{qid}.universe"] = line_of(entry, "universe") or row
    return question


def _answers(
    entry: dict, path: Path, where: str, no_answer: int, languages: tuple[str, ...]
) -> tuple[tuple[Option, ...], Numeric | None]:
    """A question's options, or a numeric question's bands as its options with its range, unit and decimals."""
    numeric = None
    raw_options = entry.get("options")
    if entry["type"] == "numeric":
        # The bands are the question's options: every stage that counts options counts bands unchanged.
        numeric = _numeric(entry, path, where, no_answer, languages)
        raw_options = entry.get("bands")
    elif not isinstance(raw_options, list) or len(raw_options) < 2:
        raise InputError(
            path, "a list of at least two options", row=line_of(entry, "options"), column=f"{where}.options"
        )
    return _options(raw_options, entry, path, where, languages), numeric


def _options(raw_options: list, entry: dict, path: Path, where: str, languages: tuple[str, ...]) -> tuple[Option, ...]:
    options: list[Option] = []
    for option in raw_options:
        option = require_mapping(option, path, f"{where}.options", line_of(entry, "options"))
        code = option.get("code")
        if not is_code(code) or code <= 0:
            raise InputError(
                path, "a positive integer option code", row=line_of(option), column=f"{where}.options", value=code
            )
        if any(existing.code == code for existing in options):
            raise InputError(
                path,
                "option codes to be unique within a question",
                row=line_of(option),
                column=f"{where}.options",
                value=code,
            )
        options.append(Option(code, texts=label_texts(option, path, f"{where} option {code}", None, languages)))
    return tuple(options)


def _universe(entry: dict, path: Path, where: str) -> Universe | None:
    if entry.get("universe") is None:
        return None
    raw = require_mapping(entry["universe"], path, f"{where}.universe", line_of(entry, "universe"))
    codes = raw.get("codes")
    if not isinstance(codes, list) or not codes or not all(is_code(c) for c in codes):
        raise InputError(
            path,
            "a non-empty list of option codes",
            row=line_of(entry, "universe"),
            column=f"{where}.universe.codes",
            value=codes,
        )
    return Universe(question=str(raw.get("question")), codes=tuple(codes))


def _number(value: Any) -> Decimal | None:
    """A YAML number as an exact decimal (through its text, so 0.1 stays 0.1); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))


def _places(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def _numeric(
    entry: dict, path: Path, where: str, no_answer: int, languages: tuple[str, ...] = DEFAULT_LANGUAGES
) -> Numeric:
    """Range, unit, decimals and bands of a numeric question. Bands are listed in order, each starting where the
    one before ends (`from` equals the previous `below`), the first at the range's minimum, the last without
    `below` (it runs to the maximum): so they can neither overlap nor leave a gap."""
    raw_range = entry.get("range")
    bounds = [_number(value) for value in raw_range] if isinstance(raw_range, list) else []
    if len(bounds) != 2 or None in bounds or not bounds[0] < bounds[1]:
        raise InputError(
            path,
            "a range [minimum, maximum] of two numbers, minimum first",
            row=line_of(entry, "range"),
            column=f"{where}.range",
            value=raw_range,
        )
    minimum, maximum = bounds
    if minimum <= no_answer <= maximum:
        raise InputError(
            path,
            f"a range that does not include the no-answer code {no_answer}",
            row=line_of(entry, "range"),
            column=f"{where}.range",
            value=raw_range,
            hint="Choose another missing.no_answer code",
        )
    decimals = entry.get("decimals", 0)
    if not is_code(decimals) or not 0 <= decimals <= 9:
        raise InputError(
            path,
            "a whole number of decimals from 0 to 9",
            row=line_of(entry, "decimals"),
            column=f"{where}.decimals",
            value=decimals,
        )
    unit = Label(texts=label_texts(entry.get("unit"), path, f"{where}.unit", line_of(entry, "unit"), languages))
    bands = _bands(entry, path, where, minimum, maximum, decimals)
    return Numeric(minimum=minimum, maximum=maximum, decimals=decimals, unit=unit, bands=bands)


def _bands(entry: dict, path: Path, where: str, minimum: Decimal, maximum: Decimal, decimals: int) -> tuple[Band, ...]:
    """The bands of a numeric question, in order, each starting where the one before ends (see `_numeric`)."""
    raw_bands = entry.get("bands")
    if not isinstance(raw_bands, list) or len(raw_bands) < 2:
        raise InputError(path, "a list of at least two bands", row=line_of(entry, "bands"), column=f"{where}.bands")
    bands: list[Band] = []
    for index, band in enumerate(raw_bands):
        band = require_mapping(band, path, f"{where}.bands", line_of(entry, "bands"))
        name = f"{where} band {band.get('code')}"
        low, last = _number(band.get("from")), index == len(raw_bands) - 1
        expected_low = minimum if not bands else bands[-1].below
        if low is None or low != expected_low:
            first = "the range's minimum" if not bands else "the previous band's 'below'"
            raise InputError(
                path,
                f"'from' equal to {first} ({expected_low}), so bands neither overlap nor leave a gap",
                row=line_of(band, "from"),
                column=name,
                value=band.get("from"),
            )
        below = _number(band.get("below"))
        if last and "below" in band:
            raise InputError(
                path,
                f"no 'below' in the last band: it runs to the range's maximum ({maximum})",
                row=line_of(band, "below"),
                column=name,
                value=band.get("below"),
            )
        if not last and (below is None or not low < below <= maximum):
            raise InputError(
                path,
                f"'below' greater than 'from' ({low}) and at most the range's maximum ({maximum})",
                row=line_of(band, "below") or line_of(band),
                column=name,
                value=band.get("below"),
            )
        for edge in (low, below):
            if edge is not None and _places(edge) > decimals:
                raise InputError(
                    path,
                    f"band edges with at most {decimals} decimals, as the question's values",
                    row=line_of(band),
                    column=name,
                    value=str(edge),
                )
        bands.append(Band(code=band.get("code"), low=low, below=below))
    return tuple(bands)


def _check_universes(path: Path, questions: dict[str, Question], lines: dict[str, int | None]) -> None:
    for question in questions.values():
        universe = question.universe
        if universe is None:
            continue
        where = f"question {question.id}.universe"
        row = lines.get(f"{question.id}.universe")
        target = questions.get(universe.question)
        if target is None:
            raise InputError(
                path, "the id of a question in the codebook", row=row, column=where, value=universe.question
            )
        if target.population != question.population:
            raise InputError(
                path, f"a question of population '{question.population}'", row=row, column=where, value=target.id
            )
        unknown = [code for code in universe.codes if code not in target.codes]
        if unknown:
            raise InputError(
                path, f"codes of question {target.id} {list(target.codes)}", row=row, column=where, value=unknown
            )
    # Follow each chain of universes; coming back to a question already on the chain is a cycle.
    for question in questions.values():
        chain = [question.id]
        current = question
        while current.universe is not None:
            nxt = current.universe.question
            if nxt in chain:
                cycle = " -> ".join([*chain[chain.index(nxt) :], nxt])
                raise InputError(
                    path,
                    "universes that do not depend on themselves",
                    row=lines.get(f"{question.id}.universe"),
                    column=f"question {question.id}.universe",
                    value=cycle,
                )
            chain.append(nxt)
            current = questions[nxt]


def _check_columns(
    path: Path, populations: dict[str, Population], questions: dict[str, Question], lines: dict[str, int | None]
) -> None:
    for pop_id in populations:
        seen: dict[str, str] = {"respondent_id": "(id column)"}
        for question in (q for q in questions.values() if q.population == pop_id):
            for column in question.columns():
                if column in seen:
                    raise InputError(
                        path,
                        "microdata column names that do not collide",
                        row=lines.get(question.id),
                        column=f"question {question.id}",
                        value=f"{column} (also {seen[column]})",
                    )
                seen[column] = question.id


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
