"""Reads charts.yml into `ChartSpec`s: every structural problem names the chart and the field; what a kind needs
beyond the shared keys its module checks (`ChartKind.check`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from surveypress.charts import registry
from surveypress.charts.layouts import PALETTE
from surveypress.charts.model import CHARTS_FILE, ChartSpec, Series, is_text_or_texts
from surveypress.charts.rows import has_indicator
from surveypress.content import ID_PATTERN, Publication, require_name
from surveypress.errors import InputError

SORTS = ("descending", "none")
# The most bars one chart draws: 60 rows are already three phone screens tall, and Vega's layout of thousands
# overflows vl-convert's call stack. A question with more options is shown as a table, or charted by the
# categories a chart lists.
MAX_BARS = 60
# The most charts one build draws: each takes about 60 ms of a core per language, so 1,000 take a minute on two
# cores for each edition, several times the longest report's charts; 5,000 (a questionnaire drafted whole by `init`)
# would take ten.
MAX_CHARTS = 1_000


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
        specs.append(_chart_spec(pub, path, chart_id, entry))
    return specs


def _chart_spec(pub: Publication, path: Path, chart_id: str, entry: dict) -> ChartSpec:
    """One chart's declaration, checked: the keys every chart has, then what its kind needs."""
    where = f"chart {chart_id}"
    kind = entry.get("kind", registry.DEFAULT)
    if kind not in registry.KINDS:
        raise InputError(path, f"one of {', '.join(registry.KINDS)}", column=f"{where}.kind", value=kind)
    sort = entry.get("sort", "descending")
    if sort not in SORTS:
        raise InputError(path, f"one of {', '.join(SORTS)}", column=f"{where}.sort", value=sort)
    title = entry.get("title")
    if not is_text_or_texts(title):
        raise InputError(path, "a title template stating the chart's message", column=f"{where}.title")
    page = entry.get("page")
    if not isinstance(page, str) or not page.strip():
        raise InputError(path, "the page path that shows the chart, e.g. findings/usage", column=f"{where}.page")
    raw_series = entry.get("series")
    if not isinstance(raw_series, list) or not raw_series:
        raise InputError(path, "a list of series, each with an indicator", column=f"{where}.series")
    registry.kind_of(kind).check(pub, path, where, entry, raw_series)
    if len(raw_series) > len(PALETTE):
        raise InputError(path, f"at most {len(PALETTE)} series", column=f"{where}.series", value=len(raw_series))
    series = [_series(item, path, where) for item in raw_series]
    bars = _bars(pub, series, entry.get("breakdown"))
    if bars > MAX_BARS:
        raise InputError(
            path,
            f"a chart of at most {MAX_BARS} bars (list the ones to draw in 'categories', or show the question as "
            "a table)",
            column=f"{where}.series",
            value=f"{bars:,} bars",
        )
    return ChartSpec(
        id=chart_id,
        page=page.strip(),
        kind=kind,
        series=tuple(series),
        title=title if isinstance(title, str) else {str(key): str(text) for key, text in title.items()},
        sort=sort,
        note=_note(entry.get("note"), path, where),
        breakdown=str(entry.get("breakdown") or ""),
    )


def _series(item: Any, path: Path, where: str) -> Series:
    if not isinstance(item, dict) or not isinstance(item.get("indicator"), str):
        raise InputError(path, "a series with an indicator id", column=f"{where}.series", value=item)
    categories = item.get("categories")
    if categories is not None and (not isinstance(categories, list) or not categories):
        raise InputError(
            path, "a non-empty list of category codes", column=f"{where}.series.categories", value=categories
        )
    return Series(
        indicator=item["indicator"],
        categories=tuple(str(code) for code in categories) if categories is not None else None,
        label=_series_label_of(item, path, where),
    )


def _bars(pub: Publication, series: list[Series], breakdown: Any) -> int:
    """How many bars a chart draws, from the codebook (before any table exists): each series' categories, or its
    question's options; times the groups of a breakdown. An unknown indicator counts none (it is refused later)."""
    bars = 0
    for item in series:
        indicator = pub.indicator(item.indicator) if has_indicator(pub, item.indicator) else None
        question = pub.codebook.questions.get(indicator.question) if indicator else None
        bars += len(item.categories) if item.categories is not None else len(question.options) if question else 0
    groups = pub.codebook.questions.get(breakdown) if isinstance(breakdown, str) else None
    return bars * (len(groups.options) if groups else 1)


def _series_label_of(item: dict, path: Path, where: str) -> str | dict[str, str] | None:
    """A series' `label`: absent, a string, or one string per language (like a chart's title)."""
    label = item.get("label")
    if label is None or label == "":
        return None
    if isinstance(label, int | float) and not isinstance(label, bool):
        label = str(label)
    if not is_text_or_texts(label):
        raise InputError(
            path, "a series label: text, or a mapping from language to text", column=f"{where}.series", value=label
        )
    return label


def _note(value: Any, path: Path, where: str) -> str | dict[str, str]:
    if value is None or value == "":
        return ""
    if isinstance(value, dict):
        if not is_text_or_texts(value):
            raise InputError(path, "a note, or a note per language", column=f"{where}.note", value=value)
        return {str(key): str(text) for key, text in value.items()}
    return str(value)
