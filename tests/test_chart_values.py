"""values.py: the figures templates and chart titles print, formatted one way, and lookups that fail loudly."""

from __future__ import annotations

import pandas as pd
import pytest

from surveypress.errors import InputError
from surveypress.values import Values, jinja_environment, render_string


def _row(indicator, category, label, count, base, percent, low, high, **extra):
    row = {
        "indicator": indicator,
        "population": "residents",
        "breakdown": "total",
        "group": "total",
        "group_label": "合计",
        "category": category,
        "category_label": label,
        "count": count,
        "base": base,
        "percent": percent,
        "ci_low": low,
        "ci_high": high,
        "reliability": "normal",
        "suppression": "none",
        "flags": "",
    }
    row.update(extra)
    return row


@pytest.fixture
def values() -> Values:
    return Values(
        pd.DataFrame(
            [
                _row("r_used_online", "1", "使用过", 176, 198, 88.89, 83.73, 92.57),
                _row("r_used_online", "2", "未使用过", 22, 198, 11.11, 7.43, 16.27),
                # 2469/20000 = 12.345% exactly: one decimal is 12.3, but the 2-decimal 12.35 would round to 12.4.
                _row("r_big", "1", "是", 2469, 20000, 12.35, 11.9, 12.81),
                _row("r_big", "2", "否", 17531, 20000, 87.66, 87.19, 88.1),
                _row(
                    "r_age",
                    "1",
                    "18-29岁",
                    9,
                    20,
                    45.0,
                    25.82,
                    65.79,
                    breakdown="r_residence",
                    group="2",
                    group_label="农村",
                    reliability="low",
                    flags="[u]",
                ),
                _row(
                    "r_age",
                    "2",
                    "30-49岁",
                    "[c]",
                    20,
                    "[c]",
                    "[c]",
                    "[c]",
                    breakdown="r_residence",
                    group="2",
                    group_label="农村",
                    reliability="low",
                    suppression="primary",
                    flags="[u] [c]",
                ),
                _row("r_age", "1", "18-29岁", 31, 198, 15.66, 11.27, 21.34),
                _row("r_age", "2", "30-49岁", 115, 198, 58.08, 51.12, 64.73),
                _row("r_awareness", "aware", "一般及以上", 174, 198, 87.88, 82.59, 91.73),
            ]
        )
    )


def test_percent_prints_one_decimal_rounded_half_away_from_the_exact_share(values):
    assert values.pct("r_used_online", 1) == "88.9%"
    assert values.pct("r_used_online", "2") == "11.1%"
    assert values.pct("r_big", 1) == "12.3%"
    assert values.pct("r_big", 1, decimals=2) == "12.35%"
    assert values.percent("r_big", 1) == 12.35


def test_interval_count_base_and_net_codes_are_looked_up_by_code_as_text(values):
    assert values.ci("r_used_online", 1) == "83.7%～92.6%"
    assert values.count("r_used_online", 2) == 22
    assert values.base("r_used_online") == 198
    assert values.pct("r_awareness", "aware") == "87.9%"
    assert values.label("r_age", 2) == "30-49岁"
    assert values.group_label("r_age", "r_residence", 2) == "农村"


def test_breakdown_cells_carry_their_flags_and_suppressed_cells_print_c(values):
    assert values.flag("r_age", 1, "r_residence", 2) == "[u]"
    assert values.low("r_age", 1, "r_residence", 2) is True
    assert values.low("r_age") is False
    assert values.flag("r_age", 2, "r_residence", 2) == "[u] [c]"
    assert values.pct("r_age", 2, "r_residence", 2) == "[c]"
    assert values.count("r_age", 2, "r_residence", 2) == "[c]"
    assert values.ci("r_age", 2, "r_residence", 2) == "[c]"
    assert values.percent("r_age", 2, "r_residence", 2) is None


@pytest.mark.parametrize(
    ("call", "named"),
    [
        ("pct('r_nothing', 1)", "r_nothing"),
        ("pct('r_used_online', 9)", "9"),
        ("base('r_age', 'r_residence', 7)", "r_residence=7"),
    ],
)
def test_an_unknown_reference_in_a_template_names_the_template_the_call_and_the_value(values, tmp_path, call, named):
    (tmp_path / "findings").mkdir()
    (tmp_path / "findings" / "usage.md.j2").write_text(f"居民中有{{{{ {call} }}}}。\n", encoding="utf-8")
    environment = jinja_environment(tmp_path, values)
    with pytest.raises(InputError) as raised:
        environment.get_template("findings/usage.md.j2").render()
    message = str(raised.value)
    assert str(tmp_path / "findings" / "usage.md.j2") in message
    assert call in message and named in message


def test_templates_share_the_vocabulary_and_undefined_names_fail(values, tmp_path):
    (tmp_path / "page.md.j2").write_text(
        "{{ pct('r_used_online', 1) }}（n={{ base('r_used_online') }}，{{ ci('r_used_online', 1) }}）{{ extra }}\n",
        encoding="utf-8",
    )
    environment = jinja_environment(tmp_path, values, extra="！")
    assert environment.get_template("page.md.j2").render() == "88.9%（n=198，83.7%～92.6%）！\n"
    with pytest.raises(InputError, match="undefined"):
        render_string("{{ no_such_name }}", values, name="charts.yml chart x")


def test_a_publishable_csv_read_as_text_gives_the_same_figures(values):
    table = pd.DataFrame(
        [
            {
                key: str(value)
                for key, value in _row("r_used_online", "1", "使用过", 176, 198, 88.89, 83.73, 92.57).items()
            }
        ]
    )
    as_text = Values(table)
    assert as_text.pct("r_used_online", 1) == values.pct("r_used_online", 1)
    assert as_text.count("r_used_online", 1) == 176
    assert as_text.flag("r_used_online", 1) == ""


def test_printed_figures_come_from_the_reconciliation_table():
    reconciliation = pd.DataFrame([{"figure_id": "f01", "printed": "88.9%", "status": "reproduced"}])
    values = Values(pd.DataFrame([_row("r_x", "1", "是", 1, 2, 50.0, 9.45, 90.55)]), reconciliation)
    assert values.printed("f01") == "88.9%" and values.status("f01") == "reproduced"
    with pytest.raises(InputError, match="f99"):
        values.printed("f99")


def test_cells_suppressed_by_protect_print_c_even_while_their_numbers_are_kept():
    # protect() keeps count/percent numeric and marks the cell; nothing of it may reach a page.
    kept = _row(
        "r_age",
        "1",
        "18-29岁",
        3,
        20,
        15.0,
        5.24,
        36.04,
        breakdown="r_residence",
        group="1",
        reliability="low",
        suppression="secondary",
        flags="[u] [c]",
    )
    values = Values(pd.DataFrame([kept]))
    assert values.pct("r_age", 1, "r_residence", 1) == "[c]"
    assert values.count("r_age", 1, "r_residence", 1) == "[c]"
    assert values.ci("r_age", 1, "r_residence", 1) == "[c]"
    assert values.percent("r_age", 1, "r_residence", 1) is None
    assert values.base("r_age", "r_residence", 1) == 20
