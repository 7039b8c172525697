"""The tabulate stage on a ten-respondent fixture whose every figure was counted by hand, and Wilson intervals."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from surveypress.content import (
    Codebook,
    Disclosure,
    Indicator,
    Label,
    Net,
    Option,
    Population,
    Publication,
    Question,
    Universe,
)
from surveypress.stats.tabulate import TABLE_COLUMNS, tabulate, wilson_interval

NA = pd.NA
NO = -9


def _question(qid, qtype, options, universe=None):
    return Question(
        id=qid,
        population="people",
        type=qtype,
        text=Label(zh=qid, en=qid),
        options=tuple(Option(code=code, zh=zh, en=zh) for code, zh in options),
        universe=universe,
    )


def fixture_publication(tmp: Path = Path("/nonexistent")) -> Publication:
    """Four questions: a breakdown (with an empty group), a filter, a multi-choice and a scale behind the filter."""
    questions = [
        _question("area", "single", [(1, "城镇"), (2, "农村"), (3, "其他")]),
        _question("used", "single", [(1, "使用过"), (2, "未使用过")]),
        _question("services", "multi", [(1, "缴费"), (2, "社保"), (3, "健康码")], Universe("used", (1,))),
        _question("rating", "scale", [(1, "很好"), (2, "较好"), (3, "一般"), (4, "较差")], Universe("used", (1,))),
    ]
    codebook = Codebook(
        no_answer=NO,
        populations={"people": Population("people", Label("居民", "People"), tmp / "people.csv")},
        questions={q.id: q for q in questions},
    )

    def indicator(qid, nets=(), breakdowns=("area",)):
        return Indicator(qid, qid, "people", Label(qid, qid), tuple(nets), tuple(breakdowns))

    indicators = [
        indicator("used"),
        indicator("services", nets=[Net("social_or_health", "社保或健康码", "Either", codes=(2, 3))]),
        indicator("rating", nets=[Net("good", "较好及以上", "Good", codes=(1, 2))], breakdowns=()),
    ]
    return Publication(tmp, tmp, {}, codebook, indicators, Disclosure())


def fixture_microdata() -> pd.DataFrame:
    rows = [
        # id     area used  services_1..3   rating
        ("p01", 1, 1, 1, 0, 0, 1),
        ("p02", 1, 1, 1, 1, 0, 2),
        ("p03", 1, 1, NO, NO, NO, NO),  # asked, answered neither follow-up
        ("p04", 1, 2, NA, NA, NA, NA),  # never used: outside both universes
        ("p05", 2, 1, 0, 0, 1, 3),
        ("p06", 2, 1, 1, 0, 1, 4),
        ("p07", 2, NO, NA, NA, NA, NA),  # no answer on the filter: outside both universes
        ("p08", 2, 1, 0, 0, 0, 2),  # used, ticked none of the services
        ("p09", NO, 1, 1, 1, 1, 1),  # no answer on the breakdown: only in the totals
        ("p10", 2, 2, NA, NA, NA, NA),
    ]
    columns = ["respondent_id", "area", "used", "services_1", "services_2", "services_3", "rating"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns[1:]:
        frame[column] = frame[column].astype("Int8")
    return frame


def _rows(table: pd.DataFrame, indicator: str, breakdown: str = "total", group: str = "total") -> dict:
    """{category: (count, base, percent)} for one group of one indicator."""
    part = table[(table.indicator == indicator) & (table.breakdown == breakdown) & (table.group == group)]
    return {row.category: (row.count, row.base, row.percent) for row in part.itertuples()}


@pytest.fixture(params=["pandas", "duckdb"])
def fixture_table(request) -> pd.DataFrame:
    return tabulate(fixture_publication(), {"people": fixture_microdata()}, engine=request.param)


# z = 1.959963984540054, z² = 3.8414588206941254. Wilson bounds: (x + z²/2 ± z·sqrt(x(n−x)/n + z²/4)) / (n + z²).
def test_wilson_interval_of_none_of_ten_is_zero_to_z_squared_over_n_plus_z_squared():
    # x = 0: low = 0; high = z² / (10 + z²) = 3.84146 / 13.84146 = 0.277533 → 27.75%.
    assert wilson_interval(0, 10) == (0.0, 27.75)


def test_wilson_interval_of_ten_of_ten_is_n_over_n_plus_z_squared_to_one_hundred():
    # x = n: low = n / (n + z²) = 10 / 13.84146 = 0.722467 → 72.25%; high = 100%.
    assert wilson_interval(10, 10) == (72.25, 100.0)


def test_wilson_interval_of_176_of_198_matches_hand_computation():
    # x + z²/2 = 177.92073; n + z² = 201.84146; x(n−x)/n = 176·22/198 = 19.55556, + z²/4 = 20.51592,
    # sqrt = 4.52945, × z = 8.87756. low = (177.92073 − 8.87756)/201.84146 = 0.837505 → 83.75%;
    # high = (177.92073 + 8.87756)/201.84146 = 0.925470 → 92.55%. The report prints 88.9% (176/198 = 88.89%).
    assert wilson_interval(176, 198) == (83.75, 92.55)


def test_wilson_interval_of_one_of_two_is_symmetric_around_one_half():
    # centre (1 + z²/2)/(2 + z²) = 0.5 exactly; half-width z·sqrt(0.5 + z²/4)/(2 + z²) = 2.36853/5.84146 = 0.405469.
    assert wilson_interval(1, 2) == (9.45, 90.55)


def test_wilson_interval_of_an_empty_base_is_empty():
    assert all(math.isnan(bound) for bound in wilson_interval(0, 0))


def test_table_has_the_contract_columns_and_dtypes(fixture_table):
    assert list(fixture_table.columns) == TABLE_COLUMNS
    assert {fixture_table[c].dtype.name for c in ("count", "base")} == {"int64"}
    assert {fixture_table[c].dtype.name for c in ("percent", "ci_low", "ci_high")} == {"float64"}
    assert all(pd.api.types.is_string_dtype(fixture_table[c]) for c in TABLE_COLUMNS[:7])


def test_single_choice_base_leaves_out_no_answer(fixture_table):
    # used: p07 gave no answer, so the base is 9; seven used (p01-03, p05, p06, p08, p09): 7/9 = 77.78%.
    assert _rows(fixture_table, "used") == {"1": (7, 9, 77.78), "2": (2, 9, 22.22)}


def test_breakdown_leaves_out_respondents_without_a_group_and_keeps_empty_groups(fixture_table):
    # area 1: p01-p04; area 2: p05, p06, p08, p10 (p07 no answer on used); p09 has no area.
    assert _rows(fixture_table, "used", "area", "1") == {"1": (3, 4, 75.0), "2": (1, 4, 25.0)}
    assert _rows(fixture_table, "used", "area", "2") == {"1": (3, 4, 75.0), "2": (1, 4, 25.0)}
    empty = fixture_table[(fixture_table.breakdown == "area") & (fixture_table.group == "3")]
    assert (empty["base"] == 0).all() and (empty["count"] == 0).all()
    assert empty[["percent", "ci_low", "ci_high"]].isna().all().all()


def test_multi_choice_counts_respondents_and_its_base_is_who_ticked_or_cleared_an_option(fixture_table):
    # universe used=1: 7 respondents; p03 answered -9: base 6 (p08 ticked none but answered).
    # option 1: p01, p02, p06, p09; option 2: p02, p09; option 3: p05, p06, p09; net 2-or-3: p02, p05, p06, p09.
    assert _rows(fixture_table, "services") == {
        "1": (4, 6, 66.67),
        "2": (2, 6, 33.33),
        "3": (3, 6, 50.0),
        "social_or_health": (4, 6, 66.67),
    }
    # area 1 answered: p01, p02 (p03 no answer); area 2: p05, p06, p08.
    assert _rows(fixture_table, "services", "area", "1") == {
        "1": (2, 2, 100.0),
        "2": (1, 2, 50.0),
        "3": (0, 2, 0.0),
        "social_or_health": (1, 2, 50.0),
    }
    assert _rows(fixture_table, "services", "area", "2") == {
        "1": (1, 3, 33.33),
        "2": (0, 3, 0.0),
        "3": (2, 3, 66.67),
        "social_or_health": (2, 3, 66.67),
    }


def test_scale_net_is_a_share_of_the_same_base(fixture_table):
    # rating, universe used=1, p03 no answer: base 6; 1: p01, p09; 2: p02, p08; 3: p05; 4: p06; good = 1 or 2: 4.
    assert _rows(fixture_table, "rating") == {
        "1": (2, 6, 33.33),
        "2": (2, 6, 33.33),
        "3": (1, 6, 16.67),
        "4": (1, 6, 16.67),
        "good": (4, 6, 66.67),
    }


def test_rows_follow_indicator_breakdown_group_and_category_order(fixture_table):
    keys = list(
        zip(fixture_table.indicator, fixture_table.breakdown, fixture_table.group, fixture_table.category, strict=True)
    )
    assert keys[:8] == [
        ("used", "total", "total", "1"),
        ("used", "total", "total", "2"),
        ("used", "area", "1", "1"),
        ("used", "area", "1", "2"),
        ("used", "area", "2", "1"),
        ("used", "area", "2", "2"),
        ("used", "area", "3", "1"),
        ("used", "area", "3", "2"),
    ]
    assert fixture_table.loc[fixture_table.indicator == "services", "category"].tolist()[:4] == [
        "1",
        "2",
        "3",
        "social_or_health",
    ]
    assert set(fixture_table.loc[fixture_table.breakdown == "total", "group_label"]) == {"合计"}
    assert (
        fixture_table.loc[(fixture_table.breakdown == "area") & (fixture_table.group == "2"), "group_label"].iloc[0]
        == "农村"
    )


def test_answers_outside_the_universe_never_count_even_when_the_cells_are_filled():
    # p04 never used online services; give them follow-up answers anyway: they must not enter any base.
    microdata = fixture_microdata()
    microdata.loc[3, ["services_1", "services_2", "services_3", "rating"]] = [1, 1, 1, 1]
    for engine in ("pandas", "duckdb"):
        table = tabulate(fixture_publication(), {"people": microdata}, engine=engine)
        assert _rows(table, "services")["1"] == (4, 6, 66.67)
        assert _rows(table, "rating")["1"] == (2, 6, 33.33)


def test_both_engines_give_identical_tables_on_the_fixture():
    publication, microdata = fixture_publication(), {"people": fixture_microdata()}
    pd.testing.assert_frame_equal(
        tabulate(publication, microdata, engine="pandas"),
        tabulate(publication, microdata, engine="duckdb"),
        check_exact=True,
    )


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        tabulate(fixture_publication(), {"people": fixture_microdata()}, engine="polars")
