"""Weighted tables checked against a maintained survey-analysis library (svy), for a weighted, a stratified, a
stratified-clustered and a stratified-clustered design with a finite population correction; both engines give the
same weighted table; with all weights 1 and no strata or clusters the shares are today's unweighted ones exactly."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import polars as pl
import pytest
import svy
from weighted_survey import DESIGNS, make_project, people

from surveypress import content as spec
from surveypress.microdata import load
from surveypress.stats import design as design_stage
from surveypress.stats.tabulate import tabulate

TOLERANCE = 1e-9


@pytest.fixture(scope="module", params=sorted(DESIGNS))
def weighted(request, tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp(request.param), request.param)
    publication = spec.load_publication(project / "publication")
    return request.param, publication, load.load_microdata(publication)


def svy_shares(frame: pd.DataFrame, declared: dict, y: str, by: str | None = None) -> pl.DataFrame:
    """svy's Taylor estimates of the shares of `y`'s codes among respondents with a code, optionally by `by`.

    Respondents outside the base stay in the design (svy's `where`), as domain estimation requires."""
    data = frame
    answered = (data[y].fillna(-1) > 0).to_numpy()
    columns = {
        "w": data[declared["weight"]].astype(float).to_numpy(),
        "y": np.where(answered, data[y].fillna(0).astype(int).astype(str), "outside"),
        "keep": answered,
    }
    for key in ("strata", "cluster"):
        if key in declared:
            columns[key] = data[declared[key]].astype(str).to_numpy()
    if "fpc" in declared:
        columns["fpc"] = data[declared["fpc"]].astype(float).to_numpy()
    if by:
        columns["by"] = data[by].astype(int).astype(str).to_numpy()
    sample = svy.Sample(
        pl.DataFrame(columns),
        svy.Design(
            wgt="w",
            stratum="strata" if "strata" in declared else None,
            psu="cluster" if "cluster" in declared else None,
            pop_size="fpc" if "fpc" in declared else None,
        ),
    )
    result = sample.estimation.prop("y", by="by" if by else None, where=svy.col("keep"), deff="wr").to_polars()
    return result.filter(pl.col("y") != "outside")


def our_estimates(publication, microdata, indicator: str, breakdown: str = "total", group=None) -> dict:
    """The unrounded estimates design.py computes for one domain of one indicator, by category code."""
    from surveypress.stats import tabulate as stage
    from surveypress.stats.engines import pandas_engine

    task = next(t for t in stage.plan(publication)["people"] if t.indicator.id == indicator)
    frame = microdata["people"]
    where = design_stage.layout(frame, publication.codebook.populations["people"].design)
    sums = pandas_engine.weighted_sums(publication.codebook, frame, [task], where)[indicator][breakdown][group]
    table = tabulate(publication, microdata, engine="pandas")
    rows = table[(table["indicator"] == indicator) & (table["breakdown"] == breakdown)]
    if group is not None:
        rows = rows[rows["group"] == str(group)]
    found = design_stage.estimates(sums, where.shape, int(rows["base"].iloc[0]), tuple(rows["count"]))
    return {category.code: estimate for category, estimate in zip(task.categories, found, strict=True)}


def test_weighted_shares_and_standard_errors_equal_svys_for_the_whole_sample(weighted):
    name, publication, microdata = weighted
    expected = svy_shares(microdata["people"], DESIGNS[name], "p_satisfaction")
    ours = our_estimates(publication, microdata, "p_satisfaction")
    assert expected.height == 5
    for row in expected.iter_rows(named=True):
        estimate = ours[row["y"]]
        assert estimate.share == pytest.approx(row["est"], abs=TOLERANCE)
        assert estimate.se == pytest.approx(row["se"], abs=TOLERANCE)
        assert estimate.deff == pytest.approx(row["deff"], rel=TOLERANCE)
        assert estimate.low == pytest.approx(row["lci"], abs=TOLERANCE)
        assert estimate.high == pytest.approx(row["uci"], abs=TOLERANCE)


def test_weighted_shares_and_standard_errors_equal_svys_in_every_breakdown_group(weighted):
    name, publication, microdata = weighted
    expected = svy_shares(microdata["people"], DESIGNS[name], "p_used", by="p_region")
    for group in (1, 2):
        ours = our_estimates(publication, microdata, "p_used", "p_region", group)
        for row in expected.filter(pl.col("by") == str(group)).iter_rows(named=True):
            assert ours[row["y"]].share == pytest.approx(row["est"], abs=TOLERANCE)
            assert ours[row["y"]].se == pytest.approx(row["se"], abs=TOLERANCE)


def test_both_engines_give_the_same_weighted_table(weighted):
    _, publication, microdata = weighted
    pd.testing.assert_frame_equal(
        tabulate(publication, microdata, engine="pandas"),
        tabulate(publication, microdata, engine="duckdb"),
        check_exact=True,
    )


def test_the_table_shows_the_weighted_percent_beside_the_unweighted_count_and_base(weighted):
    _, publication, microdata = weighted
    table = tabulate(publication, microdata, engine="pandas")
    assert list(table.columns[-3:]) == ["se", "deff", "n_eff"]
    frame = microdata["people"]
    asked = frame[frame["p_used"] > 0]
    row = table[(table["indicator"] == "p_used") & (table["breakdown"] == "total") & (table["category"] == "1")]
    assert int(row["base"].iloc[0]) == len(asked)
    assert int(row["count"].iloc[0]) == int((asked["p_used"] == 1).sum())
    weighted_share = asked.loc[asked["p_used"] == 1, "weight"].sum() / asked["weight"].sum() * 100
    assert float(row["percent"].iloc[0]) == pytest.approx(weighted_share, abs=0.005)
    # Firms declare no design: their rows keep the Wilson interval and leave the design columns empty.
    firms = table[table["population"] == "firms"]
    assert firms[["se", "deff", "n_eff"]].isna().all().all()


def test_with_all_weights_one_and_no_design_the_percents_are_todays_exactly(tmp_path):
    frame = people(seed=3)
    frame["weight"] = 1.0
    project = make_project(tmp_path, "weighted", frame)
    publication = spec.load_publication(project / "publication")
    microdata = load.load_microdata(publication)
    weighted_table = tabulate(publication, microdata, engine="pandas")
    unweighted = spec.load_publication(project / "publication")
    unweighted.codebook.populations["people"] = replace(unweighted.codebook.populations["people"], design=None)
    today = tabulate(unweighted, {**microdata, "people": microdata["people"].drop(columns="weight")}, engine="pandas")
    pd.testing.assert_frame_equal(weighted_table[today.columns[:10]], today[today.columns[:10]], check_exact=True)
    designed = weighted_table[weighted_table["population"] == "people"].dropna(subset=["deff"])
    # A self-weighting simple random sample has design effect 1.
    assert (designed["deff"] == 1.0).all()


def test_without_a_design_the_table_has_exactly_todays_columns():
    from test_tabulate import fixture_microdata, fixture_publication

    from surveypress.stats.tabulate import TABLE_COLUMNS

    table = tabulate(fixture_publication(), {"people": fixture_microdata()}, engine="pandas")
    assert list(table.columns) == TABLE_COLUMNS


def test_at_zero_percent_the_interval_is_clopper_pearson_on_the_unweighted_base():
    low, high = design_stage.interval(0.0, 0.0, 10, 40, 0)
    assert low == 0.0 and high == pytest.approx(0.0880973, abs=1e-7)
    assert not math.isnan(design_stage.interval(1.0, 0.0, 10, 40, 40)[0])
