"""Stage "load": reads each population's microdata file and checks it against the codebook before anything else runs.

Takes: a `Publication` (its codebook names one CSV or Parquet file per population).
Gives: `{population: DataFrame}` with `respondent_id` as text and one nullable small-integer column (`Int8`/`Int16`)
per microdata column, in codebook order: `<NA>` = not asked (outside the universe), the no-answer code kept as is.

The first problem found raises one `InputError` naming the file, the row as a spreadsheet shows it (header = 1),
the column, the value and what was expected. Checks run on whole columns at once (pyarrow and numpy masks), so a
file of a million respondents is checked without a Python loop over its rows.
"""

from __future__ import annotations

import csv
import math
import mmap
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from surveypress import formats
from surveypress.content import Codebook, Design, Population, Publication, Question, folder_name, refuse_oversized
from surveypress.errors import InputError
from surveypress.microdata import numeric, readers, rules
from surveypress.microdata.rules import FULL_WIDTH_DIGITS, STRAY_SPACE, Problem, raise_earliest

DEFAULT_MAX_FILE_MB = 2048
UTF8_BOM = b"\xef\xbb\xbf"
INTEGER_TEXT = f"^{rules.INTEGER_TEXT}$"
NOT_A_LINE_END = re.compile(rb"[^\r\n]")
# Spreadsheet rows start at 1 with the header, so the first respondent (index 0) is on row 2.
FIRST_DATA_ROW = 2
# The longest cell a microdata file may hold: Excel's own limit, so no spreadsheet export exceeds it. A code or an id
# is far shorter; a longer cell is a wrong file or one built to exhaust the reader (pyarrow cannot stream a cell
# longer than its block).
MAX_CELL_CHARACTERS = 32_767
HEADER_BYTES = 1 << 20  # a header of 20,000 columns named in 50 characters
SCAN_BYTES = 16 << 20  # a file scanned without being read whole is read this much at a time
CELL_END = re.compile(rb"[,\r\n]")


def load_microdata(pub: Publication) -> dict[str, pd.DataFrame]:
    """Reads and validates every population's microdata; see the module docstring for what comes back."""
    limit_bytes = max_file_bytes(pub)
    frames = {}
    for population in pub.codebook.populations.values():
        frames[population.id] = load_population(pub.codebook, population, pub.project_root, limit_bytes)
    return frames


def max_file_bytes(pub: Publication) -> int:
    """`limits.max_file_mb` from publication.yml (default 2048 MB) in bytes: a guard against a wrong, huge file."""
    limits = pub.meta.limits or {}
    source = pub.content_dir / "publication.yml"
    if not isinstance(limits, dict):
        raise InputError(source, "a mapping", column="limits", value=limits)
    value = limits.get("max_file_mb", DEFAULT_MAX_FILE_MB)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError(source, "a positive number of megabytes", column="limits.max_file_mb", value=value)
    return int(value * 1024 * 1024)


def display_path(path: Path, project_root: Path) -> str:
    """The path as the person running the build knows it: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(project_root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_population(codebook: Codebook, population: Population, project_root: Path, limit_bytes: int) -> pd.DataFrame:
    """Reads one population's file (CSV and Parquet here, any other format by its own reader: `surveypress.formats`)
    and returns its validated frame."""
    path, name = checked_file(population, project_root, limit_bytes)
    _check_design_columns(path, name, population)
    form = formats.of(path)
    source = population.source
    # With a multi_separator, each multi question is one column of the file; answers_to_codes splits it.
    expected = readers.source_columns(codebook, population.id, source)
    rows = readers.SPREADSHEET_ROWS
    if form is formats.CSV:
        columns = _read_csv(path, name, expected, population.id)
    elif form is formats.PARQUET:
        columns = _read_parquet(path, name, expected, population.id)
    else:
        assert form is not None and form.read is not None  # checked_file accepts only formats the build reads
        table = form.read(path, name, source.sheet, population.id, codebook.no_answer)
        check_header(table.header, name, expected, population.id)
        columns, rows = table.columns, table.rows
    refuse_long_cells(columns, name, rows)
    columns = readers.answers_to_codes(columns, codebook, population.id, source, name, rows)
    return validate(codebook, population.id, columns, name, rows)


def checked_file(population: Population, project_root: Path, limit_bytes: int) -> tuple[Path, str]:
    """The population's file and its name in messages, once it exists, is under the size limit and is CSV or
    Parquet (the checks made before reading, whichever way the file is then read)."""
    path = population.microdata
    name = display_path(path, project_root)
    if not path.is_file():
        raise InputError(
            name,
            f"a microdata file for population '{population.id}'",
            hint="The path comes from publication.yml, key microdata, and starts in the project folder, here "
            + folder_name(project_root),
        )
    refuse_oversized(
        name,
        path.stat().st_size,
        limit_bytes,
        "a file",
        "Check that this is the right file; raise limits.max_file_mb if it is",
        "publication.yml: limits.max_file_mb",
    )
    form = formats.of(path)
    if form is formats.CSV:
        refuse_binary(path, name)
    if population.source.sheet is not None and not (form and form.sheets):
        raise InputError(
            name,
            f"a workbook ({', '.join(formats.extensions(lambda item: item.sheets))}), because publication.yml names a"
            " sheet",
            value=path.suffix,
            hint=f"Remove the key microdata.{population.id}.sheet, or point path at the workbook",
        )
    if form is None or not form.build:
        raise InputError(
            name, f"a file ending in {formats.listed(formats.extensions(lambda item: item.build))}", value=path.suffix
        )
    return path, name


def _check_design_columns(path: Path, name: str, population: Population) -> None:
    """A design column named in publication.yml must be in the file's header (said before any other column check)."""
    if population.design is None or formats.of(path) is not formats.CSV:
        return
    with path.open("rb") as handle:
        start = handle.read(HEADER_BYTES)  # a header longer than this is refused by the reader, cell by cell
    line = start.removeprefix(UTF8_BOM).split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    try:
        header = next(csv.reader([line]), [])
    except csv.Error:
        return  # a header cell longer than the csv module takes: the reader names it
    if len(header) < 2:
        return  # an empty file or another delimiter: the reader says what is wrong
    for key, column in (
        ("weight", population.design.weight),
        ("strata", population.design.strata),
        ("cluster", population.design.cluster),
        ("fpc", population.design.fpc),
    ):
        if isinstance(column, str) and column not in header:
            raise InputError(
                name,
                f"the column '{column}' that publication.yml names as design.{population.id}.{key}",
                row=1,
                column=column,
                hint="Design columns follow respondent_id: weight, then stratum, cluster and population size",
            )


# ---------------------------------------------------------------------------------------------------------------
# Reading: bytes -> {column: pyarrow string array}, with file-level problems named precisely.


def _read_csv(path: Path, name: str, expected: list[str], population: str) -> dict[str, pa.Array]:
    body = check_csv_start(path.read_bytes(), name, expected, population)
    header = next(csv.reader([body[: _header_end(body)].decode("utf-8").rstrip("\r")]), [])
    invalid: list[pa_csv.InvalidRow] = []

    def keep_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    def read(block_size: int) -> pa.Table:
        return pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(block_size=block_size),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=keep_invalid, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={column: pa.string() for column in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        table = read(pa_csv.ReadOptions().block_size)
    except pa.ArrowInvalid as error:
        if not is_straddling(error):
            raise
        # A row longer than pyarrow's block: a cell over the limit is named; else the row is read in one block.
        refuse_long_cell_in_file(path, name, header)
        invalid.clear()
        table = read(min(len(body) + 1, 2**31 - 1))
    if invalid:
        row, bad = min((_row_of_invalid(body, item), i) for i, item in enumerate(invalid))
        item = invalid[bad]
        raise InputError(
            name,
            f"{item.expected_columns} cells per row, like the header",
            row=row,
            value=item.text if len(item.text) <= 80 else item.text[:77] + "...",
            hint=f"This row has {item.actual_columns} cells (a missing or extra comma, or an unclosed quote)",
        )
    # Chunked arrays as read: pyarrow compute and numpy conversion accept them without a copy into one block.
    return {column: table.column(i) for i, column in enumerate(table.column_names)}


def _header_end(body: bytes) -> int:
    header_end = body.find(b"\n")
    return len(body) if header_end < 0 else header_end


def check_csv_start(raw: bytes, name: str, expected: list[str], population: str) -> bytes:
    """Checks the start of a CSV file (all of it, or its first lines when it is streamed): encoding, header and that
    a row follows. Gives the bytes without a byte-order mark."""
    if not raw:
        raise InputError(name, "a header row and one row per respondent", value="(empty file, 0 bytes)")
    body = _check_encoding(raw, name)
    _check_line_ends(body, name)
    header_end = _header_end(body)
    header = next(csv.reader([body[:header_end].decode("utf-8").rstrip("\r")]), [])
    # The header is row 1: its problems come before any in the rows below (a missing column makes every row ragged).
    check_header(header, name, expected, population)
    if not NOT_A_LINE_END.search(body, header_end):
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
        index = _first(lengths > MAX_CELL_CHARACTERS)
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


def _row_of_invalid(body: bytes, item: pa_csv.InvalidRow) -> int:
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


def _read_parquet(path: Path, name: str, expected: list[str], population: str) -> dict[str, pa.Array]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(name, "a Parquet file", value=str(error).splitlines()[0][:120]) from None
    check_header(table.column_names, name, expected, population)
    if table.num_rows == 0:
        raise InputError(name, "at least one respondent row", value="(no rows)")
    columns = {}
    for column in table.column_names:
        values = table.column(column).combine_chunks()
        # Parquet may hold integers, floats or text; as text they go through the same checks as a CSV.
        if not pa.types.is_string(values.type):
            try:
                values = pc.cast(values, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(name, "integer or text columns", column=column, value=str(values.type)) from None
        columns[column] = pc.fill_null(values, "")
    return columns


# ---------------------------------------------------------------------------------------------------------------
# Validation: whole-column masks; the earliest problem (by row, then column order) is reported.


def _first(mask: np.ndarray) -> int:
    """Index of the first True in a boolean mask, or -1."""
    position = int(np.argmax(mask)) if mask.size else 0
    return position if mask.size and mask[position] else -1


def validate(
    codebook: Codebook,
    population: str,
    columns: dict[str, pa.Array],
    name: str,
    rows: readers.Rows = readers.SPREADSHEET_ROWS,
) -> pd.DataFrame:
    """Checks header, ids, codes and universes of one population's columns (as text) and builds its frame.

    `rows` says how the source numbers respondents in messages (spreadsheet rows, or SPSS/Stata cases)."""
    questions = codebook.questions_of(population)
    expected = codebook.columns_of(population)
    rules.check_columns(list(columns), expected, population, name)

    ids = columns["respondent_id"]
    _check_ids(ids, columns, name, rows)
    design = codebook.populations[population].design
    design_columns = _check_design(design, columns, name) if design else {}

    # Parse every question column into integers, noting the earliest malformed or unknown code.
    values: dict[str, np.ndarray] = {}
    empty: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    order = {column: i for i, column in enumerate(expected)}
    raw: dict[str, np.ndarray] = {}
    for question in questions:
        if question.numeric is not None:
            # Raw values kept for the frame; their band codes stand in for them in the universe checks.
            raw[question.id], values[question.id], empty[question.id], problem = _parse_numbers(
                columns[question.id], question, order[question.id], codebook.no_answer
            )
            problems.extend([problem] if problem else [])
            continue
        for column in question.columns():
            column_values, column_empty, problem = _parse_codes(
                columns[column], column, order[column], question, codebook.no_answer
            )
            values[column], empty[column] = column_values, column_empty
            if problem:
                problems.append(problem)
    raise_earliest(problems, name, rows)

    _check_universes(questions, codebook, values, empty, order, name, rows, raw)
    return _frame(ids, questions, codebook, values, empty, design_columns, raw)


def _check_ids(
    ids: pa.Array, columns: dict[str, pa.Array], name: str, rows: readers.Rows = readers.SPREADSHEET_ROWS
) -> None:
    """Every rule of `rules.ID_RULES` over all rows in turn, then each id once."""

    def refuse(index: int, expected: str, value: str, hint: str) -> None:
        raise InputError(
            name, expected, row=index + rows.first, row_label=rows.label, column="respondent_id", value=value, hint=hint
        )

    for rule in rules.ID_RULES:
        index = _first(rule.arrow(ids).to_numpy(zero_copy_only=False))
        if index >= 0:
            value = ids[index].as_py()
            if rule is rules.ID_RULES[0] and all(columns[column][index].as_py() == "" for column in columns):
                value = "(empty line)"
            refuse(index, rule.expected, value, rule.hint(value))
    series = pd.Series(ids.to_numpy(zero_copy_only=False))
    index = _first(series.duplicated(keep="first").to_numpy())
    if index >= 0:
        value = series.iloc[index]
        earlier = _first((series == value).to_numpy())
        refuse(index, rules.REPEATED_ID, value, rules.repeated_id_hint(rows.label, earlier + rows.first))


# A weight or population size as written: a plain decimal number (the engines' SQL checks use the same pattern).
PLAIN_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


def _numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Finite numbers of a text column (NaN elsewhere) and the mask of cells that are not plain numbers."""
    trimmed = pc.utf8_trim_whitespace(text)
    plain = pc.and_(pc.equal(trimmed, text), pc.match_substring_regex(text, f"^{PLAIN_NUMBER}$"))
    values = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), pa.float64())
    numbers = values.to_numpy(zero_copy_only=False).astype(float)
    bad = ~plain.to_numpy(zero_copy_only=False) | ~np.isfinite(numbers)
    return numbers, bad


def _check_design(design: Design, columns: dict[str, pa.Array], name: str) -> dict[str, object]:
    """Weights positive numbers, strata and clusters present, each stratum with two PSUs or more, population sizes
    constant within a stratum and at least its sampled PSUs. Gives the design columns for the frame."""
    weights, bad = _numbers(columns[design.weight])
    index = _first(bad)
    if index >= 0:
        value = columns[design.weight][index].as_py()
        raise InputError(
            name,
            "a weight in every row: a positive number",
            row=index + FIRST_DATA_ROW,
            column=design.weight,
            value=value,
            hint="The cell is empty" if value == "" else "The value is not a number (use a point for decimals)",
        )
    index = _first(weights <= 0)
    if index >= 0:
        raise InputError(
            name,
            "a positive weight",
            row=index + FIRST_DATA_ROW,
            column=design.weight,
            value=columns[design.weight][index].as_py(),
            hint="A weight of zero or less drops the respondent from every estimate; remove the row or fix the weight",
        )
    frame: dict[str, object] = {design.weight: weights}
    codes: dict[str, np.ndarray] = {}
    for column, what in ((design.strata, "stratum"), (design.cluster, "cluster (PSU)")):
        if column is None:
            continue
        text = pc.utf8_trim_whitespace(columns[column])
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        index = _first(pc.equal(text, "").to_numpy(zero_copy_only=False))
        if index >= 0:
            raise InputError(name, f"a {what} code in every row", row=index + FIRST_DATA_ROW, column=column, value="")
        index = _first(rules.formula_cells(text).to_numpy(zero_copy_only=False))
        if index >= 0:
            raise InputError(
                name,
                f"a {what} code that does not start with =, +, - or @",
                row=index + FIRST_DATA_ROW,
                column=column,
                value=text[index].as_py(),
                hint=rules.FORMULA_CODE_HINT,
            )
        # Integer codes for the checks below; the labels go into the frame as Arrow-backed text, without a copy.
        codes[column] = pc.dictionary_encode(text).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        frame[column] = pd.array(text, dtype="str")
    size = len(weights)
    strata = codes[design.strata] if design.strata else np.zeros(size, dtype=np.int64)
    # PSU codes are taken within their stratum (R's nest = TRUE); without clusters each respondent is a PSU.
    units = codes[design.cluster] if design.cluster else np.arange(size, dtype=np.int64)
    pairs = np.unique(strata * (int(units.max()) + 1) + units)
    psus = np.bincount(pairs // (int(units.max()) + 1), minlength=int(strata.max()) + 1)
    lonely = psus == 1
    if design.strata and lonely.any():
        in_lonely = lonely[strata]
        row = _first(in_lonely)
        what = "PSU" if design.cluster else "respondent"
        raise InputError(
            name,
            f"at least two {what}s in every stratum",
            row=row + FIRST_DATA_ROW,
            column=design.strata,
            value=columns[design.strata][row].as_py().strip(),
            hint=f"This stratum has one {what} only, so its sampling variance cannot be estimated (svy refuses it "
            "too); merge it with a similar stratum, as the survey's documentation prescribes",
        )
    if design.fpc is not None and isinstance(design.fpc, str):
        sizes, bad = _numbers(columns[design.fpc])
        index = _first(bad | (sizes <= 0))
        if index >= 0:
            raise InputError(
                name,
                "the population size of the respondent's stratum: a positive number",
                row=index + FIRST_DATA_ROW,
                column=design.fpc,
                value=columns[design.fpc][index].as_py(),
            )
        # The first size seen in each stratum; any row that differs from it is named.
        order = np.argsort(strata, kind="stable")
        starts = np.r_[0, np.flatnonzero(np.diff(strata[order])) + 1]
        first = np.empty(int(strata.max()) + 1)
        first[strata[order][starts]] = sizes[order][starts]
        index = _first(sizes != first[strata])
        if index >= 0:
            raise InputError(
                name,
                "one population size per stratum (the same in every row of the stratum)",
                row=index + FIRST_DATA_ROW,
                column=design.fpc,
                value=columns[design.fpc][index].as_py(),
            )
        counts = psus[strata]
        index = _first(sizes < counts)
        if index >= 0:
            raise InputError(
                name,
                f"a population size of at least the {int(counts[index])} sampled "
                f"{'PSUs' if design.cluster else 'respondents'} of the stratum",
                row=index + FIRST_DATA_ROW,
                column=design.fpc,
                value=columns[design.fpc][index].as_py(),
            )
        frame[design.fpc] = sizes
    return frame


def _parse_codes(
    text: pa.Array, column: str, order: int, question: Question, no_answer: int
) -> tuple[np.ndarray, np.ndarray, Problem | None]:
    """Integers (0 where empty) and the empty mask of one column, and its first malformed or unknown code."""
    is_empty = pc.equal(text, "")
    empty = is_empty.to_numpy(zero_copy_only=False)
    try:
        # Fast path: arrow's cast accepts only plain integers, so if it succeeds no cell is malformed.
        values = pc.fill_null(pc.cast(pc.if_else(is_empty, None, text), pa.int64()), 0).to_numpy()
        malformed = np.zeros(len(text), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        is_integer = pc.match_substring_regex(text, INTEGER_TEXT)
        malformed = pc.and_(pc.invert(is_empty), pc.invert(is_integer)).to_numpy(zero_copy_only=False)
        integers = pc.if_else(pc.and_(is_integer, pc.invert(is_empty)), text, pa.scalar("0"))
        values = pc.cast(integers, pa.int64()).to_numpy(zero_copy_only=False)
    expected = rules.codes_expected(question, no_answer)

    bad_text = _first(malformed)
    unknown = rules.unknown_codes(values, empty | malformed, question, no_answer)
    bad_code = _first(unknown)
    problem = None
    if bad_text >= 0 and (bad_code < 0 or bad_text < bad_code):
        problem = Problem(
            bad_text, order, column, text[bad_text].as_py(), expected, rules.malformed_hint(text[bad_text].as_py())
        )
    elif bad_code >= 0:
        value = int(values[bad_code])
        problem = Problem(bad_code, order, column, str(value), expected, rules.unknown_code_hint(question))
    return values, empty, problem


def _parse_numbers(
    text: pa.Array, question: Question, order: int, no_answer: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Problem | None]:
    """Raw values (NaN where empty), band codes, the empty mask and the first refused cell of a numeric column."""
    rule = question.numeric
    is_empty = pc.equal(text, "")
    empty = is_empty.to_numpy(zero_copy_only=False)
    is_number = pc.match_substring_regex(text, numeric.NUMBER_TEXT)
    malformed = pc.and_(pc.invert(is_empty), pc.invert(is_number)).to_numpy(zero_copy_only=False)
    parsed = pc.cast(
        pc.if_else(pc.and_(is_number, pc.invert(is_empty)), text, pa.scalar(None, pa.string())), pa.float64()
    )
    raw = pc.fill_null(parsed, math.nan).to_numpy(zero_copy_only=False)
    filled = np.where(np.isnan(raw), 0.0, raw)
    whole, exact = numeric.scaled(filled, rule)
    valid = (exact & numeric.in_range(whole, rule)) | (filled == no_answer)
    refused = ~empty & ~malformed & ~valid
    codes = numeric.band_array(filled, empty | malformed, rule, no_answer)
    bad_text, bad_value = _first(malformed), _first(refused)
    expected = numeric.expected(question, no_answer)
    problem = None
    if bad_text >= 0 and (bad_value < 0 or bad_text < bad_value):
        value = text[bad_text].as_py()
        hint = rules.malformed_hint(value) if FULL_WIDTH_DIGITS.search(value) or STRAY_SPACE.search(value) else ""
        problem = Problem(bad_text, order, question.id, value, expected, hint or "The value is not a number")
    elif bad_value >= 0:
        value = text[bad_value].as_py()
        problem = Problem(bad_value, order, question.id, value, expected, numeric.problem_hint(rule, raw[bad_value]))
    return raw, codes, empty, problem


def _check_universes(
    questions: list[Question],
    codebook: Codebook,
    values: dict[str, np.ndarray],
    empty: dict[str, np.ndarray],
    order: dict[str, int],
    name: str,
    rows: readers.Rows = readers.SPREADSHEET_ROWS,
    raw: dict[str, np.ndarray] | None = None,
) -> None:
    """Empty exactly outside each question's universe; inside, a multi question is all no-answer or none."""
    raw = raw or {}
    no_answer = codebook.no_answer
    asked = _asked_masks(questions, codebook, values, empty)
    problems: list[Problem] = []
    for question in questions:
        inside = asked[question.id]
        for column in question.columns():
            outside, inside_empty = rules.misplaced(empty[column], inside)
            index = _first(outside)
            if index >= 0:
                value = _shown(raw[column][index]) if column in raw else str(int(values[column][index]))
                problems.append(
                    Problem(index, order[column], column, value, rules.outside_universe(question, codebook))
                )
            index = _first(inside_empty)
            if index >= 0:
                problems.append(Problem(index, order[column], column, "", rules.inside_universe(question, codebook)))
        if question.type == "multi":
            columns = question.columns()
            answered = inside & ~np.logical_or.reduce([empty[c] for c in columns])
            is_no_answer = [values[c] == no_answer for c in columns]
            index = _first(rules.half_answered_mask(is_no_answer, answered))
            if index >= 0:
                first_na = next(c for c, flags in zip(columns, is_no_answer, strict=True) if flags[index])
                problems.append(
                    Problem(index, order[first_na], first_na, str(no_answer), rules.half_answered(question, no_answer))
                )
    raise_earliest(problems, name, rows)


def _shown(value: float) -> str:
    """A raw numeric value as a message shows it: 37 rather than 37.0."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _asked_masks(
    questions: list[Question], codebook: Codebook, values: dict[str, np.ndarray], empty: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Who was asked each question: the chain of universes, followed through the answers actually given."""
    size = len(next(iter(values.values()))) if values else 0
    asked: dict[str, np.ndarray] = {}

    def mask(question: Question) -> np.ndarray:
        if question.id in asked:
            return asked[question.id]
        if question.universe is None:
            result = np.ones(size, dtype=bool)
        else:
            target = codebook.questions[question.universe.question]
            if target.type == "multi":
                ticked = [values[f"{target.id}_{code}"] == 1 for code in question.universe.codes]
                chose = np.logical_or.reduce(ticked)
            else:
                chose = np.isin(values[target.id], np.array(question.universe.codes)) & ~empty[target.id]
            result = mask(target) & chose
        asked[question.id] = result
        return result

    for question in questions:
        mask(question)
    return asked


def _frame(
    ids: pa.Array,
    questions: list[Question],
    codebook: Codebook,
    values: dict[str, np.ndarray],
    empty: dict[str, np.ndarray],
    design_columns: dict[str, object] | None = None,
    raw: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The validated frame: text ids, the design columns (weights and population sizes as floats, strata and
    clusters as text), then each question column as the smallest nullable integer type that holds its codes; a
    numeric question's column holds its raw values (Float64), which tabulate bands."""
    raw = raw or {}
    data: dict[str, object] = {"respondent_id": pd.array(ids.to_numpy(zero_copy_only=False), dtype="str")}
    data.update(design_columns or {})
    for question in questions:
        if question.id in raw:
            data[question.id] = pd.arrays.FloatingArray(np.nan_to_num(raw[question.id]), empty[question.id].copy())
            continue
        codes = (0, 1) if question.type == "multi" else question.codes
        smallest, largest = min(*codes, codebook.no_answer), max(*codes, codebook.no_answer)
        numpy_type = next(
            t
            for t in (np.int8, np.int16, np.int32, np.int64)
            if np.iinfo(t).min <= smallest and largest <= np.iinfo(t).max
        )
        for column in question.columns():
            data[column] = pd.arrays.IntegerArray(values[column].astype(numpy_type), empty[column].copy())
    return pd.DataFrame(data)
