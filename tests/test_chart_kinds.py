"""A chart kind is one module behind one interface (charts/kind.py) and one line of the registry: a kind that draws
no bars (a line of points, defined here for the test only) goes through the whole stage, charts.yml to the page's
figure, with no edit anywhere else, and gives valid Vega-Lite in every layout."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

import altair as alt
import pandas as pd
import pytest

from surveypress import content as spec
from surveypress.charts import declare, figure, picture, registry, stage, titles
from surveypress.charts.draw import FONT_STACK
from surveypress.charts.kind import ChartKind
from surveypress.charts.layouts import DOWNLOAD, MUTED, SOURCE_SIZE, Layout
from surveypress.charts.model import CHARTS_FILE, ChartSpec
from surveypress.charts.rows import empty, require_indicator, series_categories, series_name, weighted_population
from surveypress.errors import InputError
from surveypress.stats import tabulate
from surveypress.values import Values

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "publication"

POINTS_YML = """
charts:
  - id: trend
    page: findings/usage
    kind: points
    series:
      - {indicator: r_used_online}
    sort: none
    title: "{{ pct('r_used_online', 1) }} online"
"""


class Points(ChartKind):
    """A line through one point per category of one series, on a 0-100% vertical axis: nothing of a bar chart."""

    name: ClassVar[str] = "points"
    description: ClassVar[str] = "A line through a point per category (test only)."

    def check(self, pub: spec.Publication, path: Path, where: str, entry: dict, raw_series: list) -> None:
        if len(raw_series) != 1:
            raise InputError(path, "exactly one series in a points chart", column=f"{where}.series")

    def rows(self, pub: spec.Publication, values: Values, chart: ChartSpec) -> pd.DataFrame:
        path = pub.content_dir / CHARTS_FILE
        series = chart.series[0]
        require_indicator(values, series, path, chart.id)
        name = series_name(pub, values, series)
        records: list[dict[str, Any]] = []
        for position, code in enumerate(series_categories(pub, values, series, path, chart.id)):
            row = values.row(series.indicator, code)
            percent = values.percent(series.indicator, code)
            label = values.label(series.indicator, code)
            records.append(
                {
                    "label": label,
                    "series": name,
                    "series_index": 0,
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
                    "row_text": label,
                    "row_base": "",
                }
            )
        return pd.DataFrame.from_records(records)

    def drawing(
        self,
        chart: ChartSpec,
        title: str,
        frame: pd.DataFrame,
        layout: Layout = DOWNLOAD,
        source: str = "",
        font: str = FONT_STACK,
    ) -> alt.LayerChart:
        points = [
            {"label": label, "percent": None if empty(percent) else percent}
            for label, percent in zip(frame["label"].tolist(), frame["percent"].tolist(), strict=True)
        ]
        x = alt.X(
            "label:N",
            sort=None,
            title=titles.wrapped_source(source, layout) or None,
            axis=alt.Axis(
                labelAngle=0,
                titleFontSize=SOURCE_SIZE,
                titleFontWeight="normal",
                titleColor=MUTED,
                titleLineHeight=16,
                titlePadding=10,
            ),
        )
        y = alt.Y("percent:Q", title=None, scale=alt.Scale(domain=[0, 100]))
        drawn = alt.LayerChart(
            data=alt.InlineData(values=points, name="points"),
            width=self._width(layout),
            height=160,
            title=titles.drawing_heading(title, self.subtitle(frame, layout), layout),
            background="white",
            padding={"left": 6, "right": 6, "top": 6, "bottom": 6},
            config=alt.Config(font=font),
        )
        drawn.layer = [alt.Chart().mark_line().encode(x=x, y=y), alt.Chart().mark_point(filled=True).encode(x=x, y=y)]
        return drawn

    def relaid(self, drawing: dict, chart: ChartSpec, title: str, frame: pd.DataFrame, layout: Layout) -> dict:
        drawn = titles.copied(drawing)
        drawn["width"] = self._width(layout)
        drawn["title"] = titles.drawing_heading(title, self.subtitle(frame, layout), layout).to_dict(validate=False)
        return drawn

    @staticmethod
    def _width(layout: Layout) -> int:
        return layout.width - 60


def _table() -> pd.DataFrame:
    rows = []
    for code, label, count in (("1", "使用过", 176), ("2", "未使用过", 22)):
        percent, low, high = tabulate.share(count, 198)
        rows.append(
            {
                "indicator": "r_used_online",
                "population": "residents",
                "breakdown": "total",
                "group": "total",
                "group_label": "合计",
                "category": code,
                "category_label": label,
                "count": count,
                "base": 198,
                "percent": percent,
                "ci_low": low,
                "ci_high": high,
                "reliability": "normal",
                "suppression": "none",
                "flags": "",
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture
def publication(tmp_path: Path) -> spec.Publication:
    content = tmp_path / "publication"
    shutil.copytree(CONTENT, content, ignore=shutil.ignore_patterns("templates", "reconstruct"))
    (content / "charts.yml").write_text(POINTS_YML, encoding="utf-8")
    return spec.load_publication(content, project_root=ROOT)


def test_a_kind_outside_the_registry_is_refused_where_charts_yml_is_read(publication):
    with pytest.raises(InputError) as caught:
        declare.load_chart_specs(publication)
    assert "chart trend.kind" in str(caught.value) and "points" in str(caught.value)


def test_a_new_kind_is_one_module_and_one_registry_entry_through_the_whole_stage(publication, tmp_path, monkeypatch):
    monkeypatch.setitem(registry.KINDS, Points.name, Points())
    output = stage.render_charts(publication, _table(), tmp_path / "out")["trend"]

    # Every drawing is valid Vega-Lite, none of it a bar; the narrow one is narrower than the wide one.
    download = json.loads(output.files["vl.json"].read_text(encoding="utf-8"))
    alt.LayerChart.validate(download)
    assert [layer["mark"]["type"] for layer in download["layer"]] == ["line", "point"]
    assert "step" not in json.dumps(download)
    narrow, wide = (output.files[name].read_text(encoding="utf-8") for name in ("screen", "screen-wide"))
    assert narrow.startswith("<svg") and wide.startswith("<svg") and len(narrow) > 500
    assert picture.svg_size(output.files["screen"])[0] < picture.svg_size(output.files["screen-wide"])[0]

    # The download carries the title and the source line, set around the wide drawing.
    svg = output.files["svg"].read_text(encoding="utf-8")
    assert output.title in svg and "88.9%" in output.title
    assert output.source and output.source.split()[0] in svg

    # The text alternative, data table and CSV say every value with its base.
    assert "使用过" in output.alt and "88.9%" in output.alt and "n=198" in output.alt
    assert len(output.table) == 2
    with open(output.files["csv"], encoding="utf-8-sig", newline="") as handle:
        assert [row["category"] for row in csv.DictReader(handle)] == ["1", "2"]
    assert f'id="chart-{output.id}"' in figure.figure_html(output, "findings/usage")


def test_the_kind_interface_gives_every_layout_from_the_declaration(publication, monkeypatch):
    monkeypatch.setitem(registry.KINDS, Points.name, Points())
    from surveypress.charts.specify import prepare_chart, specify

    (chart,) = declare.load_chart_specs(publication)
    prepared = prepare_chart(publication, Values(_table(), primary=publication.primary), chart, "Source: a test.")
    narrow, wide, download = specify(prepared)
    for drawing in (narrow, wide, download):
        alt.LayerChart.validate(drawing)
    assert narrow["width"] < wide["width"] == download["width"]
    assert download["title"]["text"] and titles.axis_channel(download)["title"] == ["Source: a test."]
    assert "title" not in titles.axis_channel(wide) or titles.axis_channel(wide)["title"] is None


def test_the_content_models_chart_kinds_are_the_registrys():
    """The one entry a new kind needs beside its module and the registry: the content model's `kind` (charts.yml's
    JSON Schema); content/ sits below charts/, so it names the kinds itself and this test holds the two together."""
    import typing

    from surveypress.content import models

    assert set(typing.get_args(models.Chart.model_fields["kind"].annotation)) == set(registry.NAMES)
    assert models.Chart.model_fields["kind"].default == registry.DEFAULT
