"""Every chart can be shown on another site (issue 27): its embed page loads in Chromium with JavaScript off, asks
nothing of any host but the site's own, shows the drawing, the title, the source line and the intervals, links back
to the chart on its page, and passes axe; the chart's page gives the snippet with the frame's height."""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_check import axe_violations

EDITIONS = ("", "en/")
SNIPPET = re.compile(r'<pre class="sp-embed-code"><code>(.*?)</code></pre>', re.DOTALL)


def embed_pages(site_dir: Path, edition: str) -> list[Path]:
    pages = sorted((site_dir / edition / "embed").glob("*.html"))
    assert pages, f"no embed pages in {edition or 'the primary edition'}"
    return pages


def charts_on_pages(site_dir: Path, edition: str) -> set[str]:
    """The ids of the charts the edition's pages show."""
    found = set()
    for page in (site_dir / edition).rglob("*.html") if edition else site_dir.glob("**/*.html"):
        relative = page.relative_to(site_dir).as_posix()
        if "embed/" in relative or (not edition and relative.startswith("en/")):
            continue
        found.update(re.findall(r'<figure class="sp-chart" id="chart-([^"]+)"', page.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("edition", EDITIONS, ids=["zh-Hans", "en"])
def test_every_chart_a_page_shows_has_an_embed_page(site_dir: Path, edition: str):
    shown = charts_on_pages(site_dir, edition)
    assert shown
    assert {page.stem for page in embed_pages(site_dir, edition)} == shown


@pytest.mark.parametrize("edition", EDITIONS, ids=["zh-Hans", "en"])
def test_embed_pages_load_without_javascript_from_the_site_alone_and_link_back_to_the_chart(
    browser, base_url, site_dir: Path, edition: str
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, service_workers="block"
    )
    try:
        for path in embed_pages(site_dir, edition):
            requests: list[str] = []
            page = context.new_page()
            page.on("request", lambda request, seen=requests: seen.append(request.url))
            relative = path.relative_to(site_dir).as_posix()
            response = page.goto(base_url + relative, wait_until="load")
            assert response is not None and response.ok, relative
            assert [url for url in requests if urlsplit(url).hostname != "127.0.0.1"] == [], relative
            assert page.evaluate("() => [...document.images].every((image) => image.naturalWidth > 0)"), relative
            text = page.locator("main").inner_text()
            assert page.locator("figcaption").inner_text().strip() in page.title(), relative
            # The source line names the licence; the lines under the title say what the whiskers are.
            assert "CC-BY-4.0" in text, relative
            assert ("95%" in text) and (("置信区间" in text) or ("confidence interval" in text)), relative
            link = page.locator("a[target=_top]")
            target = urlsplit(link.get_attribute("href") or "")
            linked = (path.parent / target.path).resolve()
            assert linked.is_file(), relative
            assert f'id="{target.fragment}"' in linked.read_text(encoding="utf-8"), relative
            page.close()
    finally:
        context.close()


@pytest.mark.parametrize("edition", EDITIONS, ids=["zh-Hans", "en"])
def test_every_embed_page_with_its_drawings_weighs_a_few_kb_beyond_the_drawing(site_dir: Path, edition: str):
    """The page itself (HTML and its inline style) is a few KB; with both drawings, far under the site's budget."""
    for path in embed_pages(site_dir, edition):
        text = path.read_text(encoding="utf-8")
        drawings = [(path.parent / found).resolve() for found in re.findall(r'(?:src|srcset)="([^"]+)"', text)]
        assert drawings and all(drawing.is_file() for drawing in drawings), path.name
        page = len(gzip.compress(text.encode("utf-8")))
        assert page < 4_000, (path.name, page)
        assert page + sum(len(gzip.compress(drawing.read_bytes())) for drawing in drawings) < 150_000, path.name


@pytest.mark.parametrize("edition", EDITIONS, ids=["zh-Hans", "en"])
def test_an_embed_page_passes_axe(browser, base_url, site_dir: Path, axe_script: Path, edition: str):
    path = embed_pages(site_dir, edition)[0]
    context = browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
    try:
        page = context.new_page()
        page.goto(base_url + path.relative_to(site_dir).as_posix(), wait_until="load")
        found = axe_violations(page, axe_script)
    finally:
        context.close()
    assert found == []


@pytest.mark.parametrize("edition", EDITIONS, ids=["zh-Hans", "en"])
def test_each_charts_page_gives_an_iframe_snippet_with_the_frames_height(site_dir: Path, edition: str):
    page = site_dir / edition / "findings" / "usage.html"
    snippets = [html.unescape(found) for found in SNIPPET.findall(page.read_text(encoding="utf-8"))]
    assert snippets
    for snippet in snippets:
        source = re.search(r'src="([^"]+)"', snippet).group(1)
        assert (page.parent / source).resolve().is_file() or source.startswith("http"), snippet
        assert re.search(r'height="\d{3,4}"', snippet), snippet
        assert 'title="' in snippet and "<script" not in snippet
