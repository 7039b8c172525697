"""Workbooks through python-calamine: what Excel (.xlsx, .xlsm, legacy .xls) and OpenDocument (.ods) files share.

Takes: a workbook and how its container is laid out (`Calamine`: where its formulas are, whether it is a legacy OLE2
file).
Gives: a sheet's header and text columns, as the CSV reader gives them (first row the header; cells as a CSV export
would hold them), after refusing an encrypted or damaged workbook and any formula cell.

Limits: a workbook is read whole into memory by calamine (a sheet holds at most 1,048,576 rows), so large surveys
belong in CSV, Parquet, SPSS, Stata or SAS files.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from surveypress.errors import InputError
from surveypress.formats.base import SPREADSHEET_ROWS, SourceTable

KIND = "a {extension} workbook"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted Office Open XML workbook is an OLE compound file holding the streams EncryptionInfo and
# EncryptedPackage (MS-OFFCRYPTO); their names are stored in UTF-16LE in the file's directory.
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Calamine:
    """How one workbook format is laid out: where its formula cells are found (None: a binary legacy .xls, whose
    formulas no installed library reads), and whether it is itself an OLE2 compound file."""

    formulas: Callable[[zipfile.ZipFile, str], tuple[str, str] | None] | None
    legacy: bool = False
    # (sheet, cell, formula) of the first formula in any sheet: a workbook released in full (None: not checked)
    every_sheet: Callable[[zipfile.ZipFile], tuple[str, str, str] | None] | None = None

    def table(self, path: Path, name: str, sheet: str | None, population: str, no_answer: int) -> SourceTable:
        """The build's reader (`base.Reader`): one sheet's text columns, numbered as spreadsheet rows."""
        header, columns = self.read_workbook(path, name, sheet, population)
        return SourceTable(header, columns, SPREADSHEET_ROWS)

    def workbook_sheets(self, path: Path, name: str) -> tuple[Any, list[str]]:
        """The opened workbook and its sheet names; an encrypted or damaged workbook raises."""
        self._check_container(path, name)
        from python_calamine import CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_path(str(path))
        except Exception as error:  # calamine raises its own error types per format; all mean "cannot read this"
            raise InputError(
                name,
                f"{KIND.format(extension=path.suffix.lower())} that calamine can read",
                value=str(error).splitlines()[0][:120] if str(error) else type(error).__name__,
                hint="The file is damaged or is not what its name says; save it again from the spreadsheet program",
            ) from None
        return workbook, list(workbook.sheet_names)

    def _check_container(self, path: Path, name: str) -> None:
        with path.open("rb") as handle:
            head = handle.read(len(OLE_MAGIC))
        if self.legacy or head != OLE_MAGIC:
            return
        if ENCRYPTION_INFO in path.read_bytes():
            raise InputError(
                name,
                "a workbook without a password",
                value="an encrypted (password-protected) workbook",
                hint="Decrypt it first: open it, remove the password (File > Info > Protect Workbook) and save it,"
                f" or run msoffcrypto-tool -p PASSWORD {path.name} decrypted{path.suffix}",
            )
        raise InputError(
            name,
            KIND.format(extension=path.suffix.lower()),
            value="an OLE2 compound file (an Excel 97-2003 workbook?)",
            hint=f"Rename it {path.stem}.xls, or save it again as {path.suffix}",
        )

    def read_workbook(
        self, path: Path, name: str, sheet: str | None, population: str
    ) -> tuple[list[str], dict[str, pa.Array]]:
        """The header and text columns of one sheet: the first row is the header, as in a CSV."""
        import pyarrow as pa

        workbook, sheets = self.workbook_sheets(path, name)
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
        self.refuse_formulas(path, name, sheet)
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

    def refuse_formulas(self, path: Path, name: str, sheet: str) -> None:
        """InputError naming the sheet, cell (A1) and formula of the first formula cell of `sheet` (.xlsx, .xlsm, .ods;
        a legacy .xls is binary, and is not checked)."""
        if self.formulas is None:
            return
        with zipfile.ZipFile(path) as archive:
            found = self.formulas(archive, sheet)
        if found is not None:
            raise formula_error(name, sheet, *found)

    def refuse_formulas_anywhere(self, path: Path, name: str) -> None:
        """A workbook released in full is published as it is, every sheet and part of it: InputError naming the first
        formula in any sheet (sheet, cell, formula), or the macros it holds. `Format.released_whole`."""
        if self.every_sheet is None or not zipfile.is_zipfile(path):
            return  # not a zip archive: the load stage says what it is (encrypted, legacy, damaged)
        with zipfile.ZipFile(path) as archive:
            macros = [part for part in archive.namelist() if MACRO_PARTS.fullmatch(part)]
            if macros:
                raise InputError(
                    name,
                    "a workbook without macros",
                    value=macros[0],
                    hint="A workbook released in full is published as it is, macros included; save it as .xlsx or"
                    " .ods without them",
                )
            try:
                found = self.every_sheet(archive)
            except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, ValueError) as error:
                raise InputError(
                    name,
                    "a workbook whose sheets can be checked for formulas",
                    value=str(error).splitlines()[0][:120] if str(error) else type(error).__name__,
                    hint="The file is damaged; save it again from the spreadsheet program",
                ) from None
        if found is not None:
            raise formula_error(name, *found)


def formula_error(name: str, sheet: str, cell: str, formula: str) -> InputError:
    """The refusal of a formula cell: its sheet, cell (A1) and formula."""
    letters = cell.rstrip("0123456789")
    return InputError(
        name,
        "a value, not a formula",
        row=int(cell[len(letters) :]) if cell[len(letters) :] else None,
        column=f"{letters or '?'} of sheet {sheet!r}",
        value=formula if formula.startswith("=") else f"={formula}",
        hint="A workbook is published as it is, formulas included; copy the sheet and paste it as values only",
    )


# Formulas. calamine (0.9.1) gives a formula cell's cached value and cannot say that it is a formula, and a workbook
# released in full is published as it is: its formulas would reach every reader. The sheet's XML says it, and the
# standard library reads it as a stream (iterparse), element by element, so a sheet of a million rows is never held;
# openpyxl would read the same XML but builds a Python object for every cell to find one element.
OOXML_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
OOXML_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


# The parts of an Office Open XML workbook that hold cells (worksheets, Excel 4.0 macro sheets, dialog sheets), and
# those that hold macros (VBA projects, in .xlsm or renamed; OpenDocument's Basic and script folders).
OOXML_CELL_PARTS = re.compile(r"xl/(?:worksheets|macrosheets|dialogsheets)/[^/]+\.xml", re.IGNORECASE)
MACRO_PARTS = re.compile(r"(?:.*/)?vbaProject\.bin|(?:Basic|Scripts)/.*", re.IGNORECASE)


def ooxml_sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's part in the archive -> the sheet's name, through the workbook's relationships (ECMA-376:
    xl/workbook.xml names each sheet's part; a target is relative to xl/, or absolute from the package's root)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relationships = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {item.get("Id"): item.get("Target", "") for item in relationships}
    parts = {}
    for item in workbook.iter(f"{OOXML_MAIN}sheet"):
        target = targets.get(item.get(f"{OOXML_RELATIONSHIPS}id"), "")
        part = posixpath.normpath(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
        parts[part] = item.get("name", "")
    return parts


def ooxml_formula(archive: zipfile.ZipFile, sheet: str) -> tuple[str, str] | None:
    """(cell, formula) of the first `<f>` element of the sheet named `sheet`."""
    part = next((part for part, name in ooxml_sheet_parts(archive).items() if name == sheet), "")
    return ooxml_part_formula(archive, part) if part in archive.namelist() else None


def ooxml_formula_anywhere(archive: zipfile.ZipFile) -> tuple[str, str, str] | None:
    """(sheet, cell, formula) of the first `<f>` element in any part that holds cells, named or not by the workbook."""
    names = ooxml_sheet_parts(archive)
    for part in archive.namelist():
        if OOXML_CELL_PARTS.fullmatch(part):
            found = ooxml_part_formula(archive, part)
            if found is not None:
                return names.get(posixpath.normpath(part), part), *found
    return None


def ooxml_part_formula(archive: zipfile.ZipFile, part: str) -> tuple[str, str] | None:
    """(cell, formula) of the first `<f>` element of one sheet's part, read as a stream."""
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


def ods_formula(archive: zipfile.ZipFile, sheet: str) -> tuple[str, str] | None:
    """(cell, formula) of the first cell with a `table:formula` in the table named `sheet` (OpenDocument)."""
    found = ods_first_formula(archive, sheet)
    return found[1:] if found is not None else None


def ods_formula_anywhere(archive: zipfile.ZipFile) -> tuple[str, str, str] | None:
    """(sheet, cell, formula) of the first cell with a `table:formula` in any table (OpenDocument)."""
    return ods_first_formula(archive, None)


def ods_first_formula(archive: zipfile.ZipFile, sheet: str | None) -> tuple[str, str, str] | None:
    """(table, cell, formula) of the first formula cell of the table named `sheet`, or of any table (None)."""
    row, column, table = 0, 0, None
    with archive.open("content.xml") as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            tag = element.tag
            if tag == f"{ODS_TABLE}table":
                name = element.get(f"{ODS_TABLE}name", "")
                table = name if event == "start" and sheet in (None, name) else None
                row = 0
            elif table is None:
                continue
            elif tag == f"{ODS_TABLE}table-row" and event == "start":
                column = 0
            elif tag == f"{ODS_TABLE}table-row":
                row += int(element.get(f"{ODS_TABLE}number-rows-repeated", "1"))
                element.clear()
            elif tag in (f"{ODS_TABLE}table-cell", f"{ODS_TABLE}covered-table-cell") and event == "start":
                formula = element.get(f"{ODS_TABLE}formula")
                if formula is not None:
                    return table, f"{column_letters(column)}{row + 1}", formula.split(":", 1)[-1]
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
