"""Issue #23: every text the engine writes about a weighted estimate says it is weighted, in each language, and
shows the unweighted n, never a count beside a weighted percent (a weighted percent is not count / n); an
unweighted publication's texts never say weighted.

The same charts are drawn from the tiny fixture twice: with the weighted fixture's design on `people` (firms stay
unweighted, so a chart setting people beside firms is partly weighted) and without any design."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from weighted_survey import make_project

from surveypress import content as spec
from surveypress import i18n
from surveypress.charts import accessible, stage
from surveypress.charts import figure as chart_figure
from surveypress.charts import model as chart_model
from surveypress.microdata import load
from surveypress.publish import workbook
from surveypress.stats import protect, tabulate

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
LANGUAGES = ("zh-Hans", "en")
# How each language says "weighted"; "unweighted" (未加权) is not it.
WEIGHTED = {"zh-Hans": re.compile(r"(?<!未)加权"), "en": re.compile(r"(?<!un)weighted", re.IGNORECASE)}
# A count beside a percent in the text alternative: "(603 respondents, n=" / "（603人，n=".
COUNT_BESIDE = {"zh-Hans": "（{count}人，n=", "en": "({count} respondents, n="}
# The weighted item names n alone: "weighted (n=1020 respondents" / "（加权估计，n=1020，".
WEIGHTED_N = {"zh-Hans": "（加权估计，n={base}，", "en": "weighted (n={base} respondents"}

CHARTS_YML = """
charts:
  - id: used_online
    page: index
    series:
      - {indicator: p_used}
    sort: none
    title: {zh: "{{ pct('p_used', 1) }}的居民用过网上办事", en: "{{ pct('p_used', 1) }} of people used online services"}
  - id: used_by_region
    page: index
    kind: breakdown
    breakdown: p_region
    series:
      - {indicator: p_used}
    title: {zh: 各地居民用过网上办事的比例, en: Use of online services by region}
  - id: satisfaction
    page: index
    series:
      - {indicator: p_satisfaction}
    title: {zh: 满意程度, en: Satisfaction}
  - id: people_and_firms
    page: index
    kind: compare
    series:
      - {indicator: p_used, categories: ["1"]}
      - {indicator: f_size, categories: ["1"]}
    sort: none
    title: {zh: 居民与企业, en: People and firms}
"""
ALL_WEIGHTED = ("used_online", "used_by_region", "satisfaction")


def _charts(project: Path, out: Path) -> dict[str, dict[str, chart_model.ChartOutput]]:
    """Every chart of CHARTS_YML drawn from `project`'s microdata in both languages: {language: {id: output}}."""
    (project / "publication" / "charts.yml").write_text(CHARTS_YML, encoding="utf-8")
    publication = spec.load_publication(project / "publication")
    table = protect.protect(publication, tabulate.tabulate(publication, load.load_microdata(publication)))
    return stage.render_editions(publication, table, {language: out / language for language in LANGUAGES})


@pytest.fixture(scope="module")
def weighted(tmp_path_factory) -> dict[str, dict[str, chart_model.ChartOutput]]:
    folder = tmp_path_factory.mktemp("weighted")
    return _charts(make_project(folder, "stratified_clustered_fpc"), folder / "charts")


@pytest.fixture(scope="module")
def unweighted(tmp_path_factory) -> dict[str, dict[str, chart_model.ChartOutput]]:
    folder = tmp_path_factory.mktemp("unweighted")
    project = folder / "tiny"
    shutil.copytree(TINY, project)
    return _charts(project, folder / "charts")


def _page_texts(output: chart_model.ChartOutput, language: str) -> dict[str, str]:
    """What a reader meets of a chart on its page: caption, text alternative, data table header, drawn subtitle."""
    with i18n.language(language):
        figure = chart_figure.figure_html(output, "index")
    return {
        "caption": re.search(r"<figcaption>(.*?)</figcaption>", figure).group(1),
        "table caption": re.search(r"<caption>(.*?)</caption>", figure).group(1),
        "header": re.search(r"<thead>(.*?)</thead>", figure).group(1),
        "alt": output.alt,
        "subtitle": " ".join(output.subtitle),
        "source": output.source,
    }


def _drawn_rows(output: chart_model.ChartOutput) -> list[dict[str, str]]:
    """The chart's rows as its CSV download gives them (count and base unweighted, population per row)."""
    with open(output.files["csv"], encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_of_a_weighted_chart_says_weighted_in_each_language(weighted, language):
    for chart_id in ALL_WEIGHTED:
        output = weighted[language][chart_id]
        for where, text in _page_texts(output, language).items():
            if where != "source":
                assert WEIGHTED[language].search(text), (chart_id, where, text)
        published = [row for row in _drawn_rows(output) if row["percent"] != ""]
        assert published
        # One "weighted" per published value in the text alternative, each beside its unweighted n.
        assert len(WEIGHTED[language].findall(output.alt)) == len(published), (chart_id, output.alt)
        for row in published:
            assert WEIGHTED_N[language].format(base=row["base"]) in output.alt, (chart_id, row)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_alternative_or_data_table_of_a_weighted_chart_pairs_a_count_with_a_weighted_percent(
    weighted, language
):
    with i18n.language(language):
        count_header = i18n._("Count")
    for chart_id in ALL_WEIGHTED:
        output = weighted[language][chart_id]
        for row in _drawn_rows(output):
            assert COUNT_BESIDE[language].format(count=row["count"]) not in output.alt, (chart_id, row)
        assert count_header not in output.columns and all(count_header not in row for row in output.table)
        # The unweighted n is still there, in every row.
        assert [cells[output.columns[-2]] for cells in output.table] == [row["base"] for row in _drawn_rows(output)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_chart_of_weighted_and_unweighted_populations_says_which_percents_are_weighted(weighted, language):
    output = weighted[language]["people_and_firms"]
    texts = _page_texts(output, language)
    assert WEIGHTED[language].search(texts["caption"]) and WEIGHTED[language].search(texts["subtitle"])
    people, firms = _drawn_rows(output)
    assert (people["population"], firms["population"]) == ("people", "firms")
    # People's share is weighted and stands beside n alone; the firms' share keeps its count, as count / n.
    assert WEIGHTED_N[language].format(base=people["base"]) in output.alt
    assert COUNT_BESIDE[language].format(count=people["count"]) not in output.alt
    assert COUNT_BESIDE[language].format(count=firms["count"]) + firms["base"] in output.alt
    percent_column = output.columns[2]
    assert WEIGHTED[language].search(output.table[0][percent_column])
    assert not WEIGHTED[language].search(output.table[1][percent_column])


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_of_an_unweighted_chart_says_weighted_and_its_table_keeps_the_count(unweighted, language):
    with i18n.language(language):
        plain_columns = accessible.table_columns()
    for chart_id, output in unweighted[language].items():
        for where, text in _page_texts(output, language).items():
            assert not WEIGHTED[language].search(text), (chart_id, where, text)
        assert output.columns == plain_columns
        for row in _drawn_rows(output):
            if row["percent"] != "":
                assert COUNT_BESIDE[language].format(count=row["count"]) + row["base"] in output.alt


def test_the_default_source_line_is_in_each_language(weighted):
    """Without a source in charts.yml, the line under each chart comes from the catalogue in the chart's language."""
    assert weighted["en"]["used_online"].source.startswith("Data: Tiny test survey, version 0.1.0. ")
    assert weighted["zh-Hans"]["used_online"].source.startswith("数据：小型测试调查，版本 0.1.0。")
    assert "Synthetic microdata" not in weighted["zh-Hans"]["used_online"].source


def test_the_default_publication_writes_no_weighted_text_in_its_charts_package_or_workbook():
    """The committed outputs of the default (unweighted) publication (`build_tables.py --check` proves them fresh):
    no chart figure of either edition and no data package text calls a figure weighted, nor does its workbook."""
    for language, folder in (("zh-Hans", ROOT / "docs"), ("en", ROOT / "docs" / "en")):
        pages = [
            page for page in folder.glob("**/*.md") if language == "en" or page.relative_to(folder).parts[0] != "en"
        ]
        figures = [
            figure
            for page in pages
            for figure in re.findall(r'<figure class="sp-chart".*?</figure>', page.read_text(encoding="utf-8"), re.S)
        ]
        assert figures
        for figure in figures:
            assert not WEIGHTED[language].search(figure), figure[:200]
    package = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(io.BytesIO(workbook.build_workbook(package, ROOT)))
    cells = [str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    for language in LANGUAGES:
        assert not WEIGHTED[language].search(json.dumps(package, ensure_ascii=False))
        assert not any(WEIGHTED[language].search(cell) for cell in cells)
