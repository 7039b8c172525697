"""Languages as data: BCP 47 tags, the labels written in them, and what each language names for its drawings.

The one module that knows how a label's text is found for a language (the exact tag, else its primary subtag) and
which fonts a language's charts are drawn with. Nothing else in the engine names a particular language: a
publication declares its languages (publication.yml `languages`), the engine's messages come from a catalogue per
language (i18n.py), and every stage reads text through `Label.text(tag)` or the template filter `t`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

# The language the engine's messages are written in (their ids in the catalogues) and the one a site without a
# language setting is in (Material's default): engine text falls back to it, never to another language.
SOURCE_LANGUAGE = "en"

# Languages written without spaces between words, whose site search segments words at build time (Material's
# search with jieba, which segments Chinese), by primary subtag.
SEGMENTED_SEARCH = frozenset({"zh"})

# Content read without `languages` in publication.yml (and content files read on their own) is in these languages,
# the first primary: the publications written before languages were declared.
DEFAULT_LANGUAGES = ("zh-Hans", "en")

# A primary language subtag (ISO 639: two or three letters): what `label.<subtag>` reads in a template.
SUBTAG = re.compile(r"^[a-z]{2,3}$")


def primary_subtag(tag: str) -> str:
    """'zh-Hans' -> 'zh': the part of a BCP 47 tag that names the language."""
    return str(tag).split("-", 1)[0].lower()


def serves(key: str, language: str) -> bool:
    """Whether a label key serves a declared language: it equals the tag, or the tag's primary subtag."""
    return str(key).lower() in (language.lower(), primary_subtag(language))


class Label:
    """Text in one or more languages, keyed as the content wrote it (`zh`, `en`, `zh-Hans`, `fr`, ...).

    `label.text(tag)` finds the key equal to the tag or to its primary subtag. A template may also read a label's
    text by primary subtag as an attribute (`option.fr`, `title.ja`; AttributeError when there is none), which this
    class answers for every language alike. Texts given in order (`Label("...", "...")`) are in
    DEFAULT_LANGUAGES' order; texts given by keyword (`Label(fr="...")`) or as `texts` are keyed as given.
    """

    __slots__ = ("texts",)

    def __init__(self, *in_order: str | None, texts: Mapping[str, str] | None = None, **by_key: str) -> None:
        if len(in_order) > len(DEFAULT_LANGUAGES):
            raise TypeError(f"texts in order are in {DEFAULT_LANGUAGES}; name the others' languages")
        found = dict(texts or {})
        for tag, text in zip(DEFAULT_LANGUAGES, in_order, strict=False):
            if text is not None:
                found.setdefault(primary_subtag(tag), text)
        for key, text in by_key.items():
            if text is not None:
                found.setdefault(key, text)
        object.__setattr__(self, "texts", found)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __getattr__(self, name: str) -> str:
        # Called only for a name the class does not define: a language subtag, as a template reads `option.zh`.
        if not SUBTAG.match(name):
            raise AttributeError(name)
        for key, text in object.__getattribute__(self, "texts").items():
            if primary_subtag(key) == name:
                return text
        raise AttributeError(f"no {name!r} text in {self.texts!r}")

    def _key(self) -> tuple:
        return tuple(sorted(self.texts.items()))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.texts!r})"

    def has(self, language: str) -> bool:
        return any(serves(key, language) and str(text).strip() for key, text in self.texts.items())

    def text(self, language: str) -> str:
        """The text for a declared language (exact tag first, then its primary subtag); KeyError when absent."""
        for key, text in self.texts.items():
            if key.lower() == language.lower():
                return text
        for key, text in self.texts.items():
            if serves(key, language):
                return text
        raise KeyError(f"no text in language {language!r} in {self.texts!r}")


def by_primary_subtag(value: Any) -> Any:
    """A label mapping keyed by language tag (`zh-Hans:`) also keyed by its primary subtag (`zh`), as the languages
    contract says (an exact subtag key wins): templates read a changelog change or a publication.yml text by
    subtag, as they read a Label."""
    if not isinstance(value, dict):
        return value
    texts = copy.copy(value)  # a Located mapping keeps the line numbers an error names
    for key, text in value.items():
        if isinstance(key, str) and "-" in key:
            texts.setdefault(key.split("-")[0].lower(), text)
    return texts


@cache
def script(tag: str) -> str:
    """The script a language is written in (ISO 15924): the tag's own (`zh-Hant`), else CLDR's likely one for it
    (`zh-TW` -> Hant, `ja` -> Jpan, `fr` -> Latn); empty when CLDR does not know the language."""
    from babel import Locale
    from babel.core import get_global

    try:
        locale = Locale.parse(str(tag).replace("-", "_"))
    except (ValueError, TypeError):
        return ""
    if locale.script:
        return locale.script
    likely = get_global("likely_subtags")
    for key in (str(locale), locale.language):
        parts = str(likely.get(key, "")).split("_")
        found = next((part for part in parts[1:] if len(part) == 4), "")
        if found:
            return found
    return ""


def region(tag: str) -> str:
    """The tag's region (`zh-HK` -> HK), empty when it names none."""
    from babel import Locale

    try:
        return Locale.parse(str(tag).replace("-", "_")).territory or ""
    except (ValueError, TypeError):
        return ""


# Fonts.
#
# Each language names the fonts its charts' Chinese, Japanese or Korean text is drawn with: a CSS font stack by the
# script it is written in (and, where a region draws that script with glyphs of its own, by script and region). A
# stack lists the systems' own faces first (what a reader's browser shows the SVG with) and then the Noto CJK face
# made for the language, which is what the PNGs are drawn with when installed (Debian's fonts-noto-cjk holds every
# one of them in one collection). A language written in another script names no CJK stack of its own: CJK text in
# it (a publisher's name left untranslated) is drawn with the stack of the publication's first CJK language, else
# with DEFAULT_CJK_FONTS.
CJK_FONTS = {
    "Hans": "PingFang SC, Hiragino Sans GB, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, "
    "WenQuanYi Micro Hei, sans-serif",
    "Hant": "PingFang TC, Microsoft JhengHei, Noto Sans CJK TC, Source Han Sans TC, sans-serif",
    "Hant-HK": "PingFang HK, Microsoft JhengHei, Noto Sans CJK HK, Source Han Sans HK, sans-serif",
    "Jpan": "Hiragino Sans, Hiragino Kaku Gothic ProN, Yu Gothic, Meiryo, Noto Sans CJK JP, Source Han Sans JP, "
    "sans-serif",
    "Kore": "Apple SD Gothic Neo, Malgun Gothic, Noto Sans CJK KR, Source Han Sans KR, sans-serif",
}
DEFAULT_CJK_FONTS = CJK_FONTS["Hans"]
# Text in every other script (Latin, Cyrillic, Greek, ...) when a drawing has no CJK text at all.
TEXT_FONTS = "Helvetica Neue, Arial, Liberation Sans, DejaVu Sans, sans-serif"


def own_cjk_fonts(tag: str) -> str | None:
    """The CJK font stack a language names for itself (by script and region, else by script); None when it is
    written in another script."""
    written = script(tag)
    return CJK_FONTS.get(f"{written}-{region(tag)}") or CJK_FONTS.get(written)


def cjk_fonts(tag: str, languages: tuple[str, ...] = ()) -> str:
    """The font stack CJK text in a drawing in `tag` is drawn with: the language's own, else that of the first of
    the publication's `languages` that has one, else DEFAULT_CJK_FONTS."""
    for language in (tag, *languages):
        stack = own_cjk_fonts(language)
        if stack is not None:
            return stack
    return DEFAULT_CJK_FONTS


def families(stack: str) -> tuple[str, ...]:
    """The family names of a CSS font stack, in order."""
    return tuple(name.strip() for name in stack.split(",") if name.strip())


# Tags as init drafts them.


@cache
def _regional_scripts(language: str) -> frozenset[str]:
    """The scripts CLDR's likely subtags give `language` in its regions (zh: Hans and Hant; en: Latn)."""
    from babel.core import get_global

    found = set()
    for key, value in get_global("likely_subtags").items():
        parts, full = key.split("_"), value.split("_")
        regional = len(parts) == 1 or (len(parts) == 2 and len(parts[1]) in (2, 3))  # zh, zh_TW, es_419
        if parts[0] == language and regional and len(full) > 1 and len(full[1]) == 4:
            found.add(full[1])
    return frozenset(found)


def with_script(tag: str) -> str:
    """A tag as a publication declares it: a language CLDR writes in different scripts in different regions names
    its script (`zh` and `zh-CN` -> zh-Hans, `zh-hans` -> zh-Hans), unless its region says another one (`zh-TW`
    stays); any other tag is kept as given (`en`, `fr-CA`)."""
    parts = str(tag).split("-")
    language = parts[0].lower()
    if len(_regional_scripts(language)) < 2:
        return tag
    explicit = next((part.title() for part in parts[1:] if len(part) == 4 and part.isalpha()), "")
    if explicit and len(parts) == 2:
        return f"{language}-{explicit}"
    default = script(language)
    if not explicit and script(tag) == default:
        return f"{language}-{default}"
    return tag


def language_code(name: str) -> str:
    """A language as a form names it (`English`, `Chinese`, `fr`) as a tag: an English language name is looked up
    in CLDR (`Chinese` -> zh); anything else is kept as given."""
    from babel import Locale

    names = {str(text).lower(): code for code, text in Locale("en").languages.items() if "_" not in code}
    return names.get(str(name).strip().lower(), str(name).strip())


# Characters that tell which script a label is written in: kana, Hangul, Han (a Japanese text has Han too).
SCRIPT_CHARACTERS = (
    ("Jpan", re.compile("[\u3040-\u30ff]")),
    ("Kore", re.compile("[\u1100-\u11ff\uac00-\ud7af]")),
    ("Hans", re.compile("[\u3400-\u9fff\uf900-\ufaff]")),
    ("Hant", re.compile("[\u3400-\u9fff\uf900-\ufaff]")),
)


def written_in(texts: list[str], candidates: list[str]) -> str:
    """The language labels are written in, as far as their characters tell: the first of `candidates` (the
    languages the engine has a catalogue for) written in a CJK script the texts use, else SOURCE_LANGUAGE."""
    joined = "".join(text or "" for text in texts)
    for name, characters in SCRIPT_CHARACTERS:
        if characters.search(joined):
            found = next((tag for tag in candidates if script(tag) == name), None)
            if found is not None:
                return found
    return SOURCE_LANGUAGE
