"""XLSForm (ODK, KoboToolbox): a workbook with the sheets `survey` and `choices` (and optionally `settings`).

An XLSForm has no extension of its own: it is a workbook (workbook.py), which `surveypress init` drafts as a form when
it holds these sheets. Takes: the workbook and how it is laid out (`calamine.Calamine`). Gives: `Form`, each sheet as
rows keyed by its header in lower case (each row's spreadsheet number under `_row`), and the label columns with the
language each is in; init.py turns them into questions, options, groups and universes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surveypress.formats.calamine import Calamine, cell_text
from surveypress.languages import language_code, with_script

SHEETS = ("survey", "choices")  # the sheets that make a workbook an XLSForm


@dataclass
class Form:
    survey: list[dict[str, str]]
    choices: list[dict[str, str]]
    settings: dict[str, str]
    label_keys: dict[str, str]  # label column -> language tag ('' for a plain `label`)


def is_form(how: Calamine, path: Path, name: str) -> bool:
    _, sheets = how.workbook_sheets(path, name)
    return set(SHEETS) <= {sheet.lower() for sheet in sheets}


def read_form(how: Calamine, path: Path, name: str) -> Form:
    workbook, sheets = how.workbook_sheets(path, name)
    survey = _sheet_rows(workbook, sheets, "survey")
    choices = _sheet_rows(workbook, sheets, "choices")
    settings = (_sheet_rows(workbook, sheets, "settings") or [{}])[0]
    label_keys = _label_columns([key for row in survey + choices for key in row])
    return Form(survey, choices, settings, label_keys)


def _sheet_rows(workbook: Any, sheets: list[str], wanted: str) -> list[dict[str, str]]:
    """A sheet as dicts keyed by its header (lower case), each with its spreadsheet row under '_row'."""
    sheet = next((s for s in sheets if s.lower() == wanted), None)
    if sheet is None:
        return []
    cells = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if not cells:
        return []
    header = [cell_text(value).strip().lower() for value in cells[0]]
    rows = []
    for number, row in enumerate(cells[1:], start=2):
        entry = {key: cell_text(value).strip() for key, value in zip(header, row, strict=False) if key}
        if any(entry.values()):
            rows.append({**entry, "_row": str(number)})
    return rows


def _label_columns(header: Sequence[str]) -> dict[str, str]:
    """XLSForm label columns -> language tag: `label::Chinese (zh)` -> zh-Hans, `label::en` -> en,
    `label::French` -> fr, `label` -> '' (names through CLDR: languages.language_code)."""
    found = {}
    for key in header:
        if key == "label":
            found[key] = ""
        elif key.startswith("label::"):
            language = key.split("::", 1)[1].strip()
            code = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)", language)
            found[key] = with_script(language_code(code.group(1) if code else language))
    return found
