"""Ids that become paths: one plain-name rule and the shape of each kind of id."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from surveypress.errors import InputError

# Each kind of id has its shape (anchored for the JSON Schemas, which take these patterns; applied with fullmatch, so
# that no trailing line break slips past `$`), within the one rule of `PLAIN_NAME` for every id that becomes a path.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

# Every id that becomes part of an output path (a population's public-use file, an indicator's table, a chart's
# drawings, a page, a language's folder, the archive's name and version) is one plain name: ASCII letters, digits and
# . _ + -, not starting with a dot or dash (so never `..`, a hidden file or an option), without a separator or line
# break, and short enough for every file system (255 bytes a name) with the suffixes the layout adds to it.
MAX_NAME_CHARACTERS = 64
PLAIN_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._+-]{{0,{MAX_NAME_CHARACTERS - 1}}}")


def is_name(value: Any, shape: re.Pattern | None = None) -> bool:
    """Whether `value` is a plain name (`PLAIN_NAME`) that also has the whole `shape` of its kind of id."""
    return (
        isinstance(value, str)
        and PLAIN_NAME.fullmatch(value) is not None
        and (shape is None or shape.fullmatch(value) is not None)
    )


def require_name(
    value: Any,
    source: Path | str,
    expected: str,
    *,
    row: int | None = None,
    column: str | None = None,
    shape: re.Pattern | None = None,
    hint: str = "",
) -> str:
    """The one check of an id that becomes part of a path: InputError naming file, row, key and value otherwise."""
    if is_name(value, shape):
        return value
    if isinstance(value, str) and len(value) > MAX_NAME_CHARACTERS:
        hint = f"It is {len(value)} characters long; at most {MAX_NAME_CHARACTERS} fit in a file name everywhere"
    elif isinstance(value, str) and any(character in value for character in "\r\n"):
        hint = "It holds a line break"
    elif isinstance(value, str) and ("/" in value or "\\" in value):
        hint = "It holds a path separator; an id names one file, in the folder the build gives it"
    raise InputError(source, expected, row=row, column=column, value=value, hint=hint)


# Unicode categories an id or code must not hold: control, format (zero-width space, direction marks), line and
# paragraph separators, private use. An id with one looks like another id, or like a blank.
INVISIBLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Co")


def require_visible(text: str, source: Path, what: str, row: int | None, column: str) -> None:
    for character in text:
        if unicodedata.category(character) in INVISIBLE_CATEGORIES or character.isspace():
            raise InputError(
                source,
                f"{what} of visible characters without spaces",
                row=row,
                column=column,
                value=text,
                hint=f"It contains the invisible or space character U+{ord(character):04X}",
            )
