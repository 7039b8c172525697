"""The built site in headless Chromium: every page loads cleanly and offline, charts render with Chinese text, pages
work without JavaScript, axe finds no WCAG 2.2 AA violation, nothing scrolls sideways on a phone or at 200% zoom,
the keyboard reaches the main links with a visible focus, and Chinese search finds a word from inside a sentence;
the English edition under en/ is held to the same checks, and English search finds a word inside a sentence.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from axe_check import axe_violations
from site_pages import EDITION_PAGES, HAN, PAGES, PAGES_WITH_CHARTS, _open, _show_everything
from sweep import SWEEP_GROUP, failures, sweep


def _is_local(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    return urlsplit(url).hostname == "127.0.0.1"


@pytest.mark.parametrize("path", EDITION_PAGES)
def test_every_page_loads_without_console_errors_and_requests_nothing_outside_localhost(phone, base_url, path):
    page, record = _open(phone, base_url + path)
    _show_everything(page)
    # Open the search too: it loads the index and the search worker.
    english = path.startswith("en/")
    page.locator("label.md-header__button[for='__search']").click()
    page.locator("input.md-search__input").fill("fraud" if english else "数字政府")
    page.keyboard.press("End")
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    page.wait_for_load_state("networkidle")
    # Every request succeeds, the sitemap Material asks for beside each hreflang alternate too (theme/main.html).
    assert record["missing"] == []
    assert record["errors"] == []
    outside = [url for url in record["requests"] if not _is_local(url)]
    assert outside == []
    assert len(record["requests"]) > 3
    assert bool(HAN.search(page.locator("h1").first.inner_text())) != english


# The text a reader sees around a page's own content (header, navigation, footer, search, the reading aids, labels
# for screen readers), without the article and the table of contents, which repeats the article's headings.
INTERFACE_TEXT = """() => {
  const outside = (element) => !element.closest("article, nav.md-nav--secondary, script, style, svg");
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.textContent.trim() && outside(node.parentElement)) texts.push(node.textContent.trim());
  }
  document.querySelectorAll("[aria-label], [title], [placeholder]").forEach((element) => {
    if (!outside(element)) return;
    ["aria-label", "title", "placeholder"].forEach((name) => {
      if (element.getAttribute(name)) texts.push(element.getAttribute(name));
    });
  });
  return texts.join("\\n");
}"""
LATIN_WORDS = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ -][A-Za-z][A-Za-z'’]+)*")
# Names, not interface text: the licence's name, each language's name in itself in the language switcher, and the
# name of the metadata standard that titles the head's link to the DCAT record.
INTERFACE_NAMES = {"zh": {"CC BY", "English", "DCAT"}, "en": {"中文 (简体)"}}


@pytest.mark.parametrize("path", [*EDITION_PAGES, "404.html"])
def test_the_interface_around_each_page_is_in_the_language_of_its_edition(browser, base_url, path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    try:
        page = context.new_page()
        page.goto(base_url + path, wait_until="networkidle")
        text = page.evaluate(INTERFACE_TEXT)
    finally:
        context.close()
    if path.startswith("en/"):
        for name in INTERFACE_NAMES["en"]:
            text = text.replace(name, "")
        assert HAN.findall(text) == [], path
    else:
        assert sorted(set(LATIN_WORDS.findall(text)) - INTERFACE_NAMES["zh"]) == [], path


@pytest.mark.parametrize("path", ["reconciliation.html", "en/reconciliation.html", "findings/usage.html"])
def test_on_a_phone_every_table_too_wide_for_the_screen_says_it_scrolls_and_no_other_does(phone, base_url, path):
    page, _ = _open(phone, base_url + path)
    _show_everything(page)
    boxes = page.locator(".md-typeset__scrollwrap:visible, .sp-table-scroll:visible").all()
    assert boxes, path
    for box in boxes:
        box.scroll_into_view_if_needed()
        # The hint follows once the table is laid out on screen (a frame or two after scrolling to it).
        settled = page.wait_for_function(
            """(box) => {
                const wide = box.scrollWidth > box.clientWidth + 1;
                const next = box.nextElementSibling;
                return (next !== null && next.classList.contains('sp-scroll-hint')) === wide;
            }""",
            arg=box.element_handle(),
            timeout=5000,
        )
        assert settled, (path, box.evaluate("(box) => box.innerText.slice(0, 60)"))
    assert any(box.evaluate("(box) => box.scrollWidth > box.clientWidth + 1") for box in boxes), path


def test_every_page_says_the_microdata_is_synthetic(phone, base_url):
    page = phone.new_page()
    for path in PAGES:
        page.goto(base_url + path)
        # In the page's own content, not only in the footer line every page shares.
        text = page.locator("article").first.inner_text()
        assert "合成" in text, path


@pytest.mark.parametrize("path", PAGES_WITH_CHARTS)
def test_every_chart_renders_with_chinese_text(phone, base_url, path):
    page, _ = _open(phone, base_url + path)
    _show_everything(page)
    images = page.locator("figure.sp-chart img")
    assert images.count() >= 1
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        image.evaluate("(img) => img.decode()")
        assert image.evaluate("(img) => img.complete && img.naturalWidth > 0")
        assert HAN.search(image.get_attribute("alt"))
        description = page.locator("#" + image.get_attribute("aria-describedby")).inner_text()
        assert "n=" in description
        # The SVG's text is Chinese, and this browser draws it with real glyphs: the chart's own font stack paints
        # the title differently from code points that no font has.
        drawn_differently = image.evaluate(
            """async (img) => {
                const svg = new DOMParser().parseFromString(await (await fetch(img.src)).text(), 'image/svg+xml');
                const text = [...svg.querySelectorAll('text')].find((t) => /[\\u4e00-\\u9fff]/.test(t.textContent));
                if (!text) return false;
                const family = text.getAttribute('font-family');
                const paint = (content) => {
                    const canvas = document.createElement('canvas');
                    canvas.width = 400; canvas.height = 40;
                    const context = canvas.getContext('2d');
                    context.font = '20px ' + family;
                    context.fillText(content, 0, 28);
                    return Array.from(context.getImageData(0, 0, 400, 40).data).join(',');
                };
                const chinese = text.textContent.slice(0, 8);
                return paint(chinese) !== paint('\\ue000'.repeat(chinese.length));
            }"""
        )
        assert drawn_differently, image.get_attribute("src")


@pytest.mark.parametrize("path", EDITION_PAGES)
def test_pages_are_complete_without_javascript(browser, base_url, path):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(base_url + path, wait_until="load")
        article = page.locator("article").first
        assert len(article.inner_text()) > 200
        for image in page.locator("figure.sp-chart img").all():
            image.scroll_into_view_if_needed()
            page.wait_for_function("(img) => img.complete", arg=image.element_handle())
            assert image.evaluate("(img) => img.naturalWidth > 0")
        # The data tables behind the charts are plain HTML, present without any script.
        assert page.locator("figure.sp-chart table").count() == page.locator("figure.sp-chart").count()
    finally:
        context.close()


@pytest.mark.parametrize("path", EDITION_PAGES)
def test_axe_finds_no_wcag_22_aa_violations(phone, base_url, axe_script, path):
    page, _ = _open(phone, base_url + path)
    _show_everything(page)
    assert axe_violations(page, axe_script) == []


@pytest.mark.xdist_group(SWEEP_GROUP)
@pytest.mark.parametrize("width", [360, 640], ids=["phone-360px", "desktop-at-200-percent-zoom"])
def test_nothing_scrolls_sideways(browser, base_url, width):
    assert failures(sweep(browser, base_url, width), "overflow") == {}


def test_keyboard_reaches_the_main_links_with_a_visible_focus(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(base_url + "index.html", wait_until="networkidle")
        reached = []
        for _ in range(60):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                """() => {
                    const el = document.activeElement;
                    const style = getComputedStyle(el);
                    return {
                        tag: el.tagName, href: el.getAttribute('href') || '', text: el.innerText || '',
                        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                    };
                }"""
            )
            reached.append(focused)
        links = [item for item in reached if item["tag"] == "A"]
        assert links and "跳" in links[0]["text"]  # the first stop is Material's "skip to content" link
        hrefs = [item["href"] for item in links]
        for target in ("survey.html", "findings/awareness.html", "findings/usage.html"):
            assert any(href.endswith(target) for href in hrefs), target
        invisible = [item for item in reached if item["tag"] in ("A", "BUTTON", "INPUT") and not item["outline"]]
        assert invisible == []
    finally:
        context.close()


def _search(context, url: str, query: str):
    """Opens the page's search, types `query` and waits for results; gives the page and the results' links."""
    page, _ = _open(context, url)
    page.locator("label.md-header__button[for='__search']").click()
    # Chinese arrives from an input method as text, then a key-up; Material searches on key-up.
    page.locator("input.md-search__input").fill(query)
    page.keyboard.press("End")
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15000)
    return page, [link.get_attribute("href") for link in results.all()]


@pytest.mark.parametrize(
    ("query", "expected_page"),
    [
        # Both occur only inside longer sentences and labels ("认为便于优化营商环境", "担心遭遇网络诈骗").
        ("营商环境", "findings/advantages.html"),
        ("诈骗", "findings/security.html"),
    ],
)
def test_chinese_search_finds_a_word_from_the_middle_of_a_sentence(phone, base_url, query, expected_page):
    page, hrefs = _search(phone, base_url + "index.html", query)
    found = [urljoin(base_url + "index.html", href).split("#")[0] for href in hrefs]
    assert base_url + expected_page in found, found
    # The Chinese edition searches its own index: no English page among the results.
    assert [url for url in found if url.startswith(base_url + "en/")] == []
    # jieba's zero-width spaces sit between the words of the indexed text.
    assert query in page.locator(".md-search-result").inner_text().replace("\u200b", "")


@pytest.mark.parametrize(
    ("query", "expected_page"),
    [
        # Inside longer sentences of the English pages: "worry about “Online fraud”", "knew something
        # about digital government before the survey" (lost when one merged index stemmed it to "govern"), and
        # "applications were made online" (the start of a longer word).
        ("fraud", "en/findings/security.html"),
        ("government", "en/findings/awareness.html"),
        ("application", "en/findings/advantages.html"),
    ],
)
def test_english_search_finds_a_word_from_the_middle_of_a_sentence(phone, base_url, query, expected_page):
    page, hrefs = _search(phone, base_url + "en/index.html", query)
    found = [urljoin(base_url + "en/index.html", href).split("#")[0] for href in hrefs]
    assert base_url + expected_page in found, found
    # The English edition searches its own index: every result is an English page.
    assert [url for url in found if not url.startswith(base_url + "en/")] == []
    assert query in page.locator(".md-search-result").inner_text().lower()
