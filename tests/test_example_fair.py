"""The second example publication (examples/fair, English only): it builds, its pages, CSVs and data package carry no
CJK character its content did not provide, it has a breakdown chart and numeric questions, and the tables' band counts
equal a pandas recount of the raw microdata.

Nothing here skips: a spec that refuses the example's English-only labels is the failure these tests exist to report.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from surveypress import content as spec
from surveypress.charts import declare

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fair"
# Han ideographs, CJK punctuation and symbols, kana, Hangul, and full-width forms (e.g. the full-width tilde).
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example, built with build_tables.py into its own folder."""
    project = tmp_path_factory.mktemp("fair") / "fair"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("docs", "datapackage.json"))
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py"), "--content", str(project / "publication")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return project


def outputs(project: Path) -> list[Path]:
    pages = sorted((project / "docs").rglob("*.md"))
    tables = sorted((project / "datasets").rglob("*.csv")) + sorted((project / "docs").rglob("*.csv"))
    return [*pages, *tables, project / "datapackage.json"]


def test_the_example_builds_pages_tables_and_a_data_package(built):
    assert (built / "datapackage.json").is_file()
    assert {path.name for path in (built / "docs").glob("*.md")} >= {"index.md", "marriage.md", "affairs.md"}
    assert (built / "datasets" / "summaries.csv").is_file()


def test_no_page_table_or_package_text_has_a_cjk_character_the_content_did_not_provide(built):
    provided = set()
    for path in (EXAMPLE / "publication").rglob("*"):
        if path.is_file():
            provided |= set(CJK.findall(path.read_text(encoding="utf-8")))
    found = []
    for path in outputs(built):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            extra = set(CJK.findall(line)) - provided
            if extra:
                found.append(f"{path.relative_to(built)}:{number}: {''.join(sorted(extra))}")
    assert not found, "\n".join(found[:20])


def test_the_example_has_a_breakdown_chart_and_numeric_questions_on_its_pages(built):
    publication = spec.load_publication(built / "publication")
    breakdowns = [one.id for one in declare.load_chart_specs(publication) if one.kind == "breakdown"]
    numeric = [question.id for question in publication.codebook.questions.values() if question.numeric is not None]
    pages = "".join(path.read_text(encoding="utf-8") for path in (built / "docs").glob("*.md"))
    assert breakdowns and all(f'id="chart-{chart_id}"' in pages for chart_id in breakdowns)
    assert numeric and set(pd.read_csv(built / "datasets" / "summaries.csv")["question"]) == set(numeric)


def test_the_band_counts_equal_a_pandas_recount_of_the_raw_microdata(built):
    publication = spec.load_publication(built / "publication")
    raw = pd.read_csv(built / "datasets" / "microdata" / "women.csv")
    table = pd.read_csv(built / "datasets" / "indicators.csv", dtype={"category": str, "count": str})
    totals = table[table["breakdown"] == "total"]
    for question in publication.codebook.questions.values():
        if question.numeric is None:
            continue
        rule = question.numeric
        edges = [float(band.low) for band in rule.bands] + [float("inf")]
        values = raw[question.id][raw[question.id] != publication.codebook.no_answer].dropna()
        recount = pd.cut(values, bins=edges, right=False, labels=[str(code) for code in question.codes])
        counted = totals[totals["indicator"] == question.id].set_index("category")["count"]
        for code, count in recount.value_counts().items():
            assert counted[code] == str(count), (question.id, code)
