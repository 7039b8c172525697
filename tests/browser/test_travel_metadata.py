"""What lets a figure travel (issue 27): the built site's schema.org Dataset read as a search engine expands it, the
Open Graph locale of each edition, a visible link beside every heading and chart with the chart's citation, and a
bar's value, interval and n shown while a pointer rests on it in Chromium, without JavaScript."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

SCHEMA = "http://schema.org/"
_JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
REQUIRED = (
    "name",
    "description",
    "license",
    "creator",
    "temporalCoverage",
    "spatialCoverage",
    "variableMeasured",
    "distribution",
    "version",
    "url",
    "inLanguage",
)


def _expanded(site_dir: Path, page: str) -> dict:
    """The page's one Dataset, expanded by pyld with schema.org's vocabulary (offline: no context is fetched)."""
    pyld = pytest.importorskip("pyld")
    found = _JSONLD.findall((site_dir / page).read_text(encoding="utf-8"))
    assert len(found) == 1, f"{page}: one schema.org Dataset"

    def loader(url: str, options=None) -> dict:
        assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
        return {"contextUrl": None, "documentUrl": url, "document": {"@context": {"@vocab": SCHEMA}}}

    base = f"https://example.org/{page}"
    [dataset] = pyld.jsonld.expand(json.loads(found[0]), {"documentLoader": loader, "base": base})
    return dataset


@pytest.mark.parametrize("page", ["index.html", "en/index.html", "downloads.html", "en/downloads.html"])
def test_front_and_downloads_pages_carry_a_dataset_with_a_distribution_per_download(site_dir: Path, page: str):
    dataset = _expanded(site_dir, page)
    assert dataset["@type"] == [SCHEMA + "Dataset"]
    for key in REQUIRED:
        assert dataset.get(SCHEMA + key), f"{page}: no {key}"
    package = json.loads((site_dir / "downloads" / "datapackage.json").read_text(encoding="utf-8"))
    urls = [item[SCHEMA + "contentUrl"][0]["@value"] for item in dataset[SCHEMA + "distribution"]]
    page_url = f"https://example.org/{page}"
    wanted = [urljoin(page_url, f"{'../' * page.count('/')}downloads/{r['path']}") for r in package["resources"]]
    assert len(urls) == len(set(urls))
    for url in wanted:
        assert [urljoin(page_url, found) for found in urls].count(url) == 1, url
        assert (site_dir / "downloads" / url.split("/downloads/", 1)[1]).is_file()


@pytest.mark.parametrize(("page", "locale"), [("index.html", "zh_CN"), ("en/findings/usage.html", "en_US")])
def test_og_locale_is_the_edition_language(site_dir: Path, page: str, locale: str):
    html = (site_dir / page).read_text(encoding="utf-8")
    assert re.findall(r'<meta property="og:locale" content="([^"]*)">', html) == [locale]


def test_every_page_links_the_dcat_record(site_dir: Path):
    html = (site_dir / "en/findings/usage.html").read_text(encoding="utf-8")
    link = re.search(r'<link rel="alternate" type="text/turtle" href="([^"]*)"', html).group(1)
    assert (site_dir / "en/findings" / link).resolve() == (site_dir / "downloads/dcat.ttl").resolve()
    assert (site_dir / "downloads/dcat.ttl").is_file()


def test_headings_and_charts_have_visible_links_and_each_chart_its_citation(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "en/findings/usage.html")
    heading_link = page.locator("h2 a.headerlink").first
    heading_link.hover()
    assert heading_link.is_visible()
    figure = page.locator("figure.sp-chart").first
    chart_id = figure.get_attribute("id")
    anchor = figure.locator("figcaption a.sp-chart-anchor")
    assert anchor.get_attribute("href") == f"#{chart_id}" and anchor.is_visible()
    assert anchor.inner_text().startswith("#") and "Link to this chart" in anchor.text_content()
    cite = figure.locator("details.sp-chart-cite")
    cite.locator("summary").click()
    assert cite.locator(f'a[href$="#{chart_id}"]').is_visible()
    assert "version 1.0.0" in cite.inner_text()
    context.close()


def test_a_hovered_bar_shows_its_value_interval_and_n_from_the_data_table(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "en/findings/usage.html")
    figure = page.locator("figure.sp-chart").first
    image = figure.locator("picture source").get_attribute("srcset")
    first_row = [cell.text_content() for cell in figure.locator("table.sp-data tbody tr").first.locator("th, td").all()]
    page.goto(urljoin(base_url + "en/findings/usage.html", image))
    bar = page.locator('path[aria-roledescription="bar"]').first
    bar.hover()
    box = bar.bounding_box()
    title = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); const t = e && e.querySelector('title');"
        " return t ? t.textContent : null; }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    context.close()
    label, _series, percent, interval, _count, base, *_flags = first_row
    assert title is not None and title.startswith(label)
    assert percent in title and interval in title and f"n={base}" in title
