"""Phone first (issue 26), in headless Chromium on the built site, both editions: the front page answers on the first
phone screen; nothing is wider than a phone's screen outside a box that says it scrolls; no table cell is squeezed
under four characters and no number breaks across lines; text sizes (body, tables, helper lines, chart text as
shown); the large-text mode grows every text by a quarter, charts, tables, buttons and menu included, and stays
inside a phone's screen; axe finds nothing in large-text mode either; both editions wear the same chrome.
"""

from __future__ import annotations

import pytest
from axe_check import axe_violations
from site_pages import KIND_PAGES, _open, _show_everything
from sweep import READING, SWEEP_GROUP, failures, sweep

# The prose of the page (not a helper line, a card or a notice).
BODY_TEXT = ".md-content__inner > p:not([class])"


def _context(browser, width: int, height: int, reading: bool = False):
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    if reading:
        context.add_init_script(READING)
    return context


@pytest.mark.parametrize("path", ["index.html", "en/index.html"])
def test_the_first_main_points_figure_is_on_the_first_phone_screen(browser, base_url, path):
    context = _context(browser, 360, 800)
    try:
        page = context.new_page()
        page.goto(base_url + path, wait_until="networkidle")
        figure = page.locator("article .sp-point__figure").first
        box = figure.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 800, box
        # The figure comes with what it means, its n and its interval, on the same card.
        card = page.locator("article li.sp-point").first.inner_text()
        assert "n=" in card and ("置信区间" in card or "confidence interval" in card)
        # The synthetic-data notice is one line linking to the full statement on the methods page.
        notice = page.locator("article .sp-notice")
        lines = notice.evaluate(
            "(p) => Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight))"
        )
        assert lines == 1
        assert "methods.html#" in notice.locator("a").get_attribute("href")
    finally:
        context.close()


@pytest.mark.xdist_group(SWEEP_GROUP)
@pytest.mark.parametrize("reading", [False, True], ids=["normal", "large-text"])
def test_nothing_is_wider_than_a_phone_screen_outside_a_box_that_says_it_scrolls(browser, base_url, reading):
    # Every element of the page's content, header and footer that reaches past the screen, unless a box it sits in
    # scrolls sideways and says so (the hint site.js puts under it).
    assert failures(sweep(browser, base_url, 360, reading), "outside") == {}


@pytest.mark.xdist_group(SWEEP_GROUP)
def test_no_table_cell_on_a_phone_is_narrower_than_four_characters_of_its_text(browser, base_url):
    # Cells whose box is narrower than the first four characters of their own text, in their own font.
    assert failures(sweep(browser, base_url, 360), "squeezed") == {}


@pytest.mark.xdist_group(SWEEP_GROUP)
@pytest.mark.parametrize("reading", [False, True], ids=["normal", "large-text"])
def test_no_number_breaks_across_lines_on_a_phone(browser, base_url, reading):
    # Numbers (with a decimal part, a percent sign or an n=) whose characters sit on more than one line.
    assert failures(sweep(browser, base_url, 360, reading), "broken") == {}


@pytest.mark.xdist_group(SWEEP_GROUP)
def test_no_chart_on_any_page_shows_its_text_under_14px_on_a_phone(browser, base_url):
    # Every page of both editions: a phone drawing wider than the column is shown scaled down, and its text with it.
    assert failures(sweep(browser, base_url, 360), "small charts") == {}


# Computed sizes: the prose, the tables, every helper line (chart source, notes, downloads, the data toggle, the scroll
# hint, the reading aids' help), and the charts' text as shown (the drawings' text is 14 px at their drawn size).
SIZES = """() => {
  const size = (element) => parseFloat(getComputedStyle(element).fontSize);
  const all = (selector) => [...document.querySelectorAll(selector)].filter((e) => e.getClientRects().length).map(size);
  const helpers = all('.sp-chart-source, .sp-chart-note, .sp-chart-downloads, details.sp-chart-data > summary,'
    + ' .sp-scroll-hint, .sp-tools__help, .sp-notice, .sp-point__base, details.sp-release > summary, a.sp-check');
  const charts = [...document.querySelectorAll('figure.sp-chart img')].map(
    (img) => 14 * img.getBoundingClientRect().width / img.naturalWidth);
  return {body: all('SELECTOR'), tables: all('article table td, article table th'), helpers, charts};
}"""


@pytest.mark.parametrize("width", [360, 1280], ids=["phone", "desktop"])
@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "en/index.html",
        "findings/usage.html",
        "en/findings/usage.html",
        "downloads.html",
        "reconciliation.html",
    ],
)
def test_body_text_is_16px_or_more_and_tables_helper_lines_and_charts_14px_or_more(browser, base_url, path, width):
    context = _context(browser, width, 900)
    try:
        page = context.new_page()
        page.goto(base_url + path, wait_until="networkidle")
        _show_everything(page)
        page.evaluate("document.querySelectorAll('figure.sp-chart img').forEach((img) => img.decode())")
        sizes = page.evaluate(SIZES.replace("SELECTOR", BODY_TEXT))
        assert sizes["body"] and min(sizes["body"]) >= 16, sizes["body"]
        assert min(sizes["tables"], default=14) >= 14
        assert sizes["helpers"] and min(sizes["helpers"]) >= 14
        assert min(sizes["charts"], default=14) >= 14 - 0.05, sizes["charts"]
    finally:
        context.close()


# Every text's size, in document order: each element with text of its own, and each chart's text as shown.
TEXT_SIZES = """() => {
  const sizes = [];
  const scope = [...document.querySelectorAll('article, .md-sidebar--primary .md-nav')];
  scope.forEach((root) => root.querySelectorAll('*').forEach((element) => {
    if (element.closest('svg, .sp-visually-hidden, script, style')) return;
    const own = [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
    if (!own || element.getClientRects().length === 0) return;
    sizes.push([element.tagName + '.' + element.className, parseFloat(getComputedStyle(element).fontSize)]);
  }));
  document.querySelectorAll('figure.sp-chart img').forEach((img) => {
    sizes.push(['chart ' + img.currentSrc.split('/').pop().split('.')[0],
      14 * img.getBoundingClientRect().width / img.naturalWidth]);
  });
  return sizes;
}"""


def _text_sizes(browser, base_url, path, width, reading):
    context = _context(browser, width, 900, reading)
    try:
        page = context.new_page()
        page.goto(base_url + path, wait_until="networkidle")
        _show_everything(page)
        page.wait_for_function("[...document.querySelectorAll('figure.sp-chart img')].every((i) => i.complete)")
        return page.evaluate(TEXT_SIZES)
    finally:
        context.close()


@pytest.mark.parametrize(
    "path",
    ["index.html", "en/index.html", "findings/usage.html", "en/findings/usage.html", "downloads.html", "methods.html"],
)
def test_large_text_grows_every_text_by_a_quarter_charts_tables_buttons_and_menu_included(browser, base_url, path):
    normal = _text_sizes(browser, base_url, path, 1280, False)
    large = _text_sizes(browser, base_url, path, 1280, True)
    # Compared kind by kind (a wider table adds a scroll hint in large text): each kind's smallest text grows.
    smallest: dict[str, list[float]] = {}
    for sizes in (normal, large):
        seen: dict[str, float] = {}
        for name, size in sizes:
            seen[name] = min(size, seen.get(name, size))
        for name, size in seen.items():
            smallest.setdefault(name, []).append(size)
    assert any(name.startswith("BUTTON") for name in smallest)
    assert any(name.startswith("chart") for name in smallest) == ("index" in path or "findings" in path)
    grown_less = {
        name: sizes for name, sizes in smallest.items() if len(sizes) == 2 and sizes[1] < sizes[0] * 1.25 - 0.01
    }
    assert grown_less == {}


@pytest.mark.parametrize("path", KIND_PAGES)
def test_axe_finds_no_wcag_22_aa_violations_in_large_text_mode(browser, base_url, axe_script, path):
    context = _context(browser, 360, 800, reading=True)
    try:
        page, _ = _open(context, base_url + path)
        _show_everything(page)
        assert axe_violations(page, axe_script) == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280], ids=["phone", "desktop"])
def test_both_front_pages_show_the_menu_alike_and_size_their_charts_alike(browser, base_url, width):
    chrome = {}
    context = _context(browser, width, 900)
    try:
        page = context.new_page()
        for path in ("index.html", "en/index.html"):
            page.goto(base_url + path, wait_until="networkidle")
            chrome[path] = page.evaluate(
                """() => {
                    const menu = document.querySelector('.md-sidebar--primary');
                    const img = document.querySelector('figure.sp-chart img');
                    const column = document.querySelector('article').getBoundingClientRect().width;
                    return {menu: !menu.hidden && menu.getBoundingClientRect().width > 0,
                            column: Math.round(column), drawing: img.currentSrc.split('.').slice(-2)[0]};
                }"""
            )
    finally:
        context.close()
    assert chrome["index.html"] == chrome["en/index.html"]
