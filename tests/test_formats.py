"""The registry of input formats (surveypress/formats/) is the one place an extension is known: each extension names
one format, init and the build accept exactly the registry's extensions, and no stage compares a file's extension
with one of its own.
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from surveypress import content as spec
from surveypress import formats
from surveypress.content import schemas as schema
from surveypress.draft import init
from surveypress.draft import project as init_project
from surveypress.errors import InputError
from surveypress.microdata import load

ENGINE = Path(__file__).resolve().parent.parent / "surveypress"
# Formats the build also writes (downloads, released microdata): their extensions name outputs in the stages too.
WRITTEN = {".csv", ".parquet"}


def test_every_extension_names_one_format_in_lower_case_with_its_dot() -> None:
    named = [extension for item in formats.FORMATS for extension in item.extensions]
    assert len(named) == len(set(named))
    assert set(named) == set(formats.BY_EXTENSION)
    assert all(extension.startswith(".") and extension == extension.lower() for extension in named)
    assert formats.of(Path("survey.SAV")) is formats.of("x.sav") is not None
    assert formats.of("notes.txt") is None


def test_a_second_format_naming_a_known_extension_is_refused() -> None:
    twin = formats.Format(name="Another CSV", extensions=(".csv",), kind="a CSV file")
    with pytest.raises(ValueError, match=r"\.csv is named by both CSV and Another CSV"):
        formats._by_extension([*formats.FORMATS, twin])


def test_no_stage_compares_an_extension_of_its_own() -> None:
    """Outside formats/, no string in the engine is an input format's extension (CSV and Parquet, which the build
    also writes, excepted): a stage that chooses by extension asks the registry."""
    input_only = set(formats.BY_EXTENSION) - WRITTEN
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        if "formats" in path.relative_to(ENGINE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in input_only:
                found.append(f"{path.relative_to(ENGINE)}:{node.lineno}: {node.value}")
    assert found == []


def test_no_format_module_imports_a_stage() -> None:
    allowed = {"surveypress.errors", "surveypress.i18n", "surveypress.languages", "surveypress.formats"}
    for path in sorted((ENGINE / "formats").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("surveypress"):
                module = node.module or ""
                assert any(module == item or module.startswith(item + ".") for item in allowed), (path.name, module)


@pytest.mark.parametrize("extension", formats.extensions())
def test_init_names_every_extension_of_the_registry_when_it_refuses_a_file(extension: str) -> None:
    with pytest.raises(InputError) as refused:
        init.draft(Path("missing-file"), "missing-file", init.parser().parse_args(["missing-file"]))
    assert extension in str(refused.value)


def population(path: Path, sheet: str | None = None) -> spec.Population:
    return spec.Population(
        "people", spec.Label(texts={"en": "People"}), path, source=spec.Source(path=path.name, sheet=sheet)
    )


@pytest.mark.parametrize("extension", formats.extensions())
def test_the_build_accepts_exactly_the_extensions_of_formats_it_reads(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"people{extension.upper()}"
    path.write_text("respondent_id\nP-1\n", encoding="utf-8")
    form = formats.of(path)
    assert form is not None
    if form.build:
        assert load.checked_file(population(path), tmp_path, 1 << 20) == (path, path.name)
        assert extension in schema.Source.model_fields["path"].description
    else:
        with pytest.raises(InputError, match="expected a file ending in"):
            load.checked_file(population(path), tmp_path, 1 << 20)


def test_only_workbooks_take_a_sheet(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("respondent_id\nP-1\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        load.checked_file(population(path, sheet="answers"), tmp_path, 1 << 20)
    assert "expected a workbook (.xlsx, .xlsm, .xls, .ods), because publication.yml names a sheet" in str(refused.value)


def test_the_drafted_gitignore_keeps_out_the_files_of_every_confidential_format() -> None:
    text = init_project.gitignore("publication")
    confidential = formats.extensions(lambda item: item.confidential)
    assert {".sav", ".zsav", ".dta"} <= set(confidential)
    assert all(f"*{extension}\n" in text for extension in confidential)


def test_each_format_gives_init_a_way_to_read_it() -> None:
    for item in formats.FORMATS:
        assert item.labels is not None or item.stream is not None or item.form is not None, item.name
        assert item.read is not None or item in (formats.CSV, formats.PARQUET) or not item.build, item.name


def test_a_legacy_workbook_is_the_one_format_whose_cells_cannot_be_checked_for_formulas() -> None:
    assert formats.extensions(lambda item: not item.formulas_checked) == [".xls"]


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:spreadsheet>
<table:table table:name="answers"><table:table-row><table:table-cell/></table:table-row></table:table>
<table:table table:name="notes"><table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>
<table:table-row><table:table-cell table:number-columns-repeated="2"/>
<table:table-cell table:formula="of:=HYPERLINK(&quot;http://evil.example/&quot;)"/></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"""


def test_a_workbook_released_in_full_is_checked_for_formulas_in_every_sheet_and_for_macros(tmp_path) -> None:
    """Release full publishes the whole file: a formula in a sheet the build does not read is refused with its sheet,
    cell and formula (OpenDocument here; tests/fixtures/bad_inputs has the .xlsx and .xlsm cases)."""
    import zipfile

    from surveypress.formats.calamine import ods_formula

    ods = tmp_path / "people.ods"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", ODS_CONTENT)
    with zipfile.ZipFile(ods) as archive:
        assert ods_formula(archive, "answers") is None  # the sheet the build reads is clean
    with pytest.raises(InputError) as caught:
        formats.of(ods).released_whole(ods, "people.ods")
    assert (caught.value.row, caught.value.column) == (3, "C of sheet 'notes'")
    assert caught.value.value == '=HYPERLINK("http://evil.example/")'
    with zipfile.ZipFile(ods, "a") as archive:
        archive.writestr("Basic/Standard/Module1.xml", "<module/>")
    with pytest.raises(InputError, match="without macros"):
        formats.of(ods).released_whole(ods, "people.ods")
    assert all(item.released_whole is not None for item in formats.FORMATS if item.sheets and item.formulas_checked)


def test_a_sheet_found_through_a_relative_target_is_still_checked_for_formulas(tmp_path) -> None:
    """A relationship target `./worksheets/sheet1.xml` names the same part as `worksheets/sheet1.xml`: the check
    must find it rather than pass the sheet unchecked."""
    import zipfile

    from surveypress.formats.calamine import ooxml_formula

    source = Path(__file__).parent / "fixtures" / "bad_inputs" / "files" / "people_formula_value.xlsx"
    moved = tmp_path / "people.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(moved, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b'Target="worksheets/', b'Target="./worksheets/').replace(
                    b'Target="/xl/worksheets/', b'Target="./worksheets/'
                )
                assert b"./worksheets/" in data
            new.writestr(item, data)
    with zipfile.ZipFile(moved) as archive:
        assert ooxml_formula(archive, "Sheet1") is not None


# ---------------------------------------------------------------------------------------------------------------
# SAS transport files: the format added through the registry alone.


def nhanes_like(path: Path, version: int = 5) -> Path:
    """A seeded SAS transport file shaped like an NHANES demographics file: SEQN, coded answers, an age; labels on
    the variables, none on the values (a transport file carries none)."""
    generator = np.random.default_rng(24)
    frame = pd.DataFrame(
        {
            "SEQN": np.arange(93703, 93743, dtype=float),
            "RIAGENDR": generator.integers(1, 3, 40).astype(float),
            "DMDEDUC2": generator.integers(1, 6, 40).astype(float),
            "RIDAGEYR": generator.integers(18, 80, 40).astype(float),
        }
    )
    labels = {"SEQN": "Respondent sequence number", "RIAGENDR": "Gender", "DMDEDUC2": "Education level"}
    pyreadstat.write_xport(frame, path, column_labels=labels, table_name="DEMO", file_format_version=version)
    return path


def run_init(project: Path, *arguments: str) -> tuple[int, str]:
    report = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        code = init.main([*arguments, "--content", str(project / "publication")], stream=report)
    return code, report.getvalue()


@pytest.mark.parametrize("version", [5, 8])
def test_init_drafts_a_sas_transport_file_as_data_with_its_variable_labels_and_says_so(
    tmp_path: Path, version: int
) -> None:
    source = nhanes_like(tmp_path / "demo.xpt", version)
    code, report = run_init(tmp_path, str(source), "--id-column", "SEQN")
    assert code == 0, report
    assert "demo.xpt: a SAS transport file holds no value labels" in report
    codebook = yaml.safe_load((tmp_path / "publication" / "codebook.yml").read_text(encoding="utf-8"))
    texts = {question["id"]: question["text"]["en"] for question in codebook["questions"]}
    assert texts == {"riagendr": "Gender", "dmdeduc2": "Education level", "ridageyr": "TODO: RIDAGEYR"}
    microdata = (tmp_path / "datasets" / "microdata" / "demo.csv").read_text(encoding="utf-8").splitlines()
    assert microdata[0] == "respondent_id,riagendr,dmdeduc2,ridageyr" and microdata[1].startswith("93703,")
    assert "*.xpt\n" in (tmp_path / ".gitignore").read_text(encoding="utf-8")


def test_a_sas_transport_file_cut_off_inside_a_record_is_refused_by_init_as_by_the_build(tmp_path: Path) -> None:
    whole = nhanes_like(tmp_path / "whole.xpt").read_bytes()
    (tmp_path / "demo.xpt").write_bytes(whole[:-30])
    code, report = run_init(tmp_path, str(tmp_path / "demo.xpt"), "--id-column", "SEQN")
    assert code == 2
    assert report.splitlines()[-1].endswith(
        f"demo.xpt: value '{len(whole) - 30:,} bytes: {len(whole) // 80 - 1} records and 50 bytes more': expected a"
        " SAS transport .xpt file made of whole 80-byte records. The file was cut off (a failed copy or download);"
        " copy or export it again"
    )
    assert not (tmp_path / "publication").exists()


def test_a_file_named_xpt_that_is_not_one_is_refused_naming_what_pyreadstat_said(tmp_path: Path) -> None:
    (tmp_path / "demo.xpt").write_bytes(b"respondent_id,region\n".ljust(160, b" "))
    code, report = run_init(tmp_path, str(tmp_path / "demo.xpt"))
    assert code == 2
    assert "expected a SAS transport .xpt file that pyreadstat can read" in report.splitlines()[-1]
