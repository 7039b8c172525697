"""A weighted design streamed from a Parquet file (DuckDB sums weights by PSU and stratum without loading the file)
gives the in-memory path's weighted sums, estimates and table, for every design of the weighted fixture, whether the
file holds text (a large CSV file's Parquet copy) or typed columns; single-PSU strata, population sizes and the
weight rules are refused with load.py's messages."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from weighted_survey import DESIGNS, make_project, people

from surveypress import content as spec
from surveypress.errors import InputError
from surveypress.microdata import load
from surveypress.stats import design as design_stage
from surveypress.stats.engines import duckdb_sums, pandas_engine
from surveypress.stats.tabulate import plan, tabulate

TOLERANCE = 1e-9


def as_parquet(csv: Path, target: Path, text: bool, padded: bool = False) -> Path:
    """The CSV file as Parquet: all text, as sources.py copies a large CSV file, or with typed columns; `padded`
    surrounds some stratum and PSU cells with white space, which load.py trims (so one label has several cells)."""
    if text:
        names = pa_csv.read_csv(csv).column_names
        options = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False)
        table = pa_csv.read_csv(csv, convert_options=options)
        for column in ("stratum", "psu") if padded else ():
            if column in names:
                cells = table.column(column).to_pylist()
                cells = [[" ", "", "\u3000"][row % 3] + cell + ["", "\t "][row % 2] for row, cell in enumerate(cells)]
                table = table.set_column(names.index(column), column, pa.array(cells))
    else:
        frame = pd.read_csv(csv, dtype={"stratum": str, "psu": str})
        answers = [column for column in frame.columns if column.startswith("p_")]
        table = pa.Table.from_pandas(frame.astype(dict.fromkeys(answers, "Int64")), preserve_index=False)
    pq.write_table(table, target)
    return target


@pytest.fixture(scope="module", params=sorted(DESIGNS))
def streamed(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    project = make_project(folder, request.param)
    publication = spec.load_publication(project / "publication")
    microdata = load.load_microdata(publication)
    csv = project / "datasets" / "microdata" / "people.csv"
    return publication, microdata, csv, folder


@pytest.mark.parametrize("text, padded", [(True, False), (False, False), (True, True)], ids=["text", "typed", "padded"])
def test_a_streamed_weighted_file_gives_the_in_memory_weighted_sums_to_1e_9(streamed, text, padded):
    publication, microdata, csv, folder = streamed
    path = as_parquet(csv, folder / f"people-{text}-{padded}.parquet", text, padded)
    tasks = plan(publication)["people"]
    frame = microdata["people"]
    design = publication.codebook.populations["people"].design
    expected_layout = design_stage.layout(frame, design)
    expected = pandas_engine.weighted_sums(publication.codebook, frame, tasks, expected_layout)

    layout, found = duckdb_sums.weighted_sums_parquet(publication.codebook, "people", path, tasks, "people")

    np.testing.assert_array_equal(layout.shape.psus, expected_layout.shape.psus)
    np.testing.assert_allclose(layout.shape.fpc, expected_layout.shape.fpc, rtol=0, atol=TOLERANCE)
    assert layout.strata_labels == expected_layout.strata_labels
    compared = 0
    for indicator, breakdowns in expected.items():
        for breakdown, groups in breakdowns.items():
            for group, sums in groups.items():
                ours = found[indicator][breakdown][group]
                for field in ("w", "wy", "aa", "ab", "bb", "members"):
                    np.testing.assert_allclose(getattr(ours, field), getattr(sums, field), rtol=TOLERANCE, atol=0)
                base = int(round(float(sums.members.sum()))) if not layout.shape.clustered else 10
                counts = (1,) * sums.wy.shape[1]
                for mine, theirs in zip(
                    design_stage.estimates(ours, layout.shape, base, counts),
                    design_stage.estimates(sums, expected_layout.shape, base, counts),
                    strict=True,
                ):
                    for value, reference in zip(vars(mine).values(), vars(theirs).values(), strict=True):
                        assert value == pytest.approx(reference, abs=TOLERANCE, nan_ok=True)
                compared += 1
    assert compared >= 9


@pytest.mark.parametrize("crossed", [True, False], ids=["groups-crossed", "grouping-sets"])
def test_a_streamed_weighted_file_gives_the_in_memory_table_exactly(streamed, crossed, monkeypatch):
    publication, microdata, csv, folder = streamed
    # Many breakdowns group apart (GROUPING SETS) rather than crossed; both give the same sums.
    monkeypatch.setattr(duckdb_sums, "CROSSED_GROUPS", duckdb_sums.CROSSED_GROUPS if crossed else 0)
    path = as_parquet(csv, folder / "people-table.parquet", text=True)

    expected = tabulate(publication, microdata, engine="pandas")
    found = tabulate(publication, {**microdata, "people": path}, engine="duckdb")

    assert not math.isnan(found["se"].iloc[0])
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


def people_with(changes: dict) -> pd.DataFrame:
    frame = people(strata=2, psus=2, per_psu=3).astype(object)
    for (row, column), value in changes.items():
        frame.loc[row, column] = value
    return frame


@pytest.mark.parametrize(
    "design, changes",
    [
        ("stratified_clustered", {(4, "weight"): -1.5}),
        ("stratified_clustered", {(7, "weight"): 0}),
        ("stratified_clustered", {(2, "weight"): ""}),
        ("stratified_clustered", {(5, "weight"): "n/a"}),
        ("stratified_clustered", {(3, "stratum"): " "}),
        ("stratified_clustered", {(8, "psu"): ""}),
        ("stratified_clustered", {(row, "psu"): "C1" for row in range(6, 12)}),
        ("stratified", {(row, "stratum"): "S9" for row in (5,)}),
        ("stratified_clustered_fpc", {(4, "stratum_psus"): "many"}),
        ("stratified_clustered_fpc", {(4, "stratum_psus"): 11}),
        ("stratified_clustered_fpc", {(row, "stratum_psus"): 1 for row in range(6, 12)}),
    ],
    ids=[
        "negative",
        "zero",
        "missing",
        "not-a-number",
        "blank-stratum",
        "blank-psu",
        "one-psu",
        "one-respondent",
        "size-not-a-number",
        "two-sizes",
        "size-below-psus",
    ],
)
def test_a_streamed_file_breaking_a_design_rule_gets_load_pys_message(tmp_path, design, changes):
    project = make_project(tmp_path, design, people_with(changes))
    publication = spec.load_publication(project / "publication")
    csv = project / "datasets" / "microdata" / "people.csv"
    with pytest.raises(InputError) as expected:
        load.load_microdata(publication)
    publication.codebook.populations.pop("firms")  # the people population alone: its rows are the problem
    path = as_parquet(csv, tmp_path / "people.parquet", text=True)

    with pytest.raises(InputError) as found:
        tabulate(publication, {"people": path}, engine="duckdb")

    assert str(found.value).replace(str(path), "people.csv") == str(expected.value).replace(
        "datasets/microdata/people.csv", "people.csv"
    )


def test_a_weighted_file_summed_a_task_a_query_and_counted_in_long_form_gives_the_same_table(streamed, monkeypatch):
    """A file of thousands of questions is summed WEIGHTED_TASKS tasks a query, each reading only its columns, and
    counted in long form (duckdb_long.py); forced here, one task a query, the table is the in-memory one."""
    from surveypress.stats.engines import duckdb_long

    publication, microdata, csv, folder = streamed
    monkeypatch.setattr(duckdb_sums, "WEIGHTED_TASKS", 1)
    monkeypatch.setattr(duckdb_long, "MAX_GROUPING_SETS", 0)
    path = as_parquet(csv, folder / "people-batched.parquet", text=True, padded=True)

    expected = tabulate(publication, microdata, engine="pandas")

    pd.testing.assert_frame_equal(tabulate(publication, microdata, engine="duckdb"), expected, check_exact=True)
    found = tabulate(publication, {**microdata, "people": path}, engine="duckdb")
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
