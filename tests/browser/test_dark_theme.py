"""The dark theme (issue 27, item 4): Material's slate scheme, chosen by the reader's system (`prefers-color-scheme:
dark`) or by the header's toggle, passes axe's contrast rules on one page of each kind in both editions, in normal and
in large-text mode; every chart is still the light drawing, on a white card, and each of its marks meets 3:1 against the
background it is drawn on. Without JavaScript the page stays light (Material's first palette), which the theme's
stylesheet is made for.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from axe_check import axe_violations
from site_pages import KIND_PAGES

PAGES = KIND_PAGES
CHART_PAGES = [
    page for page in PAGES if urlsplit(page).path.split("/")[-1] in ("survey.html", "usage.html", "integration.html")
]
CONTRAST_RULES = ["color-contrast", "link-in-text-block"]
LARGE_TEXT = "try { localStorage.setItem('sp-reading', '1'); } catch (error) {}"


def _dark_page(browser, url: str, *, toggled: bool, large: bool):
    """A page in the slate scheme: chosen by the system setting (a desktop), or by the toggle under a light system
    (a phone); with large text saved as the reader's choice when `large`."""
    size = {"width": 360, "height": 740} if toggled else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=size, color_scheme="light" if toggled else "dark", service_workers="block")
    if large:
        context.add_init_script(LARGE_TEXT)
    page = context.new_page()
    page.goto(url, wait_until="load")
    if toggled:
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
        page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert page.evaluate("document.documentElement.classList.contains('sp-reading')") == large
    return context, page


def _axe_violations(page, axe_script: Path) -> list[str]:
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    for image in page.locator("figure.sp-chart img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function("[...document.images].every((image) => image.complete)")
    # Only what the scheme changes: every other rule is held in the light scheme by test_site.py and in large text by
    # test_phone_first.py, on the same pages.
    return axe_violations(page, axe_script, CONTRAST_RULES)


# Each page kind twice: dark by the system setting in normal text (a desktop), and dark by the toggle under a light
# system in large text (a phone). The scheme is the same either way; the two cover both ways into it and both text
# modes without four loads of every page.
MODES = [(False, False), (True, True)]


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_contrast_violation_in_the_dark_scheme_from_the_system_or_the_toggle_in_normal_and_large_text(
    browser, base_url, axe_script, path
):
    found = {}
    for toggled, large in MODES:
        context, page = _dark_page(browser, base_url + path, toggled=toggled, large=large)
        try:
            found[("toggle" if toggled else "system", "large" if large else "normal")] = _axe_violations(
                page, axe_script
            )
        finally:
            context.close()
    assert {mode: violations for mode, violations in found.items() if violations} == {}


def test_without_javascript_a_dark_system_gets_the_light_page_the_stylesheet_is_made_for(browser, base_url):
    context = browser.new_context(color_scheme="dark", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base_url + "en/findings/usage.html")
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        assert page.locator("figure.sp-chart img").first.is_visible()
    finally:
        context.close()


# Colours as vl-convert writes them in a drawing.
NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}
ROOT_RECT = re.compile(
    r'<svg\b[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"[^>]*>\s*'
    r'<rect width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"/>'
)
MARK_GROUP = re.compile(r'<g class="mark-\w+ role-mark[^"]*"[^>]*>(.*?)</g>', re.S)
MARK = re.compile(r"<(path|line|text|rect|circle)\b([^>]*)>")
ATTRIBUTE = re.compile(r'\s([\w-]+)="([^"]*)"')


def _rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.strip().lower()
    if colour in NAMED:
        return NAMED[colour]
    if colour.startswith("#") and len(colour) == 4:
        return tuple(int(digit * 2, 16) for digit in colour[1:])
    if colour.startswith("#") and len(colour) in (7, 9):
        return tuple(int(colour[index : index + 2], 16) for index in (1, 3, 5))
    numbers = re.findall(r"[\d.]+", colour)
    if colour.startswith("rgb") and len(numbers) >= 3:
        return tuple(float(number) for number in numbers[:3])
    raise AssertionError(f"a colour this test cannot read: {colour!r}")


def _over(colour: tuple, alpha: float, background: tuple) -> tuple:
    return tuple(alpha * part + (1 - alpha) * under for part, under in zip(colour, background, strict=True))


def _luminance(rgb: tuple) -> float:
    def linear(part: float) -> float:
        part /= 255
        return part / 12.92 if part <= 0.04045 else ((part + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(part) for part in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one: tuple, other: tuple) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _weak_marks(svg: str, shown_on: tuple) -> list[str]:
    """The marks of a drawing whose fill and stroke both fall under 3:1 against what they are drawn on: the drawing's
    own background when it covers the whole drawing, else what the page shows behind the image."""
    root = ROOT_RECT.search(svg[:2000])
    if root and root.group(1) == root.group(3) and root.group(2) == root.group(4):
        shown_on = _over(_rgb(root.group(5)), 1.0, shown_on)
    weak = []
    for group in MARK_GROUP.finditer(svg):
        for mark in MARK.finditer(group.group(1)):
            attributes = dict(ATTRIBUTE.findall(mark.group(2)))
            opacity = float(attributes.get("opacity", 1))
            ratios = []
            for paint, alpha in (("fill", "fill-opacity"), ("stroke", "stroke-opacity")):
                colour = attributes.get(paint, "none")
                if colour in ("none", "transparent"):
                    continue
                shown = _over(_rgb(colour), opacity * float(attributes.get(alpha, 1)), shown_on)
                ratios.append(_contrast(shown, shown_on))
            if ratios and max(ratios) < 3:
                weak.append(f"{attributes.get('aria-label', mark.group(1))}: {max(ratios):.2f}:1")
    return weak


def _drawings(page) -> list[tuple[str, str]]:
    """Every drawing each figure may show (each <source> and the <img>) with the colour behind the image."""
    return page.evaluate(
        """() => [...document.querySelectorAll('figure.sp-chart img')].flatMap((img) => {
          let behind = 'rgb(255, 255, 255)';
          for (let node = img; node; node = node.parentElement) {
            const colour = getComputedStyle(node).backgroundColor;
            if (colour && colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') { behind = colour; break; }
          }
          const sources = [...img.closest('picture, figure').querySelectorAll('source')].map((s) => s.srcset);
          return [...sources, img.getAttribute('src')].map((src) => [src, behind]);
        })"""
    )


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_charts_marks_meet_3_to_1_against_what_they_are_shown_on_in_the_dark_scheme(
    browser, base_url, site_dir, path
):
    context, page = _dark_page(browser, base_url + path, toggled=False, large=False)
    try:
        drawings = _drawings(page)
        # The drawing sits on a white card, not on the dark page.
        first = page.locator("figure.sp-chart img").first
        assert first.evaluate("(img) => getComputedStyle(img).backgroundColor") == "rgb(255, 255, 255)"
    finally:
        context.close()
    assert drawings, "a chart page without drawings"
    weak = {}
    for source, behind in drawings:
        address = urlsplit(urljoin(base_url + path, source.split()[0])).path
        svg = (site_dir / address.lstrip("/")).read_text(encoding="utf-8")
        marks = _weak_marks(svg, _rgb(behind))
        assert svg.count("role-mark") > 0, address
        if marks:
            weak[address] = marks
    assert weak == {}
