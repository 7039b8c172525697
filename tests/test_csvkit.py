"""An independent cross-check: counts recomputed by csvkit's `csvsql` (SQL over the microdata) match indicators.csv.

The SQL is written by hand from the codebook's rules (universes, -9 = no answer, blank = not asked) and runs in
csvkit's own SQLite, sharing no code with the pandas or DuckDB engines, so a counting mistake in either shows here.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from test_package import stage, stage_tiny

from surveypress.content import load_publication

CSVSQL = Path(sys.executable).parent / "csvsql"
CONTENT = Path(__file__).resolve().parent.parent / "publication"


def csvsql(microdata: Path, query: str) -> list[dict[str, str]]:
    """Runs one query; the table is named after the file (residents.csv → residents)."""
    done = subprocess.run(
        [str(CSVSQL), "--delimiter", ",", "--query", query, str(microdata)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(csv.DictReader(io.StringIO(done.stdout)))


def whole(cell: str) -> int:
    # csvsql prints numbers through agate's Decimal type, sometimes as 176.0.
    number = Decimal(cell)
    assert number == number.to_integral_value(), cell
    return int(number)


def indicator_rows(indicators_csv: Path, indicator: str, breakdown: str) -> dict[tuple[str, str], dict[str, str]]:
    with indicators_csv.open(encoding="utf-8-sig", newline="") as handle:
        return {
            (row["group"], row["category"]): row
            for row in csv.DictReader(handle)
            if row["indicator"] == indicator and row["breakdown"] == breakdown
        }


def single_query(table: str, question: str, where: str = "1 = 1", breakdown: str | None = None) -> str:
    """Counts per (group, code) of answered respondents, with the group's base, for a single/scale question."""
    group = f"CAST({breakdown} AS INTEGER)" if breakdown else "'total'"
    in_group = f"AND {breakdown} > 0" if breakdown else ""
    return (
        f"SELECT {group} AS grp, CAST({question} AS INTEGER) AS category, COUNT(*) AS n, "
        f"SUM(COUNT(*)) OVER (PARTITION BY {group}) AS base "
        f"FROM {table} WHERE {question} > 0 AND {where} {in_group} GROUP BY 1, 2"
    )


def multi_query(table: str, question: str, codes: list[int], universe: str) -> str:
    """Per option: respondents in the universe who ticked it, and those who answered (any cell but -9)."""
    parts = [
        f"SELECT 'total' AS grp, '{code}' AS category, "
        f"COUNT(CASE WHEN {question}_{code} = 1 THEN 1 END) AS n, COUNT(*) AS base "
        f"FROM {table} WHERE {universe} AND {question}_{code} <> -9"
        for code in codes
    ]
    return " UNION ALL ".join(parts)


def compare(
    indicators_csv: Path, indicator: str, breakdown: str, found: list[dict[str, str]], complete: bool = True
) -> int:
    """Asserts every SQL cell matches the published row (suppressed counts excepted); returns cells compared.

    `complete`: the query covered every option, so an option it never saw must be a published zero.
    """
    published = indicator_rows(indicators_csv, indicator, breakdown)
    assert published, f"no rows for {indicator} / {breakdown} in {indicators_csv}"
    bases = {group: row["base"] for (group, _category), row in published.items()}
    compared = 0
    for cell in found:
        group, category = str(cell["grp"]).removesuffix(".0"), str(cell["category"]).removesuffix(".0")
        row = published[(group, category)]
        assert whole(cell["base"]) == int(row["base"]), (indicator, group, category)
        if row["count"] != "":  # blank: suppressed (flag [c])
            assert whole(cell["n"]) == int(row["count"]), (indicator, group, category)
            compared += 1
    if not complete:
        return compared
    seen = {(str(cell["grp"]).removesuffix(".0"), str(cell["category"]).removesuffix(".0")) for cell in found}
    for (group, category), row in published.items():
        if (group, category) not in seen and category.isdigit():
            assert row["count"] in ("0", "") or int(bases[group]) == 0, (indicator, group, category)
    return compared


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    pub, root = stage_tiny(tmp_path_factory.mktemp("csvkit-tiny"))
    return root


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    pub = load_publication(CONTENT)
    missing = [str(population.microdata) for population in pub.codebook.populations.values()]
    assert all(population.microdata.is_file() for population in pub.codebook.populations.values()), missing
    return stage(pub, tmp_path_factory.mktemp("csvkit-default"))


def test_csvsql_counts_a_single_choice_question_like_indicators_csv(default):
    found = csvsql(default / "datasets/public-use/residents.csv", single_query("residents", "r_used_online"))
    assert compare(default / "datasets/indicators.csv", "r_used_online", "total", found) == 2


def test_csvsql_counts_a_net_like_indicators_csv(default):
    query = (
        "SELECT 'total' AS grp, 'aware' AS category, COUNT(CASE WHEN r_awareness IN (1, 2, 3) THEN 1 END) AS n, "
        "COUNT(*) AS base FROM residents WHERE r_awareness > 0"
    )
    found = csvsql(default / "datasets/public-use/residents.csv", query)
    assert compare(default / "datasets/indicators.csv", "r_awareness", "total", found, complete=False) == 1


def test_csvsql_counts_a_multi_choice_question_inside_its_universe_like_indicators_csv(default):
    codebook = load_publication(CONTENT).codebook
    for table, question, universe in (
        ("residents", "r_services_used", "r_used_online = 1"),
        ("enterprises", "e_services_used", "e_used_online = 1"),
    ):
        codes = list(codebook.questions[question].codes)
        found = csvsql(default / f"datasets/public-use/{table}.csv", multi_query(table, question, codes, universe))
        assert compare(default / "datasets/indicators.csv", question, "total", found) == len(codes)


def test_csvsql_counts_a_breakdown_like_indicators_csv_where_not_suppressed(default):
    # The released file leaves the breakdown columns out (publication.yml release), so count from the input.
    query = single_query("residents", "r_awareness", breakdown="r_residence")
    found = csvsql(CONTENT.parent / "datasets/microdata/residents.csv", query)
    assert compare(default / "datasets/indicators.csv", "r_awareness", "r_residence", found) >= 4


def test_csvsql_follows_a_chained_universe_in_the_tiny_fixture(tiny):
    # p_satisfaction is asked of those who ticked channel 1 or 2, who were asked because they used online services
    # (load.py has already checked that everyone else is blank, so the clause documents the universe more than filters).
    universe = "p_used = 1 AND (p_channels_1 = 1 OR p_channels_2 = 1)"
    found = csvsql(tiny / "datasets/microdata/people.csv", single_query("people", "p_satisfaction", universe))
    assert compare(tiny / "datasets/indicators.csv", "p_satisfaction", "total", found) >= 3
    found = csvsql(tiny / "datasets/microdata/people.csv", multi_query("people", "p_channels", [1, 2, 3], "p_used = 1"))
    assert compare(tiny / "datasets/indicators.csv", "p_channels", "total", found) == 3


@pytest.mark.parametrize("page", ["docs/downloads.md", "docs/en/downloads.md"])
def test_the_csvsql_commands_each_downloads_page_prints_run_on_the_released_files_and_give_the_figures_it_states(
    default, page
):
    text = (CONTENT.parent / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(csvsql [^\n]*)\n```\n\n([^\n]*)", text)
    assert len(blocks) >= 2, "the page shows no csvsql command to check"
    for command, stated in blocks:
        # The page's command as a reader types it, run in the folder the download archive unpacks into.
        arguments = shlex.split(command)
        arguments[0] = str(CSVSQL)
        done = subprocess.run(arguments, cwd=default, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        (row,) = list(csv.DictReader(io.StringIO(done.stdout)))
        count, base = whole(row["count"]), whole(row["base"])
        assert re.search(rf"\b{count}\b.*\b{base}\b", stated), (command, stated)
