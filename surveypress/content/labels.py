"""Labels: text per language, the languages a key serves, and the checks of a label's texts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from surveypress.content.names import LANGUAGE_TAG
from surveypress.content.yaml import line_of
from surveypress.errors import InputError

MAX_LABEL_CHARACTERS = 1_000  # a label: question text, option, title; charts wrap and measure every one
# YAML 1.1 (PyYAML) reads these words, unquoted, as true/false instead of text.
YAML_BOOLEAN_WORDS = "yes, no, on, off, true, false, y, n"


def primary_subtag(tag: str) -> str:
    """'zh-Hans' -> 'zh': the part of a BCP 47 tag that names the language."""
    return str(tag).split("-", 1)[0].lower()


def serves(key: str, language: str) -> bool:
    """Whether a label key serves a declared language: it equals the tag, or the tag's primary subtag."""
    return str(key).lower() in (language.lower(), primary_subtag(language))


class Label:
    """Text in one or more languages, keyed as the content wrote it (`zh`, `en`, `zh-Hans`, ...).

    `label.text("zh-Hans")` finds the key equal to the tag or to its primary subtag; `label.zh` and `label.en`
    find a key whose primary subtag is `zh` or `en` (AttributeError when there is none).
    """

    __slots__ = ("texts",)

    def __init__(self, zh: str | None = None, en: str | None = None, *, texts: dict[str, str] | None = None) -> None:
        found = dict(texts or {})
        if zh is not None:
            found.setdefault("zh", zh)
        if en is not None:
            found.setdefault("en", en)
        object.__setattr__(self, "texts", found)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

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

    def _by_subtag(self, subtag: str) -> str:
        for key, text in self.texts.items():
            if primary_subtag(key) == subtag:
                return text
        raise AttributeError(f"no '{subtag}' text in {self.texts!r}")

    @property
    def zh(self) -> str:
        return self._by_subtag("zh")

    @property
    def en(self) -> str:
        return self._by_subtag("en")


class Option(Label):
    """One answer option: its code and its label."""

    __slots__ = ("code",)

    def __init__(
        self, code: int, zh: str | None = None, en: str | None = None, *, texts: dict[str, str] | None = None
    ) -> None:
        super().__init__(zh, en, texts=texts)
        object.__setattr__(self, "code", code)

    def _key(self) -> tuple:
        return (self.code, *super()._key())

    def __repr__(self) -> str:
        return f"Option({self.code!r}, {self.texts!r})"


class Net(Label):
    """A combined category, e.g. 'satisfied' = very + fairly satisfied; a percent of the same base."""

    __slots__ = ("code", "codes")

    def __init__(
        self,
        code: str,
        zh: str | None = None,
        en: str | None = None,
        codes: tuple[int, ...] = (),
        *,
        texts: dict[str, str] | None = None,
    ) -> None:
        super().__init__(zh, en, texts=texts)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "codes", tuple(codes))

    def _key(self) -> tuple:
        return (self.code, self.codes, *super()._key())

    def __repr__(self) -> str:
        return f"Net({self.code!r}, {self.texts!r}, {self.codes!r})"


def by_primary_subtag(value: Any) -> Any:
    """A label keyed by language tag (`zh-Hans:`) serves its primary subtag (`zh`), as the languages contract says;
    an exact `zh`/`en` key wins. Templates read a changelog change as `change.zh`."""
    if not isinstance(value, dict):
        return value
    texts = copy.copy(value)  # a Located mapping keeps the line numbers an error names
    for key, text in value.items():
        if isinstance(key, str) and "-" in key:
            texts.setdefault(key.split("-")[0].lower(), text)
    return texts


def _check_label_text(text: Any, value: dict, key: Any, source: Path, where: str, row: int | None) -> None:
    """A label's text in a declared language is text (not a YAML boolean or number) of a bounded length."""
    if text is not None and not isinstance(text, str):
        words = isinstance(text, bool)
        raise InputError(
            source,
            f"text for '{key}' (a label is text)",
            row=line_of(value, key) or row,
            column=f"{where}.{key}",
            value=text,
            hint=f"YAML reads the unquoted words {YAML_BOOLEAN_WORDS} as yes-or-no values: quote it, "
            f'e.g. {key}: "{"Yes" if text else "No"}"'
            if words
            else "YAML reads an unquoted number as a number: quote it",
        )
    if isinstance(text, str) and len(text) > MAX_LABEL_CHARACTERS:
        raise InputError(
            source,
            f"a label of at most {MAX_LABEL_CHARACTERS:,} characters",
            row=line_of(value, key) or row,
            column=f"{where}.{key}",
            value=f"{len(text):,} characters",
            hint="Put long explanations in the page templates",
        )


# Content read without a publication.yml (tests reading one file) is checked for both languages, as before.
DEFAULT_LANGUAGES = ("zh-Hans", "en")
# Keys of a label mapping that are not languages (an option's or net's code, a band's edges).
LABEL_KEYS = ("code", "codes", "from", "below")


def refuse_undeclared_languages(
    label: dict, source: Path, where: str, row: int | None, languages: tuple[str, ...]
) -> None:
    """Text in a language the publication does not declare would be dropped unseen: it is refused instead."""
    for key in label:
        if (
            isinstance(key, str)
            and LANGUAGE_TAG.match(key)
            and key not in LABEL_KEYS
            and not any(serves(key, language) for language in languages)
        ):
            raise InputError(
                source,
                "text only in the declared languages (" + ", ".join(languages) + ")",
                row=line_of(label, key) or row,
                column=f"{where}.{key}",
                value=key,
                hint=f"Add {key} to publication.yml languages, or remove its text",
            )


def refuse_undeclared_languages_within(tree: Any, source: Path, languages: tuple[str, ...], where: str = "") -> None:
    """The same for every label of a file read loosely (publication.yml, changelog.yml): a mapping of texts with a
    key that serves a declared language."""
    if isinstance(tree, list):
        for index, item in enumerate(tree, start=1):
            refuse_undeclared_languages_within(item, source, languages, f"{where}[{index}]")
        return
    if not isinstance(tree, dict):
        return
    keys = [str(key) for key in tree]
    if any(serves(key, language) for key in keys for language in languages):
        refuse_undeclared_languages(tree, source, where or "(top level)", line_of(tree), languages)
        return
    for key, value in tree.items():
        refuse_undeclared_languages_within(value, source, languages, f"{where}.{key}" if where else str(key))


def label_texts(
    value: Any, source: Path, where: str, row: int | None = None, languages: tuple[str, ...] = DEFAULT_LANGUAGES
) -> dict[str, str]:
    """The texts of a label mapping; each declared language needs a non-empty text (other keys are kept)."""
    texts = {}
    if isinstance(value, dict):
        refuse_undeclared_languages(value, source, where, row, languages)
        for key, text in value.items():
            if any(serves(str(key), language) for language in languages):
                _check_label_text(text, value, key, source, where, row)
        texts = {
            str(key): str(text)
            for key, text in value.items()
            if key not in ("code", "codes") and isinstance(text, str | int | float) and not isinstance(text, bool)
        }
    missing = [
        language
        for language in languages
        if not any(serves(key, language) and text.strip() for key, text in texts.items())
    ]
    if not isinstance(value, dict) or missing:
        raise InputError(
            source,
            "a label with non-empty text in each declared language (" + ", ".join(languages) + ")",
            row=line_of(value) or row,
            column=where,
            value=value,
            hint=f"Missing: {', '.join(missing)} (publication.yml: languages)" if missing else "",
        )
    return texts
