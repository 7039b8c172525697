"""Charts drawn with the fonts they are shown with (issue 26, item 4), in headless Chromium on the built site: every
text of every on-page chart drawing (narrow and wide, both editions) lies inside the drawing when the reader's
system has only DejaVu Sans, or only Noto, in place of the fonts the SVG names. A reader's system fonts cannot
matter where the SVG carries the faces its text was measured with (a data-URI @font-face, cut to its characters):
the Chinese edition's drawings carry their Noto Sans CJK faces, the English edition's the Liberation Sans vl-convert
measured them with (Debian's fonts-liberation2, which scripts/install.sh installs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The reader's only fonts: what a page shows the SVG with when none of the families it names is installed.
ONLY = ["DejaVu Sans", "Noto Sans CJK SC"]

# Shows the SVG in the page at its own size and replaces every family it names but those it carries itself with
# `family`; gives each text that reaches outside the drawing, with how far (CSS px).
OUTSIDE_THE_DRAWING = """(family) => {
  const svg = document.querySelector('svg');
  const own = [...svg.querySelectorAll('style')].flatMap((style) =>
    [...style.textContent.matchAll(/@font-face\\s*{[^}]*font-family:\\s*"([^"]+)"[^}]*src:\\s*url\\(data:/g)]
      .map((match) => match[1]));
  svg.querySelectorAll('[font-family]').forEach((element) => {
    const kept = element.getAttribute('font-family').split(',').map((name) => name.trim())
      .filter((name) => own.includes(name));
    element.setAttribute('font-family', [...kept, family].join(', '));
  });
  const box = svg.getBoundingClientRect();
  const outside = [];
  svg.querySelectorAll('text').forEach((text) => {
    if (!text.textContent.trim()) return;
    const r = text.getBoundingClientRect();
    const over = Math.max(box.left - r.left, r.right - box.right, box.top - r.top, r.bottom - box.bottom);
    if (over > 0.5) outside.push([text.textContent, Math.round(over * 10) / 10]);
  });
  return outside;
}"""


def _drawings(site_dir: Path, edition: str) -> list[Path]:
    folder = site_dir / "assets" / "charts" / edition
    drawings = sorted(folder.glob("*.screen.svg")) + sorted(folder.glob("*.screen-wide.svg"))
    assert drawings, f"no on-page chart drawings in {folder}"
    return drawings


def _outside(browser, site_dir: Path, edition: str) -> dict[str, list]:
    page = browser.new_page()
    found = {}
    try:
        for drawing in _drawings(site_dir, edition):
            page.set_content(f'<body style="margin:0">{drawing.read_text(encoding="utf-8")}</body>')
            page.evaluate("document.fonts.ready.then(() => true)")
            for family in ONLY:
                outside = page.evaluate(OUTSIDE_THE_DRAWING, family)
                if outside:
                    found[f"{drawing.name} in {family}"] = outside
    finally:
        page.close()
    return found


def test_every_chinese_chart_text_stays_inside_its_drawing_with_only_dejavu_or_only_noto(browser, site_dir):
    assert _outside(browser, site_dir, "") == {}


def test_every_english_chart_text_stays_inside_its_drawing_with_only_dejavu_or_only_noto(browser, site_dir):
    assert _outside(browser, site_dir, "en") == {}


@pytest.mark.parametrize("edition", ["", "en"])
def test_chart_drawings_carry_the_faces_they_were_measured_with(site_dir, edition):
    for drawing in _drawings(site_dir, edition):
        svg = drawing.read_text(encoding="utf-8")
        assert "@font-face{" in svg and "src:url(data:font/woff;base64," in svg, drawing.name
        assert 'font-family="sp' in svg, drawing.name  # named first, before the system families
