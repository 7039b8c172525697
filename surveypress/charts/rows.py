"""What every kind's rows are made of: a series' name and categories, a row's label and value text, whether its
percent is weighted, and the rows read as Python values (faster than pandas' records on a few rows)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from surveypress import i18n
from surveypress.charts.layouts import Layout
from surveypress.charts.model import PARTLY_WEIGHTED, UNWEIGHTED, WEIGHTED, Series, in_language
from surveypress.charts.wrap import wrap
from surveypress.content import Publication
from surveypress.errors import InputError
from surveypress.values import Values


def weighting(frame: pd.DataFrame) -> str:
    """Whether the chart's rows are weighted estimates: UNWEIGHTED, WEIGHTED or PARTLY_WEIGHTED."""
    flags = weighted_column(frame)
    if not any(flags):
        return UNWEIGHTED
    return WEIGHTED if all(flags) else PARTLY_WEIGHTED


def weighted_column(frame: pd.DataFrame) -> list[bool]:
    """Each row's `weighted` (a frame made without it, by an older cache entry or a test, is unweighted)."""
    return [bool(flag) for flag in frame["weighted"].tolist()] if "weighted" in frame.columns else [False] * len(frame)


def weighted_population(pub: Publication, population: str) -> bool:
    """A population's shares are weighted estimates when it declares a sample design (publication.yml `design`)."""
    known = pub.codebook.populations.get(population)
    return known is not None and known.design is not None


def series_name(pub: Publication, values: Values, series: Series) -> str:
    if series.label:
        return in_language(series.label)
    population = values.row(series.indicator, values.categories(series.indicator)[0])["population"]
    known = pub.codebook.populations.get(str(population))
    return known.title.text(i18n.current()) if known else str(population)


def series_categories(pub: Publication, values: Values, series: Series, path: Path, chart_id: str) -> list[str]:
    """The series' categories: as listed, or every option of the question (nets only when listed)."""
    available = values.categories(series.indicator)
    if series.categories is None:
        indicator = pub.indicator(series.indicator) if has_indicator(pub, series.indicator) else None
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


def has_indicator(pub: Publication, indicator_id: str) -> bool:
    return any(indicator.id == indicator_id for indicator in pub.indicators)


def require_indicator(values: Values, series: Series, path: Path, chart_id: str) -> None:
    """A series draws an indicator the table has; else the error names the chart and the known indicators."""
    if series.indicator not in values.indicators:
        raise InputError(
            path,
            f"an indicator of the table (one of {', '.join(values.indicators)})",
            column=f"chart {chart_id}.series.indicator",
            value=series.indicator,
        )


def sort_value(percent: float | None) -> float:
    """A bar's place when sorted by percent: a suppressed bar (no percent) below every drawn one."""
    return -1.0 if percent is None or math.isnan(percent) else percent


def row_labels(frame: pd.DataFrame, layout: Layout) -> list[str]:
    """Each bar's category label wrapped for the layout, with its base when the bases differ."""
    return [row_label(text, base, layout) for text, base in zip(frame["row_text"], frame["row_base"], strict=True)]


def row_label(text: str, base: str, layout: Layout) -> str:
    return "\n".join(wrap(text, layout.label_width) + ([base] if base else []))


def value_text(series: str, percent_text: str, flags: str, named: bool) -> str:
    """The text written beside a value: its percent and `[u]`, after its series' name when `named` (several series
    share a row, told apart by a legend)."""
    # The flag is written out so that low reliability is never shown by fading alone.
    text = percent_text
    if "[u]" in flags and percent_text != "[c]":
        text += " [u]"
    return f"{series} {text}" if named else text


def empty(cell: Any) -> bool:
    return cell is None or (not isinstance(cell, str | bool) and bool(pd.isna(cell)))


def row_records(frame: pd.DataFrame, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The rows as dicts of Python values, like `to_dict("records")`: column by column through `tolist`, because
    pandas 3 walks text columns cell by cell there, a millisecond per small chart frame, and this runs per chart."""
    names = list(frame.columns) if columns is None else list(columns)
    cells = [frame[name].tolist() for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]


def any_cell(column: pd.Series) -> bool:
    """Whether some cell is true, empty cells skipped (pandas' `any`, at list speed)."""
    return any(bool(cell) for cell in column.tolist() if not empty(cell))
