"""`surveypress init`: from a labelled SPSS or Stata file, or an XLSForm, to a content folder that builds the same
tables as the equivalent CSV with a hand-written codebook, and a site whose pages show every chart as a draft."""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml

from surveypress import build
from surveypress import content as spec
from surveypress.draft import init
from surveypress.draft import labelled as init_labelled
from surveypress.draft import model as init_draft
from surveypress.formats import readstat
from surveypress.microdata import tracking

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
PEOPLE_CSV = TINY / "datasets" / "microdata" / "people.csv"
CODEBOOK = yaml.safe_load((TINY / "publication" / "codebook.yml").read_text(encoding="utf-8"))
PEOPLE_QUESTIONS = [q for q in CODEBOOK["questions"] if q["population"] == "people"]
LABELS = {q["id"]: {o["code"]: o for o in q["options"]} for q in PEOPLE_QUESTIONS}
TEXTS = {q["id"]: q["text"] for q in PEOPLE_QUESTIONS}


def people() -> pd.DataFrame:
    """The tiny fixture's people as SPSS and Stata hold them: numbers, system-missing where not asked."""
    frame = pd.read_csv(PEOPLE_CSV, dtype=str, keep_default_na=False)
    for column in frame.columns[1:]:
        frame[column] = pd.to_numeric(frame[column].replace("", np.nan)).astype(float)
    return frame


def variable_labels(language: str) -> dict[str, str]:
    labels = {"respondent_id": "ID"}
    for question in PEOPLE_QUESTIONS:
        if question["type"] == "multi":
            for option in question["options"]:
                separator = "：" if language == "zh" else ": "
                labels[f"{question['id']}_{option['code']}"] = question["text"][language] + separator + option[language]
        else:
            labels[question["id"]] = question["text"][language]
    return labels


def value_labels(language: str, no_answer: str) -> dict[str, dict[int, str]]:
    return {
        question["id"]: {**{o["code"]: o[language] for o in question["options"]}, -9: no_answer}
        for question in PEOPLE_QUESTIONS
        if question["type"] != "multi"
    }


def hand_written(root: Path) -> Path:
    """The reference: the tiny fixture's people, their CSV and hand-written codebook, one indicator per question."""
    project = root / "reference"
    shutil.copytree(TINY, project)
    content = project / "publication"
    codebook = {**CODEBOOK, "questions": PEOPLE_QUESTIONS}
    codebook["populations"] = {"people": CODEBOOK["populations"]["people"]}
    (content / "codebook.yml").write_text(yaml.safe_dump(codebook, allow_unicode=True), encoding="utf-8")
    indicators = [{"id": q["id"], "question": q["id"], "title": q["text"]} for q in PEOPLE_QUESTIONS]
    (content / "indicators.yml").write_text(
        yaml.safe_dump({"breakdowns": {"people": []}, "indicators": indicators}, allow_unicode=True), encoding="utf-8"
    )
    publication = (content / "publication.yml").read_text(encoding="utf-8")
    publication = publication.replace("  firms: datasets/microdata/firms.csv\n", "").replace(
        "    firms: [f_size]\n", ""
    )
    (content / "publication.yml").write_text(publication, encoding="utf-8")
    figures = (content / "published_figures.csv").read_text(encoding="utf-8").splitlines()[0]
    (content / "published_figures.csv").write_text(figures + "\n", encoding="utf-8")
    (project / "datasets" / "microdata" / "firms.csv").unlink()
    return project


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = hand_written(tmp_path_factory.mktemp("reference"))
    build.build(project / "publication", stream=io.StringIO())
    return project


def run_init(project: Path, source: Path, *options: str) -> tuple[int, str]:
    stream = io.StringIO()
    code = init.main([str(source), "--content", str(project / "publication"), *options], stream=stream)
    return code, stream.getvalue()


def built(project: Path) -> Path:
    build.build(project / "publication", stream=io.StringIO())
    return project


def table(project: Path) -> str:
    return (project / "datasets" / "indicators.csv").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def from_sav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A labelled SPSS file with Chinese labels, -9 declared user-missing, 0/1 columns for the multi question."""
    project = tmp_path_factory.mktemp("sav") / "project"
    project.mkdir()
    source = project / "people.sav"
    labels = value_labels("zh", "未回答")
    labels["p_region"][99] = "不知道"  # a positive user-missing code, as many SPSS files have
    pyreadstat.write_sav(
        people(),
        source,
        file_label="小型测试调查",
        column_labels=variable_labels("zh"),
        variable_value_labels=labels,
        missing_ranges={"p_used": [-9], "p_satisfaction": [-9], "p_region": [-9, 99]},
        variable_measure={"p_satisfaction": "ordinal"},
    )
    code, report = run_init(project, source, "--population", "people", "--languages", "zh-Hans,en")
    assert code == 0, report
    return built(project)


def test_init_from_a_labelled_sav_builds_the_tables_of_the_hand_written_codebook(from_sav: Path, reference: Path):
    # The file's labels are Chinese (the English ones are TODO), so compare the figures and the Chinese labels.
    columns = ["indicator", "breakdown", "group", "group_label", "category", "category_label", "count", "base"]
    columns += ["percent", "ci_low", "ci_high", "flags"]
    drafted = pd.read_csv(from_sav / "datasets" / "indicators.csv", dtype=str)[columns]
    expected = pd.read_csv(reference / "datasets" / "indicators.csv", dtype=str)[columns]
    pd.testing.assert_frame_equal(drafted, expected)


def test_init_drafts_the_codebook_from_spss_labels_missing_values_and_multi_columns(from_sav: Path) -> None:
    codebook = yaml.safe_load((from_sav / "publication" / "codebook.yml").read_text(encoding="utf-8"))
    questions = {q["id"]: q for q in codebook["questions"]}
    assert list(questions) == [q["id"] for q in PEOPLE_QUESTIONS]
    assert codebook["missing"] == {"no_answer": -9}
    assert questions["p_region"]["text"] == {"zh-Hans": "居住地", "en": "TODO: 居住地"}
    assert [option["code"] for option in questions["p_region"]["options"]] == [1, 2]  # 99 is user-missing
    assert questions["p_satisfaction"]["type"] == "scale"  # SPSS measure: ordinal
    assert questions["p_channels"]["type"] == "multi"
    assert questions["p_channels"]["text"]["zh-Hans"] == "通过哪些渠道办事"
    assert [o["zh-Hans"] for o in questions["p_channels"]["options"]] == ["手机应用", "网站", "自助终端"]
    # Who was asked is read off the data, and marked for a person to confirm.
    assert questions["p_channels"]["universe"] == {"question": "p_used", "codes": [1]}
    assert questions["p_satisfaction"]["universe"] == {"question": "p_channels", "codes": [1, 2]}
    text = (from_sav / "publication" / "codebook.yml").read_text(encoding="utf-8")
    assert "- id: p_channels  # universe inferred from the data" in text


def test_init_writes_every_required_publication_key_with_todo_where_a_person_must_answer(from_sav: Path) -> None:
    text = (from_sav / "publication" / "publication.yml").read_text(encoding="utf-8")
    meta = yaml.safe_load(text)
    assert meta["languages"] == ["zh-Hans", "en"]
    assert meta["title"] == {"zh-Hans": "小型测试调查", "en": "TODO: 小型测试调查"}
    assert meta["microdata"] == {"people": "datasets/microdata/people.csv"}
    assert {"name", "version", "description", "licenses", "sources", "contributors", "disclosure"} <= set(meta)
    assert "# TODO: the questions that together could identify someone" in text


def test_the_drafted_site_shows_every_chart_under_a_draft_banner(from_sav: Path) -> None:
    charts = yaml.safe_load((from_sav / "publication" / "charts.yml").read_text(encoding="utf-8"))["charts"]
    indicators = yaml.safe_load((from_sav / "publication" / "indicators.yml").read_text(encoding="utf-8"))
    assert [c["id"] for c in charts] == [i["id"] for i in indicators["indicators"]] == list(LABELS)
    page = (from_sav / "docs" / "questions.md").read_text(encoding="utf-8")
    assert '!!! warning "草稿"' in page
    for chart in charts:
        assert f'<figure class="sp-chart" id="chart-{chart["id"]}">' in page
        assert (from_sav / "docs" / "assets" / "charts" / f"{chart['id']}.svg").is_file()
    index = (from_sav / "docs" / "index.md").read_text(encoding="utf-8")
    assert "# 小型测试调查" in index and "(questions.md)" in index and "downloads/people-0.1.0.zip" in index
    assert (from_sav / "datapackage.json").is_file()


def test_every_declared_language_gets_every_page_a_publication_needs(from_sav: Path) -> None:
    pages = ["index.md", "questions.md", "methods.md", "downloads.md", "changelog.md", "cite.md"]
    for edition in (from_sav / "docs", from_sav / "docs" / "en"):
        assert sorted(path.name for path in edition.glob("*.md")) == sorted(pages)
    english = (from_sav / "docs" / "en" / "methods.md").read_text(encoding="utf-8")
    assert "# Methods" in english and not init_draft.CJK.search(english.split("\n", 1)[1])
    assert "# 方法说明" in (from_sav / "docs" / "methods.md").read_text(encoding="utf-8")
    meta = yaml.safe_load((from_sav / "publication" / "publication.yml").read_text(encoding="utf-8"))
    menu = meta["navigation"]
    assert [item["page"] for item in menu[:2]] == ["index", "questions"]
    assert [item["page"] for item in menu[2]["pages"]] == ["methods", "downloads", "changelog", "cite"]
    assert menu[2]["section"] == {"zh-Hans": "数据与方法", "en": "Data and methods"}


def test_the_drafted_mkdocs_yml_has_the_repositorys_own_site_settings(from_sav: Path) -> None:
    class Loader(yaml.SafeLoader):
        pass

    # MkDocs reads python tags (the toc slugify function); compared here as what they name.
    Loader.add_multi_constructor(
        "tag:yaml.org,2002:python/", lambda loader, suffix, node: (suffix, loader.construct_mapping(node, deep=True))
    )
    drafted = yaml.load((from_sav / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    repository = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    repository.pop("site_author")
    assert drafted == repository
    assert drafted["INHERIT"] == "mkdocs.generated.yml" and drafted["extra"] == {"generator": False}
    generated = yaml.safe_load((from_sav / "mkdocs.generated.yml").read_text(encoding="utf-8"))
    assert "surveypress" in generated["plugins"] and generated["site_name"] == "小型测试调查"


def git(project: Path, *words: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *words], cwd=project, capture_output=True, text=True, check=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_drafted_gitignore_keeps_the_microdata_out_and_a_build_warns_once_git_tracks_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    assert run_init(project, labelled_sav(project / "people.sav"), "--population", "people")[0] == 0
    git(project, "init", "-q")
    git(project, "add", ".")
    tracked = git(project, "ls-files").stdout.splitlines()
    assert "publication/codebook.yml" in tracked and "mkdocs.yml" in tracked
    assert not [path for path in tracked if path.startswith("datasets/") or path.endswith(".sav")]
    pub = spec.load_publication(project / "publication")
    assert tracking.tracked_confidential(pub) == []

    git(project, "add", "--force", "datasets/microdata/people.csv")
    stream = io.StringIO()
    with init.i18n.language("en"):
        code = build.main(["--content", str(project / "publication"), "--no-site"], stream=stream, site=True)
    assert code == 0, stream.getvalue()
    warnings = [line for line in stream.getvalue().splitlines() if line.startswith("warning")]
    assert warnings == [
        "warning    datasets/microdata/people.csv is confidential microdata and git tracks it: whoever gets the"
        " repository reads every answer. Run git rm --cached datasets/microdata/people.csv and keep it in"
        " .gitignore, or declare it releasable in publication.yml (synthetic: true, or release: full with a"
        " legal_basis)"
    ]
    # Declared releasable, it may be tracked: no warning.
    meta = project / "publication" / "publication.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("synthetic: false", "synthetic: true"), encoding="utf-8")
    assert tracking.warn_if_tracked(spec.load_publication(project / "publication"), io.StringIO()) == []


def test_no_warning_about_tracked_microdata_outside_a_git_work_tree(from_sav: Path) -> None:
    stream = io.StringIO()
    assert tracking.warn_if_tracked(spec.load_publication(from_sav / "publication"), stream) == []
    assert stream.getvalue() == ""


def test_rerunning_init_on_a_changed_file_reports_the_difference_and_keeps_hand_edits(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    source = project / "people.sav"
    labels = value_labels("zh", "未回答")
    pyreadstat.write_sav(people(), source, column_labels=variable_labels("zh"), variable_value_labels=labels)
    assert run_init(project, source, "--population", "people")[0] == 0
    charts = project / "publication" / "charts.yml"
    edited = charts.read_text(encoding="utf-8").replace("title: '{{ \"居住地\" }}'", "title: 城乡各半")
    charts.write_text(edited, encoding="utf-8")

    labels["p_region"][2] = "乡村"
    pyreadstat.write_sav(people(), source, column_labels=variable_labels("zh"), variable_value_labels=labels)
    code, report = run_init(project, source, "--population", "people")

    assert code == 1
    assert "differs   publication/codebook.yml" in report
    assert "-  - {code: 2, zh-Hans: 农村}" in report and "+  - {code: 2, zh-Hans: 乡村}" in report
    assert "differs   publication/charts.yml" in report
    assert "unchanged publication/indicators.yml" in report
    assert charts.read_text(encoding="utf-8") == edited
    assert "农村" in (project / "publication" / "codebook.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def from_dta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Stata file with English labels and -9 labelled 'No answer' (Stata has no user-missing codes of that kind)."""
    project = tmp_path_factory.mktemp("dta") / "project"
    project.mkdir()
    source = project / "people.dta"
    pyreadstat.write_dta(
        people(), source, column_labels=variable_labels("en"), variable_value_labels=value_labels("en", "No answer")
    )
    code, report = run_init(project, source, "--population", "people", "--languages", "zh-Hans,en")
    assert code == 0, report
    return built(project)


def test_init_from_a_stata_file_with_english_labels_builds_the_same_figures(from_dta: Path, reference: Path):
    # The labels are the file's English ones (the Chinese ones are TODO), so compare everything else.
    columns = ["indicator", "breakdown", "group", "category", "count", "base", "percent", "ci_low", "ci_high", "flags"]
    drafted = pd.read_csv(from_dta / "datasets" / "indicators.csv", dtype=str)[columns]
    expected = pd.read_csv(reference / "datasets" / "indicators.csv", dtype=str)[columns]
    pd.testing.assert_frame_equal(drafted, expected)
    codebook = yaml.safe_load((from_dta / "publication" / "codebook.yml").read_text(encoding="utf-8"))
    region = codebook["questions"][0]
    assert region["text"] == {"zh-Hans": "TODO: Where do you live", "en": "Where do you live"}
    assert region["type"] == "single"  # Stata has no measure level, so no scale


def xlsform(path: Path, relevant: str = "selected(${p_channels}, '1') or selected(${p_channels}, '2')") -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Chinese (zh)", "label::English (en)", "relevant"])
    survey.append(["begin group", "profile", "基本情况", "Profile", None])
    survey.append(["select_one region", "p_region", TEXTS["p_region"]["zh"], TEXTS["p_region"]["en"], None])
    survey.append(["end group"])
    survey.append(["begin group", "services", "网上办事", "Online services", None])
    survey.append(["select_one used", "p_used", TEXTS["p_used"]["zh"], TEXTS["p_used"]["en"], None])
    survey.append(
        [
            "select_multiple channels",
            "p_channels",
            TEXTS["p_channels"]["zh"],
            TEXTS["p_channels"]["en"],
            "${p_used} = '1'",
        ]
    )
    survey.append(
        [
            "select_one satisfaction",
            "p_satisfaction",
            TEXTS["p_satisfaction"]["zh"],
            TEXTS["p_satisfaction"]["en"],
            relevant,
        ]
    )
    survey.append(["text", "comment", "其他意见", "Other comments", None])
    survey.append(["end group"])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::Chinese (zh)", "label::English (en)"])
    for list_name, question in (("region", "p_region"), ("used", "p_used"), ("channels", "p_channels")):
        for code, option in LABELS[question].items():
            choices.append([list_name, str(code), option["zh"], option["en"]])
    for code, option in LABELS["p_satisfaction"].items():
        choices.append(["satisfaction", code, option["zh"], option["en"]])
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["小型测试调查", "tiny_survey"])
    workbook.save(path)


@pytest.fixture(scope="module")
def from_xlsform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("xlsform") / "project"
    project.mkdir()
    xlsform(project / "form.xlsx")
    code, report = run_init(project, project / "form.xlsx", "--population", "people")
    assert code == 0, report
    assert "note      comment (text): not a choice question; left out" in report
    # An XLSForm holds no answers: the data export, here a workbook, goes where publication.yml says.
    (project / "datasets" / "microdata").mkdir(parents=True)
    answers = openpyxl.Workbook()
    frame = pd.read_csv(PEOPLE_CSV, dtype=str, keep_default_na=False)
    answers.active.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        answers.active.append([row[0], *[int(cell) if cell else None for cell in row[1:]]])
    answers.save(project / "datasets" / "microdata" / "people.xlsx")
    publication = project / "publication" / "publication.yml"
    text = publication.read_text(encoding="utf-8")
    assert "  people: datasets/microdata/people.csv  # TODO: put the data export here" in text
    publication.write_text(text.replace("people.csv", "people.xlsx", 1), encoding="utf-8")
    return built(project)


def test_init_from_an_xlsform_builds_the_tables_of_the_hand_written_codebook(from_xlsform: Path, reference: Path):
    assert table(from_xlsform) == table(reference)


def test_an_xlsform_gives_languages_groups_and_universes(from_xlsform: Path) -> None:
    meta = yaml.safe_load((from_xlsform / "publication" / "publication.yml").read_text(encoding="utf-8"))
    assert meta["languages"] == ["zh-Hans", "en"]
    codebook = yaml.safe_load((from_xlsform / "publication" / "codebook.yml").read_text(encoding="utf-8"))
    questions = {q["id"]: q for q in codebook["questions"]}
    assert questions["p_region"]["text"] == {"zh-Hans": "居住地", "en": "Where do you live"}
    assert questions["p_channels"]["universe"] == {"question": "p_used", "codes": [1]}
    assert questions["p_satisfaction"]["universe"] == {"question": "p_channels", "codes": [1, 2]}
    pages = sorted(p.name for p in (from_xlsform / "docs").glob("*.md"))
    assert pages == sorted(
        ["index.md", "profile.md", "services.md", *(f"{p}.md" for p in init.init_project.DATA_PAGES)]
    )
    assert "# 基本情况" in (from_xlsform / "docs" / "profile.md").read_text(encoding="utf-8")


def test_an_xlsform_relevant_that_is_not_a_simple_choice_is_refused(tmp_path: Path) -> None:
    xlsform(tmp_path / "form.xlsx", relevant="${p_used} = '1' and ${p_region} != '2'")
    code, report = run_init(tmp_path, tmp_path / "form.xlsx")
    assert code == 2
    assert report.endswith(
        "row 8, column survey.relevant: value \"${p_used} = '1' and ${p_region} != '2'\": expected a relevant"
        " expression init can turn into a universe: ${q} = 'x', selected(${q}, 'x'), or several of these about the"
        " same question joined by 'or'. Simplify it, or leave it empty and write the question's universe in"
        " codebook.yml after init\n"
    )
    assert not (tmp_path / "publication").exists()


def test_labels_that_look_like_template_code_reach_the_page_as_text(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    labels = variable_labels("zh")
    labels["p_region"] = '{{ 7 * 7 }} <b>居住地</b> "{% raw %}'
    pyreadstat.write_sav(
        people(), project / "people.sav", column_labels=labels, variable_value_labels=value_labels("zh", "未回答")
    )
    assert run_init(project, project / "people.sav", "--population", "people", "--languages", "zh-Hans,en")[0] == 0
    built(project)
    page = (project / "docs" / "questions.md").read_text(encoding="utf-8")
    # Shown as text: the label's characters come back when the page's character references are read.
    assert '{{ 7 * 7 }} <b>居住地</b> "{% raw %}' in html.unescape(page)
    assert "<b>居住地" not in page
    assert "49" not in page.split("<figure")[0]


def test_the_surveypress_command_runs_init_as_a_console_script_and_as_python_m(tmp_path: Path) -> None:
    scripts = Path(sys.executable).parent
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in (
        [str(scripts / "surveypress"), "init", "--help"],
        [sys.executable, "-m", "surveypress", "init", "--help"],
    ):
        result = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "usage: surveypress init" in result.stdout


def surveypress(project: Path, *words: str) -> subprocess.CompletedProcess:
    """A `surveypress` command as a user runs it in the project folder, with this checkout's engine."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1767225600"}
    command = [sys.executable, "-m", "surveypress", *words]
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=600)


def html_pages(site: Path) -> dict[str, str]:
    return {path.relative_to(site).as_posix(): path.read_text(encoding="utf-8") for path in site.rglob("*.html")}


def page_titles(site: Path) -> list[str]:
    return [match for page in html_pages(site).values() for match in re.findall(r"<title>(.*?)</title>", page)]


def test_the_readmes_own_survey_commands_give_a_complete_styled_site(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in block.splitlines()]
    # Two commands after installing, setting PATH and making the folder.
    commands = [line for line in lines if line and not line.startswith(("make install", "export PATH=", "mkdir "))]
    assert commands == ["surveypress init ~/my.sav", "surveypress build"]
    # The block runs as README gives it, in bash, from a stand-in for this checkout whose .venv is this interpreter's
    # (what `make install` made, the one line left out), with HOME holding my.sav: `mkdir ../my-survey` and
    # `~/my.sav` land in tmp_path.
    checkout = tmp_path / "surveypress"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    script = "\n".join(line for line in block.splitlines() if not line.startswith("make install"))
    source = tmp_path / "my.sav"  # no file label: the title is a TODO until publication.yml has one
    labels = value_labels("zh", "未回答")
    pyreadstat.write_sav(people(), source, column_labels=variable_labels("zh"), variable_value_labels=labels)
    environment = {
        **os.environ,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "SOURCE_DATE_EPOCH": "1767225600",
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (script, result.stderr[-3000:])
    project = tmp_path / "my-survey"

    site = project / "site"
    pages = html_pages(site)
    assert 'href="assets/stylesheets/site.css' in pages["index.html"]
    assert not [name for name, page in pages.items() if "made with" in page.lower()]
    for question in LABELS:
        assert f'id="chart-{question}"' in pages["questions.html"]
    assert "草稿" in pages["questions.html"]
    assert {"methods.html", "downloads.html", "changelog.html", "cite.html"} <= set(pages)
    # Every file offered under docs/downloads/ is linked from the downloads page, none named by hand.
    offered = [
        p.relative_to(project / "docs").as_posix() for p in (project / "docs/downloads").rglob("*") if p.is_file()
    ]
    assert {"downloads/my-0.1.0.zip", "downloads/datasets/indicators.csv"} <= set(offered)
    assert not [path for path in offered if f'href="{path}"' not in pages["downloads.html"]]

    assert any("TODO" in title for title in page_titles(site))
    meta = project / "publication" / "publication.yml"
    meta.write_text(re.sub(r"^title: .*$", "title: 我的调查", meta.read_text(encoding="utf-8"), flags=re.M))
    result = surveypress(project, "build")
    assert result.returncode == 0, result.stderr
    assert "<title>我的调查</title>" in (site / "index.html").read_text(encoding="utf-8")
    assert not [title for title in page_titles(site) if "TODO" in title]


def test_an_english_only_publication_has_no_chinese_character_on_any_page(tmp_path: Path) -> None:
    source = tmp_path / "people.dta"
    pyreadstat.write_dta(
        people(), source, column_labels=variable_labels("en"), variable_value_labels=value_labels("en", "No answer")
    )
    project = tmp_path / "project"
    project.mkdir()
    for words in (["init", str(source), "--languages", "en"], ["build"]):
        result = surveypress(project, *words)
        assert result.returncode == 0, (words, result.stderr)
    assert not (project / "publication" / "templates" / "en").exists()  # the primary's templates are flat
    pages = html_pages(project / "site")
    assert {"index.html", "questions.html", "methods.html", "downloads.html", "changelog.html", "cite.html"} <= set(
        pages
    )
    with_han = {name: init_draft.CJK.findall(page)[:5] for name, page in pages.items() if init_draft.CJK.search(page)}
    assert not with_han


def test_an_spss_multiple_response_set_becomes_one_multi_question(tmp_path: Path, monkeypatch) -> None:
    # pyreadstat reads MR sets but cannot write them, so the set is added to what it reads from a plain file.
    frame = people().rename(
        columns={f"p_channels_{code}": f"ch{letter}" for code, letter in ((1, "a"), (2, "b"), (3, "c"))}
    )
    labels = variable_labels("zh")
    labels.update({f"ch{letter}": LABELS["p_channels"][code]["zh"] for code, letter in ((1, "a"), (2, "b"), (3, "c"))})
    source = tmp_path / "people.sav"
    pyreadstat.write_sav(
        frame,
        source,
        column_labels={k: v for k, v in labels.items() if k in frame},
        variable_value_labels=value_labels("zh", "未回答"),
    )
    read = readstat.read_statistical

    def with_mr_set(how, path: Path, name: str, no_answer):
        columns, meta = read(how, path, name, no_answer)
        meta.mr_sets = {
            "$p_channels": {
                "type": "D",
                "is_dichotomy": True,
                "counted_value": 1,
                "label": TEXTS["p_channels"]["zh"],
                "variable_list": ["cha", "chb", "chc"],
            }
        }
        return columns, meta

    monkeypatch.setattr(readstat, "read_statistical", with_mr_set)
    assert run_init(tmp_path, source, "--population", "people", "--languages", "zh-Hans,en")[0] == 0

    codebook = yaml.safe_load((tmp_path / "publication" / "codebook.yml").read_text(encoding="utf-8"))
    channels = next(q for q in codebook["questions"] if q["id"] == "p_channels")
    assert channels["type"] == "multi" and channels["text"]["zh-Hans"] == TEXTS["p_channels"]["zh"]
    assert [(o["code"], o["zh-Hans"]) for o in channels["options"]] == [(1, "手机应用"), (2, "网站"), (3, "自助终端")]
    header = (tmp_path / "datasets" / "microdata" / "people.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "respondent_id,p_region,p_used,p_channels_1,p_channels_2,p_channels_3,p_satisfaction"
    assert build.build(tmp_path / "publication", stream=io.StringIO()) is None


def test_init_refuses_a_file_of_no_kind_it_reads_and_names_the_kinds_it_does(tmp_path: Path) -> None:
    (tmp_path / "answers.txt").write_text("respondent_id,p_region\nP-000,1\n", encoding="utf-8")
    code, report = run_init(tmp_path, tmp_path / "answers.txt")
    assert code == 2
    assert report.endswith(
        "answers.txt: value '.txt': expected a labelled .sav, .zsav, .dta or .xpt file, an XLSForm workbook (sheets"
        " survey and choices), or a data file (.csv, .tsv, .tab, .parquet, or a workbook .xlsx, .xlsm, .xls, .ods)\n"
    )
    assert not (tmp_path / "publication").exists()


# ---------------------------------------------------------------------------------------------------------------
# Safety: init writes only inside the project, and drafts something sane from any file.


def labelled_sav(path: Path) -> Path:
    pyreadstat.write_sav(
        people(), path, column_labels=variable_labels("zh"), variable_value_labels=value_labels("zh", "未回答")
    )
    return path


def files_under(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*"))


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("publication/codebook.yml", "../OUTSIDE_codebook.yml"),  # dangling: init used to create the target
        ("publication/charts.yml", "../outside/charts.yml"),  # an existing file outside
        ("publication/templates", "../outside"),  # a folder
        ("publication", "outside"),  # the content folder itself
        ("datasets", "outside"),  # a folder above the converted microdata
    ],
)
def test_init_refuses_a_symlink_in_the_project_and_writes_nothing_outside_it(
    tmp_path: Path, link: str, target: str
) -> None:
    project = tmp_path / "project"
    (project / "publication").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "charts.yml").write_text("theirs\n", encoding="utf-8")
    source = labelled_sav(tmp_path / "people.sav")
    if (project / link).is_dir():
        (project / link).rmdir()
    (project / link).symlink_to(target)
    before = files_under(tmp_path)

    code, report = run_init(project, source, "--population", "people")

    assert code == 2, report
    assert report.startswith(f"error: {link}: value 'a symlink to {target}': expected a file or folder that is not")
    assert "Remove the link, or run init with --content naming a new folder" in report
    assert "wrote" not in report
    assert files_under(tmp_path) == before
    assert (outside / "charts.yml").read_text(encoding="utf-8") == "theirs\n"


# A survey file's own title (an SPSS file label holds 64 bytes), as a hostile file might set it.
HOSTILE_TITLE = '<svg onload=alert(1)>{{ 7*7 }}"&amp;'


@pytest.mark.parametrize("kind", ["sav", "xlsform"])
def test_a_hostile_survey_title_reaches_publication_yml_as_typed_and_the_theme_escaped_once(
    tmp_path: Path, kind: str
) -> None:
    """Issue 22: init copies a file label or form_title into publication.yml's title, which names the site. It is kept
    as typed (YAML text, not a template), and the theme gets it escaped once (tests/browser/
    test_hostile_publication_text.py opens every page built from such texts)."""
    from surveypress.text import theme_text
    from surveypress.website import config as site_config

    if kind == "sav":
        source = tmp_path / "people.sav"
        pyreadstat.write_sav(
            people(),
            source,
            file_label=HOSTILE_TITLE,
            column_labels=variable_labels("en"),
            variable_value_labels=value_labels("en", "No answer"),
        )
    else:
        source = tmp_path / "form.xlsx"
        xlsform_with_groups(source, ["profile"])
        workbook = openpyxl.load_workbook(source)
        workbook.create_sheet("settings").append(["form_title", "form_id"])
        workbook["settings"].append([HOSTILE_TITLE, "form"])
        workbook.save(source)
    code, report = run_init(tmp_path, source, "--languages", "en")
    assert code == 0, report
    pub = spec.load_publication(tmp_path / "publication")
    assert site_config.site_name(pub, "en") == HOSTILE_TITLE
    shown = str(theme_text(site_config.site_name(pub, "en")))
    assert not set(shown) & set("<>\"'") and html.unescape(shown) == HOSTILE_TITLE


def test_init_makes_the_project_folder_above_a_new_content_folder(tmp_path: Path) -> None:
    source = labelled_sav(tmp_path / "people.sav")
    project = tmp_path / "new" / "project"

    code, report = run_init(project, source, "--population", "people")

    assert code == 0, report
    assert (project / "publication" / "codebook.yml").is_file() and (project / "mkdocs.yml").is_file()


@pytest.mark.parametrize("taken_by", ["a dangling link", "a file"])
def test_init_refuses_a_project_folder_name_held_by_a_dangling_link_or_a_file_and_writes_nothing(
    tmp_path: Path, taken_by: str
) -> None:
    source = labelled_sav(tmp_path / "people.sav")
    project = tmp_path / "project"
    if taken_by == "a file":
        project.write_text("mine\n", encoding="utf-8")
    else:
        project.symlink_to("elsewhere")  # mkdir must not make ../elsewhere through it
    before = files_under(tmp_path)

    code, report = run_init(project, source, "--population", "people")

    assert code == 2, report
    value = "a symlink to elsewhere" if taken_by == "a dangling link" else "a file"
    assert report.startswith(f"error: {project}: value '{value}': expected a folder, or a name nothing holds yet")
    assert not (tmp_path / "elsewhere").exists()
    assert files_under(tmp_path) == before


def test_init_opens_each_new_file_so_that_a_symlink_put_there_later_is_not_followed(tmp_path: Path) -> None:
    # The race the check cannot see: the link appears between the check and the write.
    project = tmp_path / "project"
    project.mkdir()
    (project / "publication.yml").symlink_to(tmp_path / "OUTSIDE.yml")
    stream = io.StringIO()
    with init.i18n.language("en"), pytest.raises(init.InputError, match="a symlink to"):
        init.init_write._write_one(
            os.open(project, init.init_write.DIRECTORY_FLAGS), project, "publication.yml", "x", stream
        )
    assert not (tmp_path / "OUTSIDE.yml").exists()


def xlsform_with_groups(path: Path, groups: list[str]) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)"])
    for number, group in enumerate(groups):
        survey.append(["begin group", group, f"Group {number}"])
        survey.append(["select_one yesno", f"q{number}", f"Question {number}"])
        survey.append(["end group"])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)"])
    choices.append(["yesno", "1", "Yes"])
    choices.append(["yesno", "2", "No"])
    workbook.save(path)


@pytest.mark.parametrize("group", ["index", "Downloads", "methods", "changelog", "assets", "en"])
def test_an_xlsform_group_whose_page_the_site_already_has_is_refused(tmp_path: Path, group: str) -> None:
    xlsform_with_groups(tmp_path / "form.xlsx", ["profile", group])
    code, report = run_init(tmp_path, tmp_path / "form.xlsx")
    assert code == 2
    page = group.lower()
    assert f"form.xlsx, row 5, column survey.name: value '{group}': expected a group name whose page name" in report
    assert f"Its page would be {page}.md; rename the group" in report
    assert not (tmp_path / "publication").exists()


def test_two_xlsform_groups_with_one_page_name_are_refused(tmp_path: Path) -> None:
    xlsform_with_groups(tmp_path / "form.xlsx", ["my_group", "My-Group"])
    code, report = run_init(tmp_path, tmp_path / "form.xlsx")
    assert code == 2
    assert report.endswith(
        "form.xlsx, row 5, column survey.name: value 'My-Group': expected a group name whose page name differs from"
        " that of the group in row 2. Both would be page my-group.md; rename one of them\n"
    )


def test_names_too_long_for_a_file_name_are_cut_and_stay_unique(tmp_path: Path) -> None:
    long_a, long_b = "a" * 299 + "x", "a" * 299 + "y"
    xlsform_with_groups(tmp_path / "form.xlsx", ["g" * 300, "h" * 300])
    workbook = openpyxl.load_workbook(tmp_path / "form.xlsx")
    workbook["survey"]["B3"], workbook["survey"]["B6"] = long_a, long_b
    workbook.save(tmp_path / "form.xlsx")
    code, report = run_init(tmp_path, tmp_path / "form.xlsx")
    assert code == 0, report
    codebook = yaml.safe_load((tmp_path / "publication" / "codebook.yml").read_text(encoding="utf-8"))
    ids = [question["id"] for question in codebook["questions"]]
    pages = sorted(path.name.removesuffix(".md.j2") for path in (tmp_path / "publication" / "templates").iterdir())
    assert len(set(ids)) == 2 and all(len(name) <= init_draft.MAX_NAME for name in ids + pages)
    assert all(spec.is_name(name, spec.ID_PATTERN) for name in ids)
    assert all(spec.is_name(name) for name in pages)
    assert len(pages) == 3 + len(init.init_project.DATA_PAGES)  # index, the two groups and the data pages


def test_unique_ids_keep_within_the_name_limit() -> None:
    names = init.Names()
    taken = [names.take("b" * init_draft.MAX_NAME) for _ in range(12)]
    assert len(set(taken)) == 12 and all(len(name) <= init_draft.MAX_NAME for name in taken)


def test_a_file_with_more_variables_than_any_survey_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(init_labelled, "MAX_VARIABLES", 5)
    code, report = run_init(tmp_path, labelled_sav(tmp_path / "people.sav"))
    assert code == 2
    assert report.endswith(
        "people.sav: value '7 variables': expected at most 5 variables. No survey has that many; split the file, or"
        " keep only the variables to publish\n"
    )
    assert not (tmp_path / "publication").exists()


def test_a_sav_file_with_too_many_variables_is_refused_from_its_dictionary_before_pyreadstat_reads_it(
    tmp_path: Path, monkeypatch
) -> None:
    """pyreadstat's reading of a dictionary grows with the square of its variables (3 s at 20,000, more with every
    doubling): the count comes from the file's variable records first."""
    monkeypatch.setattr(init_labelled, "MAX_VARIABLES", 5)

    def unread(*arguments, **options):
        raise AssertionError("pyreadstat read the file")

    monkeypatch.setattr(readstat.ReadStat, "call", unread)
    code, report = run_init(tmp_path, labelled_sav(tmp_path / "people.sav"))
    assert code == 2 and report.endswith(
        "people.sav: value '7 variables': expected at most 5 variables. No survey"
        " has that many; split the file, or keep only the variables to publish\n"
    )


@pytest.mark.parametrize("suffix", [".sav", ".zsav"])
def test_the_variables_counted_from_a_sav_dictionary_are_pyreadstats(tmp_path: Path, suffix: str) -> None:
    """Variable labels of every length, missing values and ranges, value labels, a note, and strings of 300 and 600
    characters (very long strings: several segments each, one variable)."""
    from surveypress.formats.spss import sav_variables

    frame = people()
    frame["comment"] = ["x" * 600] + [""] * (len(frame) - 1)
    frame["other"] = ["y" * 300] + ["z"] * (len(frame) - 1)
    path = tmp_path / f"people{suffix}"
    pyreadstat.write_sav(
        frame,
        path,
        column_labels={**variable_labels("en"), "comment": "A label of odd length"},
        variable_value_labels=value_labels("en", "No answer"),
        missing_ranges={"p_used": [-9], "p_satisfaction": [{"lo": -9, "hi": -7}]},
        note="a note",
        compress=suffix == ".zsav",
    )
    assert sav_variables(path) == len(pyreadstat.read_sav(path, metadataonly=True)[1].column_names) == 9
    path.write_bytes(path.read_bytes()[:400])  # cut off inside the dictionary: left to pyreadstat to word
    assert sav_variables(path) is None


def test_a_data_file_of_20000_variables_is_refused_in_seconds(tmp_path: Path) -> None:
    """Issue 22: init took 123 s on 20,000 variables (now linear, yet still 21 s of a core): such a file is refused,
    from its header, before anything is drafted."""
    header = ["respondent_id", *(f"v{number:05d}" for number in range(20_000))]
    source = tmp_path / "wide.csv"
    source.write_text(",".join(header) + "\n" + ",".join(["R1", *["1"] * 20_000]) + "\n", encoding="utf-8")
    code, report = run_init(tmp_path, source)
    assert code == 2
    assert report.endswith(
        f"wide.csv: value '20,001 variables': expected at most {init_draft.MAX_VARIABLES:,} variables. No survey has"
        " that many; split the file, or keep only the variables to publish\n"
    )
    assert not (tmp_path / "publication").exists()


def test_charts_are_drafted_within_the_limits_and_every_question_keeps_its_indicator(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(init_draft, "MAX_DRAFTED_CHARTS", 2)
    monkeypatch.setattr(init_draft, "MAX_CHART_OPTIONS", 3)  # p_satisfaction has more options
    code, report = run_init(tmp_path, labelled_sav(tmp_path / "people.sav"), "--population", "people")
    assert code == 0, report
    charts = yaml.safe_load((tmp_path / "publication" / "charts.yml").read_text(encoding="utf-8"))["charts"]
    indicators = yaml.safe_load((tmp_path / "publication" / "indicators.yml").read_text(encoding="utf-8"))
    assert [chart["id"] for chart in charts] == ["p_region", "p_used"]
    assert [indicator["id"] for indicator in indicators["indicators"]] == list(LABELS)
    assert "p_satisfaction: more than 3 options, so no chart was drafted" in report
    assert "p_channels: past the first 2 charts, so no chart was drafted" in report
