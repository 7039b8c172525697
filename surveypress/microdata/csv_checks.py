"""What a CSV microdata file must be before its cells are read, each refused with the row a spreadsheet shows:
UTF-8 text (no UTF-16, no zip or workbook renamed .csv, no NUL byte anywhere, scanned a block at a time and past a
sparse file's holes), line ends a CSV reader agrees on, no cell longer than Excel's limit, and a header of the
codebook's columns, each once. load.py reads a small file whole and sources.py streams a large one: both ask here.
"""

from __future__ import annotations

import csv
import mmap
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from surveypress.errors import InputError
from surveypress.microdata import readers, rules
from surveypress.microdata.rules import Problem, raise_earliest

UTF8_BOM = b"\xef\xbb\xbf"
# Spreadsheet rows start at 1 with the header, so the first respondent (index 0) is on row 2.
FIRST_DATA_ROW = 2
NOT_A_LINE_END = re.compile(rb"[^\r\n]")
# The longest cell a microdata file may hold: Excel's own limit, so no spreadsheet export exceeds it. A code or an id
# is far shorter; a longer cell is a wrong file or one built to exhaust the reader (pyarrow cannot stream a cell
# longer than its block).
MAX_CELL_CHARACTERS = 32_767
HEADER_BYTES = 1 << 20  # a header of 20,000 columns named in 50 characters
SCAN_BYTES = 16 << 20  # a file scanned without being read whole is read this much at a time
CELL_END = re.compile(rb"[,\r\n]")


def header_length(body: bytes) -> int:
    """Where the header row ends: at its line feed, or the end of a file of one line."""
    header_end = body.find(b"\n")
    return len(body) if header_end < 0 else header_end


def check_csv_start(raw: bytes, name: str, expected: list[str], population: str) -> bytes:
    """Checks the start of a CSV file (all of it, or its first lines when it is streamed): encoding, header and that
    a row follows. Gives the bytes without a byte-order mark."""
    if not raw:
        raise InputError(name, "a header row and one row per respondent", value="(empty file, 0 bytes)")
    body = _check_encoding(raw, name)
    _check_line_ends(body, name)
    end = header_length(body)
    header = next(csv.reader([body[:end].decode("utf-8").rstrip("\r")]), [])
    # The header is row 1: its problems come before any in the rows below (a missing column makes every row ragged).
    check_header(header, name, expected, population)
    if not NOT_A_LINE_END.search(body, end):
        raise InputError(
            name,
            "at least one respondent row below the header",
            row=FIRST_DATA_ROW,
            value="(header only)",
        )
    return body


def refuse_binary(path: Path, name: str) -> None:
    """What `_check_encoding` refuses of a whole file (a workbook renamed, UTF-16, NUL bytes anywhere), checked a
    block at a time, so a file of gigabytes is refused before anything reads it whole."""
    with path.open("rb") as handle:
        _check_container(handle.read(4096), name)
    found = first_nul(path)
    if found is not None:
        _refuse_nul(name, found[1] + 1)


def _refuse_nul(name: str, row: int) -> None:
    raise InputError(
        name,
        "a UTF-8 CSV text file",
        row=row,
        value="binary data (NUL bytes)",
        hint="This is not a text file; export the data as CSV UTF-8",
    )


def first_nul(path: Path) -> tuple[int, int] | None:
    """The offset of the file's first NUL byte and the line ends before it, or None; memory bounded by SCAN_BYTES.

    A sparse file's holes read as NUL bytes. When the file stores fewer blocks than its length needs (st_blocks),
    it has holes (or a file system compresses it), and SEEK_HOLE says where the first one starts: only the data
    before it is read. The block count alone does not refuse a file, since compression lowers it too."""
    with path.open("rb") as handle:
        status = os.fstat(handle.fileno())
        end = status.st_size
        if status.st_blocks * 512 < status.st_size and hasattr(os, "SEEK_HOLE"):
            try:
                end = os.lseek(handle.fileno(), 0, os.SEEK_HOLE)
            except OSError:
                end = status.st_size  # no hole support: every byte is read
            handle.seek(0)
        offset = newlines = 0
        while offset < end:
            block = handle.read(min(SCAN_BYTES, end - offset))
            if not block:
                break
            position = block.find(b"\x00")
            if position >= 0:
                return offset + position, newlines + block.count(b"\n", 0, position)
            newlines += block.count(b"\n")
            offset += len(block)
        return (end, newlines) if end < status.st_size else None


def is_straddling(error: pa.ArrowInvalid) -> bool:
    """pyarrow's error for a row longer than its block (it cannot read such a row a block at a time)."""
    return "straddling" in str(error)


def refuse_long_cells(columns: dict[str, pa.Array], name: str, rows: readers.Rows = readers.SPREADSHEET_ROWS) -> None:
    """A cell longer than MAX_CELL_CHARACTERS is refused, naming the earliest (by row, then column)."""
    problems = []
    for order, (column, text) in enumerate(columns.items()):
        if not len(text) or pc.max(pc.binary_length(text)).as_py() <= MAX_CELL_CHARACTERS:
            continue  # UTF-8 takes at least a byte a character: no cell can be too long
        lengths = pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
        index = first_true(lengths > MAX_CELL_CHARACTERS)
        if index >= 0:
            cell = text[index].as_py()
            problems.append(_long_cell(index, order, column, cell, len(cell)))
    raise_earliest(problems, name, rows)


def _long_cell(index: int, order: int, column: str, start: str, characters: int) -> Problem:
    return Problem(
        index,
        order,
        column,
        f"{start[:20]}... ({characters:,} characters)",
        f"a cell of at most {MAX_CELL_CHARACTERS:,} characters",
        "No answer, code or id is this long; check that this is the right file",
    )


def refuse_long_cell_in_file(path: Path, name: str, header: list[str]) -> None:
    """Finds a cell over MAX_CELL_CHARACTERS in a CSV file without holding it, and raises naming it.

    The csv module stops at the first field over its limit, a record at a time (in C); that record's cells are then
    walked in a memory map of the file (pages read, not copied) for the cell's column."""
    previous = csv.field_size_limit(MAX_CELL_CHARACTERS)
    records = lines = 0
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle)
            for _cells in reader:
                records, lines = records + 1, reader.line_num
    except csv.Error:
        found = _long_cell_of_record(path, lines)
        if found is None:
            return
        order, start, characters = found
        column = header[order] if order < len(header) else f"(column {order + 1})"
        # Record 0 is the header (row 1); respondent index i is record i + 1.
        raise_earliest([_long_cell(records - 1, order, column, start, characters)], name, readers.SPREADSHEET_ROWS)
    finally:
        csv.field_size_limit(previous)


def _long_cell_of_record(path: Path, lines_before: int) -> tuple[int, str, int] | None:
    """The first cell over MAX_CELL_CHARACTERS of the record that starts after `lines_before` lines: its position,
    its first characters and its length in characters."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        position = len(UTF8_BOM) if data[: len(UTF8_BOM)] == UTF8_BOM else 0
        for _line in range(lines_before):
            position = data.find(b"\n", position) + 1
        order = 0
        while True:
            if data[position : position + 1] == b'"':
                end = position + 1
                while True:  # a quoted cell ends at a quote that is not doubled
                    end = data.find(b'"', end)
                    if end < 0 or data[end + 1 : end + 2] != b'"':
                        break
                    end += 2
                end = len(data) if end < 0 else end + 1
            else:
                match = CELL_END.search(data, position)
                end = match.start() if match else len(data)
            # Bytes first: a cell of no more bytes than the limit has no more characters.
            if end - position > MAX_CELL_CHARACTERS:
                text = data[position:end].decode("utf-8", errors="replace")
                if text.startswith('"'):
                    text = text[1:-1].replace('""', '"')
                if len(text) > MAX_CELL_CHARACTERS:
                    return order, text, len(text)
            if data[end : end + 1] != b",":
                return None  # the end of the record: the csv module counted differently (stray quotes)
            position, order = end + 1, order + 1


def row_of_invalid(body: bytes, item: pa_csv.InvalidRow) -> int:
    """The spreadsheet row of a ragged line: pyarrow knows it only when reading on one thread."""
    if item.number is not None:
        return item.number
    # The first line with exactly this text is the first ragged one of its kind, so it is the right row.
    needle = b"\n" + item.text.encode("utf-8")
    position = body.find(needle + b"\n")
    if position < 0:
        position = body.find(needle)
    return body.count(b"\n", 0, position + 1) + 1


def _check_encoding(raw: bytes, name: str) -> bytes:
    """Returns the UTF-8 bytes without a BOM; anything else raises with the likely encoding and how to convert."""
    _check_container(raw, name)
    position = raw.find(b"\x00")  # anywhere in the file: memchr over the bytes, no slower than a sample
    if position >= 0:
        _refuse_nul(name, raw.count(b"\n", 0, position) + 1)
    body = raw[len(UTF8_BOM) :] if raw.startswith(UTF8_BOM) else raw
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        _refuse_encoding(body, error, name)
    return body


def _check_container(raw: bytes, name: str) -> None:
    """A workbook renamed .csv, or UTF-16 text: told from the file's first bytes."""
    to_csv = "Export the sheet as 'CSV UTF-8 (comma delimited)', or convert it with in2csv (csvkit)"
    if raw.startswith(b"PK\x03\x04"):
        raise InputError(
            name,
            "a UTF-8 CSV text file",
            value="a zip container (an Excel .xlsx workbook renamed .csv?)",
            hint=f"{to_csv}: in2csv workbook.xlsx > {Path(name).name}",
        )
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            name,
            "a UTF-8 CSV text file",
            value="an OLE2 compound file (an Excel 97-2003 .xls workbook renamed .csv?)",
            hint=f"{to_csv}: in2csv workbook.xls > {Path(name).name}",
        )
    utf16 = _looks_like_utf16(raw)
    if utf16:
        raise InputError(
            name,
            "UTF-8 text",
            value=f"{utf16} text",
            hint=f"Convert it: iconv -f {utf16} -t UTF-8 {Path(name).name} > converted.csv",
        )


def _refuse_encoding(body: bytes, error: UnicodeDecodeError, name: str) -> None:
    """Bytes that are not UTF-8: named, with the conversion when they read as GBK/GB18030."""
    row = body.count(b"\n", 0, error.start) + 1
    line_start = body.rfind(b"\n", 0, error.start) + 1
    line_end = body.find(b"\n", error.start)
    line = body[line_start : line_end if line_end >= 0 else len(body)]
    try:
        body.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(
            name,
            "UTF-8 text",
            row=row,
            value=body[error.start : error.start + 4].hex(" "),
            hint="The encoding is not recognised; save the file as UTF-8",
        ) from None
    shown = line.decode("gb18030").rstrip("\r")
    raise InputError(
        name,
        "UTF-8 text",
        row=row,
        value=f"bytes {body[error.start : error.start + 2].hex(' ')} (reads as GBK/GB18030: {shown[:60]!r})",
        hint=f"The file looks GBK/GB18030-encoded; convert it: iconv -f GB18030 -t UTF-8 {Path(name).name}"
        " > converted.csv (or in2csv -e gb18030)",
    ) from None


def _check_line_ends(body: bytes, name: str) -> None:
    """Refuses CR-only line ends (Excel for Mac's 'CSV (Macintosh)'): the file is published as it is, so it is
    converted once by its owner rather than read one way here and another by every reader of the download."""
    first_cr = body.find(b"\r")
    if first_cr >= 0 and body[first_cr + 1 : first_cr + 2] != b"\n" and b"\n" not in body[: first_cr + 1]:
        raise InputError(
            name,
            "lines ending in LF or CR LF",
            row=1,
            value="CR-only line ends (classic Mac OS)",
            hint=f"Save it as 'CSV UTF-8 (comma delimited)', or convert it: tr '\\r' '\\n' < {Path(name).name}"
            " > converted.csv",
        )


def _looks_like_utf16(raw: bytes) -> str:
    """`UTF-16LE`/`UTF-16BE`/`UTF-16` when a BOM or the NUL-every-other-byte pattern of mostly ASCII text shows it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = raw[:4096]
    if len(sample) < 4:
        return ""
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / max(len(sample[1::2]), 1)
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "UTF-16LE"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "UTF-16BE"
    return ""


def check_header(header: list[str], name: str, expected: list[str], population: str) -> None:
    """Every header cell named, each name once, and exactly the codebook's columns."""
    _check_unique_header(header, name)
    rules.check_columns(header, expected, population, name)


def _check_unique_header(header: list[str], name: str) -> None:
    if len(header) == 1:
        # A whole header in one cell means another delimiter, as spreadsheets set to some locales export.
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if delimiter in header[0]:
                raise InputError(
                    name,
                    "comma-separated columns",
                    row=1,
                    value=header[0] if len(header[0]) <= 80 else header[0][:77] + "...",
                    hint=f"The columns are separated by {label}; convert it: csvformat -d '{delimiter}' "
                    f"{Path(name).name} > converted.csv",
                )
    for position, column in enumerate(header, start=1):
        if not column.strip():
            raise InputError(
                name,
                "a name in every header cell",
                row=1,
                column=f"(column {position})",
                value=column,
                hint="Delete empty columns a spreadsheet may have added at the right",
            )
    counts = Counter(header)
    for column in header:
        if counts[column] > 1:
            positions = [str(i) for i, other in enumerate(header, start=1) if other == column]
            raise InputError(
                name,
                "each column name once",
                row=1,
                column=column,
                value=column,
                hint=f"The name appears in columns {', '.join(positions)}",
            )


def first_true(mask: np.ndarray) -> int:
    """Index of the first True in a boolean mask, or -1."""
    position = int(np.argmax(mask)) if mask.size else 0
    return position if mask.size and mask[position] else -1


def text_columns_options(columns: list[str], block_size: int, keep_invalid: Any) -> dict[str, Any]:
    """pyarrow's options for reading a microdata CSV file as the engine checks it, whole or streamed: every column
    as text (an empty cell is empty text, never null), empty lines kept so that row numbers stay a spreadsheet's, and
    a ragged row handed to `keep_invalid` (which names it)."""
    return {
        "read_options": pa_csv.ReadOptions(block_size=block_size),
        "parse_options": pa_csv.ParseOptions(invalid_row_handler=keep_invalid, ignore_empty_lines=False),
        "convert_options": pa_csv.ConvertOptions(
            column_types={column: pa.string() for column in columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }
