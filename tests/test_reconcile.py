"""Reconciliation of printed figures with recomputed values, on hand-made figures over a hand-made table."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from test_protect import fixture_publication, make_table, write_content

from surveypress.content import load_publication
from surveypress.errors import InputError
from surveypress.stats.reconcile import (
    RECONCILIATION_COLUMNS,
    fitting_bases,
    fitting_bases_summary,
    reconcile,
    round_half_up,
)

HEADER = "figure_id,section,population,measure,printed,value,unit,comparison,indicator,category,note\n"

# 30 people: 24 used (80%), 6 did not; satisfaction over the 30: 13 / 9 / 5 / 3; channels over the 24 users.
TABLE = make_table(
    [
        ("area", "total", "total", 1, 12, 30),
        ("area", "total", "total", 2, 18, 30),
        ("used", "total", "total", 1, 24, 30),
        ("used", "total", "total", 2, 6, 30),
        ("used", "area", "1", 1, 10, 12),
        ("used", "area", "1", 2, 2, 12),
        ("used", "area", "2", 1, 14, 18),
        ("used", "area", "2", 2, 4, 18),
        ("satisfied", "total", "total", 1, 13, 30),
        ("satisfied", "total", "total", 2, 9, 30),
        ("satisfied", "total", "total", 3, 5, 30),
        ("satisfied", "total", "total", 4, 3, 30),
        ("satisfied", "total", "total", "satisfied", 22, 30),
        ("channels", "total", "total", 1, 3, 24),
        ("channels", "total", "total", 2, 20, 24),
        ("channels", "total", "total", 3, 21, 24),
        ("channels", "total", "total", "online", 21, 24),
    ]
)


def reconciled(tmp_path: Path, *rows: str):
    pub = fixture_publication(tmp_path, HEADER + "".join(row + "\n" for row in rows))
    result = reconcile(pub, TABLE)
    return result.set_index("figure_id")


def test_a_figure_that_rounds_to_the_printed_decimals_is_reproduced(tmp_path):
    result = reconciled(tmp_path, "a,一,people,使用过,80%,80,percent,equal,used,1,")
    row = result.loc["a"]
    assert row["status"] == "reproduced"
    assert (row["count"], row["base"], row["recomputed"]) == (24, 30, "80.00")
    assert row["difference"] == "0.00"
    assert "24/30" in row["reason"]


def test_the_reconciliation_table_has_the_contract_columns_in_order(tmp_path):
    pub = fixture_publication(tmp_path, HEADER + "a,一,people,使用过,80%,80,percent,equal,used,1,\n")
    # The reason once per declared language after the primary's (the fixture declares zh-Hans and en).
    assert tuple(reconcile(pub, TABLE).columns) == (*RECONCILIATION_COLUMNS, "reason_en")


def test_one_decimal_figures_compare_after_rounding_not_exactly(tmp_path):
    # 13/30 = 43.333…: printed 43.3 is reproduced, 43.4 is not.
    result = reconciled(
        tmp_path,
        "a,一,people,非常满意,43.3%,43.3,percent,equal,satisfied,1,",
        "b,一,people,非常满意,43.4%,43.4,percent,equal,satisfied,1,",
    )
    assert result.loc["a", "status"] == "reproduced"
    assert result.loc["b", "status"] != "reproduced"


def test_a_printed_value_that_fits_other_bases_is_ambiguous_with_those_bases(tmp_path):
    # 44.4% on a population of 30: only 4/9, 8/18 and 12/27 print as 44.4; the data has 13/30 = 43.3%.
    result = reconciled(tmp_path, "a,一,people,非常满意,44.4%,44.4,percent,equal,satisfied,1,")
    row = result.loc["a"]
    assert row["status"] == "ambiguous_base"
    assert row["candidates"] == "9,18,27"
    assert "9、18、27" in row["reason"]


def test_a_value_no_whole_count_can_give_is_not_reproducible(tmp_path):
    result = reconciled(tmp_path, "a,一,people,满意,86.98%,86.98,percent,equal,satisfied,satisfied,")
    row = result.loc["a"]
    assert row["status"] == "not_reproducible"
    assert row["candidates"] == ""
    assert "1 到 30" in row["reason"]


def test_at_least_is_reproduced_when_the_recomputed_share_reaches_the_value(tmp_path):
    # 21/24 = 87.5% ≥ 70 ("7成以上"); 3/24 = 12.5% is not.
    result = reconciled(
        tmp_path,
        "a,一,people,网站,7成以上,70,percent,at_least,channels,3,",
        "b,一,people,应用,7成以上,70,percent,at_least,channels,1,",
    )
    assert result.loc["a", "status"] == "reproduced"
    assert result.loc["b", "status"] == "not_reproducible"


def test_about_allows_five_points_either_way(tmp_path):
    # 22/30 = 73.3%.
    result = reconciled(
        tmp_path,
        "a,一,people,满意,七成左右,70,percent,about,satisfied,satisfied,",
        "b,一,people,满意,八成左右,80,percent,about,satisfied,satisfied,",
    )
    assert result.loc["a", "status"] == "reproduced"
    assert result.loc["b", "status"] == "not_reproducible"


def test_a_printed_count_is_compared_with_the_count(tmp_path):
    result = reconciled(
        tmp_path,
        "a,一,people,使用过的人数,24人,24,count,equal,used,1,",
        "b,一,people,使用过的人数,20家,20,count,equal,used,1,",
    )
    assert result.loc["a", "status"] == "reproduced"
    assert result.loc["b", "status"] == "not_reproducible"
    assert result.loc["b", "difference"] == "4"


def test_joined_indicators_add_their_bases(tmp_path):
    # 30 (everyone, `used`) + 24 (users, `channels`) = 54.
    result = reconciled(tmp_path, "a,一,people,问卷数,54份,54,base,equal,used+channels,,")
    assert result.loc["a", "status"] == "reproduced"
    assert result.loc["a", "base"] == 54


def test_a_hand_written_note_is_the_reason(tmp_path):
    result = reconciled(tmp_path, "a,一,people,满意,86.98%,86.98,percent,equal,satisfied,satisfied,可能是笔误")
    assert result.loc["a", "reason"] == "可能是笔误"


def test_a_translated_note_is_the_reason_in_its_language_and_the_engine_explains_the_rest(tmp_path):
    pub = fixture_publication(
        tmp_path,
        HEADER.replace(",note\n", ",note,note_en\n")
        + "a,一,people,满意,86.98%,86.98,percent,equal,satisfied,satisfied,可能是笔误,Maybe a misprint\n"
        + "b,一,people,使用过,80%,80,percent,equal,used,1,,\n",
    )
    result = reconcile(pub, TABLE).set_index("figure_id")
    assert result.loc["a", "reason_en"] == "Maybe a misprint"
    assert result.loc["b", "reason_en"].endswith("which rounds to the report's figure at the report's decimal places.")


def test_a_translation_column_for_an_undeclared_language_is_refused_at_row_1(tmp_path):
    pub = fixture_publication(
        tmp_path, HEADER.replace(",note\n", ",note,note_fr\n") + "a,一,people,x,80%,80,percent,equal,used,1,,\n"
    )
    with pytest.raises(InputError, match="then optionally section_en,measure_en,note_en") as raised:
        reconcile(pub, TABLE)
    assert raised.value.row == 1


def test_half_up_rounding_is_exact_on_fractions():
    assert round_half_up(Fraction(1, 8) * 100, 0) == Decimal("13")  # 12.5 → 13, where banker's rounding gives 12
    assert round_half_up(Fraction(2, 3) * 100, 1) == Decimal("66.7")
    assert round_half_up(Fraction(1, 3) * 100, 2) == Decimal("33.33")
    assert round_half_up(Fraction(1, 200) * 100, 0) == Decimal("1")  # 0.5 → 1


def test_fitting_bases_lists_every_base_with_a_count_that_prints_the_value():
    assert fitting_bases(Decimal("44.4"), 1, 30) == [9, 18, 27]
    assert fitting_bases(Decimal("86.98"), 2, 30) == []
    assert fitting_bases(Decimal("25"), 0, 12) == [4, 8, 12]
    assert fitting_bases(Decimal("0"), 1, 3) == [1, 2, 3]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("a,一,people,x,80%,80,percent,equal,nobody,1,", "indicator"),
        ("a,一,people,x,80%,80,percent,equal,used,7,", "category"),
        ("a,一,people,x,80%,八成,percent,equal,used,1,", "value"),
        ("a,一,people,x,80%,80,share,equal,used,1,", "unit"),
        ("a,一,people,x,80%,80,percent,roughly,used,1,", "comparison"),
        ("a,一,martians,x,80%,80,percent,equal,used,1,", "population"),
        ("a,一,people,x,80%,80,percent,equal,used+area,1,", "indicator"),
    ],
)
def test_a_bad_published_figure_names_its_row_and_column(tmp_path, row, column):
    good = "ok,一,people,使用过,80%,80,percent,equal,used,1,"
    with pytest.raises(InputError) as caught:
        reconciled(tmp_path, good, row)
    assert caught.value.row == 3
    assert caught.value.column == column
    assert "published_figures.csv" in caught.value.file


def test_duplicate_figure_ids_are_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        reconciled(
            tmp_path,
            "a,一,people,使用过,80%,80,percent,equal,used,1,",
            "a,一,people,使用过,80%,80,percent,equal,used,1,",
        )
    assert (caught.value.row, caught.value.column) == (3, "figure_id")


def test_a_published_figures_file_that_is_not_utf8_is_refused(tmp_path):
    content = write_content(tmp_path)
    (content / "published_figures.csv").write_bytes(
        (HEADER + "a,一,people,使用过,80%,80,percent,equal,used,1,\n").encode("gbk")
    )
    # The spec stage reads the content files, so it is the one that refuses it.
    with pytest.raises(InputError, match="UTF-8"):
        reconcile(load_publication(content), TABLE)


def test_a_published_figures_file_with_the_wrong_header_is_refused_at_row_1(tmp_path):
    pub = fixture_publication(tmp_path, "figure,printed\na,80%\n")
    with pytest.raises(InputError) as caught:
        reconcile(pub, TABLE)
    assert caught.value.row == 1


def brute_force_bases(printed: Decimal, decimals: int, largest: int) -> list[int]:
    return [
        base
        for base in range(1, largest + 1)
        if any(round_half_up(Fraction(100 * count, base), decimals) == printed for count in range(base + 1))
    ]


@pytest.mark.parametrize("printed", ["44.4", "25", "8.3", "0", "100", "99.95", "100.0"])
def test_fitting_bases_summary_names_the_smallest_and_counts_every_base_that_fits(printed):
    value = Decimal(printed)
    decimals = max(0, -value.as_tuple().exponent)
    every = brute_force_bases(value, decimals, 1_500)
    assert fitting_bases_summary(value, decimals, 1_500, 10) == (every[:10], len(every))


def test_fitting_bases_summary_of_ten_million_respondents_is_quick_and_short():
    smallest, total = fitting_bases_summary(Decimal("44.4"), 1, 10_000_000, 10)
    assert smallest == [9, 18, 27, 36, 45, 54, 63, 72, 81, 90]
    assert 9_999_000 < total < 10_000_000


def test_a_published_figure_naming_an_unknown_indicator_stops_the_build_before_any_microdata_is_read(tmp_path):
    """published_figures.csv is checked against the content alone, before load, tabulation and drawing."""
    import io
    import shutil

    from surveypress import build

    project = tmp_path / "tiny"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "tiny", project)
    figures = project / "publication" / "published_figures.csv"
    header, first, *rest = figures.read_text(encoding="utf-8").splitlines()
    cells = first.split(",")
    cells[header.split(",").index("indicator")] = "p_nowhere"
    figures.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    progress = io.StringIO()
    with pytest.raises(InputError) as caught:
        build.build(project / "publication", stream=progress)
    assert caught.value.column == "indicator" and caught.value.value == "p_nowhere"
    assert "load" not in progress.getvalue()
