"""One pass over every page of both editions for each viewport and text mode, shared by the layout checks of
test_site.py and test_phone_first.py: each page is loaded once per viewport and mode and every measurement is taken
from that one load, instead of one load of every page per check (seven sweeps of 34 pages were four minutes of the
suite). The tests that read a sweep carry the xdist_group SWEEP_GROUP, so they run in one process and share it.
"""

from __future__ import annotations

from site_pages import EDITION_PAGES, _show_everything

SWEEP_GROUP = "viewport-sweep"
READING = "localStorage.setItem('sp-reading', '1')"

# How far the document itself scrolls sideways.
OVERFLOW = "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"

# Every element of the page's content, header and footer that reaches past the screen, unless a box it sits in
# scrolls sideways and says so (the hint site.js puts under it).
OUTSIDE_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && box.scrollWidth > box.clientWidth + 1) {
        const next = box.nextElementSibling;
        return next !== null && next.classList.contains('sp-scroll-hint');
      }
    }
    return false;
  };
  const wide = [];
  document.querySelectorAll('.md-header *, .md-content *, .md-footer *').forEach((element) => {
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 || getComputedStyle(element).visibility === 'hidden') return;
    if (element.closest('.sp-visually-hidden, .md-search, .md-sidebar')) return;
    if ((rect.right > width + 1 || rect.left < -1) && !scrolls(element)) {
      wide.push(element.tagName + '.' + element.className + ' ' + (element.textContent || '').trim().slice(0, 30));
    }
  });
  return wide.slice(0, 5);
}"""


# Cells whose box is narrower than the first four characters of their own text, in their own font.
SQUEEZED_CELLS = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  const squeezed = [];
  document.querySelectorAll('article table th, article table td').forEach((cell) => {
    const text = cell.innerText.replace(/\\s+/g, ' ').trim();
    if (!text || cell.getBoundingClientRect().width <= 1) return;  // none, or visually hidden (a card's header)
    const style = getComputedStyle(cell);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const needed = canvas.measureText([...text].slice(0, 4).join('')).width;
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (inner + 1 < needed) squeezed.push(`${text.slice(0, 20)}: ${Math.round(inner)} < ${Math.round(needed)}`);
  });
  return squeezed.slice(0, 5);
}"""


# Numbers (with a decimal part, a percent sign or an n=) whose characters sit on more than one line: a Range over
# the number's characters in its text node has client rectangles on one line only when it is whole.
BROKEN_NUMBERS = """() => {
  const number = /(?:n=)?\\d+(?:[.,]\\d+)*\\s?(?:%|KB|MB|B\\b)?/g;
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, script, style, svg, .sp-visually-hidden')) continue;
    for (const match of node.textContent.matchAll(number)) {
      if (match[0].length < 2) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.bottom)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken.slice(0, 5);
}"""


# Charts whose text is shown under 14 px: a drawing's text is 14 px at its drawn width, so one shown narrower than it
# was drawn (a phone drawing wider than the column) shrinks its text.
SMALL_CHART_TEXT = """() => [...document.querySelectorAll('figure.sp-chart img')]
  .filter((img) => img.getClientRects().length && img.naturalWidth)
  .map((img) => [img.currentSrc.split('/').pop(), 14 * img.getBoundingClientRect().width / img.naturalWidth])
  .filter(([, size]) => size < 14 - 0.05)"""

MEASURES = {
    "overflow": OVERFLOW,
    "outside": OUTSIDE_THE_SCREEN,
    "squeezed": SQUEEZED_CELLS,
    "broken": BROKEN_NUMBERS,
    "small charts": SMALL_CHART_TEXT,
}
_SWEEPS: dict[tuple, dict[str, dict[str, object]]] = {}


def sweep(browser, base_url: str, width: int, reading: bool = False, height: int = 800) -> dict[str, dict[str, object]]:
    """{page: {measure: result}} for every page of both editions at this viewport and text mode, measured once a
    process. Each page is laid out whole first: every <details> open, every chart scrolled into view and loaded,
    every table laid out (site.css defers the ones further down) and site.js's scroll hints added."""
    key = (base_url, width, height, reading)
    if key not in _SWEEPS:
        _SWEEPS[key] = _measure_every_page(browser, base_url, width, height, reading)
    return _SWEEPS[key]


def _measure_every_page(browser, base_url, width, height, reading):
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    if reading:
        context.add_init_script(READING)
    results = {}
    try:
        page = context.new_page()
        for path in EDITION_PAGES:
            page.goto(base_url + path, wait_until="load")
            _show_everything(page)
            page.wait_for_function("[...document.images].every((image) => image.complete)")
            page.evaluate(
                "document.querySelectorAll('.md-typeset__scrollwrap, .sp-table-scroll')"
                ".forEach((box) => { box.style.contentVisibility = 'visible'; })"
            )
            page.evaluate("window.dispatchEvent(new Event('resize'))")
            results[path] = {name: page.evaluate(script) for name, script in MEASURES.items()}
    finally:
        context.close()
    return results


def failures(results: dict[str, dict[str, object]], measure: str) -> dict[str, object]:
    """The pages where `measure` found something (a non-empty list, or a positive overflow)."""
    return {path: found[measure] for path, found in results.items() if found[measure]}
