"""SPSS, Stata and workbook microdata, and answers given as option texts: the same frames as the equivalent CSV,
and the same one-line refusals naming file, row (or case), column and value."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import msoffcrypto.format.ooxml
import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml

from surveypress import content as spec
from surveypress.errors import InputError
from surveypress.microdata import load

TINY = Path(__file__).parent / "fixtures" / "tiny"
PEOPLE = "datasets/microdata/people.csv"
CODEBOOK = yaml.safe_load((TINY / "publication" / "codebook.yml").read_text(encoding="utf-8"))
ZH = {q["id"]: {o["code"]: o["zh"] for o in q["options"]} for q in CODEBOOK["questions"]}
EN = {q["id"]: {o["code"]: o["en"] for o in q["options"]} for q in CODEBOOK["questions"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    return tmp_path / "tiny"


def people_text(project: Path) -> pd.DataFrame:
    return pd.read_csv(project / PEOPLE, dtype=str, keep_default_na=False)


def numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """The CSV as SPSS and Stata hold it: numbers, system-missing where the cell is empty."""
    result = frame.copy()
    for column in frame.columns[1:]:
        result[column] = pd.to_numeric(frame[column].replace("", np.nan)).astype(float)
    return result


def point_people_at(project: Path, entry: str) -> None:
    path = project / "publication" / "publication.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("people: datasets/microdata/people.csv", f"people: {entry}", 1), encoding="utf-8")


def people_frame(project: Path) -> pd.DataFrame:
    return load.load_microdata(spec.load_publication(project / "publication"))["people"]


def refusal(project: Path) -> str:
    with pytest.raises(InputError) as caught:
        people_frame(project)
    return str(caught.value.relative_to(project))


def write_workbook(path: Path, rows: list[list[object]], sheets: tuple[str, ...] = ("data",)) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = sheets[0]
    for row in rows:
        workbook.active.append(row)
    for extra in sheets[1:]:
        workbook.create_sheet(extra).append(["notes"])
    workbook.save(path)


def write_ods(path: Path, rows: list[list[str]]) -> None:
    """A minimal OpenDocument spreadsheet (mimetype, manifest, content), as LibreOffice and WPS save them; written
    by hand because no OpenDocument writer is a dependency."""

    def cell(value: str) -> str:
        if not value:
            return "<table:table-cell/>"
        if value.lstrip("-").isdigit():
            number = f'office:value-type="float" office:value="{value}"'
            return f"<table:table-cell {number}><text:p>{value}</text:p></table:table-cell>"
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(value) for value in row) + "</table:table-row>" for row in rows)
    namespaces = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {namespaces} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="data">{body}</table:table></office:spreadsheet>'
        "</office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest'
        ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)


@pytest.mark.parametrize("suffix", [".sav", ".zsav", ".dta", ".xlsx", ".ods"])
def test_spss_stata_and_workbook_microdata_load_as_the_same_frame_as_the_csv(project: Path, suffix: str) -> None:
    expected = people_frame(project)
    frame = people_text(project)
    target = project / f"datasets/microdata/people{suffix}"
    if suffix == ".dta":
        pyreadstat.write_dta(numeric(frame), target)
    elif suffix in (".sav", ".zsav"):
        pyreadstat.write_sav(numeric(frame), target, compress=suffix == ".zsav")
    elif suffix == ".ods":
        write_ods(target, [list(frame.columns), *frame.values.tolist()])
    else:
        rows = [[int(cell) if cell.lstrip("-").isdigit() else (cell or None) for cell in row] for row in frame.values]
        write_workbook(target, [list(frame.columns), *rows])
    point_people_at(project, f"datasets/microdata/people{suffix}")

    pd.testing.assert_frame_equal(people_frame(project), expected)


def test_spss_user_missing_values_become_the_no_answer_code(project: Path) -> None:
    frame = numeric(people_text(project))
    # The office's file says "refused" with -8, declared as a user-missing value; the codebook's no-answer is -9.
    frame["p_used"] = frame["p_used"].replace(-9, -8)
    pyreadstat.write_sav(frame, project / "datasets/microdata/people.sav", missing_ranges={"p_used": [-8]})
    point_people_at(project, "datasets/microdata/people.sav")

    people = people_frame(project).set_index("respondent_id")
    assert people.loc["P-005", "p_used"] == -9


def test_a_bad_code_in_a_sav_file_names_its_spss_case_number(project: Path) -> None:
    frame = numeric(people_text(project))
    frame.loc[2, "p_region"] = 7
    pyreadstat.write_sav(frame, project / "datasets/microdata/people.sav")
    point_people_at(project, "datasets/microdata/people.sav")

    assert refusal(project) == (
        "datasets/microdata/people.sav, case 3, column p_region: value '7': expected one of the codes 1, 2 of question"
        " p_region, or -9 (no answer)"
    )


def test_a_workbook_with_two_sheets_is_read_once_the_sheet_is_named(project: Path) -> None:
    frame = people_text(project)
    rows = [[cell or None for cell in row] for row in frame.values]
    write_workbook(project / "datasets/microdata/people.xlsx", [list(frame.columns), *rows], ("answers", "notes"))
    point_people_at(project, "datasets/microdata/people.xlsx")
    assert refusal(project) == (
        "datasets/microdata/people.xlsx: value '2 sheets: answers, notes': expected a workbook with one sheet. Name the"
        " sheet to read in publication.yml: microdata: {people: {path:"
        " datasets/microdata/people.xlsx, sheet: answers}}"
    )

    publication = (project / "publication" / "publication.yml").read_text(encoding="utf-8")
    publication = publication.replace(
        "people: datasets/microdata/people.xlsx", "people: {path: datasets/microdata/people.xlsx, sheet: answers}"
    )
    (project / "publication" / "publication.yml").write_text(publication, encoding="utf-8")
    assert len(people_frame(project)) == len(frame)


def option_texts(frame: pd.DataFrame, separator: str) -> list[list[str]]:
    """The people microdata as a platform exports it with 'answers as option text': Chinese or English labels,
    the multi-select question in one cell."""
    rows = [["respondent_id", "p_region", "p_used", "p_channels", "p_satisfaction"]]
    for index, row in frame.iterrows():
        labels = ZH if index % 2 else EN
        ticked = [code for code in (1, 2, 3) if row[f"p_channels_{code}"] == "1"]
        channels = "" if row["p_channels_1"] in ("", "-9") else separator.join(labels["p_channels"][c] for c in ticked)
        if row["p_channels_1"] == "-9":
            channels = "-9"

        texts = [row[q] if row[q] in ("", "-9") else labels[q][int(row[q])] for q in ("p_region", "p_used")]
        satisfaction = row["p_satisfaction"]
        if satisfaction not in ("", "-9"):
            satisfaction = labels["p_satisfaction"][int(satisfaction)]
        rows.append([row["respondent_id"], *texts, channels, satisfaction])
    return rows


def test_option_texts_map_to_codes_after_width_and_spaces_are_normalised(project: Path) -> None:
    expected = people_frame(project)
    rows = option_texts(people_text(project), "┋")
    rows[4][1] = " 城镇\u3000"  # stray ASCII and ideographic spaces
    english = next(row for row in rows[1:] if row[4] in EN["p_satisfaction"].values())
    english[4] = english[4].upper().replace("A", "Ａ")  # a full-width letter, another case
    # Rows alternate between English and Chinese labels: texts in any language of the codebook count.
    assert rows[1][1] in EN["p_region"].values() and rows[2][1] in ZH["p_region"].values()
    write_workbook(project / "datasets/microdata/people.xlsx", rows)
    point_people_at(project, "{path: datasets/microdata/people.xlsx, answers: text, multi_separator: ┋}")

    pd.testing.assert_frame_equal(people_frame(project), expected)


def test_an_option_text_that_matches_no_label_is_named_with_the_nearest_label(project: Path) -> None:
    rows = option_texts(people_text(project), "┋")
    rows[4][1] = " 城镇\u3000"
    rows[4][4] = "非常满易"  # a typo: 易 for 意, on spreadsheet row 5 (P-003)
    write_workbook(project / "datasets/microdata/people.xlsx", rows)
    point_people_at(project, "{path: datasets/microdata/people.xlsx, answers: text, multi_separator: ┋}")

    assert refusal(project) == (
        "datasets/microdata/people.xlsx, row 5, column p_satisfaction: value '非常满易': expected an option text of"
        " question p_satisfaction (in any language of the codebook), or -9 (no answer). The nearest label is '非常满意'"
        " (code 1)"
    )


@pytest.mark.parametrize("column", [1, 3], ids=["single", "multi in one cell"])
def test_an_answer_text_that_a_spreadsheet_runs_as_a_formula_is_refused_though_it_matches_a_label(
    project: Path, column: int
) -> None:
    """Answers given as texts are cells of the input file, which release full publishes as it is: a cell that a
    spreadsheet would run is refused like an id, even when, its tab stripped, it reads as an option's label."""
    rows = option_texts(people_text(project), "┋")
    first = next(i for i, row in enumerate(rows) if i and row[column] not in ("", "-9"))
    rows[first][column] = "\t" + rows[first][column]
    write_workbook(project / "datasets/microdata/people.xlsx", rows)
    point_people_at(project, "{path: datasets/microdata/people.xlsx, answers: text, multi_separator: ┋}")

    assert refusal(project) == (
        f"datasets/microdata/people.xlsx, row {first + 1}, column {rows[0][column]}: value {rows[first][column]!r}:"
        " expected an answer that does not start with =, +, - or @. A spreadsheet opening the published file would"
        " run it as a formula; the microdata file is published as it is, so change the text"
    )


def test_an_unknown_option_in_a_multi_select_cell_is_named_with_the_cell(project: Path) -> None:
    rows = option_texts(people_text(project), "|")
    first = next(i for i, row in enumerate(rows) if row[3] not in ("", "-9", "p_channels"))
    rows[first][3] += "|网页"
    write_workbook(project / "datasets/microdata/people.xlsx", rows)
    point_people_at(project, "{path: datasets/microdata/people.xlsx, answers: text, multi_separator: '|'}")

    message = refusal(project)
    assert message.startswith(f"datasets/microdata/people.xlsx, row {first + 1}, column p_channels: value '网页':")
    assert "option texts of question p_channels separated by '|'" in message
    assert "The nearest label is '网站' (code 2)" in message


def test_multi_select_codes_in_one_csv_cell_are_split_into_option_columns(project: Path) -> None:
    expected = people_frame(project)
    frame = people_text(project)
    cells = []
    for _, row in frame.iterrows():
        if row["p_channels_1"] in ("", "-9"):
            cells.append(row["p_channels_1"])
        else:
            cells.append(";".join(str(code) for code in (1, 2, 3) if row[f"p_channels_{code}"] == "1"))
    frame = frame.drop(columns=["p_channels_1", "p_channels_2", "p_channels_3"])
    frame.insert(3, "p_channels", cells)
    frame.to_csv(project / PEOPLE, index=False, lineterminator="\n")
    point_people_at(project, "{path: datasets/microdata/people.csv, multi_separator: ;}")

    pd.testing.assert_frame_equal(people_frame(project), expected)


def test_an_unknown_key_of_a_microdata_entry_is_refused(project: Path) -> None:
    point_people_at(project, "{path: datasets/microdata/people.csv, answer: text}")
    with pytest.raises(InputError) as caught:
        spec.load_publication(project / "publication")
    assert str(caught.value).endswith(
        "column microdata.people: value 'answer': expected only the keys path, sheet, answers, multi_separator"
    )


def test_a_password_protected_workbook_is_named_as_such(project: Path) -> None:
    plain = project / "plain.xlsx"
    write_workbook(plain, [["respondent_id"], ["P-000"]])
    with plain.open("rb") as source, (project / "datasets/microdata/people.xlsx").open("wb") as target:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret", target)
    point_people_at(project, "datasets/microdata/people.xlsx")

    assert refusal(project).startswith(
        "datasets/microdata/people.xlsx: value 'an encrypted (password-protected) workbook': expected a workbook"
        " without a password. Decrypt it first"
    )


def test_a_sheet_named_for_a_file_that_is_not_a_workbook_is_refused(project: Path) -> None:
    point_people_at(project, "{path: datasets/microdata/people.csv, sheet: data}")
    assert refusal(project) == (
        "datasets/microdata/people.csv: value '.csv': expected a workbook (.xlsx, .xlsm, .xls, .ods), because"
        " publication.yml names a sheet. Remove the key microdata.people.sheet, or point path at the workbook"
    )


def test_stata_extended_missing_values_become_the_no_answer_code(project: Path) -> None:
    frame = numeric(people_text(project))
    # Stata marks "refused" with the extended missing value .a, which pyreadstat writes from the letter.
    frame["p_used"] = frame["p_used"].astype(object).where(frame["p_used"] != -9, "a")
    pyreadstat.write_dta(frame, project / "datasets/microdata/people.dta", missing_user_values={"p_used": ["a"]})
    point_people_at(project, "datasets/microdata/people.dta")

    people = people_frame(project).set_index("respondent_id")
    assert people.loc["P-005", "p_used"] == -9
