"""Stage "chart": draws the charts a publication declares, as Vega-Lite specs and static images.

Takes: the `Publication` (its `charts.yml`), the protected indicator table and the folder to write into.
Gives: per chart `<id>.vl.json` (Vega-Lite, made with Altair), `<id>.svg` and `<id>.png` (vl-convert, offline) and
`<id>.csv` (the drawn values with count, base and 95% Wilson interval), and a `ChartOutput` with the title, a text
alternative naming every value with its base, and the rows of a data table. `figure.figure_html` turns a
`ChartOutput` into the accessible `<figure>` a page shows.

Charts are drawn for phones first: about 360 px wide, labels wrapped, every value written beside its bar, the
interval drawn as a black range, low-reliability values `[u]` drawn faint and dashed, suppressed `[c]` values not drawn.
Each kind (`registry.py`: bars, compare, breakdown) makes its rows, drawings and text alternative; this module
prepares every chart of every edition (specify.py), sends it to be drawn (draw.py) and writes its files. The same
input gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from surveypress import cache, i18n
from surveypress.charts import registry
from surveypress.charts.accessible import table_columns
from surveypress.charts.declare import load_chart_specs
from surveypress.charts.draw import Drawer, needs_cjk_font
from surveypress.charts.framing import framed_svg
from surveypress.charts.layouts import DOWNLOAD, NARROW, WIDE
from surveypress.charts.model import CHARTS_FILE, ChartOutput, ChartSpec
from surveypress.charts.rows import weighting
from surveypress.charts.source import source_line
from surveypress.charts.specify import PreparedChart, prepare_chart, specification_text
from surveypress.charts.typeface import drawing_typefaces, font_used
from surveypress.content import Publication
from surveypress.publish import outputs
from surveypress.values import Values

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
        self.typefaces = drawing_typefaces(pub)
        self.drawer = Drawer(len(self.specs) * len(targets), cache.Cache(pub.project_root, "charts"), self.typefaces)
        self.drawer.start()
        # Per language: [(prepared chart, its number with the drawer, or the numbers of its three drawings)].
        self.prepared: dict[str, list[tuple[PreparedChart, int | list[int]]]] = {}
        # Per language, once finished: whether any of its drawings has CJK text, whether any has none (Latin stack).
        self.cjk: dict[str, bool] = {}
        self.latin: dict[str, bool] = {}

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
            arguments = (
                prepared.drawn_as,
                prepared.title,
                prepared.frame,
                prepared.source,
                i18n.current(),
                prepared.font,
            )
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
                cjk = any(map(needs_cjk_font, prepared.layouts))
                self.cjk[language] = self.cjk.get(language, False) or cjk
                self.latin[language] = self.latin.get(language, False) or not cjk
        return charts

    def font_used(self, language: str) -> str:
        """What the build says of the font `language`'s charts were drawn with (after `finish`)."""
        cjk, latin = self.cjk.get(language, False), self.latin.get(language, False)
        return font_used(self.pub, language, self.typefaces, cjk, latin)


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
    kind = registry.kind_of(spec.kind)
    files = {
        "svg": outputs.write_text(out_dir / f"{spec.id}.svg", _svg_text(svg)),
        "png": outputs.write_bytes(out_dir / f"{spec.id}.png", png),
        "csv": outputs.write_csv(out_dir / f"{spec.id}.csv", kind.download(spec, frame)),
        "vl.json": outputs.write_json(out_dir / f"{spec.id}.vl.json", vega_lite),
    }
    if narrow is not None and wide is not None:
        files["screen"] = outputs.write_text(out_dir / f"{spec.id}.screen.svg", _svg_text(narrow))
        files["screen-wide"] = outputs.write_text(out_dir / f"{spec.id}.screen-wide.svg", _svg_text(wide))
    return ChartOutput(
        id=spec.id,
        title=title,
        alt=kind.alt_text(spec, title, frame),
        table=kind.table(frame),
        files=files,
        page=spec.page,
        subtitle=tuple(kind.subtitle(frame)),
        note=spec.text("note", i18n.current(), Path(CHARTS_FILE)) if spec.note else "",
        columns=table_columns(weighting(frame)),
        source=source,
        weighting=weighting(frame),
    )
