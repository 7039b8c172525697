"""Reliability flags and small-cell suppression on hand-made indicator tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveypress.content import Publication, load_publication
from surveypress.stats import protect as protect_stage

CODEBOOK = {
    "missing": {"no_answer": -9},
    "populations": {"people": {"title": {"zh": "居民", "en": "People"}}},
    "questions": [
        {
            "id": "area",
            "population": "people",
            "type": "single",
            "text": {"zh": "居住地", "en": "Area"},
            "options": [{"code": 1, "zh": "城镇", "en": "Urban"}, {"code": 2, "zh": "农村", "en": "Rural"}],
            "universe": None,
        },
        {
            "id": "age",
            "population": "people",
            "type": "single",
            "text": {"zh": "年龄", "en": "Age"},
            "options": [
                {"code": 1, "zh": "青年", "en": "Young"},
                {"code": 2, "zh": "中年", "en": "Middle"},
                {"code": 3, "zh": "老年", "en": "Old"},
            ],
            "universe": None,
        },
        {
            "id": "used",
            "population": "people",
            "type": "single",
            "text": {"zh": "是否使用过", "en": "Used"},
            "options": [{"code": 1, "zh": "使用过", "en": "Yes"}, {"code": 2, "zh": "未使用过", "en": "No"}],
            "universe": None,
        },
        {
            "id": "satisfied",
            "population": "people",
            "type": "scale",
            "text": {"zh": "满意程度", "en": "Satisfaction"},
            "options": [
                {"code": 1, "zh": "非常满意", "en": "Very"},
                {"code": 2, "zh": "比较满意", "en": "Fairly"},
                {"code": 3, "zh": "一般", "en": "Neutral"},
                {"code": 4, "zh": "不满意", "en": "Not"},
            ],
            "universe": None,
        },
        {
            "id": "channels",
            "population": "people",
            "type": "multi",
            "text": {"zh": "使用的渠道", "en": "Channels"},
            "options": [
                {"code": 1, "zh": "网站", "en": "Web"},
                {"code": 2, "zh": "APP", "en": "App"},
                {"code": 3, "zh": "窗口", "en": "Counter"},
            ],
            "universe": {"question": "used", "codes": [1]},
        },
    ],
}

INDICATORS = {
    "breakdowns": {"people": ["area"]},
    "indicators": [
        {"id": "area", "question": "area", "title": {"zh": "居住地", "en": "Area"}, "breakdowns": ["age"]},
        {"id": "age", "question": "age", "title": {"zh": "年龄", "en": "Age"}, "breakdowns": ["area"]},
        {"id": "used", "question": "used", "title": {"zh": "使用情况", "en": "Use"}},
        {
            "id": "satisfied",
            "question": "satisfied",
            "title": {"zh": "满意度", "en": "Satisfaction"},
            "nets": [{"code": "satisfied", "zh": "满意", "en": "Satisfied", "codes": [1, 2]}],
            "breakdowns": ["area", "age"],
        },
        {
            "id": "channels",
            "question": "channels",
            "title": {"zh": "渠道", "en": "Channels"},
            "nets": [{"code": "online", "zh": "线上", "en": "Online", "codes": [1, 2]}],
        },
    ],
}

PUBLICATION = {
    "name": "fixture",
    "version": "0.1.0",
    "title": {"zh": "测试出版物", "en": "Fixture publication"},
    "description": {"zh": "用于测试的小型出版物", "en": "A small publication for tests"},
    "date": "2026-01-02",
    "synthetic": True,
    "keywords": ["测试", "test"],
    "licenses": [{"name": "CC-BY-4.0", "title": "CC BY 4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
    "sources": [{"title": "测试报告", "publisher": "测试局", "date": "2025-10-11", "index": "000/2025-01"}],
    "contributors": [{"title": "测试队", "roles": ["datacollector"]}],
    "microdata": {"people": "datasets/microdata/people.csv"},
    "disclosure": {"low_base": 30, "min_cell": 5, "min_k": 3, "quasi_identifiers": {"people": ["area", "age"]}},
}


def write_content(root: Path, published_figures: str | None = None) -> Path:
    """Writes the fixture content folder under root/publication and returns it."""
    content = root / "publication"
    content.mkdir(parents=True, exist_ok=True)
    for name, document in (
        ("publication.yml", PUBLICATION),
        ("codebook.yml", CODEBOOK),
        ("indicators.yml", INDICATORS),
    ):
        (content / name).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    if published_figures is not None:
        (content / "published_figures.csv").write_text(published_figures, encoding="utf-8")
    return content


def fixture_publication(root: Path, published_figures: str | None = None) -> Publication:
    return load_publication(write_content(root, published_figures))


def make_table(cells: list[tuple]) -> pd.DataFrame:
    """An indicator table from (indicator, breakdown, group, category, count, base) tuples."""
    rows = []
    for indicator, breakdown, group, category, count, base in cells:
        percent = round(100 * count / base, 2) if base else 0.0
        rows.append(
            {
                "indicator": indicator,
                "population": "people",
                "breakdown": breakdown,
                "group": str(group),
                "group_label": "合计" if group == "total" else f"组{group}",
                "category": str(category),
                "category_label": f"类{category}",
                "count": count,
                "base": base,
                "percent": percent,
                "ci_low": max(0.0, percent - 10),
                "ci_high": min(100.0, percent + 10),
            }
        )
    return pd.DataFrame(rows)


def crosstab(indicator: str, breakdown: str, counts: dict, categories: list, nets: dict | None = None) -> list[tuple]:
    """Total and group rows for a single/scale question from {group: [count per option]}."""
    nets = nets or {}
    groups = {"total": [sum(column) for column in zip(*counts.values(), strict=True)], **counts}
    cells = []
    for group, values in groups.items():
        base = sum(values)
        for category, count in zip(categories, values, strict=True):
            cells.append((indicator, "total" if group == "total" else breakdown, group, category, count, base))
        for code, members in nets.items():
            total = sum(values[categories.index(member)] for member in members)
            cells.append((indicator, "total" if group == "total" else breakdown, group, code, total, base))
    return cells


@pytest.fixture
def pub(tmp_path: Path) -> Publication:
    return fixture_publication(tmp_path)


def state(table: pd.DataFrame, breakdown: str, group: str, category: str) -> str:
    row = table[(table["breakdown"] == breakdown) & (table["group"] == group) & (table["category"] == category)]
    assert len(row) == 1, (breakdown, group, category)
    return row["suppression"].iloc[0]


def test_a_small_count_in_a_cross_tabulation_is_primary_suppressed(pub):
    table = make_table(crosstab("used", "area", {"1": [40, 3], "2": [50, 20]}, [1, 2]))
    protected = protect_stage.protect(pub, table)
    assert state(protected, "area", "1", "2") == "primary"


def test_zero_cells_are_not_primary_suppressed(pub):
    table = make_table(crosstab("used", "area", {"1": [40, 0], "2": [50, 20]}, [1, 2]))
    protected = protect_stage.protect(pub, table)
    assert (protected["suppression"] == "none").all()


def test_the_total_breakdown_is_never_suppressed_even_when_small(pub):
    table = make_table(crosstab("used", "area", {"1": [40, 2], "2": [50, 1]}, [1, 2]))
    protected = protect_stage.protect(pub, table)
    totals = protected[protected["breakdown"] == "total"]
    assert (totals["suppression"] == "none").all()
    assert set(totals["count"]) == {90, 3}


def test_secondary_suppression_protects_the_cell_within_its_group(pub):
    # Group 1: 40 + 3 = 43 is published, so 3 alone would be recomputed as 43 - 40.
    table = make_table(crosstab("used", "area", {"1": [40, 3], "2": [50, 20]}, [1, 2]))
    protected = protect_stage.protect(pub, table)
    assert state(protected, "area", "1", "1") == "secondary"


def test_secondary_suppression_protects_the_cell_across_groups(pub):
    # Category 2: 3 + 20 = 23 is the published total, so group 2's 20 must go too.
    table = make_table(crosstab("used", "area", {"1": [40, 3], "2": [50, 20]}, [1, 2]))
    protected = protect_stage.protect(pub, table)
    assert state(protected, "area", "2", "2") == "secondary"
    # ... which in turn leaves group 2's other option alone in its group, so it follows.
    assert state(protected, "area", "2", "1") == "secondary"


def test_secondary_suppression_picks_the_smallest_remaining_cell(pub):
    table = make_table(
        crosstab("satisfied", "area", {"1": [30, 12, 2, 9], "2": [25, 25, 20, 20]}, [1, 2, 3, 4], {"satisfied": [1, 2]})
    )
    protected = protect_stage.protect(pub, table)
    assert state(protected, "area", "1", "3") == "primary"
    assert state(protected, "area", "1", "4") == "secondary"
    assert state(protected, "area", "1", "1") == "none"


def test_a_net_that_would_reveal_a_suppressed_option_is_suppressed(pub):
    # Option 2 is small; the net "satisfied" = 1 + 2 would give it away as net − option 1.
    table = make_table(
        crosstab("satisfied", "area", {"1": [30, 2, 9, 9], "2": [25, 25, 20, 20]}, [1, 2, 3, 4], {"satisfied": [1, 2]})
    )
    protected = protect_stage.protect(pub, table)
    assert state(protected, "area", "1", "2") == "primary"
    assert state(protected, "area", "1", "satisfied") == "secondary"
    assert_no_line_hides_a_single_cell(pub, protected)


def test_multi_choice_options_are_protected_across_groups_but_not_within(pub):
    cells = []
    for group, values, base in (("total", [60, 35, 12], 80), ("1", [30, 17, 3], 40), ("2", [30, 18, 9], 40)):
        breakdown = "total" if group == "total" else "area"
        for category, count in zip(["1", "2", "3"], values, strict=True):
            cells.append(("channels", breakdown, group, category, count, base))
    protected = protect_stage.protect(pub, make_table(cells))
    assert state(protected, "area", "1", "3") == "primary"
    # Across groups the counts add up to the total row, so group 2's option 3 is hidden as well.
    assert state(protected, "area", "2", "3") == "secondary"
    # Within a group multi-choice options overlap, so nothing else is needed there.
    assert state(protected, "area", "1", "1") == "none"
    assert state(protected, "area", "1", "2") == "none"


def test_reliability_is_low_under_the_configured_base_and_flagged(pub):
    table = make_table(crosstab("used", "area", {"1": [20, 3], "2": [50, 20]}, [1, 2]))
    protected = protect_stage.protect(pub, table)
    group_one = protected[protected["group"] == "1"]
    assert set(group_one["reliability"]) == {"low"}
    assert set(group_one["flags"]) == {"[u] [c]"}
    total = protected[protected["group"] == "total"]
    assert set(total["reliability"]) == {"normal"}
    assert set(total["flags"]) == {""}


def test_publishable_blanks_suppressed_values_keeps_the_base_and_every_column_numeric(pub):
    table = make_table(crosstab("used", "area", {"1": [40, 3], "2": [50, 20]}, [1, 2]))
    published = protect_stage.publishable(protect_stage.protect(pub, table))
    hidden = published[published["suppression"] != "none"]
    assert len(hidden) > 0
    for column in ("count", "percent", "ci_low", "ci_high"):
        assert hidden[column].isna().all()
        assert pd.api.types.is_numeric_dtype(published[column].dtype), column
    assert all(isinstance(value, int) for value in hidden["base"])
    assert hidden["flags"].str.contains(r"\[c\]").all()
    visible = published[published["suppression"] == "none"]
    assert visible[["count", "percent", "ci_low", "ci_high"]].notna().all().all()


def assert_no_line_hides_a_single_cell(pub: Publication, protected: pd.DataFrame) -> None:
    hidden = protected["suppression"] != "none"
    for line in protect_stage.suppression_lines(pub, protected):
        assert sum(bool(hidden.iloc[cell]) for cell in line) != 1, protected.iloc[list(line)]
    for twin in protect_stage.twin_cells(pub, protected.reset_index(drop=True)):
        assert len({bool(hidden.iloc[cell]) for cell in twin}) == 1, protected.iloc[list(twin)]


group_counts = st.lists(st.integers(min_value=0, max_value=12), min_size=4, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.lists(group_counts, min_size=2, max_size=5))
def test_no_suppressed_cell_can_be_recovered_from_published_totals(pub, groups):
    # Groups are named "1".."n"; the fixture's breakdown question does not constrain the group codes here.
    counts = {str(number): values for number, values in enumerate(groups, start=1)}
    table = make_table(crosstab("satisfied", "area", counts, [1, 2, 3, 4], {"satisfied": [1, 2]}))
    protected = protect_stage.protect(pub, table)
    assert_no_line_hides_a_single_cell(pub, protected)
    crossed = protected["breakdown"] != "total"
    small = crossed & (protected["count"] > 0) & (protected["count"] < pub.disclosure.min_cell)
    assert (protected.loc[small, "suppression"] == "primary").all()
    assert (protected.loc[~crossed, "suppression"] == "none").all()


age_counts = st.lists(st.integers(min_value=0, max_value=12), min_size=3, max_size=3)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    matrix=st.lists(st.lists(st.integers(min_value=0, max_value=12), min_size=3, max_size=3), min_size=2, max_size=2)
)
def test_a_cell_printed_in_two_transposed_tables_is_hidden_in_both_or_neither(pub, matrix):
    # matrix[area - 1][age - 1]: "area by age" and "age by area" print the same respondents twice.
    by_age = {str(age): [matrix[area][age - 1] for area in range(2)] for age in (1, 2, 3)}
    by_area = {str(area): list(matrix[area - 1]) for area in (1, 2)}
    table = make_table(crosstab("area", "age", by_age, [1, 2]) + crosstab("age", "area", by_area, [1, 2, 3]))
    protected = protect_stage.protect(pub, table)
    assert len(protect_stage.twin_cells(pub, protected)) == 6
    assert_no_line_hides_a_single_cell(pub, protected)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.lists(st.tuples(st.integers(min_value=1, max_value=15), group_counts), min_size=2, max_size=4))
def test_multi_choice_cells_cannot_be_recovered_from_the_total_row(pub, groups):
    cells = []
    totals = [0, 0, 0, 0]
    for number, (base, ticks) in enumerate(groups, start=1):
        # Each option's ticks are at most the group's base; the net "online" is at least its largest option.
        counts = [min(tick, base) for tick in ticks[:3]]
        counts.append(min(base, max(counts[0], counts[1]) + ticks[3] % 3))
        for category, count in zip(("1", "2", "3", "online"), counts, strict=True):
            cells.append(("channels", "area", str(number), category, count, base))
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
    base = sum(base for base, _ticks in groups)
    categories = ["1", "2", "3", "online"]
    cells += [("channels", "total", "total", c, n, base) for c, n in zip(categories, totals, strict=True)]
    protected = protect_stage.protect(pub, make_table(cells))
    assert_no_line_hides_a_single_cell(pub, protected)
    lines = protect_stage.suppression_lines(pub, protected)
    # Only across-group lines exist for a multi-choice question: one per category.
    assert len(lines) == 4
