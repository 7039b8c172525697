"""The registry of input formats (surveypress/formats/) is the one place an extension is known: each extension names
one format, init and the build accept exactly the registry's extensions, and no stage compares a file's extension
with one of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from surveypress import formats, init, init_project, load, schema, spec
from surveypress.errors import InputError

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
    allowed = {"surveypress.errors", "surveypress.i18n", "surveypress.formats"}
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
    return spec.Population("people", spec.Label(texts={"en": "People"}), path, source=spec.Source(sheet=sheet))


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
