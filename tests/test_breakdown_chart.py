"""Breakdown charts (charts.yml `kind: breakdown`) on tests/fixtures/numeric (the tiny fixture with a numeric
question): a row of bars per breakdown group with its n,
suppressed cells marked [c] and not drawn, low-reliability cells drawn faint, and every group in the text alternative,
data table and CSV."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from surveypress import content as spec
from surveypress.charts import declare, layouts, stage
from surveypress.charts import model as chart_model
from surveypress.errors import InputError
from surveypress.microdata import load
from surveypress.stats import protect, tabulate

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "numeric"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):
    publication = spec.load_publication(TINY / "publication")
    table = protect.protect(publication, tabulate.tabulate(publication, load.load_microdata(publication)))
    out = tmp_path_factory.mktemp("charts")
    return table, stage.render_charts(publication, table, out)


def used_by_age_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The cells the used_by_age chart draws: indicator p_used_by_age, category 1, one per age band."""
    by_age = table[(table["indicator"] == "p_used_by_age") & (table["breakdown"] == "p_age")]
    return by_age[by_age["category"] == "1"]


def drawn_rows(output: chart_model.ChartOutput) -> list[dict]:
    document = json.loads(output.files["vl.json"].read_text(encoding="utf-8"))
    return document["data"]["values"]


def test_a_breakdown_chart_has_one_row_per_group_labelled_with_its_n(rendered):
    table, charts = rendered
    rows = drawn_rows(charts["used_by_age"])
    cells = used_by_age_cells(table)
    expected = [f"{label}\nn={base}" for label, base in zip(cells["group_label"], cells["base"], strict=True)]
    assert [row["row_label"] for row in rows] == expected


def test_suppressed_cells_are_labelled_c_and_not_drawn_and_low_cells_are_drawn_faint(rendered):
    table, charts = rendered
    rows = {row["row_label"].split("\n")[0]: row for row in drawn_rows(charts["used_by_age"])}
    cells = used_by_age_cells(table)
    for cell in cells.itertuples(index=False):
        row = rows[cell.group_label]
        if cell.suppression != "none":
            assert row["percent"] is None and row["value_text"] == "[c]"
        else:
            assert row["percent"] == cell.percent
            assert row["low"] == (cell.reliability == "low")
            assert row["value_text"].endswith("[u]") == (cell.reliability == "low")
    assert any(cell.suppression != "none" for cell in cells.itertuples()) and (cells["suppression"] == "none").any()


def test_the_text_alternative_table_and_csv_name_every_group_and_category(rendered):
    table, charts = rendered
    output = charts["satisfaction_by_region"]
    groups = table[(table["indicator"] == "p_satisfaction") & (table["breakdown"] == "p_region")]
    groups = groups[groups["category"].isin(["1", "2"])]
    for label in set(groups["group_label"]):
        assert label in output.alt
    assert [(row["人群"], row["类别"]) for row in output.table] == list(
        zip(groups["group_label"], groups["category_label"], strict=True)
    )
    download = pd.read_csv(output.files["csv"], dtype=str)
    assert list(download[["breakdown", "group", "category"]].itertuples(index=False, name=None)) == [
        ("p_region", group, category) for group, category in zip(groups["group"], groups["category"], strict=True)
    ]


def test_several_categories_are_grouped_bars_with_a_colour_each(rendered):
    _, charts = rendered
    document = json.loads(charts["satisfaction_by_region"].files["vl.json"].read_text(encoding="utf-8"))
    bars = document["layer"][0]["encoding"]
    assert bars["yOffset"]["field"] == "series"
    assert bars["color"]["scale"]["range"] == list(layouts.PALETTE[:2])


def test_a_breakdown_chart_must_name_one_of_its_indicators_breakdowns(tmp_path):
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    charts = project / "publication" / "charts.yml"
    charts.write_text(charts.read_text(encoding="utf-8").replace("breakdown: p_age", "breakdown: p_used"), "utf-8")
    publication = spec.load_publication(project / "publication")
    with pytest.raises(InputError) as caught:
        declare.load_chart_specs(publication)
    assert "column chart used_by_age.breakdown: value 'p_used'" in str(caught.value)
    assert "expected one of the breakdowns of indicator 'p_used_by_age' (p_age)" in str(caught.value)
