"""Readers for the files survey offices hold: SPSS (.sav, .zsav), Stata (.dta), workbooks (.xlsx, .xlsm, .xls, .ods).

Takes: a microdata file and how publication.yml says to read it (`content.Source`: sheet, answers, multi_separator).
Gives: `{column: pyarrow string array}`, the same text columns the CSV reader gives `load.validate`, and how the
source tool numbers its respondents (`Rows`: SPSS and Stata count cases from 1, a spreadsheet counts rows with the
header as row 1), so every later check and message is the one a CSV gets.

Also here, because it applies to every format: answers given as option texts, and multi-select questions exported as
one cell with a separator, turned into the codebook's codes and 0/1 option columns (`answers_to_codes`).

Limits: SPSS and Stata files are read in chunks of `CHUNK_ROWS` cases (pyreadstat's `read_file_in_chunks`), so only
the text columns of the whole file are held at once, as for a CSV; a workbook is read whole into memory by calamine
(a sheet holds at most 1,048,576 rows), so large surveys belong in CSV, Parquet, SPSS or Stata files.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyreadstat
from python_calamine import CalamineWorkbook

from surveypress.content import Codebook, Question, Source
from surveypress.errors import InputError
from surveypress.microdata.rules import Problem, raise_earliest

STATISTICAL_SUFFIXES = (".sav", ".zsav", ".dta")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SUFFIXES = STATISTICAL_SUFFIXES + WORKBOOK_SUFFIXES
CHUNK_ROWS = 100_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted Office Open XML workbook is an OLE compound file holding the streams EncryptionInfo and
# EncryptedPackage (MS-OFFCRYPTO); their names are stored in UTF-16LE in the file's directory.
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
# Characters people or platforms put around an answer: NFKC turns full-width and no-break spaces into spaces.
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Rows:
    """How the source tool numbers respondents: the number of the first one and the word for it."""

    first: int
    label: str


SPREADSHEET_ROWS = Rows(first=2, label="row")  # the header is row 1
CASES = Rows(first=1, label="case")  # SPSS Data View and Stata's browser number cases from 1


@dataclass
class SourceTable:
    header: list[str]  # as in the file, for load's header checks (a repeated name is kept apart in `columns`)
    columns: dict[str, pa.Array]
    rows: Rows


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".dta":
        return "a Stata .dta file"
    if suffix in (".sav", ".zsav"):
        return f"an SPSS {suffix} file"
    return f"a {suffix} workbook"


def read(path: Path, name: str, source: Source, population: str, no_answer: int) -> SourceTable:
    """Reads an SPSS, Stata or workbook file into text columns; see the module docstring."""
    if path.suffix.lower() in STATISTICAL_SUFFIXES:
        columns = read_statistical(path, name, no_answer)[0]
        return SourceTable(list(columns), columns, CASES)
    header, columns = read_workbook(path, name, source.sheet, population)
    return SourceTable(header, columns, SPREADSHEET_ROWS)


# ---------------------------------------------------------------------------------------------------------------
# SPSS and Stata, through pyreadstat (ReadStat).


def statistical_metadata(path: Path, name: str) -> Any:
    """pyreadstat's metadata (labels, value labels, user-missing values, measures, MR sets) without the data."""
    return _call_readstat(path, name, metadataonly=True, user_missing=True)[1]


def _call_readstat(path: Path, name: str, **options: Any) -> tuple[Any, Any]:
    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    try:
        return reader(str(path), **options)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as error:
        raise _unreadable(path, name, error) from None


def _unreadable(path: Path, name: str, error: Exception) -> InputError:
    return InputError(
        name,
        f"{kind_of(path)} that pyreadstat can read",
        value=str(error).splitlines()[0][:120] if str(error) else type(error).__name__,
        hint="The file is damaged or is not what its name says; export it again from SPSS or Stata",
    )


def read_statistical(path: Path, name: str, no_answer: int | Callable[[Any], int]) -> tuple[dict[str, pa.Array], Any]:
    """Text columns of an SPSS or Stata file, read `CHUNK_ROWS` cases at a time; user-missing values (SPSS missing
    values and ranges, Stata's .a to .z) become the codebook's no-answer code (or the code `no_answer(metadata)`
    gives: init reads it off the file's own missing values).

    Each chunk is read with `row_offset`/`row_limit` and no separate metadata pass: pyreadstat parses the whole
    dictionary on every call, in time that grows faster than the number of variables."""
    chunks: dict[str, list[pa.Array]] = {}
    meta, code, offset = None, no_answer, 0
    while True:
        frame, chunk_meta = _call_readstat(
            path, name, row_offset=offset, row_limit=CHUNK_ROWS, user_missing=True, disable_datetime_conversion=True
        )
        if meta is None:
            meta = chunk_meta
            code = no_answer(meta) if callable(no_answer) else no_answer
            chunks = {column: [] for column in meta.column_names}
        for column in meta.column_names:
            chunks[column].append(_as_text(frame[column], meta, column, code))
        offset += len(frame)
        if len(frame) < CHUNK_ROWS:
            break
    if not offset:
        raise InputError(name, "at least one case", value="(no cases)")
    meta.number_rows = offset
    return {column: pa.chunked_array(parts, type=pa.string()) for column, parts in chunks.items()}, meta


def user_missing(meta: Any, column: str) -> list[tuple[float, float]]:
    ranges = (getattr(meta, "missing_ranges", None) or {}).get(column) or []
    return [(float(item["lo"]), float(item["hi"])) for item in ranges if isinstance(item.get("lo"), int | float)]


def _as_text(series: pd.Series, meta: Any, column: str, no_answer: int) -> pa.Array:
    """One column as text: whole numbers without a decimal point, empty for system-missing, user-missing as the
    no-answer code; text variables as they are."""
    is_text = (getattr(meta, "readstat_variable_types", None) or {}).get(column) == "string"
    if is_text:
        return pa.array(["" if value is None or value != value else str(value) for value in series], pa.string())
    if series.dtype == object:
        # Stata's tagged missing values (.a to .z) arrive as their letter among the numbers.
        tagged = series.map(lambda value: isinstance(value, str))
        numbers = pd.to_numeric(series.where(~tagged), errors="coerce").to_numpy(dtype=float)
        is_missing = tagged.to_numpy(dtype=bool)
    else:
        numbers = series.to_numpy(dtype=float)
        is_missing = np.zeros(len(numbers), dtype=bool)
    for low, high in user_missing(meta, column):
        is_missing |= (numbers >= low) & (numbers <= high)
    empty = np.isnan(numbers)
    whole = ~empty & (numbers == np.floor(numbers)) & (np.abs(numbers) < 2**53)
    # Arrow's casts do in C what numpy's astype(str) does slowly: whole numbers via int64 (no ".0"), others as floats.
    as_integers = pc.cast(pc.cast(pa.array(np.where(whole, numbers, 0.0)), pa.int64()), pa.string())
    text = pc.if_else(pa.array(whole), as_integers, pc.cast(pa.array(numbers), pa.string()))
    text = pc.if_else(pa.array(empty), "", text)
    return pc.if_else(pa.array(is_missing), str(no_answer), text)


# ---------------------------------------------------------------------------------------------------------------
# Workbooks, through calamine.


def workbook_sheets(path: Path, name: str) -> tuple[Any, list[str]]:
    """The opened workbook and its sheet names; an encrypted or damaged workbook raises."""
    _check_container(path, name)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types per format; all mean "cannot read this"
        raise InputError(
            name,
            f"{kind_of(path)} that calamine can read",
            value=str(error).splitlines()[0][:120] if str(error) else type(error).__name__,
            hint="The file is damaged or is not what its name says; save it again from the spreadsheet program",
        ) from None
    return workbook, list(workbook.sheet_names)


def _check_container(path: Path, name: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(len(OLE_MAGIC))
    if path.suffix.lower() == ".xls" or head != OLE_MAGIC:
        return
    if ENCRYPTION_INFO in path.read_bytes():
        raise InputError(
            name,
            "a workbook without a password",
            value="an encrypted (password-protected) workbook",
            hint="Decrypt it first: open it, remove the password (File > Info > Protect Workbook) and save it, or run"
            f" msoffcrypto-tool -p PASSWORD {path.name} decrypted{path.suffix}",
        )
    raise InputError(
        name,
        f"{kind_of(path)}",
        value="an OLE2 compound file (an Excel 97-2003 workbook?)",
        hint=f"Rename it {path.stem}.xls, or save it again as {path.suffix}",
    )


def read_workbook(path: Path, name: str, sheet: str | None, population: str) -> tuple[list[str], dict[str, pa.Array]]:
    """The header and text columns of one sheet: the first row is the header, as in a CSV."""
    workbook, sheets = workbook_sheets(path, name)
    if sheet is None and len(sheets) != 1:
        example = f"{{{population}: {{path: {name}, sheet: {sheets[0] if sheets else '...'}}}}}"
        raise InputError(
            name,
            "a workbook with one sheet",
            value=f"{len(sheets)} sheets: {', '.join(sheets)}",
            hint=f"Name the sheet to read in publication.yml: microdata: {example}",
        )
    sheet = sheet if sheet is not None else sheets[0]
    if sheet not in sheets:
        raise InputError(
            name,
            f"a sheet named {sheet!r} (publication.yml, microdata.{population}.sheet)",
            value=sheet,
            hint=f"The workbook's sheets: {', '.join(sheets)}",
        )
    refuse_formulas(path, name, sheet)
    cells = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    rows = [[cell_text(value) for value in row] for row in cells]
    while rows and not any(rows[-1]):
        rows.pop()  # spreadsheets keep formatted but empty rows at the end
    if not rows:
        raise InputError(name, "a header row and one row per respondent", value=f"(sheet {sheet!r} is empty)")
    width = max(len(row) for row in rows)
    while width and not any(len(row) >= width and row[width - 1] for row in rows):
        width -= 1  # and empty columns at the right
    header = [*rows[0][:width], *[""] * (width - len(rows[0]))]
    if len(rows) == 1:
        raise InputError(name, "at least one respondent row below the header", row=2, value="(header only)")
    body = [[*row[:width], *[""] * (width - len(row))] for row in rows[1:]]
    # A duplicated or empty header cell is reported by load's header check; keep every column until then.
    columns: dict[str, pa.Array] = {}
    for position, column in enumerate(header):
        key = column if column not in columns else f"{column}\x00{position}"
        columns[key] = pa.array([row[position] for row in body], pa.string())
    return header, columns


# Formulas. calamine (0.9.1) gives a formula cell's cached value and cannot say that it is a formula, and a workbook
# released in full is published as it is: its formulas would reach every reader. The sheet's XML says it, and the
# standard library reads it as a stream (iterparse), element by element, so a sheet of a million rows is never held;
# openpyxl would read the same XML but builds a Python object for every cell to find one element.
OOXML_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
OOXML_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def refuse_formulas(path: Path, name: str, sheet: str) -> None:
    """InputError naming the sheet, cell (A1) and formula of the first formula cell of `sheet` (.xlsx, .xlsm, .ods;
    a legacy .xls is binary, and is not checked)."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".ods"):
        return
    with zipfile.ZipFile(path) as archive:
        found = _ods_formula(archive, sheet) if suffix == ".ods" else _ooxml_formula(archive, sheet)
    if found is not None:
        cell, formula = found
        letters = cell.rstrip("0123456789")
        raise InputError(
            name,
            "a value, not a formula",
            row=int(cell[len(letters) :]) if cell[len(letters) :] else None,
            column=f"{letters or '?'} of sheet {sheet!r}",
            value=formula if formula.startswith("=") else f"={formula}",
            hint="A workbook is published as it is, formulas included; copy the sheet and paste it as values only",
        )


def _ooxml_formula(archive: zipfile.ZipFile, sheet: str) -> tuple[str, str] | None:
    """(cell, formula) of the first `<f>` element of the sheet named `sheet`, found through the workbook's
    relationships (ECMA-376: xl/workbook.xml names each sheet's part)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relationships = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {item.get("Id"): item.get("Target", "") for item in relationships}
    part = next(
        (
            targets.get(item.get(f"{OOXML_RELATIONSHIPS}id"), "")
            for item in workbook.iter(f"{OOXML_MAIN}sheet")
            if item.get("name") == sheet
        ),
        "",
    )
    part = part.lstrip("/") if part.startswith("/") else f"xl/{part}"
    if part not in archive.namelist():
        return None
    cell = ""
    with archive.open(part) as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if event == "start" and element.tag == f"{OOXML_MAIN}c":
                cell = element.get("r", "")
            elif event == "end" and element.tag == f"{OOXML_MAIN}f":
                return cell, element.text or "(a shared formula)"
            elif event == "end" and element.tag == f"{OOXML_MAIN}row":
                element.clear()  # rows already read: the stream keeps no more than one
    return None


def _ods_formula(archive: zipfile.ZipFile, sheet: str) -> tuple[str, str] | None:
    """(cell, formula) of the first cell with a `table:formula` in the table named `sheet` (OpenDocument)."""
    row, column, inside = 0, 0, False
    with archive.open("content.xml") as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            tag = element.tag
            if tag == f"{ODS_TABLE}table":
                inside = event == "start" and element.get(f"{ODS_TABLE}name") == sheet
            elif not inside:
                continue
            elif tag == f"{ODS_TABLE}table-row" and event == "start":
                column = 0
            elif tag == f"{ODS_TABLE}table-row":
                row += int(element.get(f"{ODS_TABLE}number-rows-repeated", "1"))
                element.clear()
            elif tag in (f"{ODS_TABLE}table-cell", f"{ODS_TABLE}covered-table-cell") and event == "start":
                formula = element.get(f"{ODS_TABLE}formula")
                if formula is not None:
                    return f"{column_letters(column)}{row + 1}", formula.split(":", 1)[-1]
                column += int(element.get(f"{ODS_TABLE}number-columns-repeated", "1"))
    return None


def column_letters(index: int) -> str:
    """A 0-based column index as a spreadsheet names it: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_text(value: Any) -> str:
    """A cell as the text a CSV export would hold: whole numbers without `.0`, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------------------------
# Answers as option texts, and multi-select questions in one cell.


def source_columns(codebook: Codebook, population: str, source: Source) -> list[str]:
    """The header the file must have: the codebook's columns (id, design columns, questions), with each multi question
    in one column when the file declares a `multi_separator`."""
    design = codebook.populations[population].design
    columns = ["respondent_id", *(design.columns() if design else [])]
    for question in codebook.questions_of(population):
        multi_in_one = question.type == "multi" and source.multi_separator is not None
        columns.extend([question.id] if multi_in_one else question.columns())
    return columns


def normalise(text: str) -> str:
    """An answer text compared as a reader sees it: NFKC (full-width letters, digits and spaces become plain), runs of
    spaces as one, no spaces around, case ignored."""
    return SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def option_texts(question: Question, codebook_file: str = "codebook.yml") -> dict[str, int]:
    """Normalised label -> code, over every language the codebook gives the options in."""
    texts: dict[str, int] = {}
    for option in question.options:
        for label in dict.fromkeys(option.texts.values()):
            key = normalise(label)
            if texts.get(key, option.code) != option.code:
                raise InputError(
                    codebook_file,
                    "option labels that differ within a question once width, spaces and case are ignored",
                    column=f"question {question.id}",
                    value=label,
                    hint=f"Options {texts[key]} and {option.code} read the same, so an answer text cannot tell them"
                    " apart",
                )
            texts[key] = option.code
    return texts


def answers_to_codes(
    columns: dict[str, pa.Array], codebook: Codebook, population: str, source: Source, name: str, rows: Rows
) -> dict[str, pa.Array]:
    """Columns as the codebook defines them: option texts mapped to codes (`answers: text`) and multi-select cells
    split into 0/1 option columns (`multi_separator`). Without either, the columns come back unchanged."""
    if source.answers != "text" and source.multi_separator is None:
        return columns
    no_answer = str(codebook.no_answer)
    converted: dict[str, pa.Array] = {"respondent_id": columns["respondent_id"]}
    problems: list[Problem] = []
    order = 0
    for question in codebook.questions_of(population):
        order += 1
        as_text = source.answers == "text"
        texts = option_texts(question) if as_text else {}
        if question.type != "multi" or source.multi_separator is None:
            for column in question.columns():
                if as_text and question.type != "multi":
                    converted[column], problem = _map_single(columns[column], column, order, question, texts, no_answer)
                    problems += [problem] if problem else []
                else:
                    converted[column] = columns[column]
            continue
        option_columns, problem = _split_multi(
            columns[question.id], question, order, texts, no_answer, source.multi_separator
        )
        converted.update(option_columns)
        problems += [problem] if problem else []
    raise_earliest(problems, name, rows)
    return converted


def _nearest(text: str, question: Question) -> str:
    """The option label closest to a text no label matches, for the error message."""
    labels = {normalise(label): label for option in question.options for label in option.texts.values()}
    close = difflib.get_close_matches(normalise(text), list(labels), n=1, cutoff=0)
    if not close:
        return ""
    label = labels[close[0]]
    code = next(o.code for o in question.options if label in o.texts.values())
    return f"The nearest label is {label!r} (code {code})"


def _expected_texts(question: Question, no_answer: str) -> str:
    return f"an option text of question {question.id} (in any language of the codebook), or {no_answer} (no answer)"


def _map_single(
    values: pa.Array, column: str, order: int, question: Question, texts: dict[str, int], no_answer: str
) -> tuple[pa.Array, Problem | None]:
    """Option texts -> codes; each distinct text is looked up once, so a million rows cost a few distinct lookups."""
    distinct = pc.unique(values).to_pylist()
    mapped: list[str | None] = []
    for text in distinct:
        if text in ("", no_answer):
            mapped.append(text)
        else:
            code = texts.get(normalise(text))
            mapped.append(None if code is None else str(code))
    result = pc.take(pa.array(mapped, pa.string()), pc.index_in(values, value_set=pa.array(distinct, pa.string())))
    unknown = pc.is_null(result).to_numpy(zero_copy_only=False)
    if not unknown.any():
        return result, None
    index = int(np.argmax(unknown))
    value = values[index].as_py()
    expected = _expected_texts(question, no_answer)
    return result, Problem(index, order, column, value, expected, _nearest(value, question))


def _split_multi(
    values: pa.Array, question: Question, order: int, texts: dict[str, int], no_answer: str, separator: str
) -> tuple[dict[str, pa.Array], Problem | None]:
    """One cell listing the chosen options -> one 0/1 column per option; empty stays empty (not asked) and the
    no-answer code fills every option column."""
    distinct = pc.unique(values).to_pylist()
    ticked: list[tuple[str, ...] | None] = []
    bad: set[str] = set()
    for cell in distinct:
        if cell in ("", no_answer):
            ticked.append((cell,) * len(question.options))
            continue
        chosen: set[int] = set()
        for part in cell.split(separator):
            if not normalise(part):
                continue  # "a┋b┋" ends with a separator
            code = _option_code(part, question, texts)
            if code is None:
                bad.add(cell)
                break
            chosen.add(code)
        ticked.append(tuple("1" if option.code in chosen else "0" for option in question.options))
    positions = pc.index_in(values, value_set=pa.array(distinct, pa.string()))
    columns = {}
    for i, column in enumerate(question.columns()):
        cells = pa.array([None if cell in bad else codes[i] for cell, codes in zip(distinct, ticked, strict=True)])
        columns[column] = pc.take(cells.cast(pa.string()), positions)
    if not bad:
        return columns, None
    unknown = pc.is_in(values, value_set=pa.array(sorted(bad), pa.string())).to_numpy(zero_copy_only=False)
    index = int(np.argmax(unknown))
    cell = values[index].as_py()
    part = next(p for p in cell.split(separator) if normalise(p) and _option_code(p, question, texts) is None)
    expected = (
        f"option texts of question {question.id} separated by {separator!r}"
        if texts
        else f"option codes of question {question.id} separated by {separator!r}"
    )
    hint = _nearest(part, question) if texts else f"The codes are {', '.join(str(c) for c in question.codes)}"
    return columns, Problem(index, order, question.id, part, expected, f"{hint}; the cell is {cell!r}")


def _option_code(part: str, question: Question, texts: dict[str, int]) -> int | None:
    """The code one listed option stands for: by its text when answers are texts, else as a code."""
    text = normalise(part)
    if texts:
        return texts.get(text)
    return int(text) if text.isdigit() and int(text) in question.codes else None
