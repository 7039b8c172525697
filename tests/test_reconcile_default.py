"""Reconciliation of the default publication: every figure the report printed, against the shipped microdata."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from surveypress.stats import reconcile

CONTENT = Path(__file__).resolve().parent.parent / "publication"


@pytest.fixture(scope="module")
def default(default_tables):
    pub, _microdata, table = default_tables
    figures = pd.read_csv(pub.published_figures, dtype=str, keep_default_na=False)
    return pub, table, figures, reconcile.reconcile(pub, table)


def test_every_printed_figure_has_one_reconciliation_row_in_order(default):
    _pub, _table, figures, result = default
    assert list(result["figure_id"]) == list(figures["figure_id"])
    assert list(result["printed"]) == list(figures["printed"])


def test_every_reproducible_printed_figure_is_reproduced_exactly(default):
    _pub, table, figures, result = default
    totals = table[table["breakdown"] == "total"].set_index(["indicator", "category"])
    by_id = result.set_index("figure_id")
    reproducible = figures[figures["note"] == ""]
    assert len(reproducible) > 0
    for figure in reproducible.itertuples(index=False):
        row = by_id.loc[figure.figure_id]
        assert row["status"] == "reproduced", (figure.figure_id, figure.printed, row["recomputed"])
        if figure.unit == "percent" and figure.comparison == "equal":
            # Recount independently from the table: the printed digits, no more and no fewer, half up.
            count, base = totals.loc[(figure.indicator, figure.category), ["count", "base"]]
            decimals = len(figure.value.partition(".")[2])
            assert reconcile.round_half_up(Fraction(100 * int(count), int(base)), decimals) == Decimal(figure.value)


def test_irreproducible_figures_are_flagged_not_hidden(default):
    _pub, _table, figures, result = default
    by_id = result.set_index("figure_id")
    noted = figures[figures["note"] != ""]
    assert len(noted) > 0
    for figure in noted.itertuples(index=False):
        row = by_id.loc[figure.figure_id]
        assert row["status"] in ("ambiguous_base", "not_reproducible"), figure.figure_id
        assert row["reason"] == figure.note
        assert row["printed"] == figure.printed
        assert row["recomputed"] != "" and row["base"] != ""
        if row["status"] == "ambiguous_base":
            assert str(row["base"]) not in row["candidates"].split(",")


def test_the_report_figure_86_98_percent_is_not_reproducible(default):
    _pub, _table, figures, result = default
    ids = figures.loc[figures["printed"] == "86.98%", "figure_id"]
    assert len(ids) == 1
    assert result.set_index("figure_id").loc[ids.iloc[0], "status"] == "not_reproducible"
