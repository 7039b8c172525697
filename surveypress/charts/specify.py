"""A chart in one language made ready to draw: its title, rows and the kind it is drawn as, then its Vega-Lite
specifications (narrow, wide, download) from its kind, or from the cache when specified before by the same code."""

from __future__ import annotations

import functools
import importlib.metadata
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from surveypress import cache, i18n, languages
from surveypress.charts import registry
from surveypress.charts.draw import CJK_TEXT, FONT_STACK, LATIN_FONT_STACK, code_fingerprint, needs_cjk_font
from surveypress.charts.layouts import DOWNLOAD, NARROW, WIDE, Layout
from surveypress.charts.model import CHARTS_FILE, ChartSpec
from surveypress.content import Publication
from surveypress.values import Values, render_string

if TYPE_CHECKING:
    import altair as alt


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
    font: str = FONT_STACK  # the font stack CJK text in the chart is drawn with (its language's)


def prepare_chart(
    pub: Publication, values: Values, spec: ChartSpec, source: str = "", store: cache.Cache | None = None
) -> PreparedChart:
    """The chart's title and rows in the current language, the font stack its CJK text is drawn with (the
    language's: languages.cjk_fonts), and its specifications when `store` has them."""
    path = pub.content_dir / CHARTS_FILE
    template = spec.text("title", i18n.current(), path)
    title = render_string(template, values, name=f"{path}, chart {spec.id}, title")
    kind = registry.kind_of(spec.kind)
    frame = kind.rows(pub, values, spec)
    font = languages.cjk_fonts(i18n.current(), pub.languages)
    prepared = PreparedChart(spec, title, frame, kind.drawn_as(spec, frame), source, font=font)
    if store is not None:
        prepared.key = cache.digest(
            code_fingerprint(),
            _altair_version(),
            i18n.current(),
            font,
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


def specification_text(
    drawn_as: ChartSpec, title: str, frame: pd.DataFrame, source: str, language: str, cjk_font: str = FONT_STACK
) -> str:
    """The chart's Vega-Lite specifications (narrow, wide, download) in `language`, its CJK text (if any) in the
    font stack `cjk_font`, as the JSON text the cache keeps:
    cold or warm, drawings are made from the specifications read back from this text, so both give the same bytes.
    Run in a drawing worker when there are many charts (Altair takes most of a chart's time before drawing)."""
    import altair as alt

    def drawings(font: str) -> list[dict]:
        # Altair checks each part against the Vega-Lite schema as it is made and the whole again, most of the
        # time a chart takes to specify; the parts come from the chart's kind alone, and tests/test_chart.py checks
        # every chart of the default publication against the schema.
        with alt.utils.schemapi.debug_mode(False):
            wide = build_chart(drawn_as, title, frame, WIDE, source, font=font).to_dict(validate=False)
        narrow = relaid(wide, drawn_as, title, frame, NARROW)
        return [narrow, wide, framed_drawing(wide, drawn_as, title, frame, source)]

    with i18n.language(language):
        # CJK fonts are named only when some drawing has CJK text. The font names are Latin, so whichever stack is
        # tried first gives the same answer; the likelier one is tried first, to specify most charts once.
        texts = [title, source, *map(str, frame["row_text"].tolist() + frame["series"].tolist())]
        likely = cjk_font if CJK_TEXT.search("".join(texts)) else LATIN_FONT_STACK
        drawn = drawings(likely)
        font = cjk_font if any(needs_cjk_font(drawing) for drawing in drawn) else LATIN_FONT_STACK
        # Compact: this text is only read back (json.loads) and kept in the cache; an indent would make Python's
        # encoder take five times as long.
        return json.dumps(drawn if font == likely else drawings(font), ensure_ascii=False, allow_nan=False)


def specify(prepared: PreparedChart) -> tuple[dict, dict, dict]:
    """The chart's specifications (narrow, wide, download), made in this process when not prepared already."""
    if prepared.layouts is None:
        text = specification_text(
            prepared.drawn_as, prepared.title, prepared.frame, prepared.source, i18n.current(), prepared.font
        )
        prepared.layouts = tuple(json.loads(text))  # type: ignore[assignment]
    return prepared.layouts


# A chart's drawings by the kind it is drawn as (`registry.kind_of(spec.kind)`).


def build_chart(
    spec: ChartSpec,
    title: str,
    frame: pd.DataFrame,
    layout: Layout = DOWNLOAD,
    source: str = "",
    font: str = FONT_STACK,
) -> alt.TopLevelMixin:
    """The chart drawn for `layout` by its kind, as Altair builds it."""
    return registry.kind_of(spec.kind).drawing(spec, title, frame, layout, source, font)


def relaid(drawing: dict, spec: ChartSpec, title: str, frame: pd.DataFrame, layout: Layout) -> dict:
    """The wide drawing's specification as `build_chart(..., layout)` gives it (NARROW), by its kind."""
    return registry.kind_of(spec.kind).relaid(drawing, spec, title, frame, layout)


def framed_drawing(wide: dict, spec: ChartSpec, title: str, frame: pd.DataFrame, source: str) -> dict:
    """The download drawing made from the wide one, as `build_chart(..., DOWNLOAD)` gives it, by its kind."""
    return registry.kind_of(spec.kind).framed(wide, spec, title, frame, source)
