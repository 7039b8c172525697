"""Labels: text per language, the languages a key serves, and the checks of a label's texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from surveypress.content.names import LANGUAGE_TAG
from surveypress.content.yaml import line_of
from surveypress.errors import InputError
from surveypress.languages import DEFAULT_LANGUAGES, Label, serves

MAX_LABEL_CHARACTERS = 1_000  # a label: question text, option, title; charts wrap and measure every one
# YAML 1.1 (PyYAML) reads these words, unquoted, as true/false instead of text.
YAML_BOOLEAN_WORDS = "yes, no, on, off, true, false, y, n"


class Option(Label):
    """One answer option: its code and its label."""

    __slots__ = ("code",)

    def __init__(self, code: int, *in_order: str | None, texts: dict[str, str] | None = None, **by_key: str) -> None:
        super().__init__(*in_order, texts=texts, **by_key)
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
        *in_order: str | None,
        codes: tuple[int, ...] = (),
        texts: dict[str, str] | None = None,
        **by_key: str,
    ) -> None:
        super().__init__(*in_order, texts=texts, **by_key)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "codes", tuple(codes))

    def _key(self) -> tuple:
        return (self.code, self.codes, *super()._key())

    def __repr__(self) -> str:
        return f"Net({self.code!r}, {self.texts!r}, {self.codes!r})"


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
