"""A chart's drawing as HTML: the phone drawing in an `<img>`, the wide one in a `<picture>` source from WIDE_MEDIA
on, each with its size so the page reserves the space (the figure on a page and the embed page both show it)."""

from __future__ import annotations

import math
import re
from pathlib import Path, PurePosixPath

from surveypress.charts.layouts import WIDE_MEDIA
from surveypress.charts.model import ChartOutput
from surveypress.text import html_text, url_text


def relative_root(page_path: str) -> str:
    """'findings/usage' or 'findings/usage.md' -> '../' (pages are served as findings/usage.html)."""
    depth = len(PurePosixPath(str(page_path)).parts) - 1
    return "../" * max(depth, 0)


def chart_image(chart: ChartOutput, root: str, description_id: str, eager: bool) -> str:
    """The narrow drawing, and the wide one from `WIDE_MEDIA` on, sized so the page reserves their space (`root`:
    the chart's folder as the page links to it)."""
    esc = html_text
    screen = chart.files.get("screen") or chart.files.get("svg")
    width, height = svg_size(screen)
    size = f' width="{width}" height="{height}"' if width and height else ""
    loading = ' fetchpriority="high"' if eager else ' loading="lazy"'
    image = (
        f'<img src="{url_text(root + Path(screen).name if screen else f"{root}{chart.id}.svg")}"'
        f' alt="{esc(chart.title)}"'
        f' aria-describedby="{description_id}"{size}{loading} decoding="async">'
    )
    wide = chart.files.get("screen-wide")
    if wide:
        wide_width, wide_height = svg_size(wide)
        wide_size = f' width="{wide_width}" height="{wide_height}"' if wide_width and wide_height else ""
        image = (
            f'<picture><source media="{WIDE_MEDIA}" srcset="{url_text(root + Path(wide).name)}" type="image/svg+xml"'
            f"{wide_size}>{image}</picture>"
        )
    return image


_SVG_SIZE = re.compile(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"')


def svg_size(path: Path | None) -> tuple[str, str]:
    """The SVG's own size in whole pixels (HTML wants integers), so the page reserves the space before the image
    loads (no layout shift)."""
    if not path or not Path(path).is_file():
        return "", ""
    match = _SVG_SIZE.search(Path(path).read_text(encoding="utf-8")[:500])
    if not match:
        return "", ""
    return str(math.ceil(float(match.group(1)))), str(math.ceil(float(match.group(2))))
