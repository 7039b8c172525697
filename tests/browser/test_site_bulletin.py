"""The bulletin in headless Chromium: the front page's release box comes from publication.yml and the changelog;
chart text is never larger than body text at 360 and 1280 px; each page's first chart loads eagerly; the reading
mode enlarges text and survives a reload; the read-aloud control is reachable by keyboard and speaks the page's
main text in the page's language; the search index waits until search is opened.

(Named to run after test_page_weight.py, which starts its own Playwright before the shared browser exists.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
META = yaml.safe_load((ROOT / "publication" / "publication.yml").read_text(encoding="utf-8"))
CHANGELOG = yaml.safe_load((ROOT / "publication" / "changelog.yml").read_text(encoding="utf-8"))
CHART_PAGES = ["index.html", "findings/usage.html", "findings/advantages.html", "survey.html"]
# The English edition draws its own charts (its own text widths): both editions are held to the same sizes.
CHART_PAGES += [f"en/{path}" for path in CHART_PAGES]
# Replaces the browser's speech synthesis with a recorder, so the test hears what would be spoken.
SPEECH_RECORDER = """
window.spoken = [];
const recorder = {
  speak: (utterance) => window.spoken.push({text: utterance.text, lang: utterance.lang}),
  cancel: () => {}, getVoices: () => [], speaking: false, pending: false,
  addEventListener: () => {}, removeEventListener: () => {},
};
Object.defineProperty(window, 'speechSynthesis', {value: recorder, configurable: true});
"""


@pytest.mark.parametrize(
    ("path", "language", "interval"), [("index.html", "zh", "置信区间"), ("en/index.html", "en", "interval")]
)
def test_the_front_page_has_a_folded_release_box_generated_from_the_metadata(phone, base_url, path, language, interval):
    page = phone.new_page()
    page.goto(base_url + path)
    box = page.locator(".sp-release")
    # Folded to one line that gives the date and version; opened, everything else.
    summary = box.locator("summary").inner_text()
    assert str(CHANGELOG[0]["date"]) in summary and META["version"] in summary
    box.locator("summary").click()
    text = box.inner_text()
    assert str(CHANGELOG[0]["date"]) in text
    assert META["version"] in text
    assert META["contact"][language] in text and META["next_release"][language] in text
    publisher = next(c["title"] for c in META["contributors"] if "publisher" in c["roles"])
    assert publisher in text
    # The main points, each a card with its n and interval.
    points = page.locator("article ul.sp-points > li").all_inner_texts()
    assert 3 <= len(points) <= 6
    assert all("n=" in point and interval in point for point in points)


@pytest.mark.parametrize("width", [360, 1280])
def test_no_chart_text_is_larger_than_body_text(browser, base_url, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        for path in CHART_PAGES:
            page.goto(base_url + path, wait_until="networkidle")
            body = page.evaluate("parseFloat(getComputedStyle(document.querySelector('article p')).fontSize)")
            for image in page.locator("figure.sp-chart img").all():
                image.scroll_into_view_if_needed()
                image.evaluate("(img) => img.decode()")
                # Pages show drawings whose largest text is 14 px (the title is the HTML caption); the shown scale
                # multiplies it.
                scale = image.evaluate("(img) => img.getBoundingClientRect().width / img.naturalWidth")
                assert 14 * scale <= body, (path, width, scale, body)
                assert scale <= 1.0001, (path, width, scale)
            if width == 1280:
                shown = page.locator("figure.sp-chart img").first.evaluate("(img) => img.currentSrc")
                assert shown.endswith(".screen-wide.svg"), shown
    finally:
        context.close()


@pytest.mark.parametrize("path", CHART_PAGES)
def test_the_first_chart_of_a_page_is_not_lazy(phone, base_url, path):
    page = phone.new_page()
    page.goto(base_url + path)
    images = page.locator("figure.sp-chart img")
    assert images.first.get_attribute("loading") != "lazy"
    assert all(image.get_attribute("loading") == "lazy" for image in images.all()[1:])


def test_reading_mode_enlarges_text_and_persists_across_a_reload(phone, base_url):
    page = phone.new_page()
    page.goto(base_url + "findings/usage.html")
    size = "() => parseFloat(getComputedStyle(document.querySelector('article p')).fontSize)"
    spacing = "() => parseFloat(getComputedStyle(document.querySelector('article p')).lineHeight)"
    before, before_spacing = page.evaluate(size), page.evaluate(spacing)
    button = page.get_by_role("button", name="大字阅读")
    assert button.get_attribute("aria-pressed") == "false"
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-pressed") == "true"
    assert page.evaluate(size) >= before * 1.2
    assert page.evaluate(spacing) > before_spacing
    assert page.locator(".sp-tools__help").inner_text().strip()  # the help line on first use
    page.reload()
    assert page.evaluate(size) >= before * 1.2
    assert page.get_by_role("button", name="大字阅读").get_attribute("aria-pressed") == "true"
    assert page.locator(".sp-tools__help").inner_text().strip() == ""  # said once
    page.get_by_role("button", name="大字阅读").click()
    page.reload()
    assert page.evaluate(size) == before


def test_read_aloud_is_operable_by_keyboard_and_speaks_the_main_text_in_the_page_language(phone, base_url):
    page = phone.new_page()
    page.add_init_script(SPEECH_RECORDER)
    page.goto(base_url + "findings/usage.html")
    button = page.locator("button.sp-tools__aloud")
    assert button.inner_text() == "朗读本页"  # what it will do (test_read_aloud.py: what it reads)
    button.focus()
    page.keyboard.press("Space")
    assert button.inner_text() == "停止朗读"
    spoken = page.evaluate("window.spoken")
    heading = page.locator("article h1").inner_text()
    assert spoken[0]["text"] == heading.removesuffix("#").strip()  # the heading, not its permalink
    assert all(item["lang"] == page.evaluate("document.documentElement.lang") for item in spoken)
    assert any("n=" in item["text"] for item in spoken)
    page.keyboard.press("Enter")
    assert button.inner_text() == "朗读本页"


def test_read_aloud_is_hidden_where_the_browser_has_no_speech(phone, base_url):
    page = phone.new_page()
    page.add_init_script("delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;")
    page.goto(base_url + "index.html")
    assert page.locator(".sp-tools__reading").count() == 1
    assert page.locator(".sp-tools__aloud").count() == 0


def test_the_search_index_loads_only_when_search_is_opened(phone, base_url):
    page = phone.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base_url + "findings/usage.html", wait_until="networkidle")
    assert not any("search_index.json" in url for url in requested)
    page.locator("label.md-header__button[for='__search']").click()
    page.locator("input.md-search__input").fill("诈骗")
    page.keyboard.press("End")
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    assert any("search_index.json" in url for url in requested)
