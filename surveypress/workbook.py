"""Stage "workbook": every indicator table in one spreadsheet, laid out as the UK Analysis Function's guidance for
accessible statistical spreadsheets asks ("Releasing statistics in spreadsheets").

Takes: the data package descriptor written by the package stage (`datapackage.json`, a dict) and the folder its
resource paths are relative to (the staging root).
Gives: the bytes of an `.xlsx` workbook: a cover sheet, a contents sheet, a notes sheet explaining the markers
(`[c]`, `[u]`, ...), then one sheet per indicator table. Each sheet has its title in A1, a line saying how many tables
it holds, no blank rows, no merged cells, and one header row over an Excel table; numbers are numbers, a suppressed
cell is the text `[c]`. Written with XlsxWriter (maintained, writes the table objects screen readers use); document
properties carry the package's `created` time, so the same package gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import xlsxwriter

WORKBOOK_NAME = "indicators.xlsx"
# Excel refuses these in a sheet name and cuts names at 31 characters.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_MAX = 31
# The GSS shorthand the tables use, with the meaning the Notes sheet gives it.
MARKERS = (
    (
        "[c]",
        "Confidential: suppressed to protect respondents (a small cell in a cross-tabulation, or a cell that "
        "would let one be worked out from totals).",
    ),
    ("[u]", "Low reliability: the base is under the publication's threshold; shown, but read with care."),
    ("[x]", "Not available: the figure does not exist or cannot be calculated."),
    ("[z]", "Not applicable."),
    ("(blank)", "In the flags column: no marker applies."),
)
NUMERIC = ("integer", "number")


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("zh") or value.get("en") or "")
    return "" if value is None else str(value)


def _sheet_name(name: str, taken: set[str]) -> str:
    base = SHEET_FORBIDDEN.sub("_", name)[:SHEET_MAX] or "table"
    candidate, number = base, 2
    while candidate.lower() in taken:
        suffix = f"_{number}"
        candidate, number = base[: SHEET_MAX - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _cell(value: str, field: dict[str, Any]) -> Any:
    """A number where the schema says the column is numeric and the cell holds one; otherwise the text as written."""
    if field.get("type") in NUMERIC and value not in ("", "[c]"):
        number = float(value)
        return int(number) if field["type"] == "integer" else number
    return value


def build_workbook(package: dict[str, Any], root: Path) -> bytes:
    """The workbook of every `indicator` resource of the package, as bytes."""
    root = Path(root)
    created = dt.datetime.strptime(package["created"], "%Y-%m-%dT%H:%M:%SZ")
    tables = [resource for resource in package.get("resources", []) if resource.get("kind") == "indicator"]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties(
        {
            "title": _text(package.get("title")),
            "subject": _text(package.get("title_en")),
            "author": ", ".join(_text(c.get("title")) for c in package.get("contributors", [])),
            "keywords": ", ".join(package.get("keywords", [])),
            "comments": f"version {package.get('version', '')}",
            "created": created,
        }
    )
    book.set_calc_mode("auto")
    title_format = book.add_format({"bold": True, "font_size": 15})
    heading_format = book.add_format({"bold": True, "font_size": 12})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    link_format = book.add_format({"font_color": "#0b4f8a", "underline": 1})

    taken = {"cover", "contents", "notes"}
    names = [_sheet_name(resource["name"].removeprefix("indicator-"), taken) for resource in tables]

    # Cover: what the workbook is, where it comes from, when, under which licence; one item per row, no blank rows.
    cover = book.add_worksheet("Cover")
    cover.set_column(0, 0, 110, wrap)
    lines: list[tuple[str, Any]] = [(_text(package.get("title")), title_format)]
    if package.get("title_en"):
        lines.append((_text(package["title_en"]), None))
    lines.append(("This workbook holds the indicator tables of the publication, one table per worksheet.", None))
    lines.append(("About these tables", heading_format))
    lines.append((_text(package.get("description")), None))
    if package.get("description_en"):
        lines.append((_text(package["description_en"]), None))
    if package.get("synthetic"):
        lines.append(("Synthetic data", heading_format))
        lines.append(
            (
                "The microdata behind these tables is a synthetic reconstruction: totals reproduce the published "
                "report, cross-tabulations say nothing about real respondents.",
                None,
            )
        )
    lines.append(("Source", heading_format))
    for source in package.get("sources", []):
        lines.append(
            (f"{_text(source.get('title'))} ({_text(source.get('publisher'))}, {source.get('date', '')})", None)
        )
    lines.append(("Version and release date", heading_format))
    lines.append((f"Version {package.get('version', '')}, released {created.date().isoformat()}", None))
    for key, heading in (("contact", "Contact"), ("next_release", "Next release")):
        if package.get(key):
            lines.append((heading, heading_format))
            lines.append((_text(package[key]), None))
    lines.append(("Licence", heading_format))
    for licence in package.get("licenses", []):
        lines.append((f"{licence.get('title') or licence.get('name')}: {licence.get('path', '')}", None))
    lines.append(("Notes", heading_format))
    lines.append(("Markers such as [c] and [u] are explained in the Notes worksheet.", None))
    for row, (text, style) in enumerate(lines):
        cover.write_string(row, 0, text, style) if style else cover.write_string(row, 0, text)

    # Contents: one row per worksheet, with a link to it.
    contents = book.add_worksheet("Contents")
    contents.write_string(0, 0, "Table of contents", title_format)
    contents.write_string(1, 0, "This worksheet contains one table. Each sheet name links to its worksheet.")
    contents.set_column(0, 0, 24)
    contents.set_column(1, 1, 60, wrap)
    contents.set_column(2, 2, 60, wrap)
    contents.set_column(3, 3, 10)
    entries = [["Notes", "Notes", "What the markers in the tables mean", len(MARKERS)]]
    for name, resource in zip(names, tables, strict=True):
        rows = _rows(root / resource["path"])
        entries.append([name, _text(resource.get("title")), _text(resource.get("title_en")), len(rows) - 1])
    contents.add_table(
        2,
        0,
        2 + len(entries),
        3,
        {
            "name": "contents",
            "style": "Table Style Light 1",
            "autofilter": False,
            "columns": [
                {"header": "Sheet name"},
                {"header": "Table title"},
                {"header": "Title (English)"},
                {"header": "Data rows"},
            ],
        },
    )
    for offset, (name, title, title_en, count) in enumerate(entries, start=3):
        contents.write_url(offset, 0, f"internal:'{name}'!A1", link_format, string=name)
        contents.write_string(offset, 1, title)
        contents.write_string(offset, 2, title_en)
        contents.write_number(offset, 3, count)

    # Notes: the markers.
    notes = book.add_worksheet("Notes")
    notes.write_string(0, 0, "Notes", title_format)
    notes.write_string(1, 0, "This worksheet contains one table.")
    notes.set_column(0, 0, 12)
    notes.set_column(1, 1, 100, wrap)
    notes.add_table(
        2,
        0,
        2 + len(MARKERS),
        1,
        {
            "name": "notes",
            "style": "Table Style Light 1",
            "autofilter": False,
            "columns": [{"header": "Marker"}, {"header": "Meaning"}],
            "data": [list(marker) for marker in MARKERS],
        },
    )

    # One worksheet per indicator table.
    for number, (name, resource) in enumerate(zip(names, tables, strict=True), start=1):
        sheet = book.add_worksheet(name)
        fields = resource["schema"]["fields"]
        rows = _rows(root / resource["path"])
        header, body = rows[0], rows[1:]
        by_name = {field["name"]: field for field in fields}
        title = f"Table {number}: {_text(resource.get('title'))}"
        if resource.get("title_en"):
            title += f" ({resource['title_en']})"
        sheet.write_string(0, 0, title, title_format)
        sheet.write_string(
            1, 0, "This worksheet contains one table. Markers such as [c] and [u] are explained in the Notes worksheet."
        )
        sheet.write_string(2, 0, f"Source: {resource['path']} in the data package (datapackage.json).")
        columns = [{"header": f"{by_name.get(column, {}).get('title', column)} ({column})"} for column in header]
        data = [
            [_cell(value, by_name.get(column, {})) for column, value in zip(header, row, strict=True)] for row in body
        ]
        sheet.add_table(
            3,
            0,
            3 + max(len(data), 1),
            len(header) - 1,
            {
                "name": "table_" + re.sub(r"\W", "_", name),
                "style": "Table Style Light 1",
                "columns": columns,
                "data": data,
            },
        )
        sheet.set_column(0, len(header) - 1, 14)
        sheet.freeze_panes(4, 0)
    book.close()
    return buffer.getvalue()


def write_workbook(package: dict[str, Any], root: Path, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_workbook(package, root))
    return path
