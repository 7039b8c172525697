"""Journalists' tools read the published tables' numbers as numbers (issue 27): every numeric column of every
indicator CSV holds only numbers, blank where a cell is suppressed, with the reason in its own columns."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
NUMERIC = ("count", "base", "percent", "ci_low", "ci_high")
TABLES = [ROOT / "datasets" / "indicators.csv", *sorted((ROOT / "datasets" / "indicators").glob("*.csv"))]


@pytest.mark.parametrize("path", TABLES, ids=lambda path: path.name)
def test_pandas_reads_count_base_percent_and_the_interval_as_numbers(path: Path):
    table = pd.read_csv(path)
    for column in NUMERIC:
        assert pd.api.types.is_numeric_dtype(table[column].dtype), (path.name, column, table[column].dtype)


def test_every_blank_number_is_a_suppressed_cell_that_says_so_in_its_own_columns():
    with (ROOT / "datasets" / "indicators.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    blank = [row for row in rows if row["count"] == ""]
    assert blank, "the default publication suppresses cells"
    for row in blank:
        assert row["suppression"] in ("primary", "secondary") and "[c]" in row["flags"].split(), row
        assert row["percent"] == row["ci_low"] == row["ci_high"] == "" and row["base"].isdigit(), row
    assert all(row["count"] != "" for row in rows if row["suppression"] == "none")


def test_csvstat_infers_every_numeric_column_as_a_number():
    csvstat = Path(sys.executable).with_name("csvstat")
    done = subprocess.run(
        [str(csvstat), "--csv", "-c", ",".join(NUMERIC), str(ROOT / "datasets" / "indicators.csv")],
        capture_output=True,
        text=True,
        check=True,
    )
    types = {row["column_name"]: row["type"] for row in csv.DictReader(done.stdout.splitlines())}
    assert types == dict.fromkeys(NUMERIC, "Number")
