"""Downloads that open right: every published CSV starts with a UTF-8 byte-order mark (Excel on Chinese Windows then
shows Chinese, not mojibake), and pandas, csvkit, frictionless and DuckDB read every one with the same header and
cells as a plain UTF-8 reader; the indicator workbook follows the Analysis Function's layout sheet by sheet and
two builds of it give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import xlsxwriter.exceptions
from frictionless import Resource

from surveypress.publish import workbook

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
CSVS = [resource["path"] for resource in PACKAGE["resources"]]
CSVFORMAT = Path(sys.executable).parent / "csvformat"
BOM = b"\xef\xbb\xbf"


def expected(path: Path) -> list[list[str]]:
    """The file as the csv module reads it once the mark is removed: what every reader should see."""
    data = path.read_bytes()
    assert data.startswith(BOM), path
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def test_every_resource_of_the_package_is_a_csv_with_a_byte_order_mark() -> None:
    assert len(CSVS) >= 30
    assert all((ROOT / path).read_bytes().startswith(BOM) for path in CSVS)


@pytest.mark.parametrize("relative", CSVS)
def test_pandas_csvkit_frictionless_and_duckdb_read_the_csv_unchanged(relative: str) -> None:
    path = ROOT / relative
    rows = expected(path)
    header, body = rows[0], rows[1:]
    assert not header[0].startswith("\ufeff")

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == header
    assert frame.values.tolist() == body

    # csvkit: csvformat rewrites the file as plain CSV; with the mark read as text, the first column name would change.
    done = subprocess.run([str(CSVFORMAT), str(path)], capture_output=True, check=True, timeout=60)
    assert list(csv.reader(io.StringIO(done.stdout.decode("utf-8"), newline=""))) == rows

    with Resource(str(path)) as resource:
        cells = list(resource.cell_stream)
    assert [["" if cell is None else str(cell) for cell in row] for row in cells] == rows

    found = duckdb.read_csv(str(path), header=True, all_varchar=True)
    assert found.columns == header
    assert [["" if cell is None else cell for cell in row] for row in found.fetchall()] == body


@pytest.fixture(scope="module")
def book_bytes() -> bytes:
    return workbook.build_workbook(PACKAGE, ROOT)


def test_the_workbook_is_the_same_bytes_when_built_twice_and_carries_no_clock_time(book_bytes: bytes) -> None:
    assert workbook.build_workbook(PACKAGE, ROOT) == book_bytes
    with zipfile.ZipFile(io.BytesIO(book_bytes)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert f'<dcterms:created xsi:type="dcterms:W3CDTF">{PACKAGE["created"]}</dcterms:created>' in core
    assert f'<dcterms:modified xsi:type="dcterms:W3CDTF">{PACKAGE["created"]}</dcterms:modified>' in core


def test_the_workbook_is_the_bytes_xlsxwriter_writes_with_its_own_sheet_name_check(
    book_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # workbook._Workbook only makes adding a sheet constant-time (issue 22); the file must not change.
    monkeypatch.setattr(workbook, "_Workbook", xlsxwriter.Workbook)
    assert workbook.build_workbook(PACKAGE, ROOT) == book_bytes


def test_the_workbook_refuses_a_sheet_name_taken_in_another_case() -> None:
    book = workbook._Workbook(io.BytesIO(), {"in_memory": True})
    book.add_worksheet("Cover")
    with pytest.raises(xlsxwriter.exceptions.DuplicateWorksheetName):
        book.add_worksheet("cover")
    with pytest.raises(xlsxwriter.exceptions.InvalidWorksheetName):
        book.add_worksheet("x" * 32)
    book.close()


def test_the_workbook_has_cover_contents_notes_then_one_table_per_indicator(book_bytes: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(book_bytes))
    indicators = [resource for resource in PACKAGE["resources"] if resource["kind"] == "indicator"]
    assert book.sheetnames[:3] == ["封面 Cover", "目录 Contents", "说明 Notes"]
    assert len(book.sheetnames) == 3 + len(indicators)

    for sheet in book.worksheets:
        # Title in A1, nothing merged, and no blank row anywhere above the last used one.
        assert sheet["A1"].value, sheet.title
        assert not sheet.merged_cells.ranges, sheet.title
        for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row):
            assert any(cell.value not in (None, "") for cell in row), (sheet.title, row[0].row)

    cover_text = "\n".join(str(row[0].value) for row in book["封面 Cover"].iter_rows())
    assert PACKAGE["title"] in cover_text
    assert PACKAGE["version"] in cover_text
    assert "synthetic" in cover_text.lower()
    assert "Notes worksheet" in cover_text

    notes = {row[0]: row[1] for row in book["说明 Notes"].iter_rows(min_row=4, values_only=True)}
    assert {"[c]", "[u]", "[x]", "[z]"} <= set(notes)

    contents = book["目录 Contents"]
    assert set(contents.tables) == {"contents"}
    listed = [row[0] for row in contents.iter_rows(min_row=4, values_only=True)]
    assert listed == book.sheetnames[2:]
    for row in contents.iter_rows(min_row=4):
        assert row[0].hyperlink is not None and row[0].value in row[0].hyperlink.location

    for resource, name in zip(indicators, book.sheetnames[3:], strict=True):
        sheet = book[name]
        assert len(sheet.tables) == 1, name
        table = next(iter(sheet.tables.values()))
        assert table.ref.startswith("A4:"), name
        rows = expected(ROOT / resource["path"])
        header = [cell.value for cell in sheet[4]]
        assert [text.rsplit(" (", 1)[1].rstrip(")") for text in header] == rows[0]
        body = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=5)]
        assert len(body) == len(rows) - 1
        suppression = rows[0].index("suppression") if "suppression" in rows[0] else None
        for cells, written in zip(body, rows[1:], strict=True):
            for value, text in zip(cells, written, strict=True):
                if isinstance(value, int | float):
                    assert float(text) == pytest.approx(value), (name, text)
                elif value == "[c]" and text == "":
                    # The CSV leaves a suppressed number blank (the row says why); the workbook marks the cell.
                    assert suppression is not None and written[suppression] != "none", name
                else:
                    assert (value or "") == text, name
        # Counts and bases are numbers a spreadsheet can add up; suppressed cells say [c].
        count = rows[0].index("count")
        assert all(isinstance(row[count], int) or row[count] == "[c]" for row in body), name


def test_the_workbook_speaks_the_primary_language_with_english_beside_it(book_bytes: bytes) -> None:
    """One workbook for both editions: Chinese first, English beside it, in every label a reader meets."""
    book = openpyxl.load_workbook(io.BytesIO(book_bytes))
    cover = [row[0].value for row in book["封面 Cover"].iter_rows()]
    assert cover[0] == PACKAGE["title"] and cover[1] == PACKAGE["translations"]["en"]["title"]
    assert "合成数据 / Synthetic data" in cover
    assert any("合成重建" in line for line in cover) and any("synthetic reconstruction" in line for line in cover)

    notes = list(book["说明 Notes"].iter_rows(min_row=3, values_only=True))
    assert notes[0] == ("标记 / Marker", "含义", "Meaning")
    assert notes[1][0] == "[c]" and notes[1][1].startswith("保密") and notes[1][2].startswith("Confidential")

    indicators = [resource for resource in PACKAGE["resources"] if resource["kind"] == "indicator"]
    contents = list(book["目录 Contents"].iter_rows(min_row=4, max_row=3 + len(indicators) + 1, values_only=True))
    for resource, row in zip(indicators, contents[1:], strict=True):
        assert row[1:3] == (resource["title"], resource["translations"]["en"]["title"])

    first = book[book.sheetnames[3]]
    title = indicators[0]["title"]
    assert first["A1"].value == f"表 1：{title} / Table 1: {indicators[0]['translations']['en']['title']}"
    headers = [cell.value for cell in first[4]]
    assert "人数 / Count (count)" in headers
