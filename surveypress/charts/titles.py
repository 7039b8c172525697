"""A drawing's heading (the title of a download, the subtitle every drawing has) and the source line under its
axis; the download drawing made from the wide one, which differ in nothing else."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from surveypress.charts.accessible import interval_level
from surveypress.charts.layouts import DOWNLOAD, FONT_SIZE, INK, MUTED, NARROW, SOURCE_SIZE, TITLE_SIZE, Layout
from surveypress.charts.model import PARTLY_WEIGHTED, WEIGHTED
from surveypress.charts.rows import any_cell, weighted_column, weighting
from surveypress.charts.wrap import wrap
from surveypress.i18n import _

if TYPE_CHECKING:
    import altair as alt


def subtitle_lines(frame: pd.DataFrame, layout: Layout = NARROW, every_series: bool = False) -> list[str]:
    """The lines under a chart's title: each series' n (always with `every_series`, else when they share one n),
    which percents are weighted, the interval, and what `[u]` and `[c]` mean when the chart shows them."""
    parts = []
    # Lists, not pandas: this runs three times per chart.
    bases = frame["base"].tolist()
    first_base: dict[Any, Any] = {}
    for series, base in zip(frame["series"].tolist(), bases, strict=True):
        first_base.setdefault(series, base)
    if every_series or len({base for base in bases if not pd.isna(base)}) == 1:
        parts.append(_("; ").join(f"{series} n={base}" for series, base in first_base.items()))
    # A weighted percent is not count / n: the drawing says which percents are weighted and that n is not.
    weighted_rows = weighting(frame)
    if weighted_rows == WEIGHTED:
        parts.append(_("Weighted percentages; n is the unweighted number of respondents"))
    elif weighted_rows == PARTLY_WEIGHTED:
        names = dict.fromkeys(
            series for series, weighted in zip(frame["series"], weighted_column(frame), strict=True) if weighted
        )
        parts.append(
            _("Weighted percentages: {series}; n is the unweighted number of respondents").format(
                series=_("; ").join(names)
            )
        )
    parts.append(_("Black lines show the {level} confidence interval").format(level=interval_level()))
    if any_cell(frame["low"]):
        parts.append(_("[u] sample too small: for reference only"))
    if any_cell(frame["suppressed"]):
        parts.append(_("[c] too few respondents: not published"))
    lines: list[str] = []
    for part in parts:
        lines.extend(wrap(part, layout.subtitle_width))
    return lines


def copied(drawing: dict) -> dict:
    """A deep copy of a drawing's specification that shares its rows (never changed once made)."""
    copy = json.loads(json.dumps({**drawing, "data": None}))
    copy["data"] = dict(drawing["data"])
    return copy


def axis_channel(drawing: dict) -> dict:
    """The x channel of a drawing's specification that defines its axis (of the first layer that gives one): its
    title is a download's source line."""
    return next(layer["encoding"]["x"] for layer in drawing["layer"] if "axis" in layer["encoding"].get("x", {}))


def wrapped_source(source: str, layout: Layout) -> list[str]:
    """The source line drawn under the axis of a framed drawing, wrapped to its width."""
    return wrap(source, (layout.width - 12) / SOURCE_SIZE) if layout.framed and source else []


def drawing_heading(title: str, subtitle: list[str], layout: Layout) -> alt.Title:
    """A framed drawing's title and subtitle (the bases and the interval note); a page's drawing has only the
    subtitle, smaller, as the page shows the title above it."""
    import altair as alt

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


def framed_drawing(wide: dict, title: str, subtitle: list[str], source: str) -> dict:
    """The download drawing made from the wide one (a kind's `drawing(..., WIDE).to_dict()`), as its `drawing(...,
    DOWNLOAD)` would make it, without Altair building the chart a third time: the two differ only in the heading
    and in the source line under the axis (tests/test_chart.py compares them for every chart)."""
    framed = copied(wide)
    framed["title"] = drawing_heading(title, subtitle, DOWNLOAD).to_dict(validate=False)
    axis_channel(framed)["title"] = wrapped_source(source, DOWNLOAD) or None
    return framed
