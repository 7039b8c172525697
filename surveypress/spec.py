"""Reads a publication's content folder into typed, checked objects.

Takes: `<content>/publication.yml`, `codebook.yml` and `indicators.yml`.
Gives: a `Publication` holding the metadata, the `Codebook`, the `Indicator` list and the disclosure settings.
Every structural problem in those files raises `InputError` naming the file, the entry and what was expected.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from surveypress import i18n
from surveypress.address import site_address
from surveypress.errors import InputError
from surveypress.languages import DEFAULT_LANGUAGES, Label, by_primary_subtag, serves
from surveypress.publish import layout

QUESTION_TYPES = ("single", "scale", "multi", "numeric")
DESIGN_KEYS = ("weight", "strata", "cluster", "fpc")
RELEASES = ("none", "public-use", "full")
# Each kind of id has its shape (anchored for the JSON Schemas, which take these patterns; applied with fullmatch, so
# that no trailing line break slips past `$`), within the one rule of `PLAIN_NAME` for every id that becomes a path.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")

# Limits on content files, so that a wrong or hostile file stops the build with a message instead of exhausting it.
MAX_YAML_BYTES = 8 * 1024 * 1024  # a codebook of thousands of questions is a few megabytes
MAX_YAML_DEPTH = 20  # the deepest content structure (a net inside an indicator inside the list) is 5 levels
CHANGELOG = "changelog.yml"
PUBLISHED_FIGURES = "published_figures.csv"
CHARTS = "charts.yml"
# Content files read by load_publication when present, for the stages that use them (Publication.document).
OPTIONAL_DOCUMENTS = (CHANGELOG, CHARTS)
TEMPLATE_SUFFIX = ".md.j2"  # a page template: templates/[<tag>/]<page>.md.j2 -> docs/[<tag>/]<page>.md
MAX_TEXT_CHARACTERS = 20_000  # any one text in a YAML file (a description, a changelog entry)
MAX_LABEL_CHARACTERS = 1_000  # a label: question text, option, title; charts wrap and measure every one
# YAML 1.1 (PyYAML) reads these words, unquoted, as true/false instead of text.
YAML_BOOLEAN_WORDS = "yes, no, on, off, true, false, y, n"


LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

# Every id that becomes part of an output path (a population's public-use file, an indicator's table, a chart's
# drawings, a page, a language's folder, the archive's name and version) is one plain name: ASCII letters, digits and
# . _ + -, not starting with a dot or dash (so never `..`, a hidden file or an option), without a separator or line
# break, and short enough for every file system (255 bytes a name) with the suffixes the layout adds to it.
MAX_NAME_CHARACTERS = 64
PLAIN_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._+-]{{0,{MAX_NAME_CHARACTERS - 1}}}")


def is_name(value: Any, shape: re.Pattern | None = None) -> bool:
    """Whether `value` is a plain name (`PLAIN_NAME`) that also has the whole `shape` of its kind of id."""
    return (
        isinstance(value, str)
        and PLAIN_NAME.fullmatch(value) is not None
        and (shape is None or shape.fullmatch(value) is not None)
    )


def require_name(
    value: Any,
    source: Path | str,
    expected: str,
    *,
    row: int | None = None,
    column: str | None = None,
    shape: re.Pattern | None = None,
    hint: str = "",
) -> str:
    """The one check of an id that becomes part of a path: InputError naming file, row, key and value otherwise."""
    if is_name(value, shape):
        return value
    if isinstance(value, str) and len(value) > MAX_NAME_CHARACTERS:
        hint = f"It is {len(value)} characters long; at most {MAX_NAME_CHARACTERS} fit in a file name everywhere"
    elif isinstance(value, str) and any(character in value for character in "\r\n"):
        hint = "It holds a line break"
    elif isinstance(value, str) and ("/" in value or "\\" in value):
        hint = "It holds a path separator; an id names one file, in the folder the build gives it"
    raise InputError(source, expected, row=row, column=column, value=value, hint=hint)


class Option(Label):
    """One answer option: its code and its label."""

    __slots__ = ("code",)

    def __init__(self, code: int, *in_order: str | None, texts: dict[str, str] | None = None, **by_key: str) -> None:
        super().__init__(*in_order, texts=texts, **by_key)
        object.__setattr__(self, "code", code)

    def _key(self) -> tuple:
        return (self.code, *super()._key())

    def __repr__(self) -> str:
        return f"Option({self.code!r}, {self.texts!r})"


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
class Source:
    """How to read one microdata file (publication.yml, `microdata.<population>` as a mapping).

    `sheet`: the workbook sheet holding the data; `answers`: `codes` (option codes) or `text` (option texts, as a
    platform's "export as option text" gives them); `multi_separator`: set when each multi-select question is one
    column whose cell lists the chosen options joined by this separator (e.g. `┋`, `;`, `|`).
    """

    sheet: str | None = None
    answers: str = "codes"
    multi_separator: str | None = None


@dataclass(frozen=True)
class Design:
    """How a population's sample was drawn (publication.yml, `design.<population>`): the microdata columns holding
    each respondent's weight, stratum and cluster (PSU), and the finite population correction: a column holding the
    number of PSUs in the respondent's stratum in the population (respondents, without clusters), or one number
    for a design without strata."""

    weight: str
    strata: str | None = None
    cluster: str | None = None
    fpc: str | float | None = None

    def columns(self) -> list[str]:
        """The design's microdata columns, in the order they follow respondent_id."""
        named = [self.weight, self.strata, self.cluster, self.fpc if isinstance(self.fpc, str) else None]
        return [column for column in named if column is not None]


@dataclass(frozen=True)
class Population:
    id: str
    title: Label
    microdata: Path
    quasi_identifiers: tuple[str, ...] = ()
    source: Source = Source()
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


class Net(Label):
    """A combined category, e.g. 'satisfied' = very + fairly satisfied; a percent of the same base."""

    __slots__ = ("code", "codes")

    def __init__(
        self,
        code: str,
        *in_order: str | None,
        codes: tuple[int, ...] = (),
        texts: dict[str, str] | None = None,
        **by_key: str,
    ) -> None:
        super().__init__(*in_order, texts=texts, **by_key)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "codes", tuple(codes))

    def _key(self) -> tuple:
        return (self.code, self.codes, *super()._key())

    def __repr__(self) -> str:
        return f"Net({self.code!r}, {self.texts!r}, {self.codes!r})"


@dataclass(frozen=True)
class Indicator:
    id: str
    question: str
    population: str
    title: Label
    nets: tuple[Net, ...]
    breakdowns: tuple[str, ...]


@dataclass(frozen=True)
class Disclosure:
    low_base: int = 30
    min_cell: int = 5
    min_k: int = 3


@dataclass(frozen=True)
class Recodes:
    """What a public-use file changes in one population's microdata before it is released."""

    file: str  # project-relative path of the released file: layout.public_use_file(population)
    drop: tuple[str, ...] = ()
    # column -> groups of codes released as one (the first code of each group stands for the group)
    coarsen: tuple[tuple[str, tuple[tuple[int, ...], ...]], ...] = ()
    # column -> highest code released; higher codes are released as it
    top_code: tuple[tuple[str, int], ...] = ()

    def classes(self, question: Question) -> dict[int, int] | None:
        """Each code of a single/scale question mapped to the code it is released as; None if dropped."""
        if question.id in self.drop:
            return None
        released = {code: code for code in question.codes}
        for column, groups in self.coarsen:
            if column == question.id:
                for group in groups:
                    for code in group:
                        released[code] = group[0]
        for column, highest in self.top_code:
            if column == question.id:
                for code in question.codes:
                    if code > highest:
                        released[code] = released[highest] if highest in released else highest
        return released


@dataclass(frozen=True)
class Release:
    """The microdata release policy (publication.yml `release`): `none`, `public-use` (with recodes) or `full`."""

    policy: str = "full"
    recodes: tuple[tuple[str, Recodes], ...] = ()
    legal_basis: str = ""

    def of(self, population: str) -> Recodes | None:
        return dict(self.recodes).get(population)


@dataclass
class Publication:
    content_dir: Path
    project_root: Path
    meta: dict[str, Any]
    codebook: Codebook
    indicators: list[Indicator]
    disclosure: Disclosure
    release: Release = Release()

    languages: tuple[str, ...] = DEFAULT_LANGUAGES[:1]
    # The content files other stages use, read once by load_publication.
    documents: dict[str, Any] = field(default_factory=dict)  # changelog.yml, charts.yml as read: `document()`
    figures_text: str | None = None  # published_figures.csv as text (UTF-8, without a byte-order mark)
    _indicator_index: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def primary(self) -> str:
        """The primary language (the first declared): its pages sit at the docs root, its labels in the plain
        label columns."""
        return self.languages[0]

    def indicator(self, indicator_id: str) -> Indicator:
        # Found through an index of positions (a scan per lookup made the stages quadratic in the indicators); the
        # list may be changed after loading, so a position is checked before it is trusted, and the index rebuilt.
        for rebuilt in (False, True):
            index = self._indicator_index
            if rebuilt or index is None:
                index = self._indicator_index = {}
                for position, indicator in enumerate(self.indicators):
                    index.setdefault(indicator.id, position)
            position = index.get(indicator_id)
            if position is not None and position < len(self.indicators):
                indicator = self.indicators[position]
                if indicator.id == indicator_id:
                    return indicator
        raise KeyError(indicator_id)

    def released_file(self, population: str) -> str | None:
        """The project-relative path of the microdata file released for a population, or None (`release: none`)."""
        if self.release.policy == "none":
            return None
        if self.release.policy == "public-use":
            return self.release.of(population).file
        path = self.codebook.populations[population].microdata
        try:
            return path.resolve().relative_to(self.project_root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    @property
    def published_figures(self) -> Path:
        return self.content_dir / PUBLISHED_FIGURES

    def document(self, name: str) -> Any:
        """A YAML file of the content folder as load_publication read it (read here, once, for a publication made
        without it); a missing file is refused by `read_yaml`."""
        if name not in self.documents:
            self.documents[name] = read_yaml(self.content_dir / name)
        return self.documents[name]

    @property
    def changelog_entries(self) -> list:
        """changelog.yml's entries as read (empty when there is none): enough for the publication date."""
        entries = self.documents.get(CHANGELOG) if (self.content_dir / CHANGELOG).is_file() else None
        return entries if isinstance(entries, list) else []

    def changelog(self) -> list[dict[str, Any]]:
        """changelog.yml checked (newest first; its first version must be the publication's version)."""
        path = self.content_dir / CHANGELOG
        entries = self.document(CHANGELOG)
        if not isinstance(entries, list) or not entries:
            raise InputError(path, "a non-empty list of versions, newest first")
        checked = []
        for index, entry in enumerate(entries, start=1):
            where = f"entry {index}"
            if not isinstance(entry, dict) or not entry.get("version") or not entry.get("date"):
                raise InputError(path, "a mapping with 'version', 'date' and 'changes'", column=where, value=entry)
            changes = entry.get("changes")
            if not isinstance(changes, list) or not changes:
                raise InputError(path, "a non-empty list of changes", column=f"{where}.changes", value=changes)
            refuse_undeclared_languages_within(changes, path, self.languages, f"{where}.changes")
            changes = [by_primary_subtag(change) for change in changes]
            for change in changes:
                if not isinstance(change, dict) or not Label(texts=change).has(self.primary):
                    raise InputError(
                        path,
                        f"a change with non-empty text in the primary language ({self.primary})",
                        column=f"{where}.changes",
                        value=change,
                    )
            checked.append({"version": str(entry["version"]), "date": str(entry["date"]), "changes": changes})
        version = str(self.meta.get("version", ""))
        if checked[0]["version"] != version:
            raise InputError(
                path,
                f"the newest entry to be the publication's version {version} (publication.yml)",
                column="entry 1.version",
                value=checked[0]["version"],
            )
        return checked

    @property
    def templates_dir(self) -> Path:
        """The primary language's templates: `templates/<primary>/` when it exists, else `templates/` itself."""
        return self.templates_for(self.primary) or self.content_dir / "templates"

    def templates_for(self, language: str) -> Path | None:
        """The page templates of one language, or None when the content has none for it.

        `templates/<tag>/` per language (contract: Templates per language); a publication whose primary language
        has no folder of its own keeps that language's templates flat in `templates/`."""
        root = self.content_dir / "templates"
        folder = root / language
        if folder.is_dir():
            return folder
        if language == self.primary and root.is_dir():
            return root
        return None

    @property
    def editions(self) -> list[tuple[str, Path]]:
        """(language, templates folder) for every declared language that has page templates, primary first.

        A declared language without templates still gets its labels in the tables and its text in the data
        package; it just has no pages yet (build.py says so on its progress line)."""
        return [(tag, folder) for tag in self.languages if (folder := self.templates_for(tag)) is not None]

    def pages(self, language: str) -> tuple[Path, list[str]]:
        """The folder of `language`'s page templates and the templates in it that are pages (not partials: `_*`),
        each path part a plain name (`require_name`): a page becomes `docs/[<tag>/]<page>.md` and a URL."""
        templates_dir = self.templates_for(language) or self.content_dir / "templates" / language
        if not templates_dir.is_dir():
            raise InputError(templates_dir, f"a folder of page templates (*{TEMPLATE_SUFFIX})")
        # Flat templates/ of the primary language: the other languages' folders in it are not its pages.
        others = {templates_dir / tag for tag in self.languages if tag != language}
        pages = sorted(
            path.relative_to(templates_dir).as_posix()
            for path in templates_dir.rglob(f"*{TEMPLATE_SUFFIX}")
            if not path.name.startswith("_") and not any(path.is_relative_to(other) for other in others)
        )
        if not pages:
            raise InputError(templates_dir, f"at least one page template named *{TEMPLATE_SUFFIX}")
        for page in pages:
            for part in page[: -len(TEMPLATE_SUFFIX)].split("/"):
                require_name(
                    part,
                    templates_dir / page,
                    f"a page template named with letters, digits and . _ + - (e.g. findings/usage{TEMPLATE_SUFFIX})",
                )
        return templates_dir, pages

    def docs_prefix(self, language: str) -> str:
        """Where a language's pages go under docs/: '' for the primary, '<tag>/' for the others."""
        return "" if language == self.primary else f"{language}/"


# A folded YAML string joins lines with a space, which Chinese text must not have between two characters.
CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def meta_text(pub: Publication, key: str, language: str) -> str:
    """A publication.yml text (title, description) in `language`: a label mapping, or one string."""
    value = pub.meta.get(key) or ""
    if isinstance(value, dict):
        label = Label(texts={str(k): str(v) for k, v in value.items()})
        text = label.text(language) if label.has(language) else ""
    else:
        text = str(value)
    return CJK_GAP.sub("", text.strip())


class Located(dict):
    """A YAML mapping that remembers the line it starts on (1-based), so an error can name the row to fix."""

    line: int | None = None
    key_lines: dict | None = None


class _LimitError(yaml.YAMLError):
    """A content file goes past one of the limits above; becomes an InputError naming the row."""

    def __init__(self, expected: str, mark: Any, hint: str, value: Any = None) -> None:
        super().__init__(expected)
        self.expected, self.mark, self.hint, self.value = expected, mark, hint, value


def _construct_located(loader: Any, node: yaml.MappingNode):
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    yield mapping
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                problem=f"the key {key!r} only once in this mapping (it appears again here)",
                problem_mark=key_node.start_mark,
            )
        seen.add(key)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    mapping.update(loader.construct_mapping(node, deep=True))


# libyaml reads the text into events ten times quicker than PyYAML's Python reader, scanner and parser (most of the
# time a no-change rebuild of a 300-indicator publication took); PyYAML without libyaml falls back to them.
try:
    from yaml.cyaml import CParser as _LIBYAML
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _LIBYAML = None
PYTHON_EVENTS = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)


def locating_loader(events: tuple[type, ...]) -> type:
    """The content files' YAML loader, its events read by `events` (libyaml's parser, or PYTHON_EVENTS)."""

    class Loader(yaml.composer.Composer, *events, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """Safe YAML loading that records each mapping's line and refuses a key given twice in one mapping.

        It also refuses anchors and aliases (a few lines of aliases expand to gigabytes: content files do not need
        them), nesting deeper than MAX_YAML_DEPTH and any text longer than MAX_TEXT_CHARACTERS, while composing,
        before anything is built from the document. Composing is PyYAML's Python composer (these checks hook into
        it), whichever parser gives it the events.
        """

        _depth = 0

        def __init__(self, stream: str) -> None:
            if events == PYTHON_EVENTS:
                yaml.reader.Reader.__init__(self, stream)
                yaml.scanner.Scanner.__init__(self)
                yaml.parser.Parser.__init__(self)
            else:
                events[0].__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise _LimitError(
                    "YAML without anchors (&name) or aliases (*name)",
                    event.start_mark,
                    "Write each value out in full; content files refuse aliases so a small file cannot expand into a "
                    "huge one",
                )
            if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_TEXT_CHARACTERS:
                raise _LimitError(
                    f"a text of at most {MAX_TEXT_CHARACTERS:,} characters",
                    event.start_mark,
                    "Shorten it",
                    value=f"{len(event.value):,} characters",
                )
            collection = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
            self._depth += collection
            try:
                if self._depth > MAX_YAML_DEPTH:
                    raise _LimitError(
                        f"YAML nested at most {MAX_YAML_DEPTH} levels deep", event.start_mark, "Check the indentation"
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= collection

    Loader.add_constructor("tag:yaml.org,2002:map", _construct_located)
    return Loader


_PythonLoader = locating_loader(PYTHON_EVENTS)
_LocatingLoader = locating_loader((_LIBYAML,)) if _LIBYAML is not None else _PythonLoader
# Lets code that writes YAML back (e.g. a test fixture) treat a Located mapping as a plain one.
yaml.SafeDumper.add_representer(Located, yaml.representer.SafeRepresenter.represent_dict)


def line_of(entry: Any, key: str | None = None) -> int | None:
    """The line of `key` in a mapping read by `read_yaml` (or the line the mapping starts on), if known."""
    key_lines = getattr(entry, "key_lines", None) or {}
    if key is not None and key in key_lines:
        return key_lines[key]
    return getattr(entry, "line", None)


def refuse_oversized(file: str | Path, size: int, limit: int, what: str, hint: str, setting: str = "") -> None:
    """A file larger than its limit is refused before it is read (a wrong file, or one built to exhaust memory);
    `setting` names where the limit is set."""
    if size > limit:
        expected = f"{what} of at most {limit:,} bytes" + (f" ({setting})" if setting else "")
        raise InputError(file, expected, value=f"{size:,} bytes", hint=hint)


def read_yaml(path: Path) -> Any:
    """Reads a UTF-8 YAML file; a missing file, a wrong encoding or a syntax error becomes an InputError."""
    if not path.is_file():
        raise InputError(path, "a YAML file at this path", hint="Check the content folder")
    refuse_oversized(path, path.stat().st_size, MAX_YAML_BYTES, "a YAML file", "Check that this is the right file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            path,
            "UTF-8 text",
            value=raw[error.start : error.start + 4].hex(" "),
            hint="Save the file as UTF-8",
        ) from None
    try:
        try:
            return yaml.load(text, Loader=_LocatingLoader)  # noqa: S506 - a safe loader
        except (yaml.reader.ReaderError, yaml.scanner.ScannerError, yaml.parser.ParserError):
            if _LocatingLoader is _PythonLoader:
                raise
            # libyaml words a syntax error more tersely than PyYAML's parser, which also says what it found
            # instead: the file is read again by the Python parser for its message.
            return yaml.load(text, Loader=_PythonLoader)  # noqa: S506 - a safe loader
    except _LimitError as error:
        raise InputError(path, error.expected, row=error.mark.line + 1, value=error.value, hint=error.hint) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark is not None and context_mark.line != getattr(mark, "line", None):
            problem = f"{context} that starts on row {context_mark.line + 1}: {problem}"
        if isinstance(error, yaml.constructor.ConstructorError) and problem.startswith("the key"):
            raise InputError(path, problem, row=row) from None
        raise InputError(path, f"valid YAML ({problem})", row=row) from None


def folder_name(folder: Path) -> str:
    """A folder as the person running the build knows it: relative to the working folder when inside it."""
    folder = Path(folder).resolve()
    try:
        relative = folder.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(folder)
    return "the current folder" if relative == "." else relative


def safe_path(project_root: Path, relative: str, source: Path, key: str, row: int | None = None) -> Path:
    """Resolves a path named in a spec; refuses one that points outside the project."""
    candidate = (project_root / str(relative)).resolve()
    root = project_root.resolve()
    if Path(str(relative)).is_absolute() or not candidate.is_relative_to(root):
        raise InputError(
            source,
            f"a path inside the project folder, here {folder_name(root)} (set by --out; by default the folder above"
            " the content folder)",
            row=row,
            column=key,
            value=relative,
        )
    return candidate


def _check_label_text(text: Any, value: dict, key: Any, source: Path, where: str, row: int | None) -> None:
    """A label's text in a declared language is text (not a YAML boolean or number) of a bounded length."""
    if text is not None and not isinstance(text, str):
        words = isinstance(text, bool)
        raise InputError(
            source,
            f"text for '{key}' (a label is text)",
            row=line_of(value, key) or row,
            column=f"{where}.{key}",
            value=text,
            hint=f"YAML reads the unquoted words {YAML_BOOLEAN_WORDS} as yes-or-no values: quote it, "
            f'e.g. {key}: "{"Yes" if text else "No"}"'
            if words
            else "YAML reads an unquoted number as a number: quote it",
        )
    if isinstance(text, str) and len(text) > MAX_LABEL_CHARACTERS:
        raise InputError(
            source,
            f"a label of at most {MAX_LABEL_CHARACTERS:,} characters",
            row=line_of(value, key) or row,
            column=f"{where}.{key}",
            value=f"{len(text):,} characters",
            hint="Put long explanations in the page templates",
        )


# Keys of a label mapping that are not languages (an option's or net's code, a band's edges).
LABEL_KEYS = ("code", "codes", "from", "below")


def refuse_undeclared_languages(
    label: dict, source: Path, where: str, row: int | None, languages: tuple[str, ...]
) -> None:
    """Text in a language the publication does not declare would be dropped unseen: it is refused instead."""
    for key in label:
        if (
            isinstance(key, str)
            and LANGUAGE_TAG.match(key)
            and key not in LABEL_KEYS
            and not any(serves(key, language) for language in languages)
        ):
            raise InputError(
                source,
                "text only in the declared languages (" + ", ".join(languages) + ")",
                row=line_of(label, key) or row,
                column=f"{where}.{key}",
                value=key,
                hint=f"Add {key} to publication.yml languages, or remove its text",
            )


def refuse_undeclared_languages_within(tree: Any, source: Path, languages: tuple[str, ...], where: str = "") -> None:
    """The same for every label of a file read loosely (publication.yml, changelog.yml): a mapping of texts with a
    key that serves a declared language."""
    if isinstance(tree, list):
        for index, item in enumerate(tree, start=1):
            refuse_undeclared_languages_within(item, source, languages, f"{where}[{index}]")
        return
    if not isinstance(tree, dict):
        return
    keys = [str(key) for key in tree]
    if any(serves(key, language) for key in keys for language in languages):
        refuse_undeclared_languages(tree, source, where or "(top level)", line_of(tree), languages)
        return
    for key, value in tree.items():
        refuse_undeclared_languages_within(value, source, languages, f"{where}.{key}" if where else str(key))


def _label(
    value: Any, source: Path, where: str, row: int | None = None, languages: tuple[str, ...] = DEFAULT_LANGUAGES
) -> dict[str, str]:
    """The texts of a label mapping; each declared language needs a non-empty text (other keys are kept)."""
    texts = {}
    if isinstance(value, dict):
        refuse_undeclared_languages(value, source, where, row, languages)
        for key, text in value.items():
            if any(serves(str(key), language) for language in languages):
                _check_label_text(text, value, key, source, where, row)
        texts = {
            str(key): str(text)
            for key, text in value.items()
            if key not in ("code", "codes") and isinstance(text, str | int | float) and not isinstance(text, bool)
        }
    missing = [
        language
        for language in languages
        if not any(serves(key, language) and text.strip() for key, text in texts.items())
    ]
    if not isinstance(value, dict) or missing:
        raise InputError(
            source,
            "a label with non-empty text in each declared language (" + ", ".join(languages) + ")",
            row=line_of(value) or row,
            column=where,
            value=value,
            hint=f"Missing: {', '.join(missing)} (publication.yml: languages)" if missing else "",
        )
    return texts


# Unicode categories an id or code must not hold: control, format (zero-width space, direction marks), line and
# paragraph separators, private use. An id with one looks like another id, or like a blank.
INVISIBLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Co")


def _require_visible(text: str, source: Path, what: str, row: int | None, column: str) -> None:
    for character in text:
        if unicodedata.category(character) in INVISIBLE_CATEGORIES or character.isspace():
            raise InputError(
                source,
                f"{what} of visible characters without spaces",
                row=row,
                column=column,
                value=text,
                hint=f"It contains the invisible or space character U+{ord(character):04X}",
            )


def _require_mapping(value: Any, source: Path, where: str, row: int | None = None) -> dict:
    if not isinstance(value, dict):
        raise InputError(source, "a mapping", row=row, column=where, value=value)
    return value


def _is_code(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


SOURCE_KEYS = ("path", "sheet", "answers", "multi_separator")
ANSWERS = ("codes", "text")


def refuse_unknown_keys(entry: dict, keys: tuple[str, ...], source: Path, where: str) -> None:
    """A mapping may hold only the keys listed: the first other one is refused on its line."""
    unknown = [key for key in entry if key not in keys]
    if unknown:
        raise InputError(
            source, f"only the keys {', '.join(keys)}", row=line_of(entry, unknown[0]), column=where, value=unknown[0]
        )


def microdata_source(entry: Any, source: Path, pop_id: str, row: int | None) -> tuple[str, Source]:
    """A `microdata.<population>` entry: a path, or a mapping {path, sheet, answers, multi_separator}."""
    where = f"microdata.{pop_id}"
    if isinstance(entry, str):
        return entry, Source()
    if not isinstance(entry, dict):
        raise InputError(source, "a file path, or a mapping with a 'path' key", row=row, column=where, value=entry)
    refuse_unknown_keys(entry, SOURCE_KEYS, source, where)
    for key in ("path", "sheet", "multi_separator"):
        value = entry.get(key)
        if (key == "path" or value is not None) and (not isinstance(value, str) or not value.strip()):
            raise InputError(
                source, "non-empty text", row=line_of(entry, key) or row, column=f"{where}.{key}", value=value
            )
    answers = entry.get("answers", "codes")
    if answers not in ANSWERS:
        raise InputError(
            source,
            f"one of {', '.join(ANSWERS)}",
            row=line_of(entry, "answers"),
            column=f"{where}.answers",
            value=answers,
        )
    separator = entry.get("multi_separator")
    return entry["path"], Source(sheet=entry.get("sheet"), answers=answers, multi_separator=separator)


def load_codebook(
    path: Path,
    project_root: Path,
    microdata: dict[str, Any],
    qi: dict[str, list],
    languages: tuple[str, ...] = DEFAULT_LANGUAGES,
) -> Codebook:
    """Reads and checks codebook.yml: unique ids and codes, labels present, universes known and acyclic."""
    document = _require_mapping(read_yaml(path), path, "(top level)")
    missing = _require_mapping(document.get("missing") or {}, path, "missing", line_of(document, "missing"))
    no_answer = missing.get("no_answer", -9)
    if not _is_code(no_answer) or no_answer >= 0:
        raise InputError(
            path,
            "a negative integer code",
            row=line_of(missing, "no_answer"),
            column="missing.no_answer",
            value=no_answer,
        )

    meta_path = path.parent / "publication.yml"
    populations: dict[str, Population] = {}
    raw_populations = _require_mapping(document.get("populations"), path, "populations", line_of(document))
    for pop_id, entry in raw_populations.items():
        row = line_of(raw_populations, pop_id)
        entry = _require_mapping(entry, path, f"populations.{pop_id}", row)
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
            title=Label(texts=_label(entry.get("title"), path, f"populations.{pop_id}.title", row, languages)),
            microdata=safe_path(project_root, file, meta_path, f"microdata.{pop_id}", line_of(microdata, pop_id)),
            quasi_identifiers=tuple(qi.get(pop_id, ())),
            source=source,
        )

    questions: dict[str, Question] = {}
    lines: dict[str, int | None] = {}
    entries = document.get("questions")
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "a non-empty list of questions", row=line_of(document, "questions"), column="questions")
    for index, entry in enumerate(entries, start=1):
        where = f"questions[{index}]"
        entry = _require_mapping(entry, path, where)
        row = line_of(entry)
        qid = entry.get("id")
        require_name(qid, path, "a lower_snake_case question id", row=row, column=f"{where}.id", shape=ID_PATTERN)
        where = f"question {qid}"
        if qid in questions:
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
        options: list[Option] = []
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
        for option in raw_options:
            option = _require_mapping(option, path, f"{where}.options", line_of(entry, "options"))
            code = option.get("code")
            if not _is_code(code) or code <= 0:
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
            options.append(Option(code, texts=_label(option, path, f"{where} option {code}", None, languages)))
        universe = None
        if entry.get("universe") is not None:
            raw = _require_mapping(entry["universe"], path, f"{where}.universe", line_of(entry, "universe"))
            codes = raw.get("codes")
            if not isinstance(codes, list) or not codes or not all(_is_code(c) for c in codes):
                raise InputError(
                    path,
                    "a non-empty list of option codes",
                    row=line_of(entry, "universe"),
                    column=f"{where}.universe.codes",
                    value=codes,
                )
            universe = Universe(question=str(raw.get("question")), codes=tuple(codes))
        questions[qid] = Question(
            id=qid,
            population=entry["population"],
            type=entry["type"],
            text=Label(texts=_label(entry.get("text"), path, f"{where}.text", row, languages)),
            options=tuple(options),
            universe=universe,
            numeric=numeric,
        )
        lines[qid] = row
        lines[f"{qid}.universe"] = line_of(entry, "universe") or row

    _check_universes(path, questions, lines)
    _check_columns(path, populations, questions, lines)
    return Codebook(no_answer=no_answer, populations=populations, questions=questions)


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
    if not _is_code(decimals) or not 0 <= decimals <= 9:
        raise InputError(
            path,
            "a whole number of decimals from 0 to 9",
            row=line_of(entry, "decimals"),
            column=f"{where}.decimals",
            value=decimals,
        )
    unit = Label(texts=_label(entry.get("unit"), path, f"{where}.unit", line_of(entry, "unit"), languages))
    raw_bands = entry.get("bands")
    if not isinstance(raw_bands, list) or len(raw_bands) < 2:
        raise InputError(path, "a list of at least two bands", row=line_of(entry, "bands"), column=f"{where}.bands")
    bands: list[Band] = []
    for index, band in enumerate(raw_bands):
        band = _require_mapping(band, path, f"{where}.bands", line_of(entry, "bands"))
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
    return Numeric(minimum=minimum, maximum=maximum, decimals=decimals, unit=unit, bands=tuple(bands))


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


def load_indicators(path: Path, codebook: Codebook, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> list[Indicator]:
    """Reads indicators.yml; every indicator must name a known question, codes and breakdowns."""
    document = _require_mapping(read_yaml(path), path, "(top level)")
    defaults = _require_mapping(document.get("breakdowns") or {}, path, "breakdowns", line_of(document, "breakdowns"))
    indicators: list[Indicator] = []
    lines: dict[str, int | None] = {}
    entries = document.get("indicators")
    if not isinstance(entries, list) or not entries:
        raise InputError(
            path, "a non-empty list of indicators", row=line_of(document, "indicators"), column="indicators"
        )
    for index, entry in enumerate(entries, start=1):
        entry = _require_mapping(entry, path, f"indicators[{index}]")
        row = line_of(entry)
        iid = entry.get("id")
        require_name(
            iid, path, "a lower_snake_case indicator id", row=row, column=f"indicators[{index}].id", shape=ID_PATTERN
        )
        where = f"indicator {iid}"
        if iid in lines:
            raise InputError(
                path,
                "indicator ids to be unique",
                row=row,
                column=f"{where}.id",
                value=iid,
                hint=f"The id is already used by the indicator on row {lines[iid]}",
            )
        lines[iid] = row
        question = codebook.questions.get(entry.get("question", iid))
        if question is None:
            raise InputError(
                path,
                "the id of a question in the codebook",
                row=line_of(entry, "question"),
                column=f"{where}.question",
                value=entry.get("question", iid),
            )
        nets: list[Net] = []
        for net in entry.get("nets") or []:
            net = _require_mapping(net, path, f"{where}.nets", line_of(entry, "nets"))
            codes = tuple(net.get("codes") or ())
            unknown = [code for code in codes if code not in question.codes]
            if not codes or unknown:
                raise InputError(
                    path,
                    f"codes of question {question.id} {list(question.codes)}",
                    row=line_of(net),
                    column=f"{where}.nets",
                    value=unknown or net.get("codes"),
                )
            if not str(net.get("code") or "").strip():
                raise InputError(path, "a net code", row=line_of(net), column=f"{where}.nets", value=net.get("code"))
            _require_visible(str(net.get("code")), path, "a net code", line_of(net, "code"), f"{where}.nets")
            nets.append(
                Net(str(net.get("code")), codes=codes, texts=_label(net, path, f"{where}.nets", None, languages))
            )
        breakdowns = entry.get("breakdowns", defaults.get(question.population, []))
        for breakdown in breakdowns or []:
            target = codebook.questions.get(breakdown)
            if target is None or target.population != question.population or target.type == "multi":
                raise InputError(
                    path,
                    f"a single-choice question of population '{question.population}'",
                    row=line_of(entry, "breakdowns")
                    if "breakdowns" in entry
                    else line_of(defaults, question.population),
                    column=f"{where}.breakdowns",
                    value=breakdown,
                )
        indicators.append(
            Indicator(
                id=iid,
                question=question.id,
                population=question.population,
                title=Label(texts=_label(entry.get("title"), path, f"{where}.title", row, languages)),
                nets=tuple(nets),
                breakdowns=tuple(breakdowns or ()),
            )
        )
    return indicators


def _setting(settings: dict, key: str, default: int, source: Path) -> int:
    value = settings.get(key, default)
    if not _is_code(value) or value < 1:
        raise InputError(
            source, "a positive whole number", row=line_of(settings, key), column=f"disclosure.{key}", value=value
        )
    return value


def _check_name_and_version(meta: dict, source: Path) -> None:
    """`name` and `version` become file names (the download archive) and package identifiers: keep them plain."""
    require_name(
        meta.get("name"),
        source,
        "a package name of lower-case letters, digits and . _ - (e.g. city-survey-2022)",
        row=line_of(meta, "name"),
        column="name",
        shape=PACKAGE_NAME,
    )
    version = meta.get("version")
    require_name(
        version,
        source,
        "a version such as 1.0.0, written as text",
        row=line_of(meta, "version"),
        column="version",
        shape=VERSION,
        hint="Quote a version YAML would read as a number" if isinstance(version, int | float) else "",
    )


def _check_site_url(meta: dict, source: Path) -> None:
    """`site_url`, when given, is the site's published address: canonical links and the sitemap are built on it."""
    url = meta.get("site_url")
    if url is None:
        return
    try:
        site_address(url)
    except ValueError:
        raise InputError(
            source,
            "the site's published address: an absolute http(s) URL without quotes, angle brackets, spaces, "
            "backslashes, control characters, query or fragment, e.g. https://data.example.org/survey/",
            row=line_of(meta, "site_url"),
            column="site_url",
            value=url,
        ) from None


def refuse_links_out_of(content_dir: Path) -> None:
    """Content is read only from inside its folder: a symlink in it that leads out stops the build."""
    for path in sorted(content_dir.rglob("*")):
        if path.is_symlink() and not path.resolve().is_relative_to(content_dir):
            raise InputError(
                path,
                f"a file inside the content folder {content_dir.name}/ (symlinks included)",
                value=f"a symlink to {os.readlink(path)}",
                hint="Copy the file into the content folder instead of linking to it",
            )


def load_publication(content_dir: Path, project_root: Path | None = None) -> Publication:
    """Reads the whole content folder. `project_root` defaults to the folder above it."""
    content_dir = Path(content_dir).resolve()
    project_root = Path(project_root).resolve() if project_root else content_dir.parent
    refuse_links_out_of(content_dir)
    meta_path = content_dir / "publication.yml"
    meta = _require_mapping(read_yaml(meta_path), meta_path, "(top level)")
    _check_name_and_version(meta, meta_path)
    _check_site_url(meta, meta_path)
    languages = _languages(meta, meta_path)
    refuse_undeclared_languages_within(meta, meta_path, languages)
    return _load_content(content_dir, project_root, meta, meta_path, languages)


def _languages(meta: dict, source: Path) -> tuple[str, ...]:
    """`languages: [zh-Hans, en]`: BCP 47 tags, the first primary. The old `language: zh-Hans` still reads."""
    declared = meta.get("languages")
    if declared is None and isinstance(meta.get("language"), str):
        declared = [meta["language"]]
    if declared is None:
        # Content written before languages were declared: Chinese, with English labels beside it.
        declared = list(DEFAULT_LANGUAGES)
    if (
        not isinstance(declared, list)
        or not declared
        or not all(is_name(tag, LANGUAGE_TAG) for tag in declared)
        or len({tag.lower() for tag in declared}) != len(declared)
    ):
        raise InputError(
            source,
            "a list of distinct BCP 47 language tags, the primary first (e.g. [zh-Hans, en])",
            row=line_of(meta, "languages"),
            column="languages",
            value=declared,
        )
    for tag in declared:
        if i18n.catalogue_folder(tag) is None:
            raise InputError(
                source,
                f"languages the engine has a message catalogue for ({', '.join(i18n.available())})",
                row=line_of(meta, "languages"),
                column="languages",
                value=tag,
                hint="Adding a language is adding a catalogue under surveypress/locale/ (see surveypress/i18n.py)",
            )
    return tuple(declared)


def _load_content(
    content_dir: Path, project_root: Path, meta: dict, meta_path: Path, languages: tuple[str, ...]
) -> Publication:
    microdata = _require_mapping(meta.get("microdata"), meta_path, "microdata", line_of(meta, "microdata"))
    settings = _require_mapping(meta.get("disclosure") or {}, meta_path, "disclosure", line_of(meta, "disclosure"))
    qi = _require_mapping(
        settings.get("quasi_identifiers") or {},
        meta_path,
        "disclosure.quasi_identifiers",
        line_of(settings, "quasi_identifiers"),
    )
    codebook = load_codebook(content_dir / "codebook.yml", project_root, microdata, qi, languages)
    for pop_id, columns in qi.items():
        for column in columns:
            question = codebook.questions.get(column)
            if question is None or question.population != pop_id:
                raise InputError(
                    meta_path,
                    f"a question of population '{pop_id}'",
                    row=line_of(qi, pop_id),
                    column="disclosure.quasi_identifiers",
                    value=column,
                )
    disclosure = Disclosure(
        low_base=_setting(settings, "low_base", 30, meta_path),
        min_cell=_setting(settings, "min_cell", 5, meta_path),
        min_k=_setting(settings, "min_k", 3, meta_path),
    )
    codebook = _with_designs(meta, meta_path, codebook)
    indicators = load_indicators(content_dir / "indicators.yml", codebook, languages)
    return Publication(
        content_dir=content_dir,
        project_root=project_root,
        meta=meta,
        codebook=codebook,
        indicators=indicators,
        disclosure=disclosure,
        languages=languages,
        release=load_release(meta, meta_path, codebook, project_root),
        documents={name: read_yaml(content_dir / name) for name in OPTIONAL_DOCUMENTS if (content_dir / name).exists()},
        figures_text=read_figures_text(content_dir / PUBLISHED_FIGURES),
    )


def read_figures_text(path: Path) -> str | None:
    """published_figures.csv as text, or None when the content folder has none (reconcile then says it is needed)."""
    if not path.is_file():
        return None
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, "UTF-8 text", value=f"byte {error.start}", hint="Save the file as UTF-8") from None


def _with_designs(meta: dict, source: Path, codebook: Codebook) -> Codebook:
    """The codebook with each population's sample design from publication.yml `design` (see `Design`)."""
    designs = _require_mapping(meta.get("design") or {}, source, "design", line_of(meta, "design"))
    populations = dict(codebook.populations)
    for pop_id, entry in designs.items():
        where = f"design.{pop_id}"
        row = line_of(designs, pop_id)
        if pop_id not in populations:
            raise InputError(
                source, f"one of the populations {sorted(populations)}", row=row, column="design", value=pop_id
            )
        entry = _require_mapping(entry, source, where, row)
        refuse_unknown_keys(entry, DESIGN_KEYS, source, where)
        taken = {"respondent_id": "the id column", **{c: "a question" for c in codebook.question_columns_of(pop_id)}}
        names: dict[str, str | None] = {}
        for key in DESIGN_KEYS:
            value = entry.get(key)
            if value is None or (key == "fpc" and _is_number(value)):
                continue
            if not is_name(value, ID_PATTERN) or value in taken:
                expected = "a lower_snake_case column name"
                if isinstance(value, str) and value in taken:
                    expected = f"a column name not used by {taken[value]}"
                raise InputError(source, expected, row=line_of(entry, key), column=f"{where}.{key}", value=value)
            taken[value] = f"design.{pop_id}.{key}"
            names[key] = value
        if "weight" not in names:
            raise InputError(
                source,
                "the name of the weight column",
                row=row,
                column=f"{where}.weight",
                hint="A design needs weights; for an equal-probability sample, add a column of 1s",
            )
        fpc = entry.get("fpc")
        if _is_number(fpc) and (fpc <= 0 or names.get("strata")):
            raise InputError(
                source,
                "a population size column (one size per stratum) or, without strata, a positive number",
                row=line_of(entry, "fpc"),
                column=f"{where}.fpc",
                value=fpc,
            )
        design = Design(weight=names["weight"], strata=names.get("strata"), cluster=names.get("cluster"), fpc=fpc)
        populations[pop_id] = replace(populations[pop_id], design=design)
    return replace(codebook, populations=populations)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def load_release(meta: dict, source: Path, codebook: Codebook, project_root: Path) -> Release:
    """publication.yml `release` and `public_use` recodes. Without the key, a synthetic publication or one stating a
    legal basis releases its microdata in full (as before the key existed); any other releases none."""
    legal = bool(meta.get("synthetic")) or bool(str(meta.get("legal_basis") or "").strip())
    policy = meta.get("release", "full" if legal else "none")
    if policy not in RELEASES:
        raise InputError(
            source, f"one of {', '.join(RELEASES)}", row=line_of(meta, "release"), column="release", value=policy
        )
    legal_basis = str(meta.get("legal_basis") or "").strip()
    if policy == "full" and not meta.get("synthetic") and not legal_basis:
        raise InputError(
            source,
            "release: full only for a publication declared synthetic: true or stating a legal_basis",
            row=line_of(meta, "release"),
            column="release",
            value=policy,
            hint="Release full microdata only where the law allows it; otherwise use public-use or none",
        )
    raw = meta.get("public_use") or {}
    if raw and policy != "public-use":
        raise InputError(
            source,
            "public_use recodes only with release: public-use",
            row=line_of(meta, "public_use"),
            column="public_use",
            value=policy,
        )
    recodes = []
    if policy == "public-use":
        raw = _require_mapping(raw, source, "public_use", line_of(meta, "public_use"))
        unknown = [pop_id for pop_id in raw if pop_id not in codebook.populations]
        if unknown:
            raise InputError(
                source,
                f"one of the populations {sorted(codebook.populations)}",
                row=line_of(raw, unknown[0]),
                column="public_use",
                value=unknown[0],
            )
        for pop_id, population in codebook.populations.items():
            entry = _require_mapping(raw.get(pop_id) or {}, source, f"public_use.{pop_id}", line_of(raw, pop_id))
            recodes.append((pop_id, _recodes(entry, source, codebook, population, project_root)))
    return Release(policy=policy, recodes=tuple(recodes), legal_basis=legal_basis)


def _recodes(entry: dict, source: Path, codebook: Codebook, population: Population, project_root: Path) -> Recodes:
    where = f"public_use.{population.id}"
    columns = set(codebook.columns_of(population.id))
    drop = entry.get("drop") or []
    for column in drop if isinstance(drop, list) else [drop]:
        if column not in columns or column == "respondent_id":
            raise InputError(
                source,
                f"a microdata column of population '{population.id}' other than respondent_id",
                row=line_of(entry, "drop"),
                column=f"{where}.drop",
                value=column,
            )
    coarsen = []
    for column, groups in _require_mapping(entry.get("coarsen") or {}, source, f"{where}.coarsen").items():
        question = codebook.questions.get(column)
        valid = (
            question is not None
            and question.population == population.id
            and question.type != "multi"
            and isinstance(groups, list)
            and all(isinstance(g, list) and g for g in groups)
            and all(code in question.codes for group in groups for code in group)
        )
        if not valid:
            raise InputError(
                source,
                "a single-choice question of the population and a list of groups of its codes",
                row=line_of(entry, "coarsen"),
                column=f"{where}.coarsen",
                value=column,
            )
        coarsen.append((column, tuple(tuple(group) for group in groups)))
    top_code = []
    for column, highest in _require_mapping(entry.get("top_code") or {}, source, f"{where}.top_code").items():
        question = codebook.questions.get(column)
        if (
            question is None
            or question.population != population.id
            or question.type == "multi"
            or (highest not in question.codes)
        ):
            raise InputError(
                source,
                "a single-choice question of the population and one of its codes",
                row=line_of(entry, "top_code"),
                column=f"{where}.top_code",
                value=f"{column}: {highest}",
            )
        top_code.append((column, highest))
    return Recodes(
        file=layout.public_use_file(population.id, population.microdata),
        drop=tuple(drop if isinstance(drop, list) else [drop]),
        coarsen=tuple(coarsen),
        top_code=tuple(top_code),
    )


# What a released file lets a reader count back: one rule, applied before any work on the content alone
# (`check_release`: any cross-tabulation cell may turn out small) and after protect on the cells it hid
# (protect.check_recount).


def recount_needs(pub: Publication, indicator: Indicator, breakdown_id: str, group: int, category: str) -> list | None:
    """None when the released file of the indicator's population cannot give cell (group, category) of its
    cross-tabulation by `breakdown_id` (nothing released, or a column it needs left out); else the other cells
    [(group, category)] a reader needs shown to count it by difference: none when the file counts it directly (the
    group and the category's codes released as themselves)."""
    file = pub.released_file(indicator.population)
    if file is None:
        return None
    question = pub.codebook.questions[indicator.question]
    breakdown = pub.codebook.questions[breakdown_id]
    codes = next((net.codes for net in indicator.nets if net.code == category), None) or (int(category),)
    recodes = pub.release.of(indicator.population)
    held = [c for c in pub.codebook.columns_of(indicator.population) if not recodes or c not in recodes.drop]
    if not all(column in held for column in recount_columns(question, breakdown, codes)):
        return None
    group_classes = (recodes.classes(breakdown) if recodes else None) or {code: code for code in breakdown.codes}
    others_in_group = [g for g in breakdown.codes if group_classes[g] == group_classes[group] and g != group]
    extra_codes: list[int] = []
    if question.type != "multi":
        answer_classes = (recodes.classes(question) if recodes else None) or {c: c for c in question.codes}
        touched = {answer_classes[c] for c in codes}
        extra_codes = [c for c in question.codes if answer_classes[c] in touched and c not in codes]
    known = [(str(g), category) for g in others_in_group]
    known += [(str(g), str(c)) for g in (group, *others_in_group) for c in extra_codes]
    return known


def recount_columns(question: Question, breakdown: Question, codes: tuple[int, ...]) -> list[str]:
    """The columns a reader needs to count a cross-tabulation cell: the breakdown's and the category's."""
    answers = [f"{question.id}_{c}" for c in codes] if question.type == "multi" else [question.id]
    return [breakdown.id, *answers]


def recount_error(pub: Publication, indicator: Indicator, breakdown_id: str, group: str, category: str, hidden: bool):
    """The InputError for a cell the released file lets a reader count back (`hidden`: protect did hide it)."""
    question = pub.codebook.questions[indicator.question]
    codes = next((net.codes for net in indicator.nets if net.code == category), None) or (int(category),)
    cell = f"indicator {indicator.id}, breakdown {breakdown_id}, group {group}, category {category}"
    expected = (
        "no suppressed table cell that the released microdata can count back"
        if hidden
        else f"no cross-tabulation cell that the released microdata counts directly while cells under "
        f"disclosure.min_cell ({pub.disclosure.min_cell}) are suppressed"
    )
    return InputError(
        pub.released_file(indicator.population),
        expected,
        column=", ".join(recount_columns(question, pub.codebook.questions[breakdown_id], codes)),
        value=f"{cell} [c]" if hidden else cell,
        hint=f"Drop or coarsen {breakdown_id} in publication.yml public_use.{indicator.population}, or release: none",
    )


def check_release(pub: Publication) -> None:
    """Refuses, before any work, a release policy that contradicts the suppression rules: a released file that
    counts a cross-tabulation cell directly would give back any such cell that protect hides for being small, and
    which cells are small only the data says (every wave anew). Cells counted by difference are judged after
    protect, on the cells it hid (protect.check_recount)."""
    refuse_unchecked_full_release(pub)
    if pub.release.policy == "none" or pub.disclosure.min_cell <= 1:
        return
    for indicator in pub.indicators:
        question = pub.codebook.questions[indicator.question]
        categories = [str(code) for code in question.codes] + [net.code for net in indicator.nets]
        for breakdown_id in indicator.breakdowns:
            for group in pub.codebook.questions[breakdown_id].codes:
                for category in categories:
                    if recount_needs(pub, indicator, breakdown_id, group, category) == []:
                        raise recount_error(pub, indicator, breakdown_id, str(group), category, hidden=False)


# Workbook formats whose cells can be read for formulas (readers.refuse_formulas); a legacy .xls is binary BIFF.
UNCHECKED_WORKBOOKS = (".xls",)


def refuse_unchecked_full_release(pub: Publication) -> None:
    """Under `release: full` the microdata file is published as it is, so it must be one whose cells the load stage
    can check for formulas: a legacy .xls, which no installed library reads formulas from, is refused before any
    work."""
    if pub.release.policy != "full":
        return
    for population in pub.codebook.populations.values():
        if population.microdata.suffix.lower() in UNCHECKED_WORKBOOKS:
            raise InputError(
                pub.content_dir / "publication.yml",
                "a microdata file released in full whose cells can be checked for formulas (.csv, .parquet, .xlsx, "
                ".ods, .sav, .dta)",
                column=f"microdata.{population.id}",
                value=population.microdata.name,
                hint="A file released in full is published as it is; save the sheet as .xlsx, or release it public-use",
            )
