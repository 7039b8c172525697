"""A chart's text alternative: the sentence naming every value with its base and interval, the data table's
headers and rows, each bar's text for a resting pointer, and the CSV of the drawn values."""

from __future__ import annotations

from typing import Any

import pandas as pd

from surveypress import i18n
from surveypress.charts.model import PARTLY_WEIGHTED, UNWEIGHTED, WEIGHTED, ChartSpec
from surveypress.charts.rows import empty, row_records, weighted_column, weighting
from surveypress.i18n import N_, _
from surveypress.values import SUPPRESSED

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


_LEVELS: dict[str, str] = {}


def interval_level() -> str:
    """'95%', in the current language's percent format (formatted once per language: every table header has it)."""
    language = i18n.current()
    if language not in _LEVELS:
        _LEVELS[language] = i18n.format_percent(95, 0)
    return _LEVELS[language]


def hover_texts(frame: pd.DataFrame, named: bool) -> list[str]:
    """Each bar's text for a pointer resting on it (its SVG <title>, draw.titled): the bar's name, its value, interval
    and n, from the same cells as the data table (`table_rows`), in the current language."""
    level = interval_level()
    texts = []
    for row in row_records(frame, ("row_text", "series", "percent_text", "ci_text", "base", "flags")):
        name = _("{row}, {series}").format(row=row["row_text"], series=row["series"]) if named else row["row_text"]
        flags = f" {row['flags']}" if row["flags"] and row["percent_text"] != row["flags"] else ""
        texts.append(
            _("{name}: {percent}{flags} ({level} confidence interval {ci}), n={base}").format(
                name=name, percent=row["percent_text"], flags=flags, level=level, ci=row["ci_text"], base=row["base"]
            )
        )
    return texts


ALT_TEXT_COLUMNS = ("series_index", "series", "suppressed", "label", "base", "low", "percent_text", "count", "ci_text")
TABLE_ROW_COLUMNS = ("label", "series", "percent_text", "ci_text", "count", "base", "flags")


def alt_text(title: str, frame: pd.DataFrame) -> str:
    """Every value with its base and interval, in reading order: what a screen reader user needs instead of bars."""
    # Each sentence carries its own trailing space where the language puts one (none in Chinese).
    parts = [_("Chart: {title}. ").format(title=title)]
    level = interval_level()
    # The rows series by series, each in its order (as a stable grouping by series_index gives them).
    by_series: dict[int, list[dict[str, Any]]] = {}
    for row, weighted in zip(row_records(frame, ALT_TEXT_COLUMNS), weighted_column(frame), strict=True):
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
    for row, row_weighted in zip(row_records(frame, TABLE_ROW_COLUMNS), weighted_column(frame), strict=True):
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
    """The chart's data as published in `<id>.csv`: one row per bar; a suppressed cell's numbers are blank (its
    `flags` say [c]), so count, base, percent and the interval load as numbers in every reader."""

    # Lists, not the frame's columns: pandas would align their indexes (a few rows, but once per chart).
    def figures(column: str) -> list[str]:
        return ["" if _hidden(value) else f"{value:.2f}" for value in frame[column].tolist()]

    return pd.DataFrame(
        {
            "chart": [spec.id] * len(frame),
            "series": frame["series"].tolist(),
            "indicator": frame["indicator"].tolist(),
            "population": frame["population"].tolist(),
            "category": frame["category"].tolist(),
            "category_label": frame["label"].tolist(),
            "count": ["" if _hidden(value) else str(value) for value in frame["count"].tolist()],
            "base": frame["base"].astype("int64").to_numpy(),
            "percent": figures("percent"),
            "ci_low": figures("ci_low"),
            "ci_high": figures("ci_high"),
            "flags": frame["flags"].tolist(),
        }
    )


def _hidden(value: Any) -> bool:
    """A number the chart does not show: suppressed (empty, or the [c] of a table read as text)."""
    return empty(value) or value == SUPPRESSED
