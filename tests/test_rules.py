"""Every codebook rule (surveypress/microdata/rules.py) is exercised on every engine that applies it, with one message.

The bad-input catalogue's microdata cases run through the file read whole (load.py, in build_tables.py) and through
the streamed DuckDB checks (tests/test_bad_inputs.py runs each both ways); the Parquet cases of tests/test_engines.py
run through the pandas engine's screen and the DuckDB engine. These tests make sure that no rule is left out of them,
so a rule cannot drift on one engine unnoticed.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_bad_inputs import MICRODATA_CASES
from test_engines import BAD_CELLS
from test_tabulate import fixture_microdata, fixture_publication

from surveypress import content as spec
from surveypress.content import Label, Population
from surveypress.errors import InputError
from surveypress.microdata import load, rules
from surveypress.stats.tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
NUMERIC = ROOT / "tests" / "fixtures" / "numeric"
CATALOGUED = [case["error"] for case in MICRODATA_CASES if "error" in case]


def rules_of(message: str) -> set[str]:
    return {rule.key for rule in rules.RULES if rule.gave(message)}


@pytest.mark.parametrize("rule", [r for r in rules.RULES if r.key != "numeric_value"], ids=lambda r: r.key)
def test_each_rule_load_and_the_sql_checks_apply_has_a_catalogued_microdata_case(rule: rules.Rule) -> None:
    assert any(rule.gave(message) for message in CATALOGUED), f"no case of cases.yml breaks the rule {rule.key}"


def test_each_rule_the_pandas_screen_applies_has_a_parquet_case_run_on_both_engines(tmp_path: Path) -> None:
    exercised: set[str] = set()
    for number, damage in enumerate(BAD_CELLS.values()):
        frame = fixture_microdata()
        damage(frame)
        path = tmp_path / f"{number}.parquet"
        frame.to_parquet(path)
        people = Population("people", Label("人", "People"), path)
        with pytest.raises(InputError) as refused:
            load.load_population(fixture_publication().codebook, people, tmp_path, 2**30)
        exercised |= rules_of(str(refused.value))
    screened = {rule.key for rule in rules.RULES if rules.SCREEN in rule.engines and rule.key != "numeric_value"}
    assert screened <= exercised


@pytest.mark.parametrize("value", ["120", "17", "37.5"])
@pytest.mark.parametrize("way", ["load", "duckdb", "pandas"])
def test_a_refused_numeric_value_gets_the_same_message_on_every_engine(value: str, way: str, tmp_path: Path) -> None:
    project = tmp_path / "numeric"
    shutil.copytree(NUMERIC, project)
    people = project / "datasets" / "microdata" / "people.csv"
    frame = pd.read_csv(people, dtype=str, keep_default_na=False)
    frame.loc[1, "p_age"] = value
    frame.to_csv(people, index=False)
    pub = spec.load_publication(project / "publication")
    population = pub.codebook.populations["people"]
    with pytest.raises(InputError) as by_load:
        load.load_population(pub.codebook, population, project, 2**30)
    assert rules_of(str(by_load.value)) == {"numeric_value"}
    if way == "load":
        return
    typed = frame.replace("", None)
    for column in typed.columns[1:]:
        typed[column] = pd.to_numeric(typed[column]).astype("Float64" if column == "p_age" else "Int64")
    path = tmp_path / "people.parquet"
    typed.to_parquet(path)
    microdata = load.load_microdata(_without(pub, "people"))
    with pytest.raises(InputError) as by_engine:
        tabulate(pub, {**microdata, "people": path}, engine=way)
    found = (by_engine.value.row, by_engine.value.column, by_engine.value.expected, by_engine.value.hint)
    assert found == (by_load.value.row, by_load.value.column, by_load.value.expected, by_load.value.hint)


def _without(pub: spec.Publication, population: str) -> spec.Publication:
    """The publication with one population's file left unread (its populations minus that one)."""
    codebook = pub.codebook
    kept = {key: value for key, value in codebook.populations.items() if key != population}
    return dataclasses.replace(pub, codebook=dataclasses.replace(codebook, populations=kept))


SCREENED_IDS = [
    "R-001", "Ｒ１", "", " ", "\u3000", " R1", "R1 ", "R1\t", "R\u200b1", "R\x001", "=1+1", "+86 123", "-1", "-1.5e3",
    "@home", "\tR1", "R\u00a0", "\u00a0R", "a\u2028b", "受访者 7", "7",
]  # fmt: skip


def test_the_one_pattern_id_screen_flags_every_id_some_id_rule_refuses() -> None:
    import duckdb

    frame = pd.DataFrame({"id": SCREENED_IDS})  # noqa: F841 (DuckDB reads it by name)
    rule_sql = [rule.sql('"id"') for rule in rules.ID_RULES]
    found = duckdb.sql(f"SELECT id, {rules.id_screen_sql('id')}, {', '.join(rule_sql)} FROM frame").fetchall()
    refused = [cells[0] for cells in found if any(cells[2:])]
    assert len(refused) >= 12, refused  # the catalogue above breaks every rule, several ways
    for cell, screened, *broken in found:
        assert screened or not any(broken), f"{cell!r} breaks a rule the screen lets through"


def test_the_header_check_is_linear_in_the_columns() -> None:
    """A file of 20,000 columns is checked against its codebook in well under a second (a list scanned per column
    made it quadratic: seconds at 5,000 columns, issue 22)."""
    import time

    from surveypress.microdata.rules import check_columns

    columns = [f"v{number:05d}" for number in range(20_000)]
    started = time.process_time()
    check_columns(columns, columns[::-1], "people", "people.csv")
    assert time.process_time() - started < 2
