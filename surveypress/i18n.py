"""Engine text in the reader's language: gettext catalogues (Babel) and locale-aware numbers.

Takes: a BCP 47 tag from `publication.yml` (`zh-Hans`, `en`, ...).
Gives: `_()` (the message in the current language), `language()` (a context that sets it), `format_number`,
`format_percent` and `format_interval` (Babel's number formatting for that locale, rounded half away from zero as the
statistical tables are), and `column_suffix` (how a table column for a non-primary language is named).

Messages live in `surveypress/locale/<locale>/LC_MESSAGES/messages.po` (extracted from the code with
`pybabel extract -F babel.cfg`, English message ids); the compiled `.mo` files beside them are committed and
`tests/test_i18n.py` checks that they match the `.po` files. Adding a language is adding a catalogue:
`pybabel init -i surveypress/locale/messages.pot -d surveypress/locale -l <locale>`, translate, `pybabel compile`.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, numbers
from babel.support import Translations

from surveypress.languages import SOURCE_LANGUAGE

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("surveypress_language", default=SOURCE_LANGUAGE)


def locale_name(tag: str) -> str:
    """'zh-Hans' -> 'zh_Hans': the catalogue folder and Babel locale for a BCP 47 tag."""
    return str(tag).replace("-", "_")


def catalogue_folder(tag: str) -> str | None:
    """The catalogue that serves a tag: the exact one (zh_Hans), else the primary subtag's (zh), else None."""
    for candidate in (locale_name(tag), locale_name(tag).split("_", 1)[0]):
        if (LOCALE_DIR / candidate / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
            return candidate
    # A bare language ('zh', as Material names it) is served by its one catalogue with a script or region.
    primary = locale_name(tag).split("_", 1)[0]
    found = [name for name in available() if name.split("_", 1)[0] == primary]
    return found[0] if len(found) == 1 else None


def available() -> list[str]:
    """The catalogues shipped with the engine, as locale folder names."""
    return sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


@cache
def translations(tag: str) -> Translations:
    folder = catalogue_folder(tag)
    if folder is None:
        raise LookupError(f"no message catalogue for {tag!r} (shipped: {', '.join(available())})")
    with (LOCALE_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def catalogue_text(tag: str) -> str:
    """Every message of `tag`'s catalogue, source and translation (empty without a catalogue): what engine text in
    that language can be made of."""
    try:
        catalogue = translations(tag)
    except LookupError:
        return ""
    # gettext keeps a catalogue's messages in `_catalog`: keys are source texts (or (text, plural number)), values
    # their translations.
    entries = getattr(catalogue, "_catalog", {})
    return "".join(f"{key if isinstance(key, str) else key[0]}{value}" for key, value in entries.items())


@cache
def babel_locale(tag: str) -> Locale:
    try:
        return Locale.parse(locale_name(tag))
    except Exception:  # an unknown script or region: format numbers as the language does
        return Locale.parse(locale_name(tag).split("_", 1)[0])


def current() -> str:
    """The language engine text is produced in now (a BCP 47 tag)."""
    return _current.get()


@contextmanager
def language(tag: str) -> Iterator[str]:
    """Produces engine text in `tag` inside the block."""
    token = _current.set(tag)
    try:
        yield tag
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """The message in the current language (English message ids; an untranslated message stays English)."""
    return translations(current()).gettext(message)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined (a constant); `_()` translates it where it is used."""
    return message


def gettext_in(tag: str, message: str) -> str:
    return translations(tag).gettext(message)


def column_suffix(tag: str) -> str:
    """'en' -> 'en', 'zh-Hans' -> 'zh_hans': how a column for a non-primary language is named (`category_label_en`)."""
    return str(tag).lower().replace("-", "_")


def _quantized(value: Any, decimals: int) -> Decimal:
    # Through str() so that 84.05 stays 84.05; half away from zero, as the tables round.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def format_number(value: Any, decimals: int = 0) -> str:
    """A count or a value in the current language's digits and grouping ('1,234', '88.9')."""
    return numbers.format_decimal(
        _quantized(value, decimals), format=_pattern(decimals), locale=babel_locale(current())
    )


def format_percent(value: Any, decimals: int = 1) -> str:
    """84.05 (already a percentage) -> '84.1%' in the current language's percent pattern."""
    exact = _quantized(value, decimals) / 100
    locale = babel_locale(current())
    return numbers.format_percent(
        exact, format=percent_pattern(locale, decimals), locale=locale, decimal_quantization=False
    )


def percent_pattern(locale: Locale, decimals: int) -> str:
    """The locale's percent pattern (where the sign goes, the space before it: '12,3 %' in French, '%12,3' in
    Turkish) with `decimals` fraction digits."""
    fraction = "." + "0" * decimals if decimals > 0 else ""
    pattern = locale.percent_formats[None].pattern.split(";", 1)[0]
    return re.sub(r"[#,0]+(?:\.[#0]+)?", lambda number: number.group(0).split(".")[0] + fraction, pattern, count=1)


def format_interval(low: str, high: str) -> str:
    """Two formatted ends as a range: '84.0%–92.4%' in English, joined by a full-width tilde in Chinese."""
    return _("{low}–{high}").format(low=low, high=high)
