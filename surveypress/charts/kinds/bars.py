"""Kind `bars`: horizontal bars on a 0-100% axis, one per category, each with its value written beside it, its 95%
interval as a black range and its n; `[u]` values faint and dashed, `[c]` values not drawn. Its rows, its
Vega-Lite layers and the narrow drawing made from the wide one are shared by the kinds drawn as bars (compare,
breakdown), which set `legend` for bars side by side, told apart by colour."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from surveypress.charts import titles
from surveypress.charts.accessible import hover_texts
from surveypress.charts.draw import FONT_STACK
from surveypress.charts.kind import ChartKind
from surveypress.charts.layouts import (
    BAR_HEIGHT,
    DOWNLOAD,
    FONT_SIZE,
    GRID,
    INK,
    LINE_HEIGHT,
    MIN_PLOT_WIDTH,
    MUTED,
    NARROW,
    PALETTE,
    SOURCE_SIZE,
    Layout,
)
from surveypress.charts.model import CHARTS_FILE, ChartSpec, in_language
from surveypress.charts.rows import (
    empty,
    require_indicator,
    row_label,
    row_labels,
    series_categories,
    series_name,
    sort_value,
    value_text,
    weighted_population,
)
from surveypress.charts.wrap import text_width
from surveypress.errors import InputError
from surveypress.i18n import _

if TYPE_CHECKING:
    import altair as alt

    from surveypress.content import Publication
    from surveypress.values import Values


class Bars(ChartKind):
    name: ClassVar[str] = "bars"
    description: ClassVar[str] = (
        "Horizontal bars (the default): one bar per category, each with its value, its 95% interval as a range "
        "and its n; `[u]` values faint and dashed, `[c]` values not drawn."
    )

    def rows(self, pub: Publication, values: Values, spec: ChartSpec) -> pd.DataFrame:
        return bar_rows(pub, values, spec, self.legend)

    def drawing(
        self,
        spec: ChartSpec,
        title: str,
        frame: pd.DataFrame,
        layout: Layout = DOWNLOAD,
        source: str = "",
        font: str = FONT_STACK,
    ) -> alt.LayerChart:
        return build_bars(self, title, frame, layout, source, font)

    def relaid(self, drawing: dict, spec: ChartSpec, title: str, frame: pd.DataFrame, layout: Layout) -> dict:
        return relaid_bars(self, drawing, title, frame, layout)


def bar_rows(pub: Publication, values: Values, spec: ChartSpec, legend: bool) -> pd.DataFrame:
    """One row per drawn bar: series, category, the figures, and the layout fields the Vega-Lite spec reads. With
    `legend` (bars side by side) a row holds a bar of each series, paired by position or label."""
    path = pub.content_dir / CHARTS_FILE
    for series in spec.series:
        require_indicator(values, series, path, spec.id)
    per_series = [(series, series_categories(pub, values, series, path, spec.id)) for series in spec.series]
    names = [series_name(pub, values, series) for series in spec.series]
    if len(set(names)) != len(names):
        raise InputError(path, "series with distinct labels (add 'label')", column=f"chart {spec.id}.series")
    records = _bar_records(pub, values, spec, legend, per_series, names)
    return pd.DataFrame.from_records(_ordered(records, spec, legend, path))


def _bar_records(
    pub: Publication, values: Values, spec: ChartSpec, legend: bool, per_series: list, names: list[str]
) -> list[dict[str, Any]]:
    # Compare charts pair categories across series: by position when every series lists the same number, else label.
    by_position = (
        legend
        and all(series.categories is not None for series in spec.series)
        and len({len(categories) for _, categories in per_series}) == 1
    )
    records: list[dict[str, Any]] = []
    for series_index, ((series, categories), name) in enumerate(zip(per_series, names, strict=True)):
        for position, code in enumerate(categories):
            row = values.row(series.indicator, code)
            label = values.label(series.indicator, code)
            if legend:
                key = str(position) if by_position else label
            elif series.label and len(categories) == 1:
                key = in_language(series.label)
            elif series.label:
                key = _("{series}: {label}").format(series=in_language(series.label), label=label)
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
                    "weighted": weighted_population(pub, str(row["population"])),
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
    return records


def _ordered(records: list[dict[str, Any]], spec: ChartSpec, legend: bool, path: Path) -> list[dict[str, Any]]:
    """The records in row order, each with its row's order, text, base and label, and its value text."""
    # Ordered, labelled and framed in plain Python: pandas takes a millisecond an operation on a few rows, and a
    # publication has hundreds of charts.
    keys = [record["key"] for record in records]
    repeated = {key for key, times in Counter(keys).items() if times > 1}
    if not legend and repeated:
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
        ranked = sorted(first.values(), key=lambda record: (-sort_value(record["percent"]), record["position"]))
        order = [record["key"] for record in ranked]
    order += [key for key in dict.fromkeys(keys) if key not in order]
    # A compare chart's row shows the label of its first bar; another chart's row shows its key.
    display: dict[str, str] = {}
    for record in records:
        display.setdefault(record["key"], record["label"] if legend else record["key"])
    row_order = {key: index for index, key in enumerate(order)}
    records.sort(key=lambda record: (row_order[record["key"]], record["series_index"]))

    # Per-row base only when rows of a bars chart come from indicators with different bases.
    bases_differ = not legend and len({r["base"] for r in records if not pd.isna(r["base"])}) > 1
    for record in records:
        record["row_order"] = row_order[record["key"]]
        record["row_text"] = display[record["key"]]
        record["row_base"] = f"n={record['base']}" if bases_differ else ""
        record["row_label"] = row_label(record["row_text"], record["row_base"], NARROW)
        record["value_text"] = value_text(record["series"], record["percent_text"], record["flags"], legend)
    return records


def build_bars(
    kind: ChartKind,
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

    legend = kind.legend
    shape = _geometry(legend, frame, layout)
    frame = shape.frame
    series_names = list(dict.fromkeys(frame["series"]))
    # The layers share the data, given once to the layer chart: Altair copies a layer's data each time it combines
    # layers, most of the time a chart takes to specify.
    base = alt.Chart()
    y = _y_channel(shape, legend)
    x = _x_channel(shape, titles.wrapped_source(source, layout))
    # Channels are given as Altair objects, never as strings or alt.value() dicts: Altair turns those into objects
    # by searching every schema class (a tenth of a second per chart), and the specification comes out the same.
    colour, stroke, legend_colour = _colours(series_names, legend)
    offset: dict[str, Any] = (
        {"yOffset": alt.YOffset("series:N", sort=series_names, scale=alt.Scale(paddingInner=0.15))} if legend else {}
    )
    bar_size = BAR_HEIGHT if not legend else None
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
    layered = _layer_chart(shape, titles.drawing_heading(title, kind.subtitle(frame, layout), layout), font)
    # The layers are set after construction: LayerChart() would deep-copy each of them twice, to move their data,
    # parameters, width and height up to the chart, and these layers have none of them (a third of the time a chart
    # takes to specify). tests/test_chart.py checks every drawing against the Vega-Lite schema.
    layered.layer = [bars, *_interval_and_value_layers(base, y, offset, shape.plot_width)]
    return layered


def _interval_and_value_layers(base: alt.Chart, y: alt.Y, offset: dict[str, Any], plot_width: int) -> list:
    """Over each bar its interval (a black rule with a tick at each end), and its value written right of the plot."""
    import altair as alt

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
    return [interval, *ends, labels]


def _y_channel(shape: _Shape, legend: bool) -> alt.Y:
    """The rows: category labels of several lines, centred on their bars."""
    import altair as alt

    return alt.Y(
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
        scale=alt.Scale(paddingInner=0.25 if legend else 0.1, paddingOuter=0.05),
    )


def _x_channel(shape: _Shape, source_lines: list[str]) -> alt.X:
    """The percent axis, 0 to 100, with the source line (a download's) as its title."""
    import altair as alt

    return alt.X(
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


def _colours(series_names: list[str], legend: bool) -> tuple[Any, Any, Any]:
    """The bars' fill, outline and fill with its legend: one colour, or a colour per series and a legend on top."""
    import altair as alt

    colour = (
        alt.Color("series:N", scale=alt.Scale(domain=series_names, range=list(PALETTE[: len(series_names)])))
        if legend
        else alt.ColorValue(PALETTE[0])
    )
    stroke = colour if legend else alt.StrokeValue(PALETTE[0])
    legend_colour = (
        alt.Color(
            "series:N",
            scale=alt.Scale(domain=series_names, range=list(PALETTE[: len(series_names)])),
            legend=alt.Legend(
                title=None, orient="top", direction="horizontal", labelFontSize=FONT_SIZE, symbolType="square"
            ),
        )
        if legend
        else colour
    )
    return colour, stroke, legend_colour


def _layer_chart(shape: _Shape, heading: alt.Title, font: str) -> alt.LayerChart:
    import altair as alt

    # One constructor, not .properties() and .configure_*(): each of those copies the whole chart again.
    return alt.LayerChart(
        # Named, so Altair keeps the rows where they are instead of moving them under a name made from their hash.
        data=alt.InlineData(values=shape.records, name=CHART_DATA),
        width=shape.plot_width,
        height=alt.Step(shape.step),
        title=heading,
        background="white",
        padding={"left": 6, "right": 6, "top": 6, "bottom": 6},
        config=alt.Config(font=font, view=alt.ViewConfig(stroke=None), axis=alt.AxisConfig(labelFont=font)),
    )


CHART_DATA = "rows"  # the name of a chart's data in its Vega-Lite specification
HOVER = "hover"  # each bar's text for a resting pointer (hover_texts), a column of the drawing's data
CHART_COLUMNS = ("row_label", "series", "percent", "ci_low", "ci_high", "value_text", "low", "base", "count", "flags")


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


def _fitted_labels(frame: pd.DataFrame, layout: Layout) -> tuple[list[str], float, float]:
    """The row labels wrapped for `layout`, with their widest line and the widest value text in px. Where labels and
    values leave the plot less than its minimum (long value texts: a series name with a flag, beside long labels), the
    labels wrap narrower, down to three em, so that the drawing keeps to the layout's width and its text to its drawn
    size (a phone drawing wider than the column is shown scaled down, its 14 px text under 14)."""
    value_px = max(text_width(text) for text in frame["value_text"]) * FONT_SIZE
    room = (layout.width - value_px - 24 - MIN_PLOT_WIDTH) / FONT_SIZE
    labels = row_labels(frame, replace(layout, label_width=max(3.0, min(layout.label_width, room))))
    label_px = max(text_width(line) for label in labels for line in label.split("\n")) * FONT_SIZE
    return labels, label_px, value_px


def _geometry(legend: bool, frame: pd.DataFrame, layout: Layout) -> _Shape:
    labels, label_px, value_px = _fitted_labels(frame, layout)
    frame = frame.assign(row_label=labels)
    per_row = len(dict.fromkeys(frame["series"])) if legend else 1
    max_lines = max(label.count("\n") + 1 for label in frame["row_label"])
    # With yOffset, Vega-Lite applies the step to each series' sub-band, not to the whole row.
    row_height = max(max_lines * LINE_HEIGHT + 8, per_row * (BAR_HEIGHT + 4) + 10)
    step = math.ceil(row_height / per_row) if legend else row_height
    # The plot takes the width that labels, values and padding (12 + 2 x 6 px) leave; text_width errs wide.
    plot_width = max(MIN_PLOT_WIDTH, math.floor(layout.width - label_px - value_px - 24))
    # The drawing's data: the count as text, an empty cell as null (lists, not pandas: this runs per layout).
    columns = {column: frame[column].tolist() for column in CHART_COLUMNS}
    columns["count"] = [str(count) for count in columns["count"]]
    columns[HOVER] = hover_texts(frame, legend)
    records = [
        {column: None if empty(cells[row]) else cells[row] for column, cells in columns.items()}
        for row in range(len(frame))
    ]
    row_sort = list(dict.fromkeys(frame["row_label"]))
    return _Shape(frame, records, row_sort, step, plot_width, -(round(label_px) + 6))


def relaid_bars(kind: ChartKind, drawing: dict, title: str, frame: pd.DataFrame, layout: Layout) -> dict:
    """A page's drawing (`build_bars(..., WIDE).to_dict()`) as `build_bars(..., layout)` makes it for another
    page layout (NARROW), without Altair building the chart again: the two differ only in what `_geometry` gives
    and in the subtitle's wrapping (tests/test_chart.py compares them for every chart)."""
    shape = _geometry(kind.legend, frame, layout)
    drawn = titles.copied(drawing)
    drawn["data"]["values"] = shape.records
    drawn["width"] = shape.plot_width
    drawn["height"]["step"] = shape.step
    drawn["title"] = titles.drawing_heading(title, kind.subtitle(frame, layout), layout).to_dict(validate=False)
    for layer in drawn["layer"]:
        layer["encoding"]["y"]["sort"] = list(shape.row_sort)
        # The values, written right of the plot (the one layer placed at a fixed x).
        if "value" in layer["encoding"]["x"]:
            layer["encoding"]["x"]["value"] = shape.plot_width
    titles.axis_channel(drawn)["axis"]["titleX"] = shape.title_x
    return drawn
