"""The download's SVG: the wide drawing's SVG, as vl-convert drew it, set under its title and above its source line
where Vega would set them, without Vega laying the chart out a third time."""

from __future__ import annotations

import html
import math
import re
from typing import Any

from surveypress.charts.draw import REPEATED_TEXT
from surveypress.charts.titles import axis_channel
from surveypress.charts.wrap import text_width

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


def _title_block(framed: dict, title: list[str]) -> tuple[str, float]:
    """The download's title as SVG text, and how far it moves the drawing down (0 without a title)."""
    if not title:
        return "", 0.0
    heading, padding = framed["title"], framed["padding"]
    above = _text_block(
        padding["left"],
        padding["top"],
        title,
        framed["config"]["font"],
        heading["fontSize"],
        heading["fontWeight"],
        heading["color"],
        heading["lineHeight"],
    )
    # The wide drawing begins with the subtitle (the page's heading), which Vega puts under the title.
    gap = heading["subtitlePadding"] if heading.get("subtitle") else heading["offset"]
    return above, heading["fontSize"] + (len(title) - 1) * heading["lineHeight"] + gap


def _source_block(framed: dict, source: list[str], bottom: float) -> tuple[str, float]:
    """The download's source line as SVG text under the drawing that ends at `bottom`, and where the image ends."""
    if not source:
        return "", bottom
    padding, axis = framed["padding"], axis_channel(framed)["axis"]
    source_top = bottom - padding["bottom"] + axis["titlePadding"]
    below = _text_block(
        padding["left"],
        source_top,
        source,
        framed["config"]["font"],
        axis["titleFontSize"],
        axis["titleFontWeight"],
        axis["titleColor"],
        axis["titleLineHeight"],
        repeated=True,
    )
    return below, source_top + axis["titleFontSize"] + (len(source) - 1) * axis["titleLineHeight"] + padding["bottom"]


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
    x_channel = axis_channel(framed)
    axis = x_channel["axis"]
    title = [str(line) for line in heading.get("text") or []]
    source = [str(line) for line in x_channel.get("title") or []]
    above, top = _title_block(framed, title)
    below, bottom = _source_block(framed, source, top + height)
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
