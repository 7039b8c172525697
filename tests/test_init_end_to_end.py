"""`surveypress init FILE` then `surveypress build`, once per kind of input init reads: every kind gives a site, a
valid data package and, for an English-only publication, no Chinese character on any page.

Each input is a small survey of 50 respondents made here (text answers, codes, a multi-select question, an age); an
XLSForm holds no answers, so its data export is put where publication.yml says, as README's recipe tells.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import test_init  # the SPSS, Stata and XLSForm files of the tiny fixture's people
from axe_check import axe_violations

ROOT = Path(__file__).resolve().parent.parent
HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
KINDS = ["csv", "tsv", "parquet", "excel-data", "spss", "stata", "sas", "xlsform"]
# The SAS transport file's variable labels become question texts: two of them hold markup, which every page must
# show as text.
MARKUP_LABELS = {
    "region": "Region <script>alert(1)</script>",
    "used": "Used [online](javascript:alert(1)) **services**",
}


def answers() -> pd.DataFrame:
    """50 respondents as a survey platform exports them: text answers, codes, a multi-select cell, an age."""
    generator = np.random.default_rng(2024)
    used = generator.choice(["Yes", "No"], 50, p=[0.7, 0.3])
    channels = [
        " ".join(sorted(generator.choice(["app", "web", "kiosk"], generator.integers(1, 3), replace=False)))
        if answer == "Yes"
        else ""
        for answer in used
    ]
    return pd.DataFrame(
        {
            "respondent_id": [f"R-{number:03d}" for number in range(1, 51)],
            "region": generator.integers(1, 4, 50),
            "used": used,
            "channels": channels,
            "satisfaction": generator.choice(["Very satisfied", "Satisfied", "Not satisfied"], 50),
            "age": generator.integers(18, 90, 50),
            "help_1": generator.integers(0, 2, 50),
            "help_2": generator.integers(0, 2, 50),
            "comment": [f"My own words, number {number}" for number in range(1, 51)],
        }
    )


def xlsform_project(project: Path) -> Path:
    """The tiny fixture's XLSForm, titled in English, and its data export as a workbook."""
    source = project / "form.xlsx"
    test_init.xlsform(source)
    workbook = openpyxl.load_workbook(source)
    workbook["settings"]["A2"] = "Tiny test survey"
    workbook.save(source)
    return source


def place_xlsform_data(project: Path) -> None:
    """What README says to do after init from an XLSForm: put the data export where publication.yml says."""
    frame = pd.read_csv(test_init.PEOPLE_CSV, dtype=str, keep_default_na=False)
    target = project / "datasets" / "microdata" / "people.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(frame.to_csv(index=False), encoding="utf-8")


def make_source(kind: str, project: Path) -> Path:
    frame = answers()
    if kind == "csv":
        frame.to_csv(source := project / "people.csv", index=False)
    elif kind == "tsv":
        frame.to_csv(source := project / "people.tsv", index=False, sep="\t")
    elif kind == "parquet":
        frame.replace({"channels": {"": None}}).to_parquet(source := project / "people.parquet", index=False)
    elif kind == "excel-data":
        frame.to_excel(source := project / "people.xlsx", index=False, engine="xlsxwriter")
    elif kind == "spss":
        pyreadstat.write_sav(
            test_init.people(),
            source := project / "people.sav",
            file_label="Tiny test survey",
            column_labels=test_init.variable_labels("en"),
            variable_value_labels=test_init.value_labels("en", "No answer"),
        )
    elif kind == "stata":
        pyreadstat.write_dta(
            test_init.people(),
            source := project / "people.dta",
            file_label="Tiny test survey",
            column_labels=test_init.variable_labels("en"),
            variable_value_labels=test_init.value_labels("en", "No answer"),
        )
    elif kind == "sas":
        pyreadstat.write_xport(
            frame,
            source := project / "people.xpt",
            file_label="Tiny test survey",
            column_labels=MARKUP_LABELS,
            table_name="PEOPLE",
            file_format_version=8,
        )
    else:
        source = xlsform_project(project)
    return source


def surveypress(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    """The `surveypress` command as a person runs it, in the project folder, with this checkout's engine."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1767225600"}
    command = [sys.executable, "-m", "surveypress", *arguments]
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module", params=KINDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp(request.param) / "my-survey"
    project.mkdir()
    source = make_source(request.param, project)
    drafted = surveypress(project, "init", source.name, "--population", "people", "--languages", "en")
    assert drafted.returncode == 0, drafted.stderr
    if request.param == "xlsform":
        place_xlsform_data(project)
    result = surveypress(project, "build")
    assert result.returncode == 0, result.stderr[-3000:]
    return project


def test_init_then_build_gives_a_site_and_a_valid_data_package(built: Path) -> None:
    assert (built / "site" / "index.html").is_file()
    frictionless = Path(sys.executable).parent / "frictionless"
    result = subprocess.run(
        [str(frictionless), "validate", "datapackage.json"], cwd=built, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_an_english_only_publication_has_no_chinese_character_on_any_page(built: Path) -> None:
    pages = sorted((built / "site").rglob("*.html"))
    assert pages
    with_han = [page.relative_to(built).as_posix() for page in pages if HAN.search(page.read_text(encoding="utf-8"))]
    assert with_han == []


# The site's look comes from the surveypress MkDocs plugin, which the mkdocs.yml init drafts loads.
def test_the_drafted_site_links_the_plugin_stylesheet_and_no_made_with_material_footer(built: Path) -> None:
    index = (built / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="assets/stylesheets/site.css' in index
    assert "Made with" not in index


def test_labels_from_the_file_are_shown_as_text_never_run(built: Path) -> None:
    pages = {page: page.read_text(encoding="utf-8") for page in sorted((built / "site").rglob("*.html"))}
    assert not [page for page, text in pages.items() if "<script>alert" in text or 'href="javascript:' in text]
    if (built / "people.xpt").is_file():  # the SAS transport file's labels are the question texts
        shown = "\n".join(pages.values())
        assert "Region &lt;script&gt;alert&#40;1&#41;&lt;/script&gt;" in shown


@pytest.mark.browser
def test_axe_finds_no_wcag_22_aa_violation_on_the_drafted_front_page(built: Path, chromium, axe_script, page_weight):
    """The drafted site of each kind of input, opened in headless Chromium: its front page passes axe (WCAG 2.2 AA).
    Reads the build the other tests of this module made, so no input kind is built twice."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
    try:
        with page_weight.serve(built / "site") as base:
            page = context.new_page()
            page.goto(base + "index.html", wait_until="load")
            assert axe_violations(page, axe_script) == []
    finally:
        context.close()
