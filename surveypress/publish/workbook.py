"""Stage "workbook": every indicator table in one spreadsheet, laid out as the UK Analysis Function's guidance for
accessible statistical spreadsheets asks ("Releasing statistics in spreadsheets").

Takes: the data package descriptor written by the package stage (`datapackage.json`, a dict) and the folder its
resource paths are relative to (the staging root).
Gives: the bytes of an `.xlsx` workbook: a cover sheet, a contents sheet, a notes sheet explaining the markers
(`[c]`, `[u]`, ...), then one sheet per indicator table. Each sheet has its title in A1, a line saying how many tables
it holds, no blank rows, no merged cells, and one header row over an Excel table; numbers are numbers, a suppressed
cell is the text `[c]`. Written with XlsxWriter (maintained, writes the table objects screen readers use); document
properties carry the package's `created` time, so the same package gives the same bytes.

One workbook serves every edition: its words are in the publication's primary language with the other languages
beside them (the package's `languages`, through the engine's catalogue): sheet names and column headers carry each
language once ("Cover" in Chinese, then English), sentences come one row or one column per language, and each table's
title is given in every language the package has it in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.exceptions

from surveypress.i18n import N_, gettext_in
from surveypress.languages import SOURCE_LANGUAGE
from surveypress.stats.protect import DESIGN_SUPPRESSED_COLUMNS, SUPPRESSED, SUPPRESSED_COLUMNS

WORKBOOK_NAME = "indicators.xlsx"
# Excel refuses these in a sheet name and cuts names at 31 characters.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_MAX = 31
# The GSS shorthand the tables use, with the meaning the Notes sheet gives it.
MARKERS = (
    (
        "[c]",
        N_(
            "Confidential: suppressed to protect respondents (a small cell in a cross-tabulation, or a cell that "
            "would let one be worked out from totals)."
        ),
    ),
    ("[u]", N_("Low reliability: the base is under the publication's threshold; shown, but read with care.")),
    ("[x]", N_("Not available: the figure does not exist or cannot be calculated.")),
    ("[z]", N_("Not applicable.")),
    (N_("(blank)"), N_("In the flags column: no marker applies.")),
)
# Said on the cover and on each sheet whose table holds weighted estimates: a weighted percent is not count / base.
WEIGHTED_NOTE = N_(
    "Where a population declares a sample design, its percentages are weighted estimates with design-based "
    "intervals; count and base are always unweighted respondents, on which reliability and suppression are judged."
)
# Design columns that a weighted row fills (tabulate.DESIGN_COLUMNS); a table without them is unweighted.
DESIGN_COLUMNS = ("se", "deff")
# Between the languages of one label (a heading, a column header) and of a sheet name (no "/" allowed there).
LABEL_JOIN = " / "
SHEET_JOIN = " "
NUMERIC = ("integer", "number")


def _text(value: Any) -> str:
    """A text of the package; a mapping by language (a source's title in publication.yml) gives its first text, the
    content's primary language, whichever languages it declares."""
    if isinstance(value, dict):
        return next((str(text) for text in value.values() if text), "")
    return "" if value is None else str(value)


class _Words:
    """The engine's words in each of the package's languages, primary first."""

    def __init__(self, languages: list[str]) -> None:
        self.languages = languages or [SOURCE_LANGUAGE]
        self.primary = self.languages[0]

    def each(self, message: str, **values: Any) -> list[str]:
        """The message in every language, a translation that reads the same given once."""
        texts: list[str] = []
        for tag in self.languages:
            text = gettext_in(tag, message).format(**values)
            if text not in texts:
                texts.append(text)
        return texts

    def each_language(self, message: str) -> list[str]:
        """The message in every language, one per language (a column each)."""
        return [gettext_in(tag, message) for tag in self.languages]

    def label(self, message: str, join: str = LABEL_JOIN, **values: Any) -> str:
        return join.join(self.each(message, **values))

    def field(self, item: dict[str, Any], key: str) -> list[str]:
        """A descriptor's `key` (title, description) in every language it has: its own, then `translations`."""
        texts = [_text(item.get(key))] if item.get(key) else []
        for tag in self.languages[1:]:
            text = ((item.get("translations") or {}).get(tag) or {}).get(key)
            if text and str(text) not in texts:
                texts.append(str(text))
        return texts


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook, adding a sheet in constant time: XlsxWriter compares a new sheet's name with every
    earlier sheet's (quadratic: seconds at thousands of indicator tables). The same rule, kept in a set of the names
    in lower case; `_sheet_name` has already made every name valid and unique, so this never refuses one."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self._taken: set[str] = set()

    def _check_sheetname(self, sheetname: str, is_chartsheet: bool = False) -> str:
        if sheetname.lower() in self._taken:
            raise xlsxwriter.exceptions.DuplicateWorksheetName(f"Sheetname '{sheetname}' is already in use.")
        # The other checks (length, characters, numbering), against no earlier sheet: XlsxWriter's own.
        known, self.worksheets_objs = self.worksheets_objs, []
        try:
            checked = super()._check_sheetname(sheetname, is_chartsheet)
        finally:
            self.worksheets_objs = known
        self._taken.add(checked.lower())
        return checked


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


def _marked(header: list[str], body: list[list[str]]) -> list[list[str]]:
    """The rows with `[c]` in the cells a suppressed row leaves empty: the CSV files keep those columns numeric (an
    empty cell, the reason in `suppression` and `flags`), a spreadsheet shows the marker where the number would be,
    as the Analysis Function's guidance asks."""
    if "suppression" not in header:
        return body
    state = header.index("suppression")
    hidden = [index for index, name in enumerate(header) if name in SUPPRESSED_COLUMNS + DESIGN_SUPPRESSED_COLUMNS]
    marked = []
    for row in body:
        if row[state] not in ("", "none"):
            row = [SUPPRESSED if index in hidden and value == "" else value for index, value in enumerate(row)]
        marked.append(row)
    return marked


def _weighted(rows: list[list[str]]) -> bool:
    """Whether a table's rows hold weighted estimates: some row fills a design column (se, deff)."""
    if not rows:
        return False
    filled = [index for index, name in enumerate(rows[0]) if name in DESIGN_COLUMNS]
    return any(row[index] not in ("", "[c]") for row in rows[1:] for index in filled)


@dataclass(frozen=True)
class _Formats:
    """The workbook's cell formats, added once, in this order (the order is part of the bytes)."""

    title: Any
    heading: Any
    wrap: Any
    link: Any

    @classmethod
    def of(cls, book: xlsxwriter.Workbook) -> _Formats:
        return cls(
            title=book.add_format({"bold": True, "font_size": 15}),
            heading=book.add_format({"bold": True, "font_size": 12}),
            wrap=book.add_format({"text_wrap": True, "valign": "top"}),
            link=book.add_format({"font_color": "#0b4f8a", "underline": 1}),
        )


def build_workbook(package: dict[str, Any], root: Path) -> bytes:
    """The workbook of every `indicator` resource of the package, as bytes: cover, contents, notes, then a sheet
    per table."""
    root = Path(root)
    created = dt.datetime.strptime(package["created"], "%Y-%m-%dT%H:%M:%SZ")
    tables = [resource for resource in package.get("resources", []) if resource.get("kind") == "indicator"]
    table_rows = [_rows(root / resource["path"]) for resource in tables]
    weighted = [_weighted(rows) for rows in table_rows]
    words = _Words(list(package.get("languages") or []))
    buffer = io.BytesIO()
    book = _Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    _set_properties(book, package, words, created)
    formats = _Formats.of(book)
    cover_name, contents_name, notes_name = (
        _sheet_name(words.label(message, SHEET_JOIN), set()) for message in (N_("Cover"), N_("Contents"), N_("Notes"))
    )
    taken = {cover_name.lower(), contents_name.lower(), notes_name.lower()}
    names = [_sheet_name(resource["name"].removeprefix("indicator-"), taken) for resource in tables]
    cover = _cover_lines(package, words, formats, created, any(weighted), notes_name)
    _write_cover(book.add_worksheet(cover_name), formats, cover)
    entries = [[notes_name, *words.each_language(N_("What the markers in the tables mean")), len(MARKERS)]]
    for name, resource, rows in zip(names, tables, table_rows, strict=True):
        entries.append([name, *_per_language(resource, words), len(rows) - 1])
    _write_contents(book.add_worksheet(contents_name), formats, words, entries)
    _write_notes(book.add_worksheet(notes_name), formats, words, notes_name)
    for number, (name, resource, rows, is_weighted) in enumerate(
        zip(names, tables, table_rows, weighted, strict=True), start=1
    ):
        sheet = book.add_worksheet(name)
        _write_table(sheet, formats, words, (number, name, notes_name), resource, rows, is_weighted)
    book.close()
    return buffer.getvalue()


def _set_properties(book: xlsxwriter.Workbook, package: dict[str, Any], words: _Words, created: dt.datetime) -> None:
    """The document properties: the package's titles, contributors, keywords, version and `created` time."""
    titles = words.field(package, "title")
    book.set_properties(
        {
            "title": titles[0] if titles else "",
            "subject": LABEL_JOIN.join(titles[1:]),
            "author": ", ".join(_text(c.get("title")) for c in package.get("contributors", [])),
            "keywords": ", ".join(package.get("keywords", [])),
            "comments": f"version {package.get('version', '')}",
            "created": created,
        }
    )
    book.set_calc_mode("auto")


def _cover_lines(
    package: dict[str, Any], words: _Words, formats: _Formats, created: dt.datetime, weighted: bool, notes_name: str
) -> list[tuple[str, Any]]:
    """The cover's rows (text, format or None): what the workbook is, then where it comes from."""
    titles = words.field(package, "title")
    lines: list[tuple[str, Any]] = [(titles[0] if titles else "", formats.title)]
    lines += [(title, None) for title in titles[1:]]
    lines += [
        (text, None)
        for text in words.each(
            N_("This workbook holds the indicator tables of the publication, one table per worksheet.")
        )
    ]
    lines.append((words.label(N_("About these tables")), formats.heading))
    lines += [(text, None) for text in words.field(package, "description")]
    if weighted:
        lines.append((words.label(N_("Weighted estimates")), formats.heading))
        lines += [(text, None) for text in words.each(WEIGHTED_NOTE)]
    if package.get("synthetic"):
        lines.append((words.label(N_("Synthetic data")), formats.heading))
        lines += [
            (text, None)
            for text in words.each(
                N_(
                    "The microdata behind these tables is a synthetic reconstruction: totals reproduce the "
                    "published report, cross-tabulations say nothing about real respondents."
                )
            )
        ]
    return lines + _provenance_lines(package, words, formats, created, notes_name)


def _provenance_lines(
    package: dict[str, Any], words: _Words, formats: _Formats, created: dt.datetime, notes_name: str
) -> list[tuple[str, Any]]:
    """The cover's rows on where the tables come from, when, whom to ask and under which licence."""
    lines: list[tuple[str, Any]] = [(words.label(N_("Source")), formats.heading)]
    for source in package.get("sources", []):
        lines.append(
            (f"{_text(source.get('title'))} ({_text(source.get('publisher'))}, {source.get('date', '')})", None)
        )
    lines.append((words.label(N_("Version and release date")), formats.heading))
    lines += [
        (text, None)
        for text in words.each(
            N_("Version {version}, released {date}"),
            version=package.get("version", ""),
            date=created.date().isoformat(),
        )
    ]
    for key, heading in (("contact", N_("Contact")), ("next_release", N_("Next release"))):
        if package.get(key):
            lines.append((words.label(heading), formats.heading))
            value = package[key]
            texts = [str(value[tag]) for tag in _keys(value, words.languages)] if isinstance(value, dict) else []
            lines += [(text, None) for text in texts or [_text(value)]]
    lines.append((words.label(N_("Licence")), formats.heading))
    for licence in package.get("licenses", []):
        lines.append((f"{licence.get('title') or licence.get('name')}: {licence.get('path', '')}", None))
    lines.append((notes_name, formats.heading))
    lines += [
        (text, None)
        for text in words.each(
            N_("Markers such as [c] and [u] are explained in the {notes} worksheet."), notes=notes_name
        )
    ]
    return lines


def _write_cover(cover: Any, formats: _Formats, lines: list[tuple[str, Any]]) -> None:
    """Cover: what the workbook is, where it comes from, when, under which licence; one item per row, no blank
    rows. Every sentence once per language, one row each."""
    cover.set_column(0, 0, 110, formats.wrap)
    for row, (text, style) in enumerate(lines):
        cover.write_string(row, 0, text, style) if style else cover.write_string(row, 0, text)


def _write_contents(contents: Any, formats: _Formats, words: _Words, entries: list[list[Any]]) -> None:
    """Contents: one row per worksheet (sheet name, title in each language, data rows), with a link to it."""
    contents.write_string(0, 0, words.label(N_("Table of contents")), formats.title)
    contents.write_string(
        1, 0, words.label(N_("This worksheet contains one table. Each sheet name links to its worksheet."))
    )
    contents.set_column(0, 0, 24)
    contents.set_column(1, len(words.languages), 60, formats.wrap)
    contents.set_column(len(words.languages) + 1, len(words.languages) + 1, 10)
    headers = [
        words.label(N_("Sheet name")),
        *(gettext_in(tag, N_("Table title")) for tag in words.languages),
        words.label(N_("Data rows")),
    ]
    contents.add_table(
        2,
        0,
        2 + len(entries),
        len(headers) - 1,
        {
            "name": "contents",
            "style": "Table Style Light 1",
            "autofilter": False,
            "columns": [{"header": header} for header in _unique_headers(headers)],
        },
    )
    for offset, (name, *texts, count) in enumerate(entries, start=3):
        contents.write_url(offset, 0, f"internal:'{name}'!A1", formats.link, string=name)
        for column, text in enumerate(texts, start=1):
            contents.write_string(offset, column, text)
        contents.write_number(offset, len(texts) + 1, count)


def _write_notes(notes: Any, formats: _Formats, words: _Words, notes_name: str) -> None:
    """Notes: the markers, with their meaning in each language."""
    notes.write_string(0, 0, notes_name, formats.title)
    notes.write_string(1, 0, words.label(N_("This worksheet contains one table.")))
    notes.set_column(0, 0, 12)
    notes.set_column(1, len(words.languages), 80, formats.wrap)
    meaning = [gettext_in(tag, N_("Meaning")) for tag in words.languages]
    notes.add_table(
        2,
        0,
        2 + len(MARKERS),
        len(meaning),
        {
            "name": "notes",
            "style": "Table Style Light 1",
            "autofilter": False,
            "columns": [{"header": header} for header in _unique_headers([words.label(N_("Marker")), *meaning])],
            "data": [
                [words.label(marker), *(gettext_in(tag, text) for tag in words.languages)] for marker, text in MARKERS
            ],
        },
    )


def _write_table(
    sheet: Any,
    formats: _Formats,
    words: _Words,
    place: tuple[int, str, str],
    resource: dict[str, Any],
    rows: list[list[str]],
    weighted: bool,
) -> None:
    """One indicator table's worksheet: its title, what it holds, its source, then the table. `place` is the
    table's number, its sheet's name and the notes sheet's name."""
    number, name, notes_name = place
    fields = resource["schema"]["fields"]
    header, body = rows[0], rows[1:]
    by_name = {field["name"]: field for field in fields}
    table_titles = _per_language(resource, words)
    title = LABEL_JOIN.join(
        gettext_in(tag, N_("Table {number}: {title}")).format(number=number, title=text)
        for tag, text in zip(words.languages, table_titles, strict=False)
        if text
    )
    sheet.write_string(0, 0, title, formats.title)
    # A weighted table says so in the same row, so that its sheet is laid out as any other's.
    about = (
        N_(
            "This worksheet contains one table of weighted estimates: percentages and their intervals are "
            "weighted and design-based; count and base are unweighted respondents. Markers such as [c] and [u] "
            "are explained in the {notes} worksheet."
        )
        if weighted
        else N_(
            "This worksheet contains one table. Markers such as [c] and [u] are explained in the {notes} worksheet."
        )
    )
    sheet.write_string(1, 0, words.label(about, notes=notes_name))
    sheet.write_string(
        2, 0, words.label(N_("Source: {path} in the data package (datapackage.json)."), path=resource["path"])
    )
    columns = [
        {"header": f"{LABEL_JOIN.join(words.field(by_name.get(column, {}), 'title')) or column} ({column})"}
        for column in header
    ]
    data = [
        [_cell(value, by_name.get(column, {})) for column, value in zip(header, row, strict=True)]
        for row in _marked(header, body)
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


def _keys(value: dict[str, Any], languages: list[str]) -> list[str]:
    """The keys of a per-language mapping (zh, en or zh-Hans) in the order of `languages`, each once."""
    found: list[str] = []
    for tag in languages:
        for key in (tag, tag.split("-", 1)[0]):
            if key in value and key not in found and value[key]:
                found.append(key)
                break
    return found


def _per_language(resource: dict[str, Any], words: _Words) -> list[str]:
    """A resource's title in each of the package's languages ("" where it has none)."""
    own = _text(resource.get("title"))
    texts = [own]
    for tag in words.languages[1:]:
        texts.append(str(((resource.get("translations") or {}).get(tag) or {}).get("title") or ""))
    return texts


def _unique_headers(headers: list[str]) -> list[str]:
    """Excel table headers must differ: a header that repeats (an untranslated one) gets its column number."""
    seen: set[str] = set()
    unique = []
    for number, header in enumerate(headers, start=1):
        unique.append(header if header not in seen else f"{header} ({number})")
        seen.add(header)
    return unique


def write_workbook(package: dict[str, Any], root: Path, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_workbook(package, root))
    return path
