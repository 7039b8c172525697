"""The two counting engines: identical tables on the default publication, Parquet input, and Parquet checks that
refuse the same bad cells load.py refuses, naming the same row, column and value."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_tabulate import fixture_microdata, fixture_publication

from surveypress import content as spec
from surveypress.content import Label, Population
from surveypress.errors import InputError
from surveypress.microdata import load
from surveypress.stats import tabulate as tabulate_stage
from surveypress.stats.tabulate import choose_engine, tabulate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def default_publication():
    publication = spec.load_publication(ROOT / "publication")
    return publication, load.load_microdata(publication)


def test_both_engines_give_identical_tables_on_the_default_publication(default_publication):
    publication, microdata = default_publication
    by_pandas = tabulate(publication, microdata, engine="pandas")
    pd.testing.assert_frame_equal(by_pandas, tabulate(publication, microdata, engine="duckdb"), check_exact=True)
    assert set(by_pandas["indicator"]) == {indicator.id for indicator in publication.indicators}


def test_duckdb_reading_parquet_gives_the_table_pandas_gives_from_loaded_frames(default_publication, tmp_path):
    publication, microdata = default_publication
    paths = {}
    for population, frame in microdata.items():
        paths[population] = tmp_path / f"{population}.parquet"
        frame.to_parquet(paths[population])
    pd.testing.assert_frame_equal(
        tabulate(publication, microdata, engine="pandas"),
        tabulate(publication, paths, engine="duckdb"),
        check_exact=True,
    )


def test_pandas_engine_given_parquet_paths_reads_them_itself(tmp_path):
    path = tmp_path / "people.parquet"
    fixture_microdata().to_parquet(path)
    publication = fixture_publication()
    pd.testing.assert_frame_equal(
        tabulate(publication, {"people": fixture_microdata()}, engine="pandas"),
        tabulate(publication, {"people": path}, engine="pandas"),
        check_exact=True,
    )


def test_auto_picks_duckdb_for_many_rows_or_a_big_parquet_file(tmp_path, monkeypatch):
    frame = fixture_microdata()
    path = tmp_path / "people.parquet"
    frame.to_parquet(path)
    assert choose_engine({"people": frame}) == "pandas"
    assert choose_engine({"people": path}) == "pandas"
    monkeypatch.setattr(tabulate_stage, "AUTO_DUCKDB_ROWS", len(frame) - 1)
    assert choose_engine({"people": frame}) == "duckdb"
    monkeypatch.setattr(tabulate_stage, "AUTO_DUCKDB_PARQUET_BYTES", path.stat().st_size - 1)
    assert choose_engine({"people": path}) == "duckdb"


def _corrupt_id(frame, index, value):
    frame["respondent_id"] = frame["respondent_id"].astype(object)
    frame.loc[index, "respondent_id"] = value


def _as_text(frame, column, index, value):
    frame[column] = frame[column].astype("str").replace("<NA>", "")
    frame.loc[index, column] = value


BAD_CELLS = {
    "code outside the scale": lambda f: f.__setitem__("rating", f["rating"].where(f.index != 4, 7)),
    "answer outside the universe": lambda f: f.__setitem__("rating", f["rating"].where(f.index != 3, 2)),
    "empty cell inside the universe": lambda f: f.__setitem__("rating", f["rating"].where(f.index != 5, pd.NA)),
    "multi-choice partly no-answer": lambda f: f.__setitem__("services_2", f["services_2"].where(f.index != 5, -9)),
    "multi-choice cell not 0/1": lambda f: f.__setitem__("services_3", f["services_3"].where(f.index != 0, 2)),
    "repeated respondent id": lambda f: _corrupt_id(f, 6, "p02"),
    "respondent id with a space": lambda f: _corrupt_id(f, 6, " p07"),
    "respondent id with a full-width space": lambda f: _corrupt_id(f, 6, "p07\u3000"),
    "empty respondent id": lambda f: _corrupt_id(f, 3, ""),
    "decimal code stored as text": lambda f: _as_text(f, "rating", 1, "2.0"),
    "column missing": lambda f: f.pop("rating"),
}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
@pytest.mark.parametrize("problem", BAD_CELLS)
def test_parquet_check_refuses_what_load_refuses_with_the_same_row_column_and_value(problem, engine, tmp_path):
    frame = fixture_microdata()
    BAD_CELLS[problem](frame)
    path = tmp_path / "people.parquet"
    frame.to_parquet(path)
    publication = fixture_publication()
    with pytest.raises(InputError) as by_load:
        load.load_population(publication.codebook, Population("people", Label("人", "People"), path), tmp_path, 2**30)
    with pytest.raises(InputError) as by_sql:
        tabulate(publication, {"people": path}, engine=engine)
    found = (by_sql.value.row, by_sql.value.column, by_sql.value.value)
    assert found == (by_load.value.row, by_load.value.column, by_load.value.value)
    assert by_sql.value.file == str(path)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_each_engine_names_an_unreadable_parquet_file(engine, tmp_path):
    path = tmp_path / "people.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="a Parquet file"):
        tabulate(fixture_publication(), {"people": path}, engine=engine)


@pytest.mark.parametrize("dtype", ["Int16", "Int64", "Float64"])
def test_wider_integer_columns_give_the_same_table(dtype):
    publication, frame = fixture_publication(), fixture_microdata()
    wider = frame.astype({column: dtype for column in frame.columns[1:]})
    expected = tabulate(publication, {"people": frame}, engine="pandas")
    for engine in ("pandas", "duckdb"):
        pd.testing.assert_frame_equal(
            expected, tabulate(publication, {"people": wider}, engine=engine), check_exact=True
        )


def test_parquet_with_codes_stored_as_text_is_read_like_integers(tmp_path):
    frame = fixture_microdata()
    text = frame.astype({column: "str" for column in frame.columns[1:]})
    for column in frame.columns[1:]:
        text[column] = frame[column].astype("Int64").astype("str").replace("<NA>", "")
    path = tmp_path / "people.parquet"
    text.to_parquet(path)
    expected = tabulate(fixture_publication(), {"people": frame}, engine="pandas")
    for engine in ("pandas", "duckdb"):
        pd.testing.assert_frame_equal(expected, tabulate(fixture_publication(), {"people": path}, engine=engine))


def test_a_multi_choice_question_too_wide_for_bit_patterns_is_counted_per_category():
    from test_tabulate import _question

    from surveypress.content import Codebook, Indicator, Label, Net, Publication
    from surveypress.stats.engines import pandas_engine

    width = pandas_engine.MAX_PATTERN_OPTIONS + 2
    wide = _question("wide", "multi", [(code, f"项{code}") for code in range(1, width + 1)])
    base = fixture_publication()
    codebook = Codebook(base.codebook.no_answer, base.codebook.populations, {**base.codebook.questions, "wide": wide})
    net = Net("first_two", "前两项", "First two", codes=(1, 2))
    indicator = Indicator("wide", "wide", "people", Label("wide", "wide"), (net,), ("area",))
    publication = Publication(base.content_dir, base.project_root, {}, codebook, [indicator], base.disclosure)
    frame = fixture_microdata()
    ticks = [[(row + code) % 3 == 0 for code in range(1, width + 1)] for row in range(len(frame))]
    for code in range(1, width + 1):
        frame[f"wide_{code}"] = pd.array([int(t[code - 1]) for t in ticks], dtype="Int8")
    frame.loc[2, [f"wide_{code}" for code in range(1, width + 1)]] = -9
    table = tabulate(publication, {"people": frame}, engine="pandas")
    pd.testing.assert_frame_equal(table, tabulate(publication, {"people": frame}, engine="duckdb"), check_exact=True)
    total = table[table.breakdown == "total"].set_index("category")
    # Nine answered (row 3 gave no answer); option 1 is ticked on rows where (row + 1) % 3 == 0: rows 2, 5, 8 -> 5, 8.
    assert total.loc["1", "base"] == 9 and total.loc["1", "count"] == 2
    expected_net = sum(1 for row, t in enumerate(ticks) if row != 2 and (t[0] or t[1]))
    assert total.loc["first_two", "count"] == expected_net


def test_duckdb_connections_print_no_progress_bar_into_the_build_log():
    from surveypress.stats.engines import duckdb_sql

    connection = duckdb_sql.connect()
    try:
        assert connection.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False
    finally:
        connection.close()


WIDE_QUESTIONS = 300


def wide_publication_and_frame(respondents: int = 120):
    """The fixture's four questions and WIDE_QUESTIONS more (singles; every third behind the `used` filter, every
    fifth broken down by area, every eleventh multi-choice), all with indicators: far more grouping sets than
    duckdb_long.MAX_GROUPING_SETS, so the DuckDB engine counts them in long form."""
    from test_tabulate import _question

    from surveypress.content import Codebook, Indicator, Net, Publication, Universe

    base = fixture_publication()
    generator = np.random.default_rng(22)
    frame = pd.concat([fixture_microdata()] * (respondents // 10), ignore_index=True)
    frame["respondent_id"] = [f"r{row:04d}" for row in range(len(frame))]
    used = frame["used"].to_numpy(dtype="float64", na_value=np.nan) == 1
    questions = dict(base.codebook.questions)
    indicators = list(base.indicators)
    columns = {}
    for number in range(WIDE_QUESTIONS):
        qid = f"q{number:03d}"
        behind = number % 3 == 0
        universe = Universe("used", (1,)) if behind else None
        multi = number % 11 == 0
        question = _question(qid, "multi" if multi else "single", [(1, "一"), (2, "二"), (3, "三")], universe)
        questions[qid] = question
        no_answer = generator.random(len(frame)) < 0.05  # every option cell of a multi-choice question at once
        for column in question.columns():
            cells = generator.integers(0 if multi else 1, 2 if multi else 4, len(frame)).astype("float64")
            cells[no_answer] = -9
            if behind:
                cells[~used] = np.nan
            columns[column] = pd.array(cells, dtype="Float64").astype("Int16")
        nets = (Net("one_or_two", "一或二", "One or two", codes=(1, 2)),) if number % 7 == 0 else ()
        breakdowns = ("area",) if number % 5 == 0 else ()
        indicators.append(Indicator(qid, qid, "people", Label(qid, qid), nets, breakdowns))
    frame = pd.concat([frame, pd.DataFrame(columns)], axis=1)
    codebook = Codebook(base.codebook.no_answer, base.codebook.populations, questions)
    return Publication(base.content_dir, base.project_root, {}, codebook, indicators, base.disclosure), frame


@pytest.mark.parametrize("stored", ["text", "integers"])
def test_a_wide_streamed_file_is_counted_in_long_form_to_the_in_memory_table(stored, tmp_path, monkeypatch):
    from surveypress.stats.engines import duckdb_long

    publication, frame = wide_publication_and_frame()
    path = tmp_path / "people.parquet"
    if stored == "text":  # as sources.py copies a large CSV file: every cell text, empty when not asked
        frame.astype("string").fillna("").to_parquet(path)
    else:
        frame.to_parquet(path)
    batches = []
    original = duckdb_long._count_batch
    monkeypatch.setattr(duckdb_long, "_count_batch", lambda *args: batches.append(1) or original(*args))
    monkeypatch.setattr(duckdb_long, "BATCH_COLUMNS", 64)  # several batches, as a file of thousands of columns

    found = tabulate(publication, {"people": path}, engine="duckdb")

    assert len(batches) > 3
    pd.testing.assert_frame_equal(found, tabulate(publication, {"people": frame}, engine="pandas"), check_exact=True)


@pytest.mark.parametrize(
    "column, value",
    [("q150", "2.0"), ("q151", "7"), ("q030", "1"), ("q044_2", "-9"), ("q096", "")],
    ids=["decimal", "unknown-code", "outside-universe", "half-answered", "empty-inside"],
)
def test_a_wide_streamed_file_is_refused_with_load_pys_message(column, value, tmp_path):
    publication, frame = wide_publication_and_frame(respondents=30)
    text = frame.astype("string").fillna("")
    row = int(np.flatnonzero((frame["used"] == 1).fillna(False).to_numpy() == (column != "q030"))[-1])
    if column == "q044_2":  # a multi-choice question with one option no-answer and the others answered
        text.loc[row, ["q044_1", "q044_3"]] = "0"
    text.loc[row, column] = value
    path = tmp_path / "people.parquet"
    text.to_parquet(path)
    population = Population("people", Label("人", "People"), path)
    with pytest.raises(InputError) as by_load:
        load.load_population(publication.codebook, population, tmp_path, 2**30)
    with pytest.raises(InputError) as by_sql:
        tabulate(publication, {"people": path}, engine="duckdb")
    assert str(by_sql.value).replace(str(path), path.name) == str(by_load.value)
    assert (by_sql.value.row, by_sql.value.column) == (row + 2, column)


def test_running_out_of_memory_anywhere_is_one_message_naming_the_limit_to_raise(monkeypatch, tmp_path):
    import duckdb

    from surveypress import build
    from surveypress.stats.engines import duckdb_sql

    def exhausted(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 2.0 MiB")

    monkeypatch.setattr(build, "build", exhausted)
    monkeypatch.setenv(duckdb_sql.MEMORY_ENV, "1500MB")
    log = io.StringIO()
    assert build.main(["--content", str(tmp_path / "publication")], stream=log) == 4
    assert log.getvalue().splitlines() == [
        "error: out of memory (Out of Memory Error: failed to allocate data of size 2.0 MiB); nothing was published. "
        "The DuckDB engine may use 1500MB: set SURVEYPRESS_DUCKDB_MEMORY higher (e.g. SURVEYPRESS_DUCKDB_MEMORY=2GB) "
        "if the machine has that memory free, or build on a machine with more"
    ]
    connection = duckdb_sql.connect()
    try:
        assert connection.execute("SELECT current_setting('memory_limit')").fetchone()[0].startswith("1.3 GiB")
    finally:
        connection.close()
    monkeypatch.setenv(duckdb_sql.MEMORY_ENV, "lots")
    with pytest.raises(InputError, match="SURVEYPRESS_DUCKDB_MEMORY.*a size such as 2GB"):
        duckdb_sql.connect()
