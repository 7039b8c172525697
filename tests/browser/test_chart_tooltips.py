"""Tooltips a reader can reach (issue 27, item 3): on a first pointer or keyboard visit, site.js puts the chart's
drawing in the page in place of its image, so hovering a bar finds its <title> (value, interval and n, as the data
table has them) and the keyboard reaches each bar (one Tab stop per chart, arrow keys between bars), focus showing
that text in a visible tooltip. Without JavaScript nothing of this is there and the chart reads as before.
"""

from __future__ import annotations

import pytest
from axe_check import axe_violations

PAGE = "en/findings/usage.html"
TITLE_AT = (
    "([x, y]) => { const e = document.elementFromPoint(x, y); const t = e && e.querySelector('title');"
    " return t ? t.textContent : null; }"
)


def _first_row(figure) -> list[str]:
    return [cell.text_content() for cell in figure.locator("table.sp-data tbody tr").first.locator("th, td").all()]


def _assert_row_text(text: str | None, row: list[str]) -> None:
    label, _series, percent, interval, _count, base, *_flags = row
    assert text is not None and text.startswith(label)
    assert percent in text and interval in text and f"n={base}" in text


def test_hovering_a_bar_on_the_page_finds_its_title_with_value_interval_and_n(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    try:
        page = context.new_page()
        page.goto(base_url + PAGE, wait_until="networkidle")
        figure = page.locator("figure.sp-chart").first
        row = _first_row(figure)
        figure.locator("img").hover()
        bar = figure.locator('svg.sp-chart-inline [aria-roledescription="bar"]').first
        bar.wait_for()
        assert figure.locator("picture").is_hidden()
        bar.hover()
        box = bar.bounding_box()
        title = page.evaluate(TITLE_AT, [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        _assert_row_text(title, row)
        # The inline drawing has the image's name and description, and its size.
        svg = figure.locator("svg.sp-chart-inline")
        assert svg.get_attribute("aria-label") == figure.locator("img").get_attribute("alt")
        assert svg.get_attribute("aria-describedby") == figure.locator("img").get_attribute("aria-describedby")
        assert 600 <= svg.bounding_box()["width"] <= 700
        assert svg.get_attribute("data-sp-source").endswith(".screen-wide.svg")
        # A window narrowed past the wide drawing's media gets the image back, and the narrow drawing on the next visit.
        page.set_viewport_size({"width": 360, "height": 740})
        figure.locator("svg.sp-chart-inline").wait_for(state="detached")
        assert figure.locator("picture").is_visible()
        figure.dispatch_event("pointerover")
        assert figure.locator("svg.sp-chart-inline").get_attribute("data-sp-source").endswith(".screen.svg")
    finally:
        context.close()


def test_the_keyboard_reaches_each_bar_and_focus_shows_its_text_in_a_tooltip(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    try:
        page = context.new_page()
        page.goto(base_url + PAGE, wait_until="networkidle")
        figure = page.locator("figure.sp-chart").first
        row = _first_row(figure)
        # Tab until the first chart's image has focus (one stop per chart): its drawing takes its place and the
        # first bar takes the focus.
        first_chart = "document.activeElement === document.querySelector('figure.sp-chart img')"
        for _ in range(100):
            page.keyboard.press("Tab")
            if page.evaluate(f"{first_chart} || !!document.activeElement.closest('svg.sp-chart-inline')"):
                break
        page.wait_for_function("document.activeElement.matches('svg.sp-chart-inline [aria-roledescription=bar]')")
        tip = figure.locator(".sp-chart-tip")
        assert tip.is_visible()
        _assert_row_text(tip.inner_text(), row)
        first = tip.inner_text()
        bars = figure.locator('svg.sp-chart-inline [aria-roledescription="bar"]')
        assert [bar.get_attribute("tabindex") for bar in bars.all()].count("0") == 1
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement") == bars.nth(1).evaluate("(bar) => bar")
        assert tip.is_visible() and tip.inner_text() != first
        assert tip.inner_text() == bars.nth(1).locator("title").text_content()
        page.keyboard.press("Escape")
        assert tip.is_hidden()
        # Tab leaves the chart from the focused bar: the other bars are not stops.
        page.keyboard.press("Tab")
        assert not page.evaluate("document.activeElement.matches('svg.sp-chart-inline *')")
        assert tip.is_hidden()
    finally:
        context.close()


def test_without_javascript_the_chart_is_its_image_and_data_table_and_nothing_is_put_in_its_place(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base_url + PAGE)
        figure = page.locator("figure.sp-chart").first
        image = figure.locator("img")
        image.hover()
        assert image.is_visible() and image.evaluate("(img) => img.complete && img.naturalWidth > 0")
        assert image.get_attribute("tabindex") is None
        assert figure.locator("svg.sp-chart-inline, .sp-chart-tip").count() == 0
        assert figure.locator("table.sp-data tbody tr").count() > 0
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_once_every_chart_is_inline_and_a_bar_shows_its_tooltip(
    browser, base_url, axe_script, scheme
):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme, service_workers="block")
    try:
        page = context.new_page()
        page.goto(base_url + PAGE, wait_until="networkidle")
        figures = page.locator("figure.sp-chart")
        for figure in figures.all():
            figure.dispatch_event("pointerover")
            figure.locator("svg.sp-chart-inline").wait_for()
        figures.first.locator('svg.sp-chart-inline [aria-roledescription="bar"]').first.focus()
        assert figures.first.locator(".sp-chart-tip").is_visible()
        violations = axe_violations(page, axe_script)
    finally:
        context.close()
    assert violations == []
