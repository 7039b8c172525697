"""The issue's finish line: a weighted, stratified, clustered survey (synthetic, with a known design) builds into a
site whose every share shows the weighted estimate, its design-based interval and the unweighted n, and whose
figures match the reference library (svy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_design import svy_shares
from weighted_survey import DESIGNS, make_project

ROOT = Path(__file__).resolve().parent.parent


def two_decimals(value: float) -> float:
    return float(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def build(project: Path, **environment: str) -> subprocess.CompletedProcess:
    """build_tables.py run in `project` as a process; it must succeed."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py"), "--content", "publication"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT), **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("site"), "stratified_clustered_fpc")
    build(project)
    return project


def test_every_published_share_of_the_weighted_survey_matches_svy(site):
    table = pd.read_csv(site / "datasets/indicators.csv", dtype={"group": str, "category": str})
    microdata = pd.read_csv(site / "datasets/microdata/people.csv")
    checked = 0
    for indicator, breakdown in (("p_used", None), ("p_used", "p_region"), ("p_satisfaction", None)):
        expected = svy_shares(microdata, DESIGNS["stratified_clustered_fpc"], indicator, by=breakdown)
        for row in expected.iter_rows(named=True):
            group = row["by"] if breakdown else "total"
            ours = table[
                (table["indicator"] == indicator)
                & (table["breakdown"] == (breakdown or "total"))
                & (table["group"] == group)
                & (table["category"] == row["y"])
            ].iloc[0]
            if ours["suppression"] != "none":
                continue
            assert float(ours["percent"]) == two_decimals(row["est"] * 100)
            assert float(ours["ci_low"]) == two_decimals(row["lci"] * 100)
            assert float(ours["ci_high"]) == two_decimals(row["uci"] * 100)
            assert float(ours["se"]) == two_decimals(row["se"] * 100)
            assert int(ours["base"]) == row["n"]
            checked += 1
    assert checked >= 10


def test_the_page_and_its_chart_show_the_weighted_share_its_interval_and_the_unweighted_n(site):
    table = pd.read_csv(site / "datasets/indicators.csv", dtype={"group": str, "category": str})
    used = table[(table["indicator"] == "p_used") & (table["breakdown"] == "total") & (table["category"] == "1")].iloc[
        0
    ]
    page = (site / "docs/index.md").read_text(encoding="utf-8")
    share = f"{Decimal(str(used['percent'])).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
    low = f"{Decimal(str(used['ci_low'])).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
    high = f"{Decimal(str(used['ci_high'])).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
    # The weighted share differs from count/base here, so the page cannot be showing the unweighted one.
    assert share != f"{Decimal(100 * int(used['count']) / int(used['base'])).quantize(Decimal('0.1'))}%"
    assert f"{share}（n={int(used['base'])}）" in page
    assert f"n={int(used['base'])}，95%置信区间{low}～{high}" in page
    chart = pd.read_csv(site / "docs/assets/charts/used_online.csv", dtype={"category": str})
    drawn = chart[chart["category"] == "1"].iloc[0]
    assert (drawn["percent"], drawn["ci_low"], drawn["ci_high"]) == (used["percent"], used["ci_low"], used["ci_high"])


def test_the_weighted_survey_streamed_through_duckdb_publishes_the_same_tables(site, tmp_path):
    """The large-file path (forced here for a small file) sums the weights in DuckDB by PSU; every published table
    and page is the one the in-memory build made."""
    project = make_project(tmp_path, "stratified_clustered_fpc")
    done = build(project, SURVEYPRESS_STREAM_ABOVE_BYTES="0")
    assert "streamed" in done.stderr
    published = sorted(
        path.relative_to(site).as_posix()
        for folder in ("datasets/indicators", "docs/assets/charts")
        for path in (site / folder).rglob("*")
        if path.is_file()
    )
    assert len(published) >= 10
    for name in ["datasets/indicators.csv", "docs/index.md", *published]:
        assert (project / name).read_bytes() == (site / name).read_bytes(), name


def test_every_charted_share_is_the_weighted_estimate_with_its_design_based_interval_and_unweighted_n(site):
    """Every share a chart of the weighted survey draws is the table's weighted percent, its logit interval on the
    linearised standard error and the unweighted base, never count/base with a Wilson interval."""
    table = pd.read_csv(site / "datasets/indicators.csv", dtype={"group": str, "category": str})
    totals = table[table["breakdown"] == "total"].set_index(["indicator", "category"])
    drawn = 0
    for path in sorted((site / "docs/assets/charts").glob("*.csv")):
        chart = pd.read_csv(path, encoding="utf-8-sig", dtype={"category": str})
        for row in chart[chart["population"] == "people"].itertuples(index=False):
            if not isinstance(row.indicator, str) or row.indicator not in totals.index.get_level_values(0):
                continue
            expected = totals.loc[(row.indicator, row.category)]
            if expected["suppression"] != "none":
                continue
            assert (row.percent, row.ci_low, row.ci_high) == (
                float(expected["percent"]),
                float(expected["ci_low"]),
                float(expected["ci_high"]),
            ), (path.name, row.category)
            assert int(row.base) == int(expected["base"])
            assert not pd.isna(expected["se"])
            drawn += 1
    assert drawn >= 2  # the tiny publication charts p_used: both of its categories


def test_the_workbook_and_data_package_of_the_weighted_survey_say_which_tables_are_weighted_in_each_language(site):
    """The cover says the estimates are weighted, and each sheet of a weighted population's table says so above it,
    in Chinese and English; the unweighted population's sheet does not. The data package names the weighted
    percent and the design columns in both languages (these texts came from the catalogues, not English code)."""
    book = openpyxl.load_workbook(site / "docs/downloads/indicators.xlsx")
    cover = [row[0] for row in book["封面 Cover"].iter_rows(values_only=True)]
    assert "加权估计 / Weighted estimates" in cover
    assert any("加权估计值" in line for line in cover) and any("weighted estimates" in line for line in cover)
    for name, weighted in (("p_used", True), ("p_channels", True), ("p_satisfaction", True), ("f_size", False)):
        about = book[name]["A2"].value
        assert ("加权" in about and "weighted estimates" in about) is weighted, (name, about)
        assert ("百分比（加权） / Percent (weighted)" in [cell.value.rsplit(" (", 1)[0] for cell in book[name][4]]) is (
            weighted
        ), name

    package = json.loads((site / "datapackage.json").read_text(encoding="utf-8"))
    resources = {resource["name"]: resource for resource in package["resources"]}
    fields = {field["name"]: field for field in resources["microdata-people"]["schema"]["fields"]}
    assert (fields["weight"]["title"], fields["weight"]["translations"]["en"]["title"]) == ("权数", "Weight")
    assert fields["psu"]["description"] == "抽样设计：群（初级抽样单元）"
    percent = {field["name"]: field for field in resources["indicators"]["schema"]["fields"]}["percent"]
    assert percent["description"].startswith("声明了抽样设计时：加权百分比")
    assert percent["translations"]["en"]["description"].startswith("With a declared design: the weighted percent")
    assert "加权" in resources["indicators"]["description"]
    assert "weighted" in resources["indicators"]["translations"]["en"]["description"]
