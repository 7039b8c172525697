"""The typefaces a publication's Chinese, Japanese or Korean charts are drawn with: for each font stack its editions
name (each language names its own: languages.cjk_fonts), the face installed for it, cut down to every character
the publication's content and the engine's catalogues can put into a chart."""

from __future__ import annotations

import importlib.metadata

from surveypress import cache, i18n, languages
from surveypress.charts import fonts
from surveypress.charts.draw import Typeface, code_fingerprint, text_family
from surveypress.charts.fonts import FontMissingError, find_cjk_font_dir, font_files
from surveypress.charts.model import CHARTS_FILE
from surveypress.content import Publication

# Characters that numbers and units are written with in some locales (spaces, dashes, quotes), beside ASCII.
NUMBER_CHARACTERS = "\u00a0\u2009\u202f\u2013\u2014\u2212\u00b7\u2026\u201c\u201d\u2018\u2019"


def edition_fonts(pub: Publication) -> dict[str, str]:
    """{language: the font stack its charts' CJK text is drawn with}, for every declared language."""
    return {language: languages.cjk_fonts(language, pub.languages) for language in pub.languages}


def drawing_typefaces(pub: Publication) -> tuple[Typeface, ...]:
    """A typeface per CJK font stack the publication's editions name, of the face installed for it, covering every
    character its content and the engine's catalogues can put into a chart (a drawing with any other character is
    drawn with the full fonts); none without a CJK font."""
    try:
        folder = find_cjk_font_dir()
    except FontMissingError:
        return ()
    texts = [repr(pub.meta), repr(pub.codebook), repr(pub.indicators), repr(pub.documents.get(CHARTS_FILE))]
    texts += [i18n.catalogue_text(language) for language in pub.languages]
    characters = frozenset("".join(texts)) | frozenset(map(chr, range(0x20, 0x7F))) | frozenset(NUMBER_CHARACTERS)
    found = []
    for stack in dict.fromkeys(edition_fonts(pub).values()):
        family, faces = fonts.drawing_family(folder, languages.families(stack))
        if not faces:
            continue
        key = cache.digest(
            font_files(folder),
            faces,
            "".join(sorted(characters)),
            importlib.metadata.version("fonttools"),
            code_fingerprint(),
        )
        found.append(
            Typeface(
                alias=f"SurveypressCJK{key[:16]}",
                folder=str(cache.cache_root(pub.project_root) / "fonts" / key[:32]),
                characters=characters,
                faces=tuple(faces),
                stack=stack,
                family=family,
            )
        )
    return tuple(found)


def drawing_typeface(pub: Publication) -> Typeface | None:
    """The typeface the primary language's CJK text is drawn with; None without a CJK font for it."""
    primary = edition_fonts(pub)[pub.primary]
    return next((typeface for typeface in drawing_typefaces(pub) if typeface.stack == primary), None)


def font_used(pub: Publication, language: str, typefaces: tuple[Typeface, ...], cjk: bool, latin: bool = False) -> str:
    """What the build says of an edition's charts: the face its CJK text was drawn with, or that it had none; and,
    when some drawing is in the Latin stack, the face that text was measured with and whether the drawings carry it."""
    if not cjk:
        said = "no CJK text"
    else:
        stack = edition_fonts(pub).get(language) or languages.cjk_fonts(language, pub.languages)
        family = next((typeface.family for typeface in typefaces if typeface.stack == stack), "")
        said = f"CJK text in {family}" if family else f"CJK text in {languages.families(stack)[0]} (not installed)"
    if not latin:
        return said
    family, faces = text_family()
    if faces:
        return f"{said}; Latin text in {family}"
    return f"{said}; Latin text in {family or 'sans-serif'} (no file of it to carry: install fonts-liberation2)"
