"""Delimited text: CSV (.csv, which the build reads) and TSV (.tsv, .tab, which `surveypress init` reads).

The build reads CSV itself (load.py, whole; sources.py and the DuckDB engine, streamed above `CSV.stream_above`),
because its checks (encodings, line ends, NUL bytes, ragged rows) are the load stage's. What lives here is init's
reading: the file streamed by pyarrow into text columns c0, c1, ... (`stream`), a ragged row named by its number, and
the message for a file pyarrow cannot read (`unreadable`, also used by draft/data.py for any format's stream).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from surveypress.errors import InputError
from surveypress.formats.base import Format
from surveypress.i18n import _

HEAD_BYTES = 1 << 16
# 4 MB of CSV is about 40,000 respondents of the default publication's codebook: load.py reads that in about a second.
STREAM_CSV_ABOVE_BYTES = 4 * 1024 * 1024


class _Invalid(list):
    """pyarrow's handler of a ragged row: keeps the row to name it (with the delimiter it was read with), and stops
    the reading."""

    def __init__(self, delimiter: str) -> None:
        super().__init__()
        self.delimiter = delimiter

    def __call__(self, row: Any) -> str:
        self.append(row)
        return "error"


def _delimited(delimiter: str) -> Callable[..., tuple[list[str], Any, list]]:
    def stream(
        path: Path, name: str, notes: list[str], check_header: Callable[[list[str], str], None]
    ) -> tuple[list[str], Any, list]:
        """init's reader (`base.Streamer`): the header, then the rows as pyarrow reads them, block by block."""
        return _text_reader(path, name, delimiter, notes, check_header)

    return stream


def _text_reader(
    path: Path, name: str, delimiter: str, notes: list[str], check_header: Callable[[list[str], str], None]
) -> tuple[list[str], Any, list]:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.lstrip(b"\xef\xbb\xbf").strip():
        raise InputError(name, _("a header row, then one row per respondent"), row=1, value=_("(empty file)"))
    first_line = head.lstrip(b"\xef\xbb\xbf").splitlines()[0]
    if delimiter == "," and b"," not in first_line and b";" in first_line:
        delimiter = ";"  # spreadsheets in many locales export CSV with semicolons
        notes.append(_("{file}: columns separated by semicolons").format(file=path.name))
    # The header alone: rows are checked below, while DuckDB reads them.
    parse = pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=lambda row: "skip")
    try:
        header = pa_csv.open_csv(path, parse_options=parse).schema.names
    except pa.ArrowInvalid as error:
        raise unreadable(path, name, error, []) from None
    check_header(header, name)
    invalid = _Invalid(delimiter)
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=[f"c{i}" for i in range(len(header))], skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=invalid, newlines_in_values=True
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:  # pyarrow reads the first block at once
        raise unreadable(path, name, error, invalid) from None
    return header, reader, invalid


def _ragged_row(path: Path, width: int, delimiter: str) -> int | None:
    """The row number (header = 1) of the first row with another number of cells: pyarrow's stream does not say it,
    so the file is read again, only when it has one."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        delimiter = ";" if delimiter == "," and "," not in first and ";" in first else delimiter
        for number, cells in enumerate(csv.reader(handle, delimiter=delimiter), start=2):
            if len(cells) != width:
                return number
    return None


def unreadable(path: Path, name: str, error: Exception, invalid: list) -> InputError:
    """The message for a file init's stream could not read: the first ragged row, bytes that are not UTF-8, or what
    the reader said."""
    if invalid:
        row = invalid[0]
        return InputError(
            name,
            _("as many cells in every row as the header has ({columns})").format(columns=row.expected_columns),
            row=row.number or _ragged_row(path, row.expected_columns, getattr(invalid, "delimiter", ",")),
            value=row.text if len(row.text) <= 80 else row.text[:77] + "...",
            hint=_("The row has {cells}: a missing or extra delimiter, or an unclosed quote").format(
                cells=row.actual_columns
            ),
        )
    message = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
    if "utf8" in message.lower() or "utf-8" in message.lower():
        return InputError(
            name,
            _("a text file in UTF-8"),
            value=message,
            hint=_("Convert it first, e.g. iconv -f GB18030 -t UTF-8 {file} > converted{suffix}").format(
                file=path.name, suffix=path.suffix
            ),
        )
    return InputError(name, _("a file that can be read as {kind}").format(kind=path.suffix.lstrip(".")), value=message)


CSV = Format(
    name="CSV",
    extensions=(".csv",),
    kind="a CSV file",
    stream_above=STREAM_CSV_ABOVE_BYTES,
    stream=_delimited(","),
)
TSV = Format(
    name="TSV",
    extensions=(".tsv", ".tab"),
    kind="a tab-separated {extension} file",
    build=False,
    stream=_delimited("\t"),
)
