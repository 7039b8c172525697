"""The chart stage: every chart in charts.yml renders to a valid spec and images, says every value, and is escaped.

Uses the committed `datasets/indicators.csv` when it exists, otherwise a seeded fake table with the codebook's
categories (so the tests run before the reconstructed microdata lands).
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import struct
import zlib
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert

from surveypress import cache, i18n
from surveypress import content as spec
from surveypress.charts import declare, draw, fonts, framing, layouts, specify, stage, wrap
from surveypress.charts import figure as chart_figure
from surveypress.charts import model as chart_model
from surveypress.charts import rows as chart_rows
from surveypress.charts import typeface as chart_typeface
from surveypress.charts.kinds import breakdown as breakdown_kind
from surveypress.errors import InputError
from surveypress.stats import tabulate
from surveypress.text import markdown_text
from surveypress.values import Values

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "publication"
INDICATORS_CSV = ROOT / "datasets" / "indicators.csv"
HAN = re.compile(r"[\u4e00-\u9fff]")


def fake_indicator_table(pub: spec.Publication, seed: int = 2022) -> pd.DataFrame:
    """Total rows for every indicator with seeded counts; bases like the survey's (198 residents, 30 enterprises)."""
    rng = random.Random(seed)
    population_size = {"residents": 198, "enterprises": 30}
    rows = []
    for indicator in pub.indicators:
        question = pub.codebook.questions[indicator.question]
        base = population_size.get(question.population, 100)
        if question.universe is not None:
            base = base * 8 // 10 if question.universe.codes == (1,) else base // 5
        counts: dict[int, int] = {}
        left = base
        for option in question.options:
            if question.type == "multi":
                counts[option.code] = rng.randint(0, base)
            else:
                counts[option.code] = rng.randint(0, left) if option is not question.options[-1] else left
                left -= counts[option.code]
        categories = [(str(option.code), option.zh, counts[option.code]) for option in question.options]
        for net in indicator.nets:
            total = sum(counts[code] for code in net.codes)
            categories.append((net.code, net.zh, min(total, base)))
        for code, label, count in categories:
            percent, low, high = tabulate.share(count, base)
            rows.append(
                {
                    "indicator": indicator.id,
                    "population": question.population,
                    "breakdown": "total",
                    "group": "total",
                    "group_label": "合计",
                    "category": code,
                    "category_label": label,
                    "count": count,
                    "base": base,
                    "percent": percent,
                    "ci_low": low,
                    "ci_high": high,
                    "reliability": "low" if base < pub.disclosure.low_base else "normal",
                    "suppression": "none",
                    "flags": "[u]" if base < pub.disclosure.low_base else "",
                }
            )
    return pd.DataFrame(rows)


def indicator_table(pub: spec.Publication) -> pd.DataFrame:
    if INDICATORS_CSV.is_file():
        return pd.read_csv(INDICATORS_CSV, dtype=str, keep_default_na=False)
    return fake_indicator_table(pub)


@pytest.fixture(scope="module")
def publication() -> spec.Publication:
    return spec.load_publication(CONTENT)


@pytest.fixture(scope="module")
def rendered(publication, tmp_path_factory) -> tuple[dict[str, chart_model.ChartOutput], Path]:
    out_dir = tmp_path_factory.mktemp("charts")
    return stage.render_charts(publication, indicator_table(publication), out_dir), out_dir


CHART_IDS = [entry["id"] for entry in spec.read_yaml(CONTENT / "charts.yml")["charts"]]


# The source lines the download tests set under every chart: a long one (wider than the labels, so Vega shifts the
# whole chart) is tried on every chart of both editions; a short one and none on the first chart of each kind, which is
# where their layout differs.
LONG_SOURCE = "来源：" + "很长的来源说明" * 12
SOURCES = ["Source: a test.", "", LONG_SOURCE]


def _charts_for(publication: spec.Publication, source: str) -> list:
    charts = declare.load_chart_specs(publication)
    if source == LONG_SOURCE:
        return charts
    firsts: dict[str, object] = {}
    for chart_spec in charts:
        firsts.setdefault(chart_spec.kind, chart_spec)
    return list(firsts.values())


def _unmapped_copy(svg: str) -> str:
    """The same SVG with every Chinese character replaced by a private-use code point no font has a glyph for."""
    return HAN.sub("\ue000", svg)


@pytest.mark.parametrize("chart_id", CHART_IDS)
def test_every_declared_chart_renders_a_reloadable_spec_images_data_and_full_text_alternative(chart_id, rendered):
    charts, _ = rendered
    output = charts[chart_id]

    # Spec round-trip: valid JSON that Altair validates and reloads into the same spec.
    vega_lite = json.loads(output.files["vl.json"].read_text(encoding="utf-8"))
    assert vega_lite["$schema"].endswith(".json")
    assert alt.LayerChart.from_dict(vega_lite).to_dict() == vega_lite

    # The SVG carries the title as text, and its Chinese is drawn with real glyphs: rendering it differs from
    # rendering the same SVG whose Chinese characters are replaced by code points without any glyph.
    svg = output.files["svg"].read_text(encoding="utf-8")
    assert svg.startswith("<svg") and HAN.search(svg)
    assert vl_convert.svg_to_png(svg) != vl_convert.svg_to_png(_unmapped_copy(svg))

    png = output.files["png"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000

    data = pd.read_csv(output.files["csv"], dtype=str, keep_default_na=False)
    assert {"count", "base", "percent", "ci_low", "ci_high", "flags"} <= set(data.columns)
    assert len(data) == len(output.table) > 0

    # The text alternative names every value with its base.
    for row in output.table:
        assert row["类别"] in output.alt
        assert row["百分比"] in output.alt
        assert f"n={row['样本量n']}" in output.alt
    assert output.title in output.alt


def test_every_drawing_of_every_chart_in_both_editions_is_valid_vega_lite(publication):
    """The build specifies charts without Altair's schema checks (they took most of the time); this test keeps them."""
    values = Values(indicator_table(publication), primary=publication.primary)
    for language in publication.languages:
        with i18n.language(language):
            for chart_spec in declare.load_chart_specs(publication):
                drawings = specify.specify(specify.prepare_chart(publication, values, chart_spec, "Source: a test."))
                for drawing in drawings:
                    alt.LayerChart.validate(drawing)  # raises jsonschema's ValidationError naming the part


@pytest.mark.parametrize("source", SOURCES)
def test_the_download_drawing_made_from_the_wide_one_equals_the_one_altair_builds(publication, source):
    """framed_drawing saves Altair a third build per chart; it must give exactly what build_chart gives."""
    from dataclasses import replace

    values = Values(indicator_table(publication), primary=publication.primary)
    for language in publication.languages:
        with i18n.language(language):
            for chart_spec in _charts_for(publication, source):
                prepared = specify.prepare_chart(publication, values, chart_spec, source)
                for drawn_as in (prepared.drawn_as, replace(prepared.drawn_as, kind="bars")):
                    built = {
                        layout.name: specify.build_chart(
                            drawn_as, prepared.title, prepared.frame, layout, source
                        ).to_dict(validate=False)
                        for layout in (layouts.WIDE, layouts.DOWNLOAD)
                    }
                    framed = specify.framed_drawing(built["wide"], drawn_as, prepared.title, prepared.frame, source)
                    assert json.dumps(framed) == json.dumps(built["download"]), chart_spec.id


def test_the_narrow_drawing_made_from_the_wide_one_equals_the_one_altair_builds(publication):
    """relaid saves Altair a second build per chart; it must give exactly what build_chart gives, for every chart,
    in every language, drawn as it is and as plain bars."""
    from dataclasses import replace

    values = Values(indicator_table(publication), primary=publication.primary)
    compared = 0
    for language in publication.languages:
        with i18n.language(language):
            for chart_spec in declare.load_chart_specs(publication):
                prepared = specify.prepare_chart(publication, values, chart_spec, "Source: a test.")
                for drawn_as in (prepared.drawn_as, replace(prepared.drawn_as, kind="bars")):
                    built = {
                        layout.name: specify.build_chart(drawn_as, prepared.title, prepared.frame, layout).to_dict(
                            validate=False
                        )
                        for layout in (layouts.WIDE, layouts.NARROW)
                    }
                    relaid = specify.relaid(built["wide"], drawn_as, prepared.title, prepared.frame, layouts.NARROW)
                    assert json.dumps(relaid) == json.dumps(built["narrow"]), chart_spec.id
                    compared += 1
    assert compared >= 40


_TRANSLATE = re.compile(r"translate\(([-\d.e]+),([-\d.e]+)\)")


def _texts(svg: str) -> dict[str, tuple[float, float]]:
    """Every <text> of an SVG (which must be well-formed XML): its whole text -> where it is on the drawing, adding
    up the translations and nested <svg> offsets of its ancestors."""
    import xml.etree.ElementTree as ElementTree

    found: dict[str, tuple[float, float]] = {}

    def walk(element, x: float, y: float) -> None:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "svg":
            x, y = x + float(element.get("x", 0)), y + float(element.get("y", 0))
        for dx, dy in _TRANSLATE.findall(element.get("transform", "")):
            x, y = x + float(dx), y + float(dy)
        if tag == "text":
            found.setdefault(" ".join(part.strip() for part in element.itertext() if part.strip()), (x, y))
            return
        for child in element:
            walk(child, x, y)

    walk(ElementTree.fromstring(svg), 0.0, 0.0)
    return found


def _size(svg: str) -> tuple[float, float]:
    match = re.match(r'<svg[^>]*?width="([\d.]+)"[^>]*?height="([\d.]+)"', svg)
    assert match, svg[:200]
    return float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("source", SOURCES)
def test_the_download_svg_set_around_the_wide_drawing_puts_title_and_source_where_vega_does(publication, source):
    """framed_svg saves Vega a third drawing per chart. For each chart `_charts_for` gives, each text of Vega's drawing
    of the framed specification is in it, at the same height within a pixel; the title, subtitle and source line at
    the left padding, as Vega puts them, and the chart as the wide drawing has it. (Vega widens its drawing when the
    source line, set flush with the estimated width of the labels, reaches further left than they do: there the
    whole chart sits further right, by as much as the drawing is wider.)"""
    values = Values(indicator_table(publication), primary=publication.primary)
    compared = 0
    for language in publication.languages:
        with i18n.language(language):
            for chart_spec in _charts_for(publication, source):
                _narrow, wide, framed = specify.specify(specify.prepare_chart(publication, values, chart_spec, source))
                by_vega = vl_convert.vegalite_to_svg(framed)
                composed = framing.framed_svg(vl_convert.vegalite_to_svg(wide), framed)
                (vega_width, vega_height), (width, height) = _size(by_vega), _size(composed)
                shift = vega_width - width
                assert shift >= 0 and abs(height - vega_height) <= 2, chart_spec.id
                expected, placed = _texts(by_vega), _texts(composed)
                assert set(placed) == set(expected), chart_spec.id
                left = framed["padding"]["left"]
                for text, (x, y) in expected.items():
                    at_left = abs(x - left) <= 1
                    assert abs(placed[text][0] - (x if at_left else x - shift)) <= 1, (chart_spec.id, text)
                    assert abs(placed[text][1] - y) <= 1, (chart_spec.id, text)
                compared += 1
    assert compared >= (40 if source == LONG_SOURCE else 2)


def _pixels(png: bytes) -> np.ndarray:
    """An 8-bit RGB or RGBA PNG's pixels (rows, columns, channels): enough of PNG for vl-convert's output."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, stream, width, height, channels = 8, b"", 0, 0, 0
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        body = png[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            stream += body
    raw = np.frombuffer(zlib.decompress(stream), dtype=np.uint8).reshape(height, 1 + width * channels)
    rows = np.zeros((height, width * channels), dtype=np.int64)
    previous = np.zeros(width * channels, dtype=np.int64)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind in (0, 2):  # none, up: whole-row operations
            row = (line + (previous if kind == 2 else 0)) & 255
        else:  # sub, average, Paeth: each byte depends on the one a pixel to its left
            row = np.zeros_like(line)
            for x in range(line.size):
                left = row[x - channels] if x >= channels else 0
                up, corner = previous[x], previous[x - channels] if x >= channels else 0
                if kind == 1:
                    guess = left
                elif kind == 3:
                    guess = (left + up) // 2
                else:
                    p, q, r = abs(up - corner), abs(left - corner), abs(left + up - 2 * corner)
                    guess = left if p <= q and p <= r else (up if q <= r else corner)
                row[x] = (line[x] + guess) & 255
        rows[y], previous = row, row
    return rows.reshape(height, width, channels)


def test_the_source_line_drawn_once_and_placed_in_every_png_gives_the_pixels_drawing_it_does(publication, monkeypatch):
    """The source line is the same under every chart: draw._png draws its pixels once per process and places them in
    each download PNG as an image. Outside its rows the PNG is the one drawing the text gives, inside them it differs
    by blending only (a few levels of 255), and the line is really there."""
    values = Values(indicator_table(publication), primary=publication.primary)
    source = "来源：某统计局。数据：synthetic 1.0.0。许可：CC-BY-4.0。"
    charts = [
        specify.specify(specify.prepare_chart(publication, values, chart_spec, source))
        for chart_spec in declare.load_chart_specs(publication)[:2]
    ]
    monkeypatch.setattr(draw, "_repeated", {})
    drawn = []
    real = vl_convert.svg_to_png
    monkeypatch.setattr(draw.vl_convert, "svg_to_png", lambda svg, **k: drawn.append(svg) or real(svg, **k))
    for _narrow, wide, framed in charts:
        svg = framing.framed_svg(vl_convert.vegalite_to_svg(wide), framed)
        width = float(re.match(r'<svg[^>]*?width="([\d.]+)"', svg).group(1))
        placed = _pixels(draw._png(svg, width, 2))
        direct = _pixels(real(svg.replace(f'class="{draw.REPEATED_TEXT}" ', ""), scale=2))
        without = _pixels(real(re.sub(rf'<text class="{draw.REPEATED_TEXT}".*?</text>', "", svg), scale=2))
        assert placed.shape == direct.shape == without.shape
        rows = np.nonzero(np.abs(direct - without).max(axis=(1, 2)))[0]  # where the source line is drawn
        assert rows.size and np.array_equal(np.nonzero(np.abs(placed - without).max(axis=(1, 2)))[0], rows)
        difference = np.abs(placed - direct)
        assert difference.max() <= 24
        assert not difference[: rows.min()].any() and not difference[rows.max() + 1 :].any()
    # The strip is drawn for the first chart only; each chart's PNG is drawn once.
    assert len([svg for svg in drawn if "<image" not in svg]) == 1 and len(drawn) == 3


def test_the_download_svg_keeps_hostile_titles_and_sources_as_text():
    """Titles and source lines hold labels and content text: in the SVG set around the wide drawing they are
    character data, never markup, and characters XML cannot carry become spaces."""
    hostile = ["</text><script>alert(1)</script>", "A & B <b>\x07", "]]><!ENTITY x 'y'>"]
    wide = vl_convert.vegalite_to_svg(
        {"mark": "bar", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    )
    framed = {
        "title": {
            "text": hostile[:2],
            "fontSize": 16,
            "fontWeight": "bold",
            "color": "#1a1a1a",
            "lineHeight": 21,
            "offset": 10,
        },
        "padding": {"left": 6, "right": 6, "top": 6, "bottom": 6},
        "config": {"font": 'sans-serif" onload="alert(1)'},
        "layer": [
            {
                "encoding": {
                    "x": {
                        "title": hostile[2:],
                        "axis": {
                            "titleFontSize": 12,
                            "titleFontWeight": "normal",
                            "titleColor": "#4d4d4d",
                            "titleLineHeight": 16,
                            "titlePadding": 10,
                        },
                    }
                }
            }
        ],
    }
    svg = framing.framed_svg(wide, framed)
    assert "<script" not in svg and "<b>" not in svg and 'onload="' not in svg and "\x07" not in svg
    texts = _texts(svg)  # well-formed XML
    assert "<tspan>&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;</tspan>" in svg
    assert ">A &amp; B &lt;b&gt; </tspan>" in svg
    assert "</text><script>alert(1)</script> A & B <b>" in texts
    assert "]]><!ENTITY x 'y'>" in texts


def test_chart_rows_read_column_by_column_equal_pandas_records_for_every_chart(publication):
    """alt_text, table_rows and the CSV read a chart's rows through chart_rows.row_records, not pandas' to_dict (slow on
    pandas 3's text columns): the same values, types and empty cells, for every chart and its by-group listing."""
    values = Values(indicator_table(publication), primary=publication.primary)
    for chart_spec in declare.load_chart_specs(publication):
        frame = specify.prepare_chart(publication, values, chart_spec).frame
        for rows in (frame, breakdown_kind.by_group(frame) if chart_spec.kind == "breakdown" else frame):
            expected = rows.to_dict("records")
            assert [[(k, type(v), repr(v)) for k, v in r.items()] for r in chart_rows.row_records(rows)] == [
                [(k, type(v), repr(v)) for k, v in r.items()] for r in expected
            ], chart_spec.id


def test_chart_titles_state_values_from_the_table(rendered):
    charts, _ = rendered
    for output in charts.values():
        assert "{{" not in output.title
        assert re.search(r"\d+(\.\d)?%|\d", output.title), output.title


def test_rendering_twice_gives_the_same_bytes(publication, rendered, tmp_path):
    charts, first_dir = rendered
    stage.render_charts(publication, indicator_table(publication), tmp_path)
    for name in sorted(path.name for path in first_dir.iterdir()):
        assert (tmp_path / name).read_bytes() == (first_dir / name).read_bytes(), name
    # Per chart: the download SVG, PNG, CSV and Vega-Lite spec, and the narrow and wide drawings pages show.
    assert len(list(first_dir.iterdir())) == 6 * len(charts)


def test_charts_drawn_in_worker_processes_match_serial_drawing_while_threads_run(rendered, monkeypatch):
    """A publication with many charts draws them on every core; the bytes must not change and, with a thread
    running in this process (as under a test runner or a browser driver), the workers must not hang."""
    import threading

    charts, out_dir = rendered
    specs = [json.loads((out_dir / f"{chart_id}.vl.json").read_text(encoding="utf-8")) for chart_id in list(charts)[:4]]
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        monkeypatch.setattr(draw, "PARALLEL_MIN_CHARTS", 1)
        monkeypatch.setattr(draw.os, "cpu_count", lambda: 2)
        parallel = draw.draw_images(specs)
    finally:
        stop.set()
    monkeypatch.setattr(draw, "PARALLEL_MIN_CHARTS", 10**6)
    assert parallel == draw.draw_images(specs)


def _chinese_specs(out_dir: Path, charts: dict) -> list[dict]:
    # Downloads (a bold title, the source line, a PNG) of charts with Chinese text, Latin letters and digits.
    specs = [json.loads((out_dir / f"{chart_id}.vl.json").read_text(encoding="utf-8")) for chart_id in charts]
    return [spec for spec in specs if draw.needs_cjk_font(spec)][:3]


def test_charts_drawn_with_the_cut_typeface_are_byte_identical_to_the_full_fonts(
    publication, rendered, tmp_path, monkeypatch
):
    """The workers cut the CJK faces down to the publication's characters before drawing with them; the SVG names
    the font stack again and the PNG has the same pixels, so the cut is invisible in every byte."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    charts, out_dir = rendered
    specs = _chinese_specs(out_dir, charts)
    assert specs
    typeface = chart_typeface.drawing_typeface(publication)
    assert typeface is not None and not typeface.ready()
    assert all(typeface.covers(spec) for spec in specs)
    monkeypatch.setattr(draw, "PARALLEL_MIN_CHARTS", 1)
    monkeypatch.setattr(draw.os, "cpu_count", lambda: 2)
    with draw.Drawer(len(specs), typeface=typeface) as drawer:
        for spec in specs:
            drawer.add(spec)
        cut = [(svg, png) for svg, png, _drawn in drawer.results()]
    assert typeface.ready(), "the cut faces are kept for the next build"
    full = [draw._draw((spec, True, None, None)) for spec in specs]
    assert cut == full
    # Drawn in this process with the faces already cut: the same bytes again.
    assert [draw._draw((spec, True, typeface, None)) for spec in specs] == full
    assert all(typeface.alias not in svg for svg, _png in cut)


def test_downloads_set_around_the_wide_drawing_are_byte_identical_with_the_cut_typeface_and_in_workers(
    publication, tmp_path, monkeypatch
):
    """A download is drawn around its wide drawing (framing.framed_svg): with the cut faces or the full fonts, in a
    worker or in this process, its SVG and PNG are the same bytes, and the SVG names the font stack."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    values = Values(indicator_table(publication), primary=publication.primary)
    charts = [
        specify.specify(specify.prepare_chart(publication, values, chart_spec, "来源：测试。"))
        for chart_spec in declare.load_chart_specs(publication)[:3]
    ]
    typeface = chart_typeface.drawing_typeface(publication)
    assert typeface is not None
    monkeypatch.setattr(draw, "PARALLEL_MIN_CHARTS", 1)
    monkeypatch.setattr(draw.os, "cpu_count", lambda: 2)
    with draw.Drawer(len(charts), typeface=typeface) as drawer:
        for _narrow, wide, framed in charts:
            drawer.add(framed, True, (framing.framed_svg, wide))
        in_workers = [(svg, png) for svg, png, _drawn in drawer.results()]
    assert typeface.ready()
    full = [draw._draw((framed, True, None, (framing.framed_svg, wide))) for _narrow, wide, framed in charts]
    assert in_workers == full
    assert [draw._draw((framed, True, typeface, (framing.framed_svg, wide))) for _n, wide, framed in charts] == full
    for (_narrow, wide, framed), (svg, png) in zip(charts, full, strict=True):
        assert typeface.alias not in svg and f', {html.escape(draw.FONT_STACK)}"' in svg
        # What Vega draws, framed, with the faces it was measured with inside (fonts.with_own_faces).
        composed = framing.framed_svg(draw.titled(vl_convert.vegalite_to_svg(wide)), framed)
        assert svg == fonts.with_own_faces(composed, typeface.faces, typeface.stack) != composed
        assert png.startswith(b"\x89PNG")


def test_a_drawing_with_a_character_the_cut_typeface_lacks_is_drawn_with_the_full_fonts(
    publication, monkeypatch, tmp_path
):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    typeface = chart_typeface.drawing_typeface(publication)
    assert typeface is not None
    rare = next(chr(code) for code in range(0x4E00, 0x9FFF) if chr(code) not in typeface.characters)
    spec = {
        "data": {"values": [{"a": f"{rare}字"}]},
        "mark": {"type": "text", "font": draw.FONT_STACK},
        "encoding": {"text": {"field": "a"}},
    }
    assert not typeface.covers(spec)
    assert typeface.covers({**spec, "data": {"values": [{"a": "字"}]}}) == ("字" in typeface.characters)
    with draw.Drawer(1, typeface=typeface) as drawer:
        drawer.add(spec)
        assert drawer.results() == [(*draw._draw((spec, True, None, None)), True)]


def test_a_label_that_names_the_cut_typeface_or_the_font_stack_is_drawn_as_text(publication, monkeypatch, tmp_path):
    """Labels are untrusted: one that spells the alias of the cut faces, or the font stack, stays text in the SVG and
    the drawing is the one the full fonts make."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    typeface = chart_typeface.drawing_typeface(publication)
    assert typeface is not None
    for face in typeface.faces:
        draw._subset((typeface, face))
    for label in (f"{typeface.alias} 居民", f"{draw.FONT_STACK} 居民"):
        spec = {
            "data": {"values": [{"a": label}]},
            "mark": {"type": "text"},
            "encoding": {"text": {"field": "a"}},
            "config": {"font": draw.FONT_STACK},
        }
        assert typeface.covers(spec)
        svg, png = draw._draw((spec, True, typeface, None))
        assert (svg, png) == draw._draw((spec, True, None, None))
        assert html.escape(label, quote=False) in svg


def test_the_cut_typeface_covers_every_character_of_the_default_publications_charts(publication, rendered):
    charts, out_dir = rendered
    typeface = chart_typeface.drawing_typeface(publication)
    assert typeface is not None
    for chart_id in charts:
        spec = json.loads((out_dir / f"{chart_id}.vl.json").read_text(encoding="utf-8"))
        assert typeface.covers(spec), chart_id


def _width(path: Path) -> float:
    return float(re.search(r'width="([\d.]+)"', path.read_text(encoding="utf-8")[:300]).group(1))


def test_pages_show_charts_drawn_for_a_phone_column_and_a_desktop_column(rendered):
    charts, _ = rendered
    for output in charts.values():
        # Shown at the width drawn, never stretched: 328 px fits a 360 px phone, 660 px the desktop column.
        assert 300 <= _width(output.files["screen"]) <= 328, output.id
        assert 600 <= _width(output.files["screen-wide"]) <= 660, output.id


def test_downloads_carry_title_and_source_and_the_png_is_print_sized(rendered):
    charts, _ = rendered
    for output in charts.values():
        svg = output.files["svg"].read_text(encoding="utf-8")
        assert output.source and "合成数据" in output.source
        # Vega writes each wrapped line as its own text element.
        title_line = wrap.wrap(output.title, layouts.DOWNLOAD.title_width)[0]
        assert f">{title_line}<" in svg and output.source[:8] in svg, output.id
        screen = output.files["screen"].read_text(encoding="utf-8")
        assert f">{title_line}<" not in screen, output.id
        assert output.source[:8] not in screen, output.id
        png = output.files["png"].read_bytes()
        assert int.from_bytes(png[16:20], "big") >= 1200, output.id


def _small_table() -> pd.DataFrame:
    """Two indicators: a reliable one, and one with a low base and a suppressed cell."""
    rows = []
    for indicator, population, base, cells in (
        ("r_used_online", "residents", 198, [("1", "使用过", 176), ("2", "未使用过", 22)]),
        ("e_used_online", "enterprises", 12, [("1", "使用过", 10), ("2", "未使用过", 2)]),
    ):
        for code, label, count in cells:
            percent, low, high = tabulate.share(count, base)
            suppressed = indicator == "e_used_online" and code == "2"
            rows.append(
                {
                    "indicator": indicator,
                    "population": population,
                    "breakdown": "total",
                    "group": "total",
                    "group_label": "合计",
                    "category": code,
                    "category_label": label,
                    "count": "[c]" if suppressed else count,
                    "base": base,
                    "percent": "[c]" if suppressed else percent,
                    "ci_low": "[c]" if suppressed else low,
                    "ci_high": "[c]" if suppressed else high,
                    "reliability": "low" if base < 30 else "normal",
                    "suppression": "primary" if suppressed else "none",
                    "flags": " ".join(f for f in ("[u]" if base < 30 else "", "[c]" if suppressed else "") if f),
                }
            )
    return pd.DataFrame(rows)


def _content_with_charts(tmp_path: Path, charts_yml: str) -> spec.Publication:
    content = tmp_path / "publication"
    shutil.copytree(CONTENT, content, ignore=shutil.ignore_patterns("templates", "reconstruct"))
    (content / "charts.yml").write_text(charts_yml, encoding="utf-8")
    return spec.load_publication(content, project_root=ROOT)


COMPARE_YML = """
charts:
  - id: online
    page: findings/usage
    kind: compare
    series:
      - {indicator: r_used_online}
      - {indicator: e_used_online}
    sort: none
    title: "{{ pct('r_used_online', 1) }}的居民用过"
"""


def test_low_base_values_are_marked_and_suppressed_values_are_not_drawn(tmp_path):
    pub = _content_with_charts(tmp_path, COMPARE_YML)
    output = stage.render_charts(pub, _small_table(), tmp_path / "out")["online"]
    drawn = json.loads(output.files["vl.json"].read_text(encoding="utf-8"))["data"]["values"]
    suppressed = [row for row in drawn if row["series"] == "企业" and row["row_label"] == "未使用过"]
    assert suppressed and suppressed[0]["percent"] is None and suppressed[0]["value_text"] == "企业 [c]"
    low = [row for row in drawn if row["series"] == "企业" and row["row_label"] == "使用过"]
    assert low[0]["low"] is True and low[0]["value_text"].endswith("[u]")
    enterprise_rows = [row for row in output.table if row["人群"] == "企业"]
    assert [row["标注"] for row in enterprise_rows] == ["[u]", "[u] [c]"]
    assert "[c]" in output.alt and "[u]" in output.alt
    assert "[u]" in output.files["svg"].read_text(encoding="utf-8")


def test_compare_charts_name_each_series_beside_its_value_not_by_colour_alone(tmp_path):
    pub = _content_with_charts(tmp_path, COMPARE_YML)
    output = stage.render_charts(pub, _small_table(), tmp_path / "out")["online"]
    svg = output.files["svg"].read_text(encoding="utf-8")
    assert "居民 88.9%" in svg
    assert "居民 n=198；企业 n=12" in svg


def test_an_unknown_indicator_in_charts_yml_names_the_chart_and_the_value(tmp_path):
    pub = _content_with_charts(tmp_path, COMPARE_YML.replace("e_used_online}", "e_no_such_thing}"))
    with pytest.raises(InputError) as raised:
        stage.render_charts(pub, _small_table(), tmp_path / "out")
    message = str(raised.value)
    assert "charts.yml" in message and "chart online" in message and "e_no_such_thing" in message


def test_bars_from_two_series_with_the_same_categories_must_be_labelled(tmp_path):
    pub = _content_with_charts(tmp_path, COMPARE_YML.replace("    kind: compare\n", ""))
    with pytest.raises(InputError) as raised:
        stage.render_charts(pub, _small_table(), tmp_path / "out")
    # The message names the rule and the labels given twice.
    message = str(raised.value)
    assert "one bar per row label" in message and "使用过" in message and "未使用过" in message


def test_an_unknown_category_in_a_title_names_the_chart_and_the_call(tmp_path):
    pub = _content_with_charts(tmp_path, COMPARE_YML.replace("pct('r_used_online', 1)", "pct('r_used_online', 7)"))
    with pytest.raises(InputError) as raised:
        stage.render_charts(pub, _small_table(), tmp_path / "out")
    message = str(raised.value)
    assert "chart online" in message and "pct('r_used_online', 7)" in message


def test_missing_cjk_font_stops_the_build_with_advice(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "CJK_FONT_DIRS", (str(tmp_path),))
    monkeypatch.delenv("SURVEYPRESS_CJK_FONT_DIR", raising=False)
    with pytest.raises(fonts.FontMissingError, match="fonts-noto-cjk"):
        fonts.find_cjk_font_dir()


HOSTILE = "<img src=x onerror=alert(1)>"


def test_figure_html_shows_hostile_labels_as_text(tmp_path):
    svg = tmp_path / "x.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"></svg>\n', encoding="utf-8")
    output = chart_model.ChartOutput(
        id="x",
        title=f"标题{HOSTILE}",
        alt=f"图表：{HOSTILE}",
        table=[{"类别": HOSTILE, "人群": "居民", "百分比": "1.0%", "95%置信区间": "", "人数": "1", "样本量n": "9"}],
        files={"svg": svg},
    )
    page = chart_figure.figure_html(output, "findings/usage")
    assert HOSTILE not in page
    assert markdown_text(HOSTILE) in page  # the one escaping of untrusted text (HTML and Markdown syntax)
    assert '<th scope="row">&lt;img' in page
    assert "\n\n" not in page


def test_figure_html_points_at_the_chart_files_from_the_page_and_describes_the_image(rendered):
    charts, _ = rendered
    output = charts["usage_online"]
    nested = chart_figure.figure_html(output, "findings/usage.md")
    top = chart_figure.figure_html(output, "index")
    assert 'src="../assets/charts/usage_online.screen.svg"' in nested
    assert 'srcset="../assets/charts/usage_online.screen-wide.svg"' in nested
    assert 'src="assets/charts/usage_online.screen.svg"' in top
    for fmt in ("csv", "svg", "png", "vl.json"):
        assert f'href="../assets/charts/usage_online.{fmt}"' in nested
    description_id = re.search(r'aria-describedby="([^"]+)"', nested).group(1)
    assert f'id="{description_id}"' in nested
    assert "<caption>" in nested and '<th scope="col">' in nested
    assert re.search(r'<img [^>]*width="\d+" height="\d+"', nested)
    # One title: the caption, first child of the figure; the image does not draw it again.
    caption = nested.split("\n")[1]
    assert caption.startswith(f"<figcaption>{output.title} <a ") and caption.endswith("</a></figcaption>")
    # The caption's only link is the chart's own permanent anchor.
    assert re.findall(r'href="([^"]+)"', caption) == [f"#chart-{output.id}"]
    assert nested.count("<figcaption>") == 1
    assert 'loading="lazy"' in nested and 'loading="lazy"' not in chart_figure.figure_html(output, "index", eager=True)


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("跨区域通办还有环节没有打通", 7.5, ["跨区域通办还有", "环节没有打通"]),
        ("88.9%的居民", 3, ["88.9%", "的居民"]),
        ("无法实现“零跑腿”", 5, ["无法实现", "“零跑腿”"]),
        ("信息，壁垒", 2, ["信息，", "壁垒"]),
    ],
)
def test_labels_wrap_without_splitting_numbers_or_stranding_punctuation(text, width, lines):
    assert wrap.wrap(text, width) == lines


HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_hostile_label_is_drawn_as_text_in_the_svg_and_escaped_in_the_data(tmp_path):
    """Labels come from codebooks edited by hand: one that looks like HTML must reach the chart as plain text."""
    pub = _content_with_charts(tmp_path, COMPARE_YML)
    table = _small_table()
    table.loc[table["category"] == "1", "category_label"] = HOSTILE
    output = stage.render_charts(pub, table, tmp_path / "out")["online"]
    svg = output.files["svg"].read_text(encoding="utf-8")
    assert "<img" not in svg
    assert "&lt;img src=x" in svg  # kept as text, escaped (the label may be wrapped over lines)
    assert "<img src=x" in output.files["vl.json"].read_text(encoding="utf-8")  # data, which Vega draws as text
    page = chart_figure.figure_html(output, "findings/usage")
    assert "onerror=alert(1)>" not in page and markdown_text(HOSTILE) in page


def test_a_chart_without_cjk_text_needs_no_cjk_font_and_one_with_it_does(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "CJK_FONT_DIRS", (str(tmp_path / "no-fonts"),))
    monkeypatch.delenv("SURVEYPRESS_CJK_FONT_DIR", raising=False)
    english = {"使用过": "Used", "未使用过": "Never used"}
    table = _small_table()
    table.insert(table.columns.get_loc("category_label") + 1, "category_label_en", table["category_label"].map(english))
    pub = _content_with_charts(
        tmp_path,
        # A source line per language: the default one names the publisher as the content gives it (here Chinese).
        'source: {zh: "来源", en: "Source: the report"}\n'
        + COMPARE_YML.replace(
            "    title: \"{{ pct('r_used_online', 1) }}的居民用过\"",
            "    title:\n      zh: \"{{ pct('r_used_online', 1) }}的居民用过\"\n"
            "      en: \"{{ pct('r_used_online', 1) }} of residents used it\"",
        ),
    )
    output = stage.render_charts(pub, table, tmp_path / "en", "en")["online"]
    assert not HAN.search(output.files["svg"].read_text(encoding="utf-8"))
    assert "Residents" in output.alt and "95% confidence interval" in output.alt
    with pytest.raises(fonts.FontMissingError):
        stage.render_charts(pub, table, tmp_path / "zh", "zh-Hans")
    # The same when the chart is specified and drawn by a worker process.
    monkeypatch.setattr(draw, "PARALLEL_MIN_CHARTS", 1)
    monkeypatch.setattr(draw.os, "cpu_count", lambda: 2)
    with pytest.raises(fonts.FontMissingError):
        stage.render_editions(pub, table, {"zh-Hans": tmp_path / "zh", "en": tmp_path / "en"})


def test_the_downloads_line_keeps_the_space_the_catalogue_puts_after_its_colon(tmp_path):
    """English writes "Download: Data (CSV)", Chinese "下载：数据" (a full-width colon needs no space): the
    catalogue decides, and escaping the sentence around the links must not drop its space."""
    svg = tmp_path / "x.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"></svg>\n', encoding="utf-8")
    output = chart_model.ChartOutput(id="x", title="T", alt="A", table=[], files={"svg": svg})
    with i18n.language("en"):
        assert '<p class="sp-chart-downloads">Download&#58; <a ' in chart_figure.figure_html(output, "index")
    with i18n.language("zh-Hans"):
        assert '<p class="sp-chart-downloads">下载：<a ' in chart_figure.figure_html(output, "index")


def test_a_question_with_more_options_than_a_chart_can_show_is_refused_before_any_table(tmp_path):
    """The bars are counted from the codebook when charts.yml is read, before the microdata is loaded."""
    content = tmp_path / "tiny" / "publication"
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", tmp_path / "tiny")
    codebook = content / "codebook.yml"
    more = "".join(f"      - {{code: {code}, zh: 选项{code}, en: Option {code}}}\n" for code in range(3, 62))
    text = codebook.read_text(encoding="utf-8")
    codebook.write_text(text.replace("en: Never used}\n", "en: Never used}\n" + more, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        declare.load_chart_specs(spec.load_publication(content))
    assert (caught.value.column, caught.value.value) == ("chart used_online.series", "61 bars")
    assert f"expected a chart of at most {declare.MAX_BARS} bars" in str(caught.value)


def test_more_charts_than_a_build_draws_in_minutes_are_refused_before_any_is_read(tmp_path):
    content = tmp_path / "tiny" / "publication"
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", tmp_path / "tiny")
    entries = "".join(
        f"  - {{id: c{index}, page: index, series: [{{indicator: p_used}}], title: t}}\n"
        for index in range(declare.MAX_CHARTS + 1)
    )
    (content / "charts.yml").write_text("charts:\n" + entries, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        declare.load_chart_specs(spec.load_publication(content))
    assert (caught.value.column, caught.value.value) == ("charts", "1,001 charts")
    assert "expected at most 1,000 charts in a publication" in str(caught.value)
