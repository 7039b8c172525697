"""Reconciliation of a weighted publication: a printed percentage is compared with the weighted share the table
publishes, never with count/base, and a mismatch says that no base can be reconstructed from a weighted share."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from weighted_survey import make_project

from surveypress import content as spec
from surveypress.microdata import load
from surveypress.stats import reconcile
from surveypress.stats.tabulate import tabulate

HEADER = "figure_id,section,population,measure,printed,value,unit,comparison,indicator,category,note\n"


def one_decimal(value: float) -> str:
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def weighted(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("reconcile"), "stratified_clustered")
    publication = spec.load_publication(project / "publication")
    table = tabulate(publication, load.load_microdata(publication))
    row = table[(table["indicator"] == "p_used") & (table["breakdown"] == "total") & (table["category"] == "1")]
    row = row.iloc[0]
    unweighted = one_decimal(100 * int(row["count"]) / int(row["base"]))
    weighted_share = one_decimal(float(row["percent"]))
    assert unweighted != weighted_share  # the fixture's weights move the share
    figures = (
        HEADER
        + f"w1,use,people,used online (weighted),{weighted_share}%,{weighted_share},percent,equal,p_used,1,\n"
        + f"w2,use,people,used online (unweighted),{unweighted}%,{unweighted},percent,equal,p_used,1,\n"
        + f"w3,use,people,asked,{row['base']},{row['base']},base,equal,p_used,,\n"
    )
    (project / "publication" / "published_figures.csv").write_text(figures, encoding="utf-8")
    publication = spec.load_publication(project / "publication")  # the spec stage reads the figures, once
    return publication, table, row, weighted_share


def test_a_printed_percentage_of_a_weighted_population_is_compared_with_the_weighted_share(weighted):
    publication, table, row, share = weighted

    result = reconcile.reconcile(publication, table).set_index("figure_id")

    assert result.loc["w1", "status"] == "reproduced"
    assert result.loc["w1", "recomputed"] == f"{float(row['percent']):.2f}"
    assert "weighted share" in result.loc["w1", "reason_en"]
    assert f"n = {row['base']}" in result.loc["w1", "reason_en"]


def test_the_unweighted_percentage_does_not_reproduce_a_weighted_figure_and_no_base_is_searched_for(weighted):
    publication, table, _, _ = weighted

    result = reconcile.reconcile(publication, table).set_index("figure_id")

    assert result.loc["w2", "status"] == "not_reproducible"
    assert result.loc["w2", "candidates"] == ""
    assert result.loc["w2", "candidate_count"] == 0
    assert "no other base is looked for" in result.loc["w2", "reason_en"]


def test_a_printed_base_of_a_weighted_population_is_the_unweighted_respondents(weighted):
    publication, table, row, _ = weighted

    result = reconcile.reconcile(publication, table).set_index("figure_id")

    assert result.loc["w3", "status"] == "reproduced"
    assert result.loc["w3", "base"] == int(row["base"])
