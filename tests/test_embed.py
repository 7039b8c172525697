"""A chart's embed page and snippet (charts/embed.py): untrusted text stays text, nothing is fetched from another
host, and the page links back to the chart on its own page, in its edition."""

from __future__ import annotations

import re
from pathlib import Path

from surveypress.charts import embed
from surveypress.charts import model as chart_model

HOSTILE = "<img src=x onerror=alert(1)>"


def hostile_chart(tmp_path: Path) -> chart_model.ChartOutput:
    svg = tmp_path / "x.screen.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"></svg>\n', encoding="utf-8")
    return chart_model.ChartOutput(
        id="usage_online",
        title=f"Title {HOSTILE}",
        alt=f"Chart: {HOSTILE}",
        table=[],
        files={"screen": svg},
        subtitle=(f"n=9 {HOSTILE}", "Black lines show the 95% confidence interval"),
        note=f"note {HOSTILE}</p><script>alert(1)</script>",
        source=f"Source: {HOSTILE}",
    )


def test_an_embed_page_shows_hostile_texts_as_text_and_runs_nothing(tmp_path):
    page = embed.embed_html(hostile_chart(tmp_path), "", "findings/usage", "en", f"Survey {HOSTILE}")
    assert HOSTILE not in page and "<script" not in page
    assert page.count("<img ") == 1  # the drawing, and no tag from a text
    assert not re.search(r"""(src|href|srcset)=["']?(https?:)?//""", page)  # nothing from another host


def test_an_embed_page_links_back_to_the_chart_on_its_page_in_its_edition(tmp_path):
    chart = hostile_chart(tmp_path)
    primary = embed.embed_html(chart, "", "findings/usage", "zh-Hans", "T")
    english = embed.embed_html(chart, "en/", "findings/usage", "en", "T")
    assert 'href="../findings/usage.html#chart-usage_online" target="_top"' in primary
    assert 'src="../assets/charts/x.screen.svg"' in primary
    assert 'href="../../en/findings/usage.html#chart-usage_online" target="_top"' in english
    assert 'src="../../assets/charts/en/x.screen.svg"' in english
    assert '<html lang="zh-Hans">' in primary and '<html lang="en">' in english


def test_the_snippet_gives_the_frames_height_from_the_drawing_and_escapes_the_title(tmp_path):
    chart = hostile_chart(tmp_path)
    height = embed.frame_height(chart)
    assert height == 200 + embed.TEXT_HEIGHT
    snippet = embed.embed_snippet("https://example.org/embed/usage_online.html", chart.title, height)
    assert f'height="{height}"' in snippet and HOSTILE not in snippet
    assert snippet.startswith('<iframe src="https://example.org/embed/usage_online.html"')
