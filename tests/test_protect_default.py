"""Disclosure protection of the default publication: its tables and its shipped microdata."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveypress.stats import protect

CONTENT = Path(__file__).resolve().parent.parent / "publication"


@pytest.fixture(scope="module")
def default(default_tables):
    return default_tables


def test_the_default_microdata_meets_the_k_anonymity_minimum(default):
    pub, microdata, _table = default
    report = protect.disclosure_report(pub, microdata)
    assert set(report["status"]) == {"ok"}
    protect.check_disclosure(pub, report)


def test_no_suppressed_cell_of_the_default_tables_is_alone_in_its_line(default):
    pub, _microdata, table = default
    hidden = table["suppression"] != "none"
    assert hidden.any()
    for line in protect.suppression_lines(pub, table):
        assert sum(bool(hidden.iloc[cell]) for cell in line) != 1
    assert (table.loc[table["breakdown"] == "total", "suppression"] == "none").all()


def test_cross_tabulation_cells_under_the_minimum_are_hidden_in_the_default_tables(default):
    pub, _microdata, table = default
    published = protect.publishable(table)
    crossed = table["breakdown"] != "total"
    small = crossed & (table["count"] > 0) & (table["count"] < pub.disclosure.min_cell)
    assert small.any()
    assert published.loc[small, "count"].isna().all()
    assert (published.loc[small, "flags"].str.contains(r"\[c\]")).all()
