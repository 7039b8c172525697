"""Numeric questions (tests/fixtures/numeric: the tiny fixture with p_age): bands counted as categories by both
engines and the Parquet paths,
a numeric question as a breakdown, and the mean and median with their 95% intervals."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveypress import content as spec
from surveypress import values
from surveypress.errors import InputError
from surveypress.microdata import load, numeric
from surveypress.stats import tabulate

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "numeric"
# Two tests here count with every engine, Spark's included: they share test_spark_engine.py's worker and its JVM.
pytestmark = pytest.mark.xdist_group("spark")
RAW = TINY / "datasets" / "microdata" / "people.csv"


@pytest.fixture(scope="module")
def tiny():
    publication = spec.load_publication(TINY / "publication")
    return publication, load.load_microdata(publication)


def raw_ages() -> pd.Series:
    ages = pd.read_csv(RAW, dtype={"p_age": "float64"})["p_age"]
    return ages[ages.notna() & (ages != -9)]


def test_band_counts_equal_a_pandas_recount_of_the_raw_values(tiny):
    publication, microdata = tiny
    for engine in tabulate.ENGINES:
        table = tabulate.tabulate(publication, microdata, engine=engine)
        rows = table[(table["indicator"] == "p_age") & (table["breakdown"] == "total")].set_index("category")
        recount = pd.cut(raw_ages(), bins=[18, 40, 60, 100], right=False, labels=["1", "2", "3"]).value_counts()
        for band in ("1", "2", "3"):
            assert rows.loc[band, "count"] == recount[band], (engine, band)
        assert rows.loc["1", "base"] == len(raw_ages())
        assert rows.loc["under_60", "count"] == recount["1"] + recount["2"]


def test_a_numeric_question_as_a_breakdown_groups_respondents_by_band(tiny):
    publication, microdata = tiny
    table = tabulate.tabulate(publication, microdata, engine="pandas")
    people = pd.read_csv(RAW)
    answered = people[people["p_used"].isin([1, 2])]
    for band, (low, below) in {"1": (18, 40), "2": (40, 60), "3": (60, 100)}.items():
        group = answered[(answered["p_age"] >= low) & (answered["p_age"] < below)]
        rows = table[(table["indicator"] == "p_used_by_age") & (table["breakdown"] == "p_age")]
        rows = rows[rows["group"] == band]
        assert set(rows["base"]) == {len(group)}
        assert rows.set_index("category").loc["1", "count"] == (group["p_used"] == 1).sum()


def test_both_engines_and_both_parquet_paths_give_identical_tables_and_summaries(tiny, tmp_path):
    publication, microdata = tiny
    expected = tabulate.tabulate(publication, microdata, engine="pandas")
    paths = {}
    for population, frame in microdata.items():
        paths[population] = tmp_path / f"{population}.parquet"
        frame.to_parquet(paths[population])
    assert microdata["people"]["p_age"].dtype == "Float64"  # stored as double in the Parquet file
    for engine in tabulate.ENGINES:
        pd.testing.assert_frame_equal(expected, tabulate.tabulate(publication, microdata, engine=engine))
        pd.testing.assert_frame_equal(expected, tabulate.tabulate(publication, paths, engine=engine))
    pd.testing.assert_frame_equal(tabulate.summarize(publication, microdata), tabulate.summarize(publication, paths))


def test_parquet_numeric_values_out_of_range_are_refused_as_load_refuses_them(tiny, tmp_path):
    publication, microdata = tiny
    people = microdata["people"].copy()
    people.loc[6, "p_age"] = 120.0
    path = tmp_path / "people.parquet"
    people.to_parquet(path)
    paths = {"people": path, "firms": microdata["firms"]}
    messages = set()
    # Spark is handed a Parquet file after DuckDB has checked it: the pandas and DuckDB checks word the message.
    for engine in ("pandas", "duckdb"):
        with pytest.raises(InputError) as caught:
            tabulate.tabulate(publication, paths, engine=engine)
        messages.add(str(caught.value).split(", ", 1)[1])
    assert messages == {
        "row 8, column p_age: value '120': expected a whole number from 18 to 99 for question p_age, or -9 (no answer)."
        " Out of the range the codebook declares"
    }


def test_the_mean_interval_is_the_t_interval_of_the_raw_values(tiny):
    publication, microdata = tiny
    summary = tabulate.summarize(publication, microdata).set_index("statistic")
    ages = raw_ages().to_numpy()
    low, high = stats.t.interval(0.95, len(ages) - 1, loc=ages.mean(), scale=stats.sem(ages))
    assert summary.loc["mean", "value"] == round(ages.mean(), 2)
    assert (summary.loc["mean", "ci_low"], summary.loc["mean", "ci_high"]) == (round(low, 2), round(high, 2))
    assert summary.loc["mean", "n"] == len(ages) == summary.loc["median", "n"]
    assert summary.loc["median", "value"] == np.median(ages)


@pytest.mark.parametrize("n", [6, 7, 10, 39, 100, 1001, 6366, 25_000])
def test_the_median_interval_ranks_cover_at_least_95_percent_and_one_rank_narrower_would_not(n):
    low, high = numeric.median_ranks(n)
    assert high == n + 1 - low
    coverage = 1 - 2 * stats.binom.cdf(low - 1, n, 0.5)
    narrower = 1 - 2 * stats.binom.cdf(low, n, 0.5)
    assert coverage >= 0.95 > narrower


def test_too_few_answers_give_a_median_without_an_interval():
    assert numeric.median_ranks(5) is None
    rule = spec.Numeric(
        minimum=numeric.Decimal(0), maximum=numeric.Decimal(10), decimals=1, unit=spec.Label("", ""), bands=()
    )
    summary = numeric.summarise({15: 1, 25: 2}, rule)
    assert summary["median"]["value"] == numeric.Decimal("2.500")
    assert summary["median"]["ci_low"] is None and summary["mean"]["ci_low"] is not None


def test_bands_are_counted_in_whole_units_of_the_declared_decimals():
    rule = spec.Numeric(
        minimum=numeric.Decimal(0),
        maximum=numeric.Decimal(10),
        decimals=1,
        unit=spec.Label("", ""),
        bands=(
            spec.Band(1, numeric.Decimal(0), numeric.Decimal("2.5")),
            spec.Band(2, numeric.Decimal("2.5"), None),
        ),
    )
    raw = np.array([0.0, 2.4, 2.5, 10.0, 10.1, 2.45, -9.0])
    codes = numeric.band_array(raw, np.zeros(len(raw), dtype=bool), rule, -9)
    assert codes.tolist() == [1, 1, 2, 2, numeric.NO_BAND, numeric.NO_BAND, -9]


def test_a_project_whose_numeric_values_break_the_codebook_is_refused_by_load(tmp_path):
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    path = project / "datasets" / "microdata" / "people.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^(P-003,.*,)[0-9]+$", r"\g<1>4O", text, count=1, flags=re.M), encoding="utf-8")
    publication = spec.load_publication(project / "publication")
    with pytest.raises(InputError, match="row 5, column p_age: value '4O': expected a whole number from 18 to 99"):
        load.load_microdata(publication)


def test_templates_get_the_mean_and_median_formatted_from_the_summary_table(tiny):
    publication, microdata = tiny
    summary = tabulate.summarize(publication, microdata)
    summaries = values.Summaries(summary, {"p_age": 0})
    mean = summary[summary["statistic"] == "mean"].iloc[0]
    median = summary[summary["statistic"] == "median"].iloc[0]
    assert summaries.mean("p_age") == f"{mean['value']:.1f}"
    assert (summaries.mean_ci("p_age").low, summaries.mean_ci("p_age").high) == (
        f"{mean['ci_low']:.1f}",
        f"{mean['ci_high']:.1f}",
    )
    # Ages are whole years: a median that is one of them is shown without a decimal.
    assert summaries.median("p_age") == str(int(median["value"]))
    assert summaries.mean("p_age", 2) == f"{mean['value']:.2f}"
    assert summaries.answered("p_age") == len(raw_ages())
    with pytest.raises(InputError, match="expected a numeric question \\(one of p_age\\)"):
        summaries.mean("p_region")
