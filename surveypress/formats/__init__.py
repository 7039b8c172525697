"""The input formats, one module each, and the one registry of them: extension -> `Format` (see base.py).

Every stage that chooses by a file's extension asks here: the build's reader (microdata/load.py, sources.py),
`surveypress init` (draft/init.py, data.py, project.py's .gitignore), the content checks and the schemas (content/).
Adding a format is a module defining its `Format` and one entry in `FORMATS`.

The order of `FORMATS` is the order messages and documents list the extensions in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from surveypress.formats import parquet, sas, spss, stata, text, workbook
from surveypress.formats.base import CASES, SPREADSHEET_ROWS, Draft, Format, Rows, SourceTable

__all__ = ["CASES", "SPREADSHEET_ROWS", "Draft", "Format", "Rows", "SourceTable"]

CSV = text.CSV
PARQUET = parquet.FORMAT
FORMATS: tuple[Format, ...] = (
    text.CSV,
    text.TSV,
    parquet.FORMAT,
    spss.FORMAT,
    stata.FORMAT,
    sas.FORMAT,
    workbook.EXCEL,
    workbook.LEGACY_EXCEL,
    workbook.OPENDOCUMENT,
)


def _by_extension(formats: Iterable[Format]) -> dict[str, Format]:
    found: dict[str, Format] = {}
    for item in formats:
        for extension in item.extensions:
            if extension != extension.lower() or not extension.startswith("."):
                raise ValueError(f"format {item.name}: {extension!r} is not a lower-case extension with its dot")
            if extension in found:
                raise ValueError(f"{extension} is named by both {found[extension].name} and {item.name}")
            found[extension] = item
    return found


BY_EXTENSION = _by_extension(FORMATS)


def of(path: Path | str) -> Format | None:
    """The format a file's extension names (case ignored), or None."""
    return BY_EXTENSION.get(Path(path).suffix.lower())


def extensions(where: Callable[[Format], bool] = lambda item: True) -> list[str]:
    """The extensions of the formats `where` picks, in registry order."""
    return [extension for item in FORMATS if where(item) for extension in item.extensions]


def listed(items: list[str], last: str = "or") -> str:
    """`.a, .b or .c`: extensions as a message lists them."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"
