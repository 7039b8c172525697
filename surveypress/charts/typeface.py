"""The typeface a publication's Chinese, Japanese or Korean charts are drawn with: the CJK faces cut down to every
character its content and the engine's catalogues can put into a chart."""

from __future__ import annotations

import importlib.metadata

from surveypress import cache, i18n
from surveypress.charts import fonts
from surveypress.charts.draw import FONT_STACK, Typeface, code_fingerprint
from surveypress.charts.fonts import FontMissingError, find_cjk_font_dir, font_files
from surveypress.charts.model import CHARTS_FILE
from surveypress.content import Publication

# Characters that numbers and units are written with in some locales (spaces, dashes, quotes), beside ASCII.
NUMBER_CHARACTERS = "\u00a0\u2009\u202f\u2013\u2014\u2212\u00b7\u2026\u201c\u201d\u2018\u2019"


def drawing_typeface(pub: Publication) -> Typeface | None:
    """The typeface the publication's Chinese, Japanese or Korean charts are drawn with, covering every character its
    content and the engine's catalogues can put into a chart (a drawing with any other character is drawn with the
    full fonts); None without a CJK font."""
    try:
        folder = find_cjk_font_dir()
    except FontMissingError:
        return None
    faces = tuple(fonts.drawing_faces(folder, tuple(name.strip() for name in FONT_STACK.split(","))))
    if not faces:
        return None
    texts = [repr(pub.meta), repr(pub.codebook), repr(pub.indicators), repr(pub.documents.get(CHARTS_FILE))]
    texts += [i18n.catalogue_text(language) for language in pub.languages]
    characters = frozenset("".join(texts)) | frozenset(map(chr, range(0x20, 0x7F))) | frozenset(NUMBER_CHARACTERS)
    key = cache.digest(
        font_files(folder),
        faces,
        "".join(sorted(characters)),
        importlib.metadata.version("fonttools"),
        code_fingerprint(),
    )
    return Typeface(
        alias=f"SurveypressCJK{key[:16]}",
        folder=str(cache.cache_root(pub.project_root) / "fonts" / key[:32]),
        characters=characters,
        faces=faces,
    )
