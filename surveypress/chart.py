"""Stage "chart": draws the charts a publication declares, as Vega-Lite specs and static images.

Takes: the `Publication` (its `charts.yml`), the protected indicator table and the folder to write into.
Gives: per chart `<id>.vl.json` (Vega-Lite, made with Altair), `<id>.svg` and `<id>.png` (vl-convert, offline) and
`<id>.csv` (the drawn values with count, base and 95% Wilson interval), and a `ChartOutput` with the title, a text
alternative naming every value with its base, and the rows of a data table. `figure_html` turns a `ChartOutput` into
the accessible `<figure>` a page shows.

Charts are drawn for phones first: about 360 px wide, labels wrapped, every value written beside its bar, the
interval drawn as a black range, low-reliability values `[u]` drawn faint and dashed, suppressed `[c]` values not drawn.
Kinds: `bars`, `compare` (populations side by side) and `breakdown` (one indicator across the groups of one of its
breakdowns: a row per group labelled with its n, a bar per category). The same input gives the same bytes.
"""

from __future__ import annotations

import functools
import html
import importlib.metadata
import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import altair as alt

from surveypress import cache, fonts, i18n, layout, metadata, outputs
from surveypress.address import site_url_for
from surveypress.content import CHARTS, ID_PATTERN, Publication, meta_text, require_name, serves
from surveypress.draw import (
    CJK_TEXT,
    FONT_STACK,
    LATIN_FONT_STACK,
    REPEATED_TEXT,
    Drawer,
    Typeface,
    code_fingerprint,
    needs_cjk_font,
)
from surveypress.errors import InputError
from surveypress.fonts import FontMissingError, find_cjk_font_dir, font_files
from surveypress.i18n import N_, _
from surveypress.text import html_text, url_text
from surveypress.values import TOTAL, Values, render_string

CHARTS_FILE = CHARTS
# Each kind of chart, with what it draws (REFERENCE.md lists them from here).
KINDS = {
    "bars": "Horizontal bars (the default): one bar per category, each with its value, its 95% interval as a range "
    "and its n; `[u]` values faint and dashed, `[c]` values not drawn.",
    "compare": "The same measure for two or more populations side by side (e.g. residents and enterprises): a bar "
    "per series in each category, told apart by colour and a legend; categories are matched by position when every "
    "series lists as many, else by label.",
    "breakdown": "One indicator across the groups of one of its breakdowns (`breakdown:`): a row per group, labelled "
    "with its n, and a bar per category in it (at most four, nets allowed); exactly one series.",
}
SORTS = ("descending", "none")

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency, each >= 3:1 against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
# The most bars one chart draws: 60 rows are already three phone screens tall, and Vega's layout of thousands
# overflows vl-convert's call stack. A question with more options is shown as a table, or charted by the
# categories a chart lists.
MAX_BARS = 60
# The most charts one build draws: each takes about 60 ms of a core per language, so 1,000 take a minute on two
# cores for each edition, several times the longest report's charts; 5,000 (a questionnaire drafted whole by `init`)
# would take ten.
MAX_CHARTS = 1_000
INK = "#1a1a1a"
MUTED = "#4d4d4d"
GRID = "#d9d9d9"


@dataclass(frozen=True)
class Layout:
    """One drawing of a chart, in CSS pixels. Pages show a chart at the width it was drawn (text never scales past
    its drawn size, 14 px, below the 17 px body text): `narrow` on phones, `wide` from `WIDE_MEDIA` on. Downloads
    are the wide drawing with the title and the source line drawn in, so a reused image keeps its caveats."""

    name: str
    width: int  # the whole drawing, at most: the plot takes what labels and values leave
    label_width: float  # em: category labels wrap at about this many Chinese characters
    title_width: float  # em at the title size
    subtitle_width: float
    framed: bool  # title and source line drawn into the image (downloads)


# A 360 px phone leaves Material's column 328 px; from 45em (720 px) on, the column is at least 660 px (no sidebar
# below 60em, then one sidebar, then two from 76.25em, where the grid stops growing).
NARROW = Layout("narrow", 328, 7, 20, 23, framed=False)
WIDE = Layout("wide", 660, 12, 38, 46, framed=False)
DOWNLOAD = Layout("download", 660, 12, 38, 46, framed=True)
WIDE_MEDIA = "(min-width: 45em)"
MIN_PLOT_WIDTH = 100
FONT_SIZE = 14
TITLE_SIZE = 16
SOURCE_SIZE = 12
LINE_HEIGHT = 17
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Series:
    indicator: str
    categories: tuple[str, ...] | None
    label: str | dict[str, str] | None  # one text, or one per language


@dataclass(frozen=True)
class ChartSpec:
    id: str
    page: str
    kind: str
    series: tuple[Series, ...]
    title: str | dict[str, str]  # a template, or one per language (charts.yml: `title: {zh: ..., en: ...}`)
    sort: str
    note: str | dict[str, str] = ""
    breakdown: str = ""  # kind breakdown: the question id of one of the indicator's breakdowns

    def text(self, field_name: str, language: str, source: Path) -> str:
        """The chart's title or note template in `language`; a mapping without that language is an error."""
        value = getattr(self, field_name)
        if isinstance(value, str):
            return value
        for key, text in value.items():
            if serves(key, language):
                return text
        raise InputError(
            source,
            f"a {field_name} in each language of the publication (missing: {language})",
            column=f"chart {self.id}.{field_name}",
            value=value,
        )


# Whether a chart's percents are weighted estimates (their population declares a sample design): none of them, all,
# or some (a chart setting a weighted population beside an unweighted one).
UNWEIGHTED, WEIGHTED, PARTLY_WEIGHTED = "none", "all", "some"


@dataclass
class ChartOutput:
    """What a page needs to show one chart. `files` maps a format (svg, png, csv, vl.json) to its path."""

    id: str
    title: str
    alt: str
    table: list[dict[str, str]]
    files: dict[str, Path]
    page: str = ""
    subtitle: tuple[str, ...] = ()
    note: str = ""
    columns: tuple[str, ...] = field(default=())
    drawn: bool = True  # False when the images came from the cache (cache.py)
    source: str = ""
    weighting: str = UNWEIGHTED  # whether its percents are weighted estimates: none, all or some (`weighting`)


# The data table's columns (message ids: the page shows them translated).
TABLE_COLUMNS = (
    N_("Category"),
    N_("Population group"),
    N_("Percent"),
    N_("{level} confidence interval"),
    N_("Count"),
    N_("Sample size n"),
    N_("Flag"),
)
# A chart of weighted estimates names them so, and shows the unweighted n without a count: a weighted percent is not
# count / n, and a count beside it would say it was. Where only some rows are weighted, each weighted percent says
# so in its cell, under the plain header.
WEIGHTED_TABLE_COLUMNS = (
    N_("Category"),
    N_("Population group"),
    N_("Percent (weighted)"),
    N_("{level} confidence interval"),
    N_("Sample size n (unweighted)"),
    N_("Flag"),
)
PARTLY_WEIGHTED_TABLE_COLUMNS = (
    N_("Category"),
    N_("Population group"),
    N_("Percent"),
    N_("{level} confidence interval"),
    N_("Sample size n (unweighted)"),
    N_("Flag"),
)


def table_columns(weighting: str = UNWEIGHTED) -> tuple[str, ...]:
    """The data table's column headers in the current language, for a chart of `weighting` (`weighting()`)."""
    names = {WEIGHTED: WEIGHTED_TABLE_COLUMNS, PARTLY_WEIGHTED: PARTLY_WEIGHTED_TABLE_COLUMNS}.get(
        weighting, TABLE_COLUMNS
    )
    return tuple(_(name).format(level=interval_level()) for name in names)


def weighting(frame: pd.DataFrame) -> str:
    """Whether the chart's rows are weighted estimates: UNWEIGHTED, WEIGHTED or PARTLY_WEIGHTED."""
    flags = _weighted_column(frame)
    if not any(flags):
        return UNWEIGHTED
    return WEIGHTED if all(flags) else PARTLY_WEIGHTED


def _weighted_column(frame: pd.DataFrame) -> list[bool]:
    """Each row's `weighted` (a frame made without it, by an older cache entry or a test, is unweighted)."""
    return [bool(flag) for flag in frame["weighted"].tolist()] if "weighted" in frame.columns else [False] * len(frame)


def _weighted(pub: Publication, population: str) -> bool:
    """A population's shares are weighted estimates when it declares a sample design (publication.yml `design`)."""
    known = pub.codebook.populations.get(population)
    return known is not None and known.design is not None


_LEVELS: dict[str, str] = {}


def interval_level() -> str:
    """'95%', in the current language's percent format (formatted once per language: every table header has it)."""
    language = i18n.current()
    if language not in _LEVELS:
        _LEVELS[language] = i18n.format_percent(95, 0)
    return _LEVELS[language]


# Read the chart declarations.


def load_chart_specs(pub: Publication) -> list[ChartSpec]:
    """Reads `<content>/charts.yml`; every structural problem names the chart and the field."""
    path = pub.content_dir / CHARTS_FILE
    if not path.is_file():
        return []  # a survey without a printed report may have no charts: its pages show tables only
    document = pub.document(CHARTS_FILE)
    entries = document.get("charts") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "a top-level 'charts' list with at least one chart", column="charts")
    if len(entries) > MAX_CHARTS:
        raise InputError(
            path,
            f"at most {MAX_CHARTS:,} charts in a publication",
            column="charts",
            value=f"{len(entries):,} charts",
            hint="Chart the questions a reader needs; every indicator is still published as a table",
        )
    specs: list[ChartSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise InputError(path, "a mapping per chart", column=f"charts[{index}]", value=entry)
        chart_id = entry.get("id")
        require_name(chart_id, path, "a lower_snake_case chart id", column=f"charts[{index}].id", shape=ID_PATTERN)
        if chart_id in seen:
            raise InputError(path, "chart ids to be unique", column=f"chart {chart_id}", value=chart_id)
        seen.add(chart_id)
        where = f"chart {chart_id}"
        kind = entry.get("kind", "bars")
        if kind not in KINDS:
            raise InputError(path, f"one of {', '.join(KINDS)}", column=f"{where}.kind", value=kind)
        sort = entry.get("sort", "descending")
        if sort not in SORTS:
            raise InputError(path, f"one of {', '.join(SORTS)}", column=f"{where}.sort", value=sort)
        title = entry.get("title")
        if not _is_text_or_texts(title):
            raise InputError(path, "a title template stating the chart's message", column=f"{where}.title")
        page = entry.get("page")
        if not isinstance(page, str) or not page.strip():
            raise InputError(path, "the page path that shows the chart, e.g. findings/usage", column=f"{where}.page")
        raw_series = entry.get("series")
        if not isinstance(raw_series, list) or not raw_series:
            raise InputError(path, "a list of series, each with an indicator", column=f"{where}.series")
        if kind == "breakdown":
            _check_breakdown(pub, path, where, entry, raw_series)
        if kind == "compare" and len(raw_series) < 2:
            raise InputError(path, "at least two series in a compare chart", column=f"{where}.series")
        if len(raw_series) > len(PALETTE):
            raise InputError(path, f"at most {len(PALETTE)} series", column=f"{where}.series", value=len(raw_series))
        series = []
        for item in raw_series:
            if not isinstance(item, dict) or not isinstance(item.get("indicator"), str):
                raise InputError(path, "a series with an indicator id", column=f"{where}.series", value=item)
            categories = item.get("categories")
            if categories is not None and (not isinstance(categories, list) or not categories):
                raise InputError(
                    path, "a non-empty list of category codes", column=f"{where}.series.categories", value=categories
                )
            series.append(
                Series(
                    indicator=item["indicator"],
                    categories=tuple(str(code) for code in categories) if categories is not None else None,
                    label=_series_label_of(item, path, where),
                )
            )
        bars = _bars(pub, series, entry.get("breakdown"))
        if bars > MAX_BARS:
            raise InputError(
                path,
                f"a chart of at most {MAX_BARS} bars (list the ones to draw in 'categories', or show the question as "
                "a table)",
                column=f"{where}.series",
                value=f"{bars:,} bars",
            )
        specs.append(
            ChartSpec(
                id=chart_id,
                page=page.strip(),
                kind=kind,
                series=tuple(series),
                title=title if isinstance(title, str) else {str(key): str(text) for key, text in title.items()},
                sort=sort,
                note=_note(entry.get("note"), path, where),
                breakdown=str(entry.get("breakdown") or ""),
            )
        )
    return specs


def _bars(pub: Publication, series: list[Series], breakdown: Any) -> int:
    """How many bars a chart draws, from the codebook (before any table exists): each series' categories, or its
    question's options; times the groups of a breakdown. An unknown indicator counts none (it is refused later)."""
    bars = 0
    for item in series:
        indicator = pub.indicator(item.indicator) if _has_indicator(pub, item.indicator) else None
        question = pub.codebook.questions.get(indicator.question) if indicator else None
        bars += len(item.categories) if item.categories is not None else len(question.options) if question else 0
    groups = pub.codebook.questions.get(breakdown) if isinstance(breakdown, str) else None
    return bars * (len(groups.options) if groups else 1)


def _check_breakdown(pub: Publication, path: Path, where: str, entry: dict, raw_series: list) -> None:
    """A breakdown chart shows one indicator across the groups of one of its breakdowns."""
    if len(raw_series) != 1 or not isinstance(raw_series[0], dict):
        raise InputError(path, "exactly one series in a breakdown chart", column=f"{where}.series")
    indicator_id = raw_series[0].get("indicator")
    known = _has_indicator(pub, indicator_id) and pub.indicator(indicator_id).breakdowns
    if entry.get("breakdown") not in (known or ()):
        raise InputError(
            path,
            f"one of the breakdowns of indicator '{indicator_id}' ({', '.join(known or ()) or 'it has none'})",
            column=f"{where}.breakdown",
            value=entry.get("breakdown"),
        )


def _series_label_of(item: dict, path: Path, where: str) -> str | dict[str, str] | None:
    """A series' `label`: absent, a string, or one string per language (like a chart's title)."""
    label = item.get("label")
    if label is None or label == "":
        return None
    if isinstance(label, int | float) and not isinstance(label, bool):
        label = str(label)
    if not _is_text_or_texts(label):
        raise InputError(
            path, "a series label: text, or a mapping from language to text", column=f"{where}.series", value=label
        )
    return label


def _in_language(value: str | dict[str, str] | None) -> str | None:
    """Text given once or per language (charts.yml), in the language charts are drawn in now."""
    if value is None or isinstance(value, str):
        return value
    language = i18n.current()
    for key, text in value.items():
        if serves(key, language):
            return text
    raise KeyError(f"no text in language {language!r} in {value!r}")


def _is_text_or_texts(value: Any) -> bool:
    """A non-empty string, or a mapping from language to non-empty strings (contract: charts.yml per language)."""
    if isinstance(value, str):
        return bool(value.strip())
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(text, str) and text.strip() for text in value.values())
    )


def _note(value: Any, path: Path, where: str) -> str | dict[str, str]:
    if value is None or value == "":
        return ""
    if isinstance(value, dict):
        if not _is_text_or_texts(value):
            raise InputError(path, "a note, or a note per language", column=f"{where}.note", value=value)
        return {str(key): str(text) for key, text in value.items()}
    return str(value)


# Fonts.

# Characters that numbers and units are written with in some locales (spaces, dashes, quotes), beside ASCII.
NUMBER_CHARACTERS = "\u00a0\u2009\u202f\u2013\u2014\u2212\u00b7\u2026\u201c\u201d\u2018\u2019"


def drawing_typeface(pub: Publication) -> Typeface | None:
    """The typeface the publication's Chinese, Japanese or Korean charts are drawn with, covering every character its
    content and the engine's catalogues can put into a chart (a drawing with any other character is drawn with the
    full fonts); None without a CJK font."""
    try:
        folder = find_cjk_font_dir()
    except FontMissingError:
        return None
    faces = tuple(fonts.drawing_faces(folder, tuple(name.strip() for name in FONT_STACK.split(","))))
    if not faces:
        return None
    texts = [repr(pub.meta), repr(pub.codebook), repr(pub.indicators), repr(pub.documents.get(CHARTS_FILE))]
    texts += [i18n.catalogue_text(language) for language in pub.languages]
    characters = frozenset("".join(texts)) | frozenset(map(chr, range(0x20, 0x7F))) | frozenset(NUMBER_CHARACTERS)
    key = cache.digest(
        font_files(folder),
        faces,
        "".join(sorted(characters)),
        importlib.metadata.version("fonttools"),
        code_fingerprint(),
    )
    return Typeface(
        alias=f"SurveypressCJK{key[:16]}",
        folder=str(cache.cache_root(pub.project_root) / "fonts" / key[:32]),
        characters=characters,
        faces=faces,
    )


# Text layout.


def _char_width(char: str) -> float:
    # Ambiguous-width marks (“ ” ·) take a full em in Chinese fonts; '%' is wide in bold.
    if unicodedata.east_asian_width(char) in ("W", "F", "A"):
        return 1.0
    return 0.9 if char in "%MW@" else 0.6


def text_width(text: str) -> float:
    """Width in em, erring wide: Chinese, full-width and ambiguous characters 1, most others 0.6."""
    return sum(_char_width(char) for char in text)


# Runs of Latin letters, digits and number punctuation stay on one line ("88.9%", "APP", "18-29").
_TOKEN = re.compile(r"[A-Za-z0-9.%+\-=/()\[\]]+|.", re.DOTALL)
# Chinese typography keeps closing punctuation off the start of a line.
# (Written as escapes: engine source holds no CJK text. Full-width comma, full stop, enumeration comma, semicolon,
# colon, question and exclamation marks, closing brackets and quotes; then the opening ones.)
_NO_LINE_START = set("\uff0c\u3002\u3001\uff1b\uff1a\uff1f\uff01\uff09\u300b\u300d\u300f\u201d\u2019%")
_NO_LINE_END = set("\uff08\u300a\u300c\u300e\u201c\u2018")


def wrap(text: str, width: float) -> list[str]:
    """Line breaking by display width into as few lines as fit, of even length (no one-character last line),
    never splitting a number or a word."""
    return list(_wrapped(text, width))


@functools.lru_cache(maxsize=4096)
def _wrapped(text: str, width: float) -> tuple[str, ...]:
    # Kept: the same source line and labels are wrapped again for every chart and layout, the longest texts wrapped.
    return tuple(_balanced(text, width))


def _balanced(text: str, width: float) -> list[str]:
    lines = _greedy(text, width)
    if len(lines) < 2:
        return lines
    # The narrowest width, in half-em steps, that still needs no more lines than the full width.
    narrow = math.ceil(text_width(text) / len(lines) * 2) / 2
    while narrow < width:
        balanced = _greedy(text, narrow)
        if len(balanced) <= len(lines):
            return balanced
        narrow += 0.5
    return lines


def _greedy(text: str, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        if current and text_width(current + token) > width and token not in _NO_LINE_START:
            # An opening bracket or quote moves down with the word it opens.
            carry = current[-1] if current[-1] in _NO_LINE_END and len(current) > 1 else ""
            lines.append(current[: len(current) - len(carry)].rstrip())
            current = carry + token.lstrip()
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


# Data for one chart.


def _series_name(pub: Publication, values: Values, series: Series) -> str:
    if series.label:
        return _in_language(series.label)
    population = values.row(series.indicator, values.categories(series.indicator)[0])["population"]
    known = pub.codebook.populations.get(str(population))
    return known.title.text(i18n.current()) if known else str(population)


def _categories(pub: Publication, values: Values, series: Series, path: Path, chart_id: str) -> list[str]:
    """The series' categories: as listed, or every option of the question (nets only when listed)."""
    available = values.categories(series.indicator)
    if series.categories is None:
        indicator = pub.indicator(series.indicator) if _has_indicator(pub, series.indicator) else None
        nets = {net.code for net in indicator.nets} if indicator else set()
        return [code for code in available if code not in nets]
    for code in series.categories:
        if code not in available:
            raise InputError(
                path,
                f"a category of indicator '{series.indicator}' (one of {', '.join(available)})",
                column=f"chart {chart_id}.series.categories",
                value=code,
            )
    return list(series.categories)


def _has_indicator(pub: Publication, indicator_id: str) -> bool:
    return any(indicator.id == indicator_id for indicator in pub.indicators)


def _require_indicator(values: Values, series: Series, path: Path, chart_id: str) -> None:
    """A series draws an indicator the table has; else the error names the chart and the known indicators."""
    if series.indicator not in values.indicators:
        raise InputError(
            path,
            f"an indicator of the table (one of {', '.join(values.indicators)})",
            column=f"chart {chart_id}.series.indicator",
            value=series.indicator,
        )


def chart_rows(pub: Publication, values: Values, spec: ChartSpec) -> pd.DataFrame:
    """One row per drawn bar: series, category, the figures, and the layout fields the Vega-Lite spec reads."""
    path = pub.content_dir / CHARTS_FILE
    for series in spec.series:
        _require_indicator(values, series, path, spec.id)
    per_series = [(series, _categories(pub, values, series, path, spec.id)) for series in spec.series]
    names = [_series_name(pub, values, series) for series in spec.series]
    if len(set(names)) != len(names):
        raise InputError(path, "series with distinct labels (add 'label')", column=f"chart {spec.id}.series")

    # Compare charts pair categories across series: by position when every series lists the same number, else label.
    by_position = (
        spec.kind == "compare"
        and all(series.categories is not None for series in spec.series)
        and len({len(categories) for _, categories in per_series}) == 1
    )
    records: list[dict[str, Any]] = []
    for series_index, ((series, categories), name) in enumerate(zip(per_series, names, strict=True)):
        for position, code in enumerate(categories):
            row = values.row(series.indicator, code)
            label = values.label(series.indicator, code)
            if spec.kind == "compare":
                key = str(position) if by_position else label
            elif series.label and len(categories) == 1:
                key = _in_language(series.label)
            elif series.label:
                key = _("{series}: {label}").format(series=_in_language(series.label), label=label)
            else:
                key = label
            percent = values.percent(series.indicator, code)
            records.append(
                {
                    "key": key,
                    "label": label,
                    "series": name,
                    "series_index": series_index,
                    "position": position,
                    "indicator": series.indicator,
                    "population": str(row["population"]),
                    "weighted": _weighted(pub, str(row["population"])),
                    "category": str(code),
                    "count": values.count(series.indicator, code),
                    "base": values.base(series.indicator),
                    "percent": percent,
                    "ci_low": None if percent is None else float(row["ci_low"]),
                    "ci_high": None if percent is None else float(row["ci_high"]),
                    "percent_text": values.pct(series.indicator, code),
                    "ci_text": values.ci(series.indicator, code),
                    "flags": values.flag(series.indicator, code),
                    "low": values.low(series.indicator, code),
                    "suppressed": percent is None,
                }
            )
    # Ordered, labelled and framed in plain Python: pandas takes a millisecond an operation on a few rows, and a
    # publication has hundreds of charts.
    keys = [record["key"] for record in records]
    repeated = {key for key, times in Counter(keys).items() if times > 1}
    if spec.kind != "compare" and repeated:
        raise InputError(
            path,
            "one bar per row label (give each series a 'label' so their categories do not collide)",
            column=f"chart {spec.id}.series",
            value=sorted(repeated),
        )

    # Row order: categories in declared order, or by the first series' percent, largest first (suppressed last).
    first: dict[str, dict[str, Any]] = {}
    for record in records:
        if record["series_index"] == 0:
            first.setdefault(record["key"], record)
    order = list(first)
    if spec.sort == "descending":
        ranked = sorted(first.values(), key=lambda record: (-_sort_value(record["percent"]), record["position"]))
        order = [record["key"] for record in ranked]
    order += [key for key in dict.fromkeys(keys) if key not in order]
    # A compare chart's row shows the label of its first bar; another chart's row shows its key.
    display: dict[str, str] = {}
    for record in records:
        display.setdefault(record["key"], record["label"] if spec.kind == "compare" else record["key"])
    row_order = {key: index for index, key in enumerate(order)}
    records.sort(key=lambda record: (row_order[record["key"]], record["series_index"]))

    # Per-row base only when rows of a bars chart come from indicators with different bases.
    bases_differ = spec.kind != "compare" and len({r["base"] for r in records if not pd.isna(r["base"])}) > 1
    for record in records:
        record["row_order"] = row_order[record["key"]]
        record["row_text"] = display[record["key"]]
        record["row_base"] = f"n={record['base']}" if bases_differ else ""
        record["row_label"] = _row_label(record["row_text"], record["row_base"], NARROW)
        record["value_text"] = _value_text(spec.kind, record["series"], record["percent_text"], record["flags"])
    return pd.DataFrame.from_records(records)


def _sort_value(percent: float | None) -> float:
    """A bar's place when sorted by percent: a suppressed bar (no percent) below every drawn one."""
    return -1.0 if percent is None or math.isnan(percent) else percent


def breakdown_rows(pub: Publication, values: Values, spec: ChartSpec) -> pd.DataFrame:
    """One row per bar of a breakdown chart: a row of bars per breakdown group (labelled with its n), one bar per
    category in it; the fields are those `chart_rows` gives, so the chart is drawn by `build_chart`."""
    path = pub.content_dir / CHARTS_FILE
    series = spec.series[0]
    _require_indicator(values, series, path, spec.id)
    categories = _categories(pub, values, series, path, spec.id)
    if len(categories) > len(PALETTE):
        raise InputError(
            path,
            f"at most {len(PALETTE)} categories in a breakdown chart (list them in 'categories')",
            column=f"chart {spec.id}.series.categories",
            value=len(categories),
        )
    single = len(categories) == 1
    name = _series_name(pub, values, series)
    records: list[dict[str, Any]] = []
    for position, option in enumerate(pub.codebook.questions[spec.breakdown].options):
        group = str(option.code)
        base = values.base(series.indicator, spec.breakdown, group)
        group_label = values.group_label(series.indicator, spec.breakdown, group)
        for series_index, code in enumerate(categories):
            cell = (series.indicator, code, spec.breakdown, group)
            row = values.row(*cell)
            label = values.label(series.indicator, code)
            percent = values.percent(*cell)
            records.append(
                {
                    "key": group_label,
                    "label": label,
                    "series": name if single else label,
                    "series_index": series_index,
                    "position": position,
                    "indicator": series.indicator,
                    "population": str(row["population"]),
                    "weighted": _weighted(pub, str(row["population"])),
                    "category": str(code),
                    "group": group,
                    "group_label": group_label,
                    "count": values.count(*cell),
                    "base": base,
                    "percent": percent,
                    "ci_low": None if percent is None else float(row["ci_low"]),
                    "ci_high": None if percent is None else float(row["ci_high"]),
                    "percent_text": values.pct(*cell),
                    "ci_text": values.ci(*cell),
                    "flags": values.flag(*cell),
                    "low": values.low(*cell),
                    "suppressed": percent is None,
                    "row_order": position,
                    # Each group's n under its name: the groups' bases differ.
                    "row_text": group_label,
                    "row_base": f"n={base}",
                }
            )
    frame = pd.DataFrame.from_records(records)
    frame["row_label"] = row_labels(frame, NARROW)
    frame["value_text"] = [
        _value_text("bars" if single else "compare", name, text, flags)
        for name, text, flags in zip(frame["series"], frame["percent_text"], frame["flags"], strict=True)
    ]
    return frame


def by_group(frame: pd.DataFrame) -> pd.DataFrame:
    """A breakdown chart's rows listed group by group, for the text alternative, data table and CSV."""
    listing = frame.copy()
    listing["series"] = listing["group_label"]
    listing["series_index"] = listing["position"]
    return listing.sort_values(["position", "row_order"], kind="stable").reset_index(drop=True)


def row_labels(frame: pd.DataFrame, layout: Layout) -> list[str]:
    """Each bar's category label wrapped for the layout, with its base when the bases differ."""
    return [_row_label(text, base, layout) for text, base in zip(frame["row_text"], frame["row_base"], strict=True)]


def _row_label(text: str, base: str, layout: Layout) -> str:
    return "\n".join(wrap(text, layout.label_width) + ([base] if base else []))


def _value_text(kind: str, series: str, percent_text: str, flags: str) -> str:
    # The flag is written out so that low reliability is never shown by fading alone.
    text = percent_text
    if "[u]" in flags and percent_text != "[c]":
        text += " [u]"
    return f"{series} {text}" if kind == "compare" else text


# The Vega-Lite spec.


def subtitle_lines(spec: ChartSpec, frame: pd.DataFrame, layout: Layout = NARROW) -> list[str]:
    parts = []
    # Lists, not pandas: this runs three times per chart.
    bases = frame["base"].tolist()
    first_base: dict[Any, Any] = {}
    for series, base in zip(frame["series"].tolist(), bases, strict=True):
        first_base.setdefault(series, base)
    if spec.kind == "compare" or len({base for base in bases if not pd.isna(base)}) == 1:
        parts.append(_("; ").join(f"{series} n={base}" for series, base in first_base.items()))
    # A weighted percent is not count / n: the drawing says which percents are weighted and that n is not.
    weighted_rows = weighting(frame)
    if weighted_rows == WEIGHTED:
        parts.append(_("Weighted percentages; n is the unweighted number of respondents"))
    elif weighted_rows == PARTLY_WEIGHTED:
        names = dict.fromkeys(
            series for series, weighted in zip(frame["series"], _weighted_column(frame), strict=True) if weighted
        )
        parts.append(
            _("Weighted percentages: {series}; n is the unweighted number of respondents").format(
                series=_("; ").join(names)
            )
        )
    parts.append(_("Black lines show the {level} confidence interval").format(level=interval_level()))
    if _any(frame["low"]):
        parts.append(_("[u] sample too small: for reference only"))
    if _any(frame["suppressed"]):
        parts.append(_("[c] too few respondents: not published"))
    lines: list[str] = []
    for part in parts:
        lines.extend(wrap(part, layout.subtitle_width))
    return lines


def build_chart(
    spec: ChartSpec,
    title: str,
    frame: pd.DataFrame,
    layout: Layout = DOWNLOAD,
    source: str = "",
    font: str = FONT_STACK,
) -> alt.LayerChart:
    """Horizontal bars on a 0-100% axis, a black 95% interval over each bar, the value written to the right.

    The page shows the title as HTML above the image, so only a framed (download) drawing carries it, and the
    source line under the axis."""
    # Imported here: a rebuild whose specifications all come from the cache never needs Altair (a second to import).
    import altair as alt

    compare = spec.kind == "compare"
    shape = _geometry(spec, frame, layout)
    frame = shape.frame
    series_names = list(dict.fromkeys(frame["series"]))
    plot_width = shape.plot_width
    # The layers share the data, given once to the layer chart: Altair copies a layer's data each time it combines
    # layers, most of the time a chart takes to specify.
    base = alt.Chart()
    y = alt.Y(
        "row_label:N",
        sort=shape.row_sort,
        title=None,
        axis=alt.Axis(
            labelExpr="split(datum.label, '\\n')",
            labelLimit=0,
            labelFontSize=FONT_SIZE,
            labelColor=INK,
            labelPadding=6,
            labelLineHeight=LINE_HEIGHT,
            # Multi-line labels: start at the top of the text block and lift it half its height, so it is centred.
            labelBaseline="top",
            labelOffset={"expr": f"-length(split(datum.value, '\\n')) * {LINE_HEIGHT / 2}"},
            domain=False,
            ticks=False,
        ),
        # Compare charts: a wider gap between categories than between the series within one.
        scale=alt.Scale(paddingInner=0.25 if compare else 0.1, paddingOuter=0.05),
    )
    source_lines = _source_lines(source, layout)
    x = alt.X(
        "percent:Q",
        title=source_lines or None,
        scale=alt.Scale(domain=[0, 100], nice=False, clamp=True),
        axis=alt.Axis(
            values=[0, 50, 100],
            labelExpr="datum.value + '%'",
            labelFontSize=FONT_SIZE,
            labelColor=MUTED,
            gridColor=GRID,
            domainColor=MUTED,
            tickColor=MUTED,
            # The source line, under the axis and flush with the category labels.
            titleFontSize=SOURCE_SIZE,
            titleFontWeight="normal",
            titleColor=MUTED,
            titleAnchor="start",
            titleAlign="left",
            titleX=shape.title_x,
            titleLineHeight=16,
            titlePadding=10,
        ),
    )
    # Channels are given as Altair objects, never as strings or alt.value() dicts: Altair turns those into objects
    # by searching every schema class (a tenth of a second per chart), and the specification comes out the same.
    colour = (
        alt.Color("series:N", scale=alt.Scale(domain=series_names, range=list(PALETTE[: len(series_names)])))
        if compare
        else alt.ColorValue(PALETTE[0])
    )
    stroke = colour if compare else alt.StrokeValue(PALETTE[0])
    offset: dict[str, Any] = (
        {"yOffset": alt.YOffset("series:N", sort=series_names, scale=alt.Scale(paddingInner=0.15))} if compare else {}
    )
    legend_colour = (
        alt.Color(
            "series:N",
            scale=alt.Scale(domain=series_names, range=list(PALETTE[: len(series_names)])),
            legend=alt.Legend(
                title=None, orient="top", direction="horizontal", labelFontSize=FONT_SIZE, symbolType="square"
            ),
        )
        if compare
        else colour
    )
    bar_size = BAR_HEIGHT if not compare else None
    bars = base.mark_bar(**({"height": bar_size} if bar_size else {}), strokeWidth=1.5).encode(
        y=y,
        x=x,
        color=legend_colour,
        stroke=stroke,
        # Low-reliability values: pale fill and a dashed outline, and "[u]" in the value text.
        fillOpacity=alt.FillOpacityValue(1.0, condition={"test": "datum.low", "value": 0.3}),
        strokeDash=alt.StrokeDashValue([1, 0], condition={"test": "datum.low", "value": [3, 2]}),
        # Vega writes it as the bar's aria-label, which draw.titled turns into the bar's <title> (a tooltip without
        # JavaScript: the `tooltip` channel draws nothing in a static SVG).
        description=alt.Description(f"{HOVER}:N"),
        **offset,
    )
    interval = base.mark_rule(color=INK, strokeWidth=1.5).encode(
        y=y, x=alt.X("ci_low:Q"), x2=alt.X2("ci_high"), **offset
    )
    tick_size = max(8, BAR_HEIGHT - 6)
    ends = [
        base.mark_tick(color=INK, thickness=1.5, size=tick_size).encode(y=y, x=alt.X(f"{end}:Q"), **offset)
        for end in ("ci_low", "ci_high")
    ]
    labels = base.mark_text(align="left", baseline="middle", dx=6, fontSize=FONT_SIZE, color=INK).encode(
        y=y, x=alt.XValue(plot_width), text=alt.Text("value_text:N"), **offset
    )
    # One constructor, not .properties() and .configure_*(): each of those copies the whole chart again.
    layered = alt.LayerChart(
        # Named, so Altair keeps the rows where they are instead of moving them under a name made from their hash.
        data=alt.InlineData(values=shape.records, name=CHART_DATA),
        width=plot_width,
        height=alt.Step(shape.step),
        title=_heading(spec, title, frame, layout),
        background="white",
        padding={"left": 6, "right": 6, "top": 6, "bottom": 6},
        config=alt.Config(font=font, view=alt.ViewConfig(stroke=None), axis=alt.AxisConfig(labelFont=font)),
    )
    # The layers are set after construction: LayerChart() would deep-copy each of them twice, to move their data,
    # parameters, width and height up to the chart, and these layers have none of them (a third of the time a chart
    # takes to specify). tests/test_chart.py checks every drawing against the Vega-Lite schema.
    layered.layer = [bars, interval, *ends, labels]
    return layered


CHART_DATA = "rows"  # the name of a chart's data in its Vega-Lite specification
HOVER = "hover"  # each bar's text for a resting pointer (hover_texts), a column of the drawing's data
CHART_COLUMNS = ("row_label", "series", "percent", "ci_low", "ci_high", "value_text", "low", "base", "count", "flags")


def _empty(cell: Any) -> bool:
    return cell is None or (not isinstance(cell, str | bool) and bool(pd.isna(cell)))


def _records(frame: pd.DataFrame, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The rows as dicts of Python values, like `to_dict("records")`: column by column through `tolist`, because
    pandas 3 walks text columns cell by cell there, a millisecond per small chart frame, and this runs per chart."""
    names = list(frame.columns) if columns is None else list(columns)
    cells = [frame[name].tolist() for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]


def _any(column: pd.Series) -> bool:
    """Whether some cell is true, empty cells skipped (pandas' `any`, at list speed)."""
    return any(bool(cell) for cell in column.tolist() if not _empty(cell))


@dataclass(frozen=True)
class _Shape:
    """What of a chart's drawing depends on its layout: the rows with their wrapped labels (as a frame and as the
    drawing's data), the row step, the plot width and the source line's offset under the label column."""

    frame: pd.DataFrame
    records: list[dict]
    row_sort: list[str]
    step: int
    plot_width: int
    title_x: int


def _geometry(spec: ChartSpec, frame: pd.DataFrame, layout: Layout) -> _Shape:
    compare = spec.kind == "compare"
    frame = frame.assign(row_label=row_labels(frame, layout))
    per_row = len(dict.fromkeys(frame["series"])) if compare else 1
    max_lines = max(label.count("\n") + 1 for label in frame["row_label"])
    # With yOffset, Vega-Lite applies the step to each series' sub-band, not to the whole row.
    row_height = max(max_lines * LINE_HEIGHT + 8, per_row * (BAR_HEIGHT + 4) + 10)
    step = math.ceil(row_height / per_row) if compare else row_height
    # The plot takes the width that labels, values and padding (12 + 2 x 6 px) leave; text_width errs wide.
    label_px = max(text_width(line) for label in frame["row_label"] for line in label.split("\n")) * FONT_SIZE
    value_px = max(text_width(text) for text in frame["value_text"]) * FONT_SIZE
    plot_width = max(MIN_PLOT_WIDTH, math.floor(layout.width - label_px - value_px - 24))
    # The drawing's data: the count as text, an empty cell as null (lists, not pandas: this runs per layout).
    columns = {column: frame[column].tolist() for column in CHART_COLUMNS}
    columns["count"] = [str(count) for count in columns["count"]]
    columns[HOVER] = hover_texts(frame, compare)
    records = [
        {column: None if _empty(cells[row]) else cells[row] for column, cells in columns.items()}
        for row in range(len(frame))
    ]
    row_sort = list(dict.fromkeys(frame["row_label"]))
    return _Shape(frame, records, row_sort, step, plot_width, -(round(label_px) + 6))


def hover_texts(frame: pd.DataFrame, compare: bool) -> list[str]:
    """Each bar's text for a pointer resting on it (its SVG <title>, draw.titled): the bar's name, its value, interval
    and n, from the same cells as the data table (`table_rows`), in the current language."""
    level = interval_level()
    texts = []
    for row in _records(frame, ("row_text", "series", "percent_text", "ci_text", "base", "flags")):
        name = _("{row}, {series}").format(row=row["row_text"], series=row["series"]) if compare else row["row_text"]
        flags = f" {row['flags']}" if row["flags"] and row["percent_text"] != row["flags"] else ""
        texts.append(
            _("{name}: {percent}{flags} ({level} confidence interval {ci}), n={base}").format(
                name=name, percent=row["percent_text"], flags=flags, level=level, ci=row["ci_text"], base=row["base"]
            )
        )
    return texts


def relaid(drawing: dict, spec: ChartSpec, title: str, frame: pd.DataFrame, layout: Layout) -> dict:
    """A page's drawing (`build_chart(..., WIDE).to_dict()`) as `build_chart(..., layout)` makes it for another
    page layout (NARROW), without Altair building the chart again: the two differ only in what `_geometry` gives
    and in the subtitle's wrapping (tests/test_chart.py compares them for every chart)."""
    shape = _geometry(spec, frame, layout)
    drawn = _copied(drawing)
    drawn["data"]["values"] = shape.records
    drawn["width"] = shape.plot_width
    drawn["height"]["step"] = shape.step
    drawn["title"] = _heading(spec, title, frame, layout).to_dict(validate=False)
    for layer in drawn["layer"]:
        layer["encoding"]["y"]["sort"] = list(shape.row_sort)
    drawn["layer"][0]["encoding"]["x"]["axis"]["titleX"] = shape.title_x
    drawn["layer"][-1]["encoding"]["x"]["value"] = shape.plot_width  # the values, written right of the plot
    return drawn


def _copied(drawing: dict) -> dict:
    """A deep copy of a drawing's specification that shares its rows (never changed once made)."""
    copied = json.loads(json.dumps({**drawing, "data": None}))
    copied["data"] = dict(drawing["data"])
    return copied


def _source_lines(source: str, layout: Layout) -> list[str]:
    """The source line drawn under the axis of a framed drawing, wrapped to its width."""
    return wrap(source, (layout.width - 12) / SOURCE_SIZE) if layout.framed and source else []


def _heading(spec: ChartSpec, title: str, frame: pd.DataFrame, layout: Layout) -> alt.Title:
    """A framed drawing's title and subtitle (the bases and the interval note); a page's drawing has only the
    subtitle, smaller, as the page shows the title above it."""
    import altair as alt

    subtitle = subtitle_lines(spec, frame, layout)
    heading = (
        {"text": wrap(title, layout.title_width), "subtitle": subtitle}
        if layout.framed
        else {"text": subtitle, "fontSize": FONT_SIZE, "fontWeight": "normal", "color": MUTED, "lineHeight": 17}
    )
    return alt.Title(
        **{
            "anchor": "start",
            "fontSize": TITLE_SIZE,
            "fontWeight": "bold",
            "color": INK,
            "subtitleFontSize": FONT_SIZE,  # as the page drawing the download is set around
            "subtitleColor": MUTED,
            "subtitlePadding": 6,
            "lineHeight": 21,
            "subtitleLineHeight": 17,
            "offset": 10,
            **heading,
        }
    )


def framed_drawing(wide: dict, spec: ChartSpec, title: str, frame: pd.DataFrame, source: str) -> dict:
    """The download drawing made from the wide one (`build_chart(..., WIDE).to_dict()`), as `build_chart(...,
    DOWNLOAD)` would make it, without Altair building the chart a third time: the two differ only in the heading
    and in the source line under the axis (tests/test_chart.py compares them for every chart)."""
    framed = _copied(wide)
    framed["title"] = _heading(spec, title, frame, DOWNLOAD).to_dict(validate=False)
    lines = _source_lines(source, DOWNLOAD)
    # The bars are the first layer; only their x channel has a title.
    framed["layer"][0]["encoding"]["x"]["title"] = lines or None
    return framed


_SVG_ROOT = re.compile(r'^<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"[^>]*>')


def _top_line(size: float) -> int:
    # Where Vega puts the baseline of a line of text set by its top (vega-scenegraph's text offset, rounded).
    return round(0.79 * size)


_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Untrusted text as SVG character data: `& < >` escaped, and the characters XML forbids even when escaped (most
    C0 controls) made spaces. Not text.html_text: an SVG is no Markdown, and its text stays as readable as Vega's."""
    return html.escape(_XML_FORBIDDEN.sub(" ", text), quote=False)


def _text_block(
    x: float,
    top: float,
    lines: list[str],
    font: str,
    size: float,
    weight: Any,
    colour: str,
    line_height: float,
    repeated: bool = False,
) -> str:
    """Lines of untrusted text as one SVG <text>, its first line's top at `top`, one <tspan> a line as Vega writes;
    `repeated` for text that is the same in every chart (draw.REPEATED_TEXT: its PNG pixels are drawn once)."""
    marked = f'class="{REPEATED_TEXT}" ' if repeated else ""
    style = " ".join(
        f'{name}="{html.escape(str(value))}"'
        for name, value in (
            ("font-family", font),
            ("font-size", f"{size:g}px"),
            ("font-weight", weight),
            ("fill", colour),
        )
    )
    spans = "".join(
        f"<tspan>{_xml_text(line)}</tspan>"
        if number == 0
        else f'<tspan x="0" dy="{line_height:g}">{_xml_text(line)}</tspan>'
        for number, line in enumerate(lines)
    )
    position = f'transform="translate({x:g},{top + _top_line(size):g})" text-anchor="start"'
    return f"<text {marked}{position} {style}>{spans}</text>"


def framed_svg(drawing: str, framed: dict) -> str:
    """The download drawing's SVG: `drawing` (the wide drawing's SVG, as vl-convert drew it) under the title and
    above the source line of `framed` (its framed_drawing), where Vega would set them. Vega would lay the whole chart
    out again for one heading and one source line: a third of the time drawing a chart takes. The sizes, colours,
    gaps and line heights are read from `framed`; the lines are already wrapped (`wrap`), so none is measured here;
    tests/test_chart.py compares the result with Vega's drawing of `framed`."""
    root = _SVG_ROOT.match(drawing)
    if root is None or not drawing.rstrip().endswith("</svg>"):
        raise ValueError("not an SVG drawing with a width and height")
    width, height = float(root.group(1)), float(root.group(2))
    heading = framed["title"]
    padding = framed["padding"]
    font = framed["config"]["font"]
    x_channel = framed["layer"][0]["encoding"]["x"]
    axis = x_channel["axis"]
    title = [str(line) for line in heading.get("text") or []]
    source = [str(line) for line in x_channel.get("title") or []]
    above = below = ""
    top = 0.0
    if title:
        above = _text_block(
            padding["left"],
            padding["top"],
            title,
            font,
            heading["fontSize"],
            heading["fontWeight"],
            heading["color"],
            heading["lineHeight"],
        )
        # The wide drawing begins with the subtitle (the page's heading), which Vega puts under the title.
        gap = heading["subtitlePadding"] if heading.get("subtitle") else heading["offset"]
        top = heading["fontSize"] + (len(title) - 1) * heading["lineHeight"] + gap
    bottom = top + height
    if source:
        source_top = bottom - padding["bottom"] + axis["titlePadding"]
        below = _text_block(
            padding["left"],
            source_top,
            source,
            font,
            axis["titleFontSize"],
            axis["titleFontWeight"],
            axis["titleColor"],
            axis["titleLineHeight"],
            repeated=True,
        )
        bottom = source_top + axis["titleFontSize"] + (len(source) - 1) * axis["titleLineHeight"] + padding["bottom"]
    # Wider than the drawing only should a line be (text_width errs wide).
    widest = max(
        [text_width(line) * heading["fontSize"] for line in title]
        + [text_width(line) * axis["titleFontSize"] for line in source],
        default=0.0,
    )
    outer_width = max(width, math.ceil(padding["left"] + widest + padding["right"]))
    outer_height = math.ceil(bottom)
    # The wide drawing's content moved down, in a group: as a nested <svg> it would be clipped to its box, which
    # costs resvg a layer the size of the PNG (more than doubling its time).
    inner = drawing.rstrip()[root.end() : -len("</svg>")]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'width="{outer_width:g}" height="{outer_height:g}" viewBox="0 0 {outer_width:g} {outer_height:g}">'
        f'<rect width="{outer_width:g}" height="{outer_height:g}" '
        f'fill="{html.escape(str(framed.get("background", "white")))}"/>{above}'
        f'<g transform="translate(0,{top:g})">{inner}</g>{below}</svg>'
    )


# Text alternative and data table.


ALT_TEXT_COLUMNS = ("series_index", "series", "suppressed", "label", "base", "low", "percent_text", "count", "ci_text")
TABLE_ROW_COLUMNS = ("label", "series", "percent_text", "ci_text", "count", "base", "flags")


def alt_text(spec: ChartSpec, title: str, frame: pd.DataFrame) -> str:
    """Every value with its base and interval, in reading order: what a screen reader user needs instead of bars."""
    # Each sentence carries its own trailing space where the language puts one (none in Chinese).
    parts = [_("Chart: {title}. ").format(title=title)]
    level = interval_level()
    # The rows series by series, each in its order (as a stable grouping by series_index gives them).
    by_series: dict[int, list[dict[str, Any]]] = {}
    for row, weighted in zip(_records(frame, ALT_TEXT_COLUMNS), _weighted_column(frame), strict=True):
        by_series.setdefault(row["series_index"], []).append({**row, "weighted": weighted})
    for index in sorted(by_series):
        rows = by_series[index]
        items = []
        for row in rows:
            if row["suppressed"]:
                items.append(_("{label} [c] (not published, n={base})").format(label=row["label"], base=row["base"]))
                continue
            flag = _(", [u] for reference only") if row["low"] else ""
            # A weighted percent is not count / n: it is said to be weighted and stands beside n alone.
            message = (
                _("{label} {percent} weighted (n={base} respondents, {level} confidence interval {ci}{flag})")
                if row["weighted"]
                else _("{label} {percent} ({count} respondents, n={base}, {level} confidence interval {ci}{flag})")
            )
            items.append(
                message.format(
                    label=row["label"],
                    percent=row["percent_text"],
                    count=row["count"],
                    base=row["base"],
                    level=level,
                    ci=row["ci_text"],
                    flag=flag,
                )
            )
        parts.append(_("{series}: {items}. ").format(series=rows[0]["series"], items=_("; ").join(items)))
    return "".join(parts).rstrip()


def table_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The data table's rows, keyed by the column headers in the current language (`table_columns`); a chart of
    weighted estimates has no count column, and where only some rows are weighted their percents say so."""
    weighted = weighting(frame)
    columns = table_columns(weighted)
    rows = []
    for row, row_weighted in zip(_records(frame, TABLE_ROW_COLUMNS), _weighted_column(frame), strict=True):
        percent = row["percent_text"]
        if weighted == UNWEIGHTED:
            cells: tuple[str, ...] = (row["label"], row["series"], percent, row["ci_text"], str(row["count"]))
        else:
            if weighted == PARTLY_WEIGHTED and row_weighted and percent != "[c]":
                percent = _("{percent} weighted").format(percent=percent)
            cells = (row["label"], row["series"], percent, row["ci_text"])
        rows.append(dict(zip(columns, (*cells, str(row["base"]), row["flags"]), strict=True)))
    return rows


def data_frame_for_download(spec: ChartSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The chart's data as published in `<id>.csv`: one row per bar, suppressed cells as [c]."""

    # Lists, not the frame's columns: pandas would align their indexes (a few rows, but once per chart).
    def figures(column: str) -> list[str]:
        return ["[c]" if _empty(value) else f"{value:.2f}" for value in frame[column].tolist()]

    return pd.DataFrame(
        {
            "chart": [spec.id] * len(frame),
            "series": frame["series"].tolist(),
            "indicator": frame["indicator"].tolist(),
            "population": frame["population"].tolist(),
            "category": frame["category"].tolist(),
            "category_label": frame["label"].tolist(),
            "count": [str(value) for value in frame["count"].tolist()],
            "base": frame["base"].astype("int64").to_numpy(),
            "percent": figures("percent"),
            "ci_low": figures("ci_low"),
            "ci_high": figures("ci_high"),
            "flags": frame["flags"].tolist(),
        }
    )


# The stage.


def render_charts(
    pub: Publication, table: Any, out_dir: str | Path, language: str | None = None
) -> dict[str, ChartOutput]:
    """Draws every chart of charts.yml into `out_dir` in `language` (default: the primary); returns
    {chart id: ChartOutput} in declaration order."""
    language = language or pub.primary
    return render_editions(pub, table, {language: out_dir})[language]


def render_editions(pub: Publication, table: Any, targets: dict[str, str | Path]) -> dict[str, dict[str, ChartOutput]]:
    """Draws every chart of charts.yml once per language of `targets`, into that language's folder; returns
    {language: {chart id: ChartOutput}}, charts in declaration order. The editions share one set of workers."""
    with EditionCharts(pub, targets) as charts:
        charts.send(table)
        return {language: charts.finish(language) for language in targets}


class EditionCharts:
    """The charts of every edition (language) of `targets`, drawn into that language's folder: made with the
    drawing workers already started (`Drawer.start`), so that they are ready when the tables are; `send` prepares
    each chart and sends it to be drawn, and the caller may do other work until `finish` writes one edition's. Use as
    a context manager: leaving it stops the workers."""

    def __init__(self, pub: Publication, targets: dict[str, str | Path]) -> None:
        self.pub = pub
        self.specs = load_chart_specs(pub)
        self.store = cache.Cache(pub.project_root, "vega-lite")
        self.targets = targets
        self.drawer = Drawer(
            len(self.specs) * len(targets), cache.Cache(pub.project_root, "charts"), drawing_typeface(pub)
        )
        self.drawer.start()
        # Per language: [(prepared chart, its number with the drawer, or the numbers of its three drawings)].
        self.prepared: dict[str, list[tuple[PreparedChart, int | list[int]]]] = {}

    def send(self, table: Any) -> int:
        """Prepares every chart of every edition from the protected table and sends it to be drawn; how many."""
        values = table if isinstance(table, Values) else Values(table, primary=self.pub.primary)
        for language in self.targets:
            if not self.specs:
                self.prepared[language] = []
                continue
            with i18n.language(language):
                source = source_line(self.pub, values)
                self.prepared[language] = [
                    self._send(prepare_chart(self.pub, values, spec, source, self.store)) for spec in self.specs
                ]
        return sum(len(charts) for charts in self.prepared.values())

    def _send(self, prepared: PreparedChart) -> tuple[PreparedChart, int | list[int]]:
        # The narrow and wide drawings the page shows, then the framed download (the only one with a PNG), made
        # around the wide one.
        pngs = tuple(layout is DOWNLOAD for layout in (NARROW, WIDE, DOWNLOAD))
        around = (None, None, (framed_svg, 1))
        if prepared.layouts is None:
            arguments = (prepared.drawn_as, prepared.title, prepared.frame, prepared.source, i18n.current())
            return prepared, self.drawer.add_specified(specification_text, arguments, pngs, around)
        layouts = list(prepared.layouts)
        return prepared, [
            self.drawer.add(layout, png, None if item is None else (item[0], layouts[item[1]]))
            for layout, png, item in zip(layouts, pngs, around, strict=True)
        ]

    def __enter__(self) -> EditionCharts:
        return self

    def __exit__(self, *_exception: object) -> None:
        self.drawer.__exit__()

    def finish(self, language: str) -> dict[str, ChartOutput]:
        """Waits for the drawings of `language`'s charts (sent in order, so the first edition's come first) and
        writes every chart's files; {chart id: ChartOutput}."""
        charts: dict[str, ChartOutput] = {}
        with i18n.language(language):
            for prepared, number in self.prepared[language]:
                if isinstance(number, int):
                    text, images = self.drawer.result(number)
                    prepared.layouts = tuple(json.loads(text))  # type: ignore[assignment]
                    if prepared.key is not None:
                        self.store.put(prepared.key, {"json": text.encode("utf-8")})
                else:
                    images = [self.drawer.result(item) for item in number]
                (narrow, _, _), (wide, _, _), (svg, png, _) = images
                spec = prepared.spec
                output = write_chart(
                    spec,
                    prepared.title,
                    prepared.frame,
                    prepared.layouts[2],  # type: ignore[index]
                    svg,
                    png,
                    Path(self.targets[language]),
                    narrow,
                    wide,
                    prepared.source,
                )
                output.drawn = any(drawn for _svg, _png, drawn in images)
                charts[spec.id] = output
        return charts


def source_line(pub: Publication, values: Values) -> str:
    """The line under every chart and drawn into its downloads: publisher, data set, licence and, for synthetic
    data, the warning; from the `source` template of charts.yml (Jinja2 with `meta`; one string, or one per
    language like a title), else `default_source` in the current language."""
    path = pub.content_dir / CHARTS_FILE
    document = pub.document(CHARTS_FILE)
    template = document.get("source") if isinstance(document, dict) else None
    if template is not None and not _is_text_or_texts(template):
        raise InputError(path, "a Jinja2 template string, or one per language", column="source", value=template)
    template = _in_language(template)
    if not template:
        line = " ".join(default_source(pub).split())
    else:
        line = " ".join(render_string(template, values, name=f"{path}, source", meta=pub.meta).split())
    # A reused image names where it came from: the site's address, when publication.yml gives one.
    address = site_url_for(pub.meta, {})
    return _("{source} Online: {address}").format(source=line, address=address) if address else line


def default_source(pub: Publication) -> str:
    """The source line of a publication whose charts.yml gives none, from publication.yml in the current language:
    publisher, title and version, licence and, for synthetic data, the warning; a part without its value is left out.
    Each sentence carries the trailing space its language puts after it (none in Chinese)."""
    meta = pub.meta
    language = i18n.current()
    publisher = _meta_piece((meta.sources or [{}])[0].get("publisher"), language)
    licence = _meta_piece((meta.licenses or [{}])[0].get("name"), language)
    parts = [_("Source: {publisher}. ").format(publisher=publisher)] if publisher else []
    parts.append(
        _("Data: {title}, version {version}. ").format(
            title=meta_text(pub, "title", language) or str(meta.name or ""), version=meta.version or ""
        )
    )
    if licence:
        parts.append(_("Licence: {licence}. ").format(licence=licence))
    if meta.synthetic:
        parts.append(_("Synthetic microdata: cross-tabulations say nothing about real respondents."))
    return "".join(parts)


def _meta_piece(value: Any, language: str) -> str:
    """A publication.yml value given once or per language (a source's publisher), in `language`."""
    if isinstance(value, dict):
        return next((str(text) for key, text in value.items() if serves(str(key), language) and text), "")
    return "" if value is None else str(value)


@dataclass
class PreparedChart:
    """A chart in one language before drawing: its title, rows, the chart kind it is drawn as and, when specified
    before by the same code (the `vega-lite` cache), its specifications (narrow, wide, download)."""

    spec: ChartSpec
    title: str
    frame: pd.DataFrame
    drawn_as: ChartSpec
    source: str
    key: str | None = None
    layouts: tuple[dict, dict, dict] | None = None


def prepare_chart(
    pub: Publication, values: Values, spec: ChartSpec, source: str = "", store: cache.Cache | None = None
) -> PreparedChart:
    """The chart's title and rows in the current language, and its specifications when `store` has them."""
    path = pub.content_dir / CHARTS_FILE
    template = spec.text("title", i18n.current(), path)
    title = render_string(template, values, name=f"{path}, chart {spec.id}, title")
    if spec.kind == "breakdown":
        # Drawn as grouped bars (a compare layout) when it shows several categories, else as plain bars.
        frame = breakdown_rows(pub, values, spec)
        drawn_as = replace(spec, kind="compare" if frame["series"].nunique() > 1 else "bars")
    else:
        frame = chart_rows(pub, values, spec)
        drawn_as = spec
    prepared = PreparedChart(spec, title, frame, drawn_as, source)
    if store is not None:
        prepared.key = cache.digest(
            code_fingerprint(),
            _altair_version(),
            i18n.current(),
            repr(spec),
            title,
            source,
            frame.to_csv(index=False),
            [*map(str, frame.dtypes)],
        )
        entry = store.get(prepared.key, ("json",))
        if entry is not None:
            prepared.layouts = tuple(json.loads(entry["json"].decode("utf-8")))  # type: ignore[assignment]
    return prepared


@functools.cache
def _altair_version() -> str:
    # Read once: importlib.metadata searches the installed packages each time (3 ms, once per chart).
    return importlib.metadata.version("altair")


def specification_text(drawn_as: ChartSpec, title: str, frame: pd.DataFrame, source: str, language: str) -> str:
    """The chart's Vega-Lite specifications (narrow, wide, download) in `language`, as the JSON text the cache keeps:
    cold or warm, drawings are made from the specifications read back from this text, so both give the same bytes.
    Run in a drawing worker when there are many charts (Altair takes most of a chart's time before drawing)."""
    import altair as alt

    def drawings(font: str) -> list[dict]:
        # Altair checks each part against the Vega-Lite schema as it is made and the whole again, most of the
        # time a chart takes to specify; the parts come from this module alone, and tests/test_chart.py checks
        # every chart of the default publication against the schema.
        with alt.utils.schemapi.debug_mode(False):
            wide = build_chart(drawn_as, title, frame, WIDE, source, font=font).to_dict(validate=False)
        narrow = relaid(wide, drawn_as, title, frame, NARROW)
        return [narrow, wide, framed_drawing(wide, drawn_as, title, frame, source)]

    with i18n.language(language):
        # CJK fonts are named only when some drawing has CJK text. The font names are Latin, so whichever stack is
        # tried first gives the same answer; the likelier one is tried first, to specify most charts once.
        texts = [title, source, *map(str, frame["row_text"].tolist() + frame["series"].tolist())]
        likely = FONT_STACK if CJK_TEXT.search("".join(texts)) else LATIN_FONT_STACK
        drawn = drawings(likely)
        font = FONT_STACK if any(needs_cjk_font(drawing) for drawing in drawn) else LATIN_FONT_STACK
        # Compact: this text is only read back (json.loads) and kept in the cache; an indent would make Python's
        # encoder take five times as long.
        return json.dumps(drawn if font == likely else drawings(font), ensure_ascii=False, allow_nan=False)


def specify(prepared: PreparedChart) -> tuple[dict, dict, dict]:
    """The chart's specifications (narrow, wide, download), made in this process when not prepared already."""
    if prepared.layouts is None:
        text = specification_text(prepared.drawn_as, prepared.title, prepared.frame, prepared.source, i18n.current())
        prepared.layouts = tuple(json.loads(text))  # type: ignore[assignment]
    return prepared.layouts


def _svg_text(svg: str) -> str:
    return svg if svg.endswith("\n") else svg + "\n"


def write_chart(
    spec: ChartSpec,
    title: str,
    frame: pd.DataFrame,
    vega_lite: dict,
    svg: str,
    png: bytes,
    out_dir: Path,
    narrow: str | None = None,
    wide: str | None = None,
    source: str = "",
) -> ChartOutput:
    # A breakdown chart's text, table and CSV name every group: its rows are listed group by group.
    listing = by_group(frame) if spec.kind == "breakdown" else frame
    download = data_frame_for_download(spec, listing)
    if spec.kind == "breakdown":
        download.insert(4, "breakdown", spec.breakdown)
        download.insert(5, "group", listing["group"])
    files = {
        "svg": outputs.write_text(out_dir / f"{spec.id}.svg", _svg_text(svg)),
        "png": outputs.write_bytes(out_dir / f"{spec.id}.png", png),
        "csv": outputs.write_csv(out_dir / f"{spec.id}.csv", download),
        "vl.json": outputs.write_json(out_dir / f"{spec.id}.vl.json", vega_lite),
    }
    if narrow is not None and wide is not None:
        files["screen"] = outputs.write_text(out_dir / f"{spec.id}.screen.svg", _svg_text(narrow))
        files["screen-wide"] = outputs.write_text(out_dir / f"{spec.id}.screen-wide.svg", _svg_text(wide))
    return ChartOutput(
        id=spec.id,
        title=title,
        alt=alt_text(spec, title, listing),
        table=table_rows(listing),
        files=files,
        page=spec.page,
        subtitle=tuple(subtitle_lines(spec, frame)),
        note=spec.text("note", i18n.current(), Path(CHARTS_FILE)) if spec.note else "",
        columns=table_columns(weighting(frame)),
        source=source,
        weighting=weighting(frame),
    )


# HTML for a page.

DOWNLOADS = (
    ("csv", N_("Data (CSV)")),
    ("svg", N_("Image (SVG)")),
    ("png", N_("Image (PNG)")),
    ("vl.json", N_("Vega-Lite specification (JSON)")),
)


def _relative_root(page_path: str) -> str:
    """'findings/usage' or 'findings/usage.md' -> '../' (pages are served as findings/usage.html)."""
    depth = len(PurePosixPath(str(page_path)).parts) - 1
    return "../" * max(depth, 0)


def _marked_publisher(citation: str, citing: metadata.Citing, esc) -> str:
    """The escaped citation with the publisher's name marked with its language where it is not the edition's."""
    if not citing.publisher or not citing.publisher_language:
        return citation
    name = esc(citing.publisher)
    return citation.replace(name, f'<span lang="{url_text(citing.publisher_language)}">{name}</span>', 1)


def figure_html(
    chart: ChartOutput,
    page_path: str,
    assets: str = layout.CHARTS,
    eager: bool = False,
    citing: metadata.Citing | None = None,
) -> str:
    """A self-contained, escaped <figure>: the title as its caption with a link to the chart's anchor, the image
    drawn for the screen's width, the source line, a long description, the data table, the downloads and the
    chart's permanent link and citation (`citing`: metadata.citing; plain HTML, no script). `eager` for a page's
    first chart, its largest paint: it is fetched at once instead of lazily.

    No blank line inside, so Markdown keeps it as one raw HTML block. The caption is the first child (HTML allows it
    only first or last).
    """
    # One escaping for all text from content and data (text.markdown_text): HTML, and Markdown if the block breaks.
    esc = html_text
    root = _relative_root(page_path) + assets.strip("/") + "/"
    description_id = f"chart-{url_text(chart.id)}-description"
    files = {fmt: url_text(f"{root}{chart.id}.{fmt}") for fmt, _label in DOWNLOADS}
    columns = chart.columns or table_columns()
    header = "".join(f'<th scope="col">{esc(name)}</th>' for name in columns)
    body_rows = []
    for row in chart.table:
        cells = [f'<th scope="row">{esc(row.get(columns[0], ""))}</th>']
        cells += [f"<td>{esc(row.get(name, ''))}</td>" for name in columns[1:]]
        body_rows.append(f"<tr>{''.join(cells)}</tr>")
    hidden = _(": {title}").format(title=chart.title)
    summary = _("Show the data table")
    # The translated sentence around the links; the links are HTML, so they go in after its text is escaped.
    download_before, _placeholder, download_after = _("Download: {links}").partition("{links}")
    links = " · ".join(
        f'<a href="{files[fmt]}" download>{esc(_(label))}<span class="sp-visually-hidden">{esc(hidden)}</span></a>'
        for fmt, label in DOWNLOADS
    )
    table_name = _("Data table: {title}").format(title=chart.title)
    caption = chart.title
    if chart.weighting == WEIGHTED:
        caption = _("{title} (weighted estimates)").format(title=chart.title)
    elif chart.weighting == PARTLY_WEIGHTED:
        caption = _("{title} (partly weighted estimates)").format(title=chart.title)
    note = f'<p class="sp-chart-note">{esc(chart.note)}</p>' if chart.note else ""
    source = f'<p class="sp-chart-source">{esc(chart.source)}</p>' if chart.source else ""
    screen = chart.files.get("screen") or chart.files.get("svg")
    width, height = _svg_size(screen)
    size = f' width="{width}" height="{height}"' if width and height else ""
    loading = ' fetchpriority="high"' if eager else ' loading="lazy"'
    image = (
        f'<img src="{url_text(root + Path(screen).name) if screen else files["svg"]}" alt="{esc(chart.title)}"'
        f' aria-describedby="{description_id}"{size}{loading} decoding="async">'
    )
    wide = chart.files.get("screen-wide")
    if wide:
        wide_width, wide_height = _svg_size(wide)
        wide_size = f' width="{wide_width}" height="{wide_height}"' if wide_width and wide_height else ""
        image = (
            f'<picture><source media="{WIDE_MEDIA}" srcset="{url_text(root + Path(wide).name)}" type="image/svg+xml"'
            f"{wide_size}>{image}</picture>"
        )
    anchor = f"#chart-{url_text(chart.id)}"
    address = metadata.chart_address(citing, str(page_path), url_text(chart.id))
    # Messages outside the f-strings: pybabel does not extract from inside them.
    anchor_name = _("Link to this chart: {title}").format(title=chart.title)
    anchor_link = (
        f'<a class="sp-chart-anchor" href="{anchor}"><span aria-hidden="true">#</span>'
        f'<span class="sp-visually-hidden">{esc(anchor_name)}</span></a>'
    )
    cite: list[str] = []
    if citing is not None:
        cite_summary = _("Link and cite")
        # The link goes into the translated sentence after its text is escaped, as the downloads' links do.
        link_before, _placeholder, link_after = _("Permanent link: {link}").partition("{link}")
        citation = _("Cite as: {citation}").format(citation=metadata.chart_citation(citing, chart.title, address))
        cite = [
            '<details class="sp-chart-cite">',
            f"<summary>{esc(cite_summary)}</summary>",
            f'<p>{_escaped_with_edges(link_before)}<a href="{url_text(address)}">{esc(address)}</a>'
            f"{_escaped_with_edges(link_after)}</p>",
            f"<p>{_marked_publisher(esc(citation), citing, esc)}</p>",
            "</details>",
        ]
    lines = [
        f'<figure class="sp-chart" id="chart-{url_text(chart.id)}">',
        f"<figcaption>{esc(caption)} {anchor_link}</figcaption>",
        image,
        source,
        f'<p class="sp-visually-hidden" id="{description_id}">{esc(chart.alt)}</p>',
        note,
        '<details class="sp-chart-data">',
        f"<summary>{esc(summary)}</summary>",
        f'<div class="sp-table-scroll" role="region" aria-label="{esc(table_name)}" tabindex="0">',
        # A class keeps Material from wrapping the table in a second scrolling box.
        f'<table class="sp-data"><caption>{esc(caption)}</caption>',
        f"<thead><tr>{header}</tr></thead>",
        f"<tbody>{''.join(body_rows)}</tbody>",
        "</table></div>",
        "</details>",
        f'<p class="sp-chart-downloads">{_escaped_with_edges(download_before)}{links}'
        f"{_escaped_with_edges(download_after)}</p>",
        *cite,
        "</figure>",
    ]
    return "\n".join(line for line in lines if line)


def _escaped_with_edges(text: str) -> str:
    """A piece of a translated sentence, escaped, keeping a space at either end where the catalogue puts one: the
    catalogue decides the punctuation (a space after an English colon, none after a full-width one)."""
    return (" " if text[:1].isspace() else "") + html_text(text) + (" " if text[-1:].isspace() else "")


_SVG_SIZE = re.compile(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"')


def _svg_size(path: Path | None) -> tuple[str, str]:
    """The SVG's own size in whole pixels (HTML wants integers), so the page reserves the space before the image
    loads (no layout shift)."""
    if not path or not Path(path).is_file():
        return "", ""
    match = _SVG_SIZE.search(Path(path).read_text(encoding="utf-8")[:500])
    if not match:
        return "", ""
    return str(math.ceil(float(match.group(1)))), str(math.ceil(float(match.group(2))))


__all__ = [
    "ChartOutput",
    "ChartSpec",
    "FontMissingError",
    "Series",
    "TOTAL",
    "figure_html",
    "load_chart_specs",
    "render_charts",
]
