"""Data workbooks: Excel (.xlsx, .xlsm, and the legacy binary .xls) and OpenDocument (.ods), read with calamine.

The build reads one sheet (publication.yml's `sheet`, or the only one) as it reads a CSV file: first row the header.
`surveypress init` drafts an XLSForm from a workbook holding the sheets survey and choices (xlsform.py), and otherwise
reads the codebook off the data of its first sheet (draft/data.py). A legacy .xls is binary: its cells cannot be
checked for formulas, so it cannot be released in full (content/ refuses that before any work).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from surveypress.formats import xlsform
from surveypress.formats.base import Draft, Format
from surveypress.formats.calamine import (
    KIND,
    Calamine,
    ods_formula,
    ods_formula_anywhere,
    ooxml_formula,
    ooxml_formula_anywhere,
)
from surveypress.i18n import _


def _init_stream(how: Calamine) -> Callable[..., tuple[list[str], Any, list]]:
    def stream(
        path: Path, name: str, notes: list[str], check_header: Callable[[list[str], str], None]
    ) -> tuple[list[str], Any, list]:
        """init's reader (`base.Streamer`): the first sheet's text columns, whole (calamine reads a sheet at once)."""
        import pyarrow as pa

        sheets = how.workbook_sheets(path, name)[1]
        sheet = sheets[0] if sheets else None
        if len(sheets) > 1:
            notes.append(
                _("{file}: the data was read from its first sheet, {sheet}; the others were left out").format(
                    file=path.name, sheet=sheet
                )
            )
        header, cells = how.read_workbook(path, name, sheet, "")
        check_header(header, name)
        table = pa.table({f"c{i}": column for i, column in enumerate(cells.values())})
        return header, table, []

    return stream


def _workbook(name: str, extensions: tuple[str, ...], how: Calamine) -> Format:
    def drafts_from(path: Path, file: str) -> Draft:
        return "form" if xlsform.is_form(how, path, file) else "data"

    return Format(
        name=name,
        extensions=extensions,
        kind=KIND,
        read=how.table,
        sheets=True,
        formulas_checked=how.formulas is not None,
        released_whole=how.refuse_formulas_anywhere if how.every_sheet is not None else None,
        stream=_init_stream(how),
        form=lambda path, file: xlsform.read_form(how, path, file),
        drafts_from=drafts_from,
    )


EXCEL = _workbook("Excel workbook", (".xlsx", ".xlsm"), Calamine(ooxml_formula, every_sheet=ooxml_formula_anywhere))
LEGACY_EXCEL = _workbook("Excel 97-2003 workbook", (".xls",), Calamine(None, legacy=True))
OPENDOCUMENT = _workbook("OpenDocument spreadsheet", (".ods",), Calamine(ods_formula, every_sheet=ods_formula_anywhere))
