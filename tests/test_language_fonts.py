"""Each language names the fonts its charts' CJK text is drawn with: a Traditional Chinese or Japanese label is
drawn with the Noto CJK face made for it (when installed), through the cut typeface as through the full fonts; a
drawing carries the faces it was measured with (CJK, and Liberation Sans for Latin text when a file of it is
installed); and no module outside the language code reads a label as `.zh` or `.en`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from surveypress import cache, languages
from surveypress.charts import draw, fonts
from surveypress.charts import typeface as chart_typeface

ROOT = Path(__file__).resolve().parent.parent
# Characters whose glyphs differ between the Simplified Chinese, Traditional Chinese and Japanese faces.
LABEL = "直骨"


@pytest.mark.parametrize(
    ("tag", "face"),
    [
        ("zh-Hans", "Noto Sans CJK SC"),
        ("zh", "Noto Sans CJK SC"),
        ("zh-CN", "Noto Sans CJK SC"),
        ("zh-Hant", "Noto Sans CJK TC"),
        ("zh-TW", "Noto Sans CJK TC"),
        ("zh-HK", "Noto Sans CJK HK"),
        ("ja", "Noto Sans CJK JP"),
        ("ko", "Noto Sans CJK KR"),
    ],
)
def test_each_cjk_language_names_the_face_made_for_it(tag, face):
    assert face in languages.families(languages.cjk_fonts(tag))


def test_a_language_in_another_script_draws_cjk_text_as_the_publications_cjk_language_does():
    assert languages.own_cjk_fonts("en") is None and languages.own_cjk_fonts("fr") is None
    assert languages.cjk_fonts("en") == languages.DEFAULT_CJK_FONTS == draw.FONT_STACK
    assert languages.cjk_fonts("en", ("en", "ja")) == languages.cjk_fonts("ja")
    assert languages.cjk_fonts("fr", ("zh-Hant", "fr")) == languages.cjk_fonts("zh-Hant")


def _publication(tmp_path: Path, tags: tuple[str, ...]) -> SimpleNamespace:
    """What the typefaces are made from: the languages and every text a chart can show."""
    return SimpleNamespace(
        languages=tags,
        primary=tags[0],
        meta={"title": LABEL},
        codebook=None,
        indicators=[],
        documents={},
        project_root=tmp_path,
    )


def _installed(face: str) -> str:
    """The CJK font folder, when it holds `face`; the test skips, naming the face, when the machine lacks it."""
    try:
        folder = fonts.find_cjk_font_dir()
    except fonts.FontMissingError:
        pytest.skip(f"no CJK font installed (Debian's fonts-noto-cjk holds {face})")
    if fonts.drawing_family(folder, (face,))[0] != face:
        pytest.skip(f"{face} is not installed (Debian's fonts-noto-cjk holds it)")
    return str(folder)


def _label(stack: str) -> dict:
    return {
        "data": {"values": [{"a": LABEL}]},
        "mark": {"type": "text", "fontSize": 40},
        "encoding": {"text": {"field": "a"}},
        "config": {"font": stack},
    }


@pytest.mark.parametrize(("tag", "face"), [("zh-Hant", "Noto Sans CJK TC"), ("ja", "Noto Sans CJK JP")])
def test_a_traditional_chinese_or_japanese_label_is_drawn_with_the_face_made_for_it(tag, face, monkeypatch, tmp_path):
    _installed(face)
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    draw.register_cjk_fonts()
    stack = languages.cjk_fonts(tag)
    _svg, in_language = draw._draw((_label(stack), True, None, None))
    _svg, in_face = draw._draw((_label(face), True, None, None))
    _svg, simplified = draw._draw((_label(languages.DEFAULT_CJK_FONTS), True, None, None))
    assert in_language == in_face, f"{tag} is not drawn with {face}"
    assert in_language != simplified, f"{LABEL} looks the same in {face} as in Simplified Chinese"

    # A publication in Simplified Chinese and this language has a cut typeface for each; the drawing picks the one
    # of its language's font stack, and gives the same bytes as the full fonts.
    typefaces = chart_typeface.drawing_typefaces(_publication(tmp_path, ("zh-Hans", tag)))
    assert [typeface.family for typeface in typefaces] == ["Noto Sans CJK SC", face]
    ours = typefaces[1]
    for cut in ours.faces:
        draw._subset((ours, cut))
    assert ours.ready() and ours.covers(_label(stack)) and ours.draws(_label(stack))
    assert draw._draw((_label(stack), True, typefaces, None)) == draw._draw((_label(stack), True, None, None))


def test_each_edition_names_its_languages_font_stack_and_the_build_names_the_face(tmp_path):
    _installed("Noto Sans CJK JP")
    publication = _publication(tmp_path, ("ja", "en"))
    assert chart_typeface.edition_fonts(publication) == {
        "ja": languages.cjk_fonts("ja"),
        "en": languages.cjk_fonts("ja"),
    }
    typefaces = chart_typeface.drawing_typefaces(publication)
    assert chart_typeface.font_used(publication, "ja", typefaces, True) == "CJK text in Noto Sans CJK JP"
    assert chart_typeface.font_used(publication, "en", typefaces, False) == "no CJK text"


def test_no_module_outside_the_language_code_reads_a_label_as_zh_or_en():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("git is not installed, or the repository is not a git checkout")
    found = subprocess.run(
        ["git", "grep", "-nE", r"\.(zh|en)\b", "--", "surveypress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    ).stdout.splitlines()
    outside = [line for line in found if not line.startswith("surveypress/languages.py:")]
    assert not outside, "\n".join(outside)


def test_a_cjk_drawing_carries_the_proportional_characters_of_the_face_it_was_measured_with():
    """A reader's fonts cannot change its widths (issue 26): the SVG carries the measured face, cut to the Latin
    letters, digits and signs it shows (Han is one em wide in every CJK face), named first, the same bytes each time."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    folder = _installed("Noto Sans CJK SC")
    family, faces = fonts.drawing_family(Path(folder), languages.families(languages.DEFAULT_CJK_FONTS))
    stack = languages.DEFAULT_CJK_FONTS
    named = f'font-family="{stack}"'
    svg = f'<svg width="10" height="10"><g><text {named}>{LABEL} 45.5% [u]</text></g></svg>'
    embedded = fonts.with_own_faces(svg, tuple(faces), stack)
    assert embedded == fonts.with_own_faces(svg, tuple(faces), stack)
    own = re.search(r'font-family="(sp[0-9a-f]{12}), ', embedded).group(1)
    assert f'font-family="{own}, {stack}"' in embedded and named not in embedded
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", embedded).group(1)
    cut = TTFont(io.BytesIO(base64.b64decode(data)))
    assert set(map(chr, cut.getBestCmap())) == set(" .%45[]u")
    # Without such characters (nothing but Han), or not in this stack, the drawing is left as it is.
    assert fonts.with_own_faces(svg.replace(" 45.5% [u]", ""), tuple(faces), stack) == svg.replace(" 45.5% [u]", "")
    assert fonts.with_own_faces(svg, tuple(faces), "DejaVu Sans") == svg
    assert family == "Noto Sans CJK SC"


def _bar(stack: str, text: str = "Residents 45.5%") -> dict:
    return {
        "data": {"values": [{"a": text, "b": 1}]},
        "mark": "bar",
        "encoding": {"y": {"field": "a", "type": "nominal"}, "x": {"field": "b", "type": "quantitative"}},
        "config": {"font": stack, "axis": {"labelFont": stack}},
    }


def _liberation() -> tuple[str, list]:
    family, faces = fonts.text_family(languages.families(languages.TEXT_FONTS))
    if not faces:
        pytest.skip("no Liberation Sans file installed (Debian's fonts-liberation2)")
    return family, faces


def test_a_latin_drawing_carries_the_liberation_sans_vl_convert_measured_it_with(monkeypatch):
    """Found by fontconfig (or a folder search) as vl-convert finds it: the upright regular and bold faces of the
    first family of the stack installed; the drawing carries them cut to its characters, the same bytes each time."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    family, faces = _liberation()
    assert family == "Liberation Sans" and [weight for _file, _number, weight in faces] == [400, 700]
    assert all(TTFont(file)["name"].getBestFamilyName() == family for file, _number, _weight in faces)
    svg, _png = draw._draw((_bar(languages.TEXT_FONTS), False, None, None))
    assert svg == draw._draw((_bar(languages.TEXT_FONTS), False, None, None))[0]
    assert re.search(r'font-family="sp[0-9a-f]{12}, ' + re.escape(languages.TEXT_FONTS) + '"', svg)
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", svg).group(1)
    cut = TTFont(io.BytesIO(base64.b64decode(data)))
    assert set("Residents45.%") <= set(map(chr, cut.getBestCmap())) and "fpgm" not in cut  # unhinted, as measured
    # The folder searched instead of fontconfig's fonts: the same faces from the folder that holds them.
    monkeypatch.setenv(fonts.TEXT_FONT_ENV, str(Path(faces[0][0]).parent))
    assert fonts.text_family(languages.families(languages.TEXT_FONTS)) == (family, faces)


def test_without_a_liberation_sans_file_a_latin_drawing_is_drawn_as_before_and_the_build_says_so(tmp_path, monkeypatch):
    """vl-convert then measures with the Liberation Sans built into it, which the build cannot carry: the drawing
    names the stack alone, as before, and the build's draw line says no file was there."""
    monkeypatch.setenv(fonts.TEXT_FONT_ENV, str(tmp_path))
    assert fonts.text_family(languages.families(languages.TEXT_FONTS)) == ("Liberation Sans", [])
    svg, _png = draw._draw((_bar(languages.TEXT_FONTS), False, None, None))
    assert "@font-face" not in svg and f'font-family="{languages.TEXT_FONTS}"' in svg
    publication = _publication(tmp_path, ("en",))
    said = chart_typeface.font_used(publication, "en", (), False, latin=True)
    assert said == "no CJK text; Latin text in Liberation Sans (no file of it to carry: install fonts-liberation2)"
