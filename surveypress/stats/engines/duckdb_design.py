"""load.py's sample-design rules on a streamed file, in SQL: weights, stratum and PSU codes, two PSUs per stratum,
population sizes; gives the design's layout (stats/design.py) from the same scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial

import duckdb

from surveypress.content import Codebook, Design
from surveypress.stats.design import Layout, unit_layout
from surveypress.stats.engines.duckdb_checks import raise_as_load
from surveypress.stats.engines.duckdb_sql import design_label, quote, raw_design_cells
from surveypress.text import runs_as_formula


def group_design(connection: duckdb.DuckDBPyConnection, design: Design) -> list[tuple]:
    """One scan of the design columns, grouped by the stored stratum (and PSU) cells: per group, its labels as
    load.py keeps them, respondents, first row, smallest and largest population size, and the first row with no
    weight, a weight not above 0, or no valid population size. Kept as the table `design_groups`, which maps the
    stored cells to PSUs for the weighted sums; trimming the distinct cells instead of every row's saves a second
    per ten million rows."""
    raw = raw_design_cells(design)
    h_raw = "__design_h" if "__design_h" in raw else "''"
    c_raw = "__design_c" if "__design_c" in raw else "''"
    weight = quote(design.weight)
    size = quote(design.fpc) if isinstance(design.fpc, str) else "NULL"
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE design_groups AS "
        f"SELECT {design_label('h_raw')} AS h, {design_label('c_raw')} AS c, * FROM ("
        f"SELECT {h_raw} AS h_raw, {c_raw} AS c_raw, count(*) AS n, min(file_row_number) AS first, "
        f"min({size}) AS smallest, max({size}) AS largest, "
        f"min(file_row_number) FILTER (WHERE {weight} IS NULL) AS no_weight, "
        f"min(file_row_number) FILTER (WHERE {weight} <= 0) AS low_weight, "
        f"min(file_row_number) FILTER (WHERE {size} IS NULL OR {size} <= 0) AS no_size "
        "FROM microdata GROUP BY ALL)"
    )
    return connection.execute(
        "SELECT h, c, n, first, smallest, largest, no_weight, low_weight, no_size FROM design_groups"
    ).fetchall()


def _design_cells(design: Design) -> str:
    """SQL for the design columns of `microdata` under fixed names: w, h (stratum, '' without strata), c (PSU, the
    row without clusters) and size (population size), with each row's file_row_number."""
    weight = quote(design.weight)
    stratum = quote(design.strata) if design.strata else "''"
    cluster = quote(design.cluster) if design.cluster else "CAST(file_row_number AS VARCHAR)"
    size = quote(design.fpc) if isinstance(design.fpc, str) else "NULL"
    return (
        f"SELECT file_row_number, {weight} AS w, {stratum} AS h, {cluster} AS c, {size} AS size, "
        f"CAST({weight} AS VARCHAR) AS w_text FROM microdata"
    )


def check_design(
    connection: duckdb.DuckDBPyConnection, codebook: Codebook, population: str, design: Design, name: str
) -> Layout:
    """load.py's design rules on a streamed file, in load.py's order: weights, stratum and PSU codes, two PSUs per
    stratum, population sizes; gives the design's layout. Two narrow scans screen the file (the second is the
    aggregation over PSUs the layout needs); only a broken file pays for finding the first row breaking a rule,
    and load.py words the problem (`raise_as_load`)."""
    groups = group_design(connection, design)
    refuse = partial(raise_as_load, connection, codebook, population, name)
    for row in _rows_breaking_cell_rules(design, groups):
        if row is not None:
            refuse(row, design)
    units = _units(design, groups)
    psus: dict[str, int] = defaultdict(int)
    sizes: dict[str, set] = defaultdict(set)
    for stratum, _, respondents, smallest, largest in units:
        psus[stratum] += 1 if design.cluster else respondents
        sizes[stratum] |= {smallest, largest}
    cells = f"({_design_cells(design)})"
    count = "count(DISTINCT c)" if design.cluster else "count(*)"
    if design.strata and min(psus.values()) == 1:
        row = connection.execute(
            f"WITH s AS (SELECT h, {count} AS psus FROM {cells} GROUP BY h) "
            f"SELECT min(file_row_number) FROM {cells} JOIN s USING (h) WHERE s.psus = 1"
        ).fetchone()[0]
        refuse(row, design)
    if not isinstance(design.fpc, str):
        return unit_layout(design, [(stratum, cluster, n, None) for stratum, cluster, n, *_ in units])
    _check_sizes(connection, refuse, design, cells, _earliest(group[8] for group in groups), psus, sizes)
    return unit_layout(design, [(stratum, cluster, n, smallest) for stratum, cluster, n, smallest, _ in units])


def _earliest(rows: Iterable[int | None]) -> int | None:
    return min((row for row in rows if row is not None), default=None)


def _rows_breaking_cell_rules(design: Design, groups: list[tuple]) -> tuple[int | None, ...]:
    """The first row (or None) with no weight, a weight not above 0, an empty stratum code, a stratum code a
    spreadsheet would run, an empty PSU code, a PSU code a spreadsheet would run: load.py's order."""
    return (
        _earliest(group[6] for group in groups),
        _earliest(group[7] for group in groups),
        _earliest(group[3] for group in groups if group[0] == "") if design.strata else None,
        _earliest(group[3] for group in groups if runs_as_formula(group[0])) if design.strata else None,
        _earliest(group[3] for group in groups if group[1] == "") if design.cluster else None,
        _earliest(group[3] for group in groups if runs_as_formula(group[1])) if design.cluster else None,
    )


def _units(design: Design, groups: list[tuple]) -> list[tuple]:
    """(stratum, PSU or '', respondents, smallest and largest population size) per PSU, or per stratum
    unclustered, from the groups of stored cells."""
    merged: dict[tuple[str, str], list] = {}
    for stratum, cluster, respondents, _, smallest, largest, *_ in groups:
        key = (stratum, cluster if design.cluster else "")
        unit = merged.setdefault(key, [0, None, None])
        unit[0] += respondents
        unit[1] = smallest if unit[1] is None else unit[1] if smallest is None else min(unit[1], smallest)
        unit[2] = largest if unit[2] is None else unit[2] if largest is None else max(unit[2], largest)
    return [(stratum, cluster, *unit) for (stratum, cluster), unit in merged.items()]


def _check_sizes(
    connection: duckdb.DuckDBPyConnection,
    refuse: Callable[..., None],
    design: Design,
    cells: str,
    no_size: int | None,
    psus: dict[str, int],
    sizes: dict[str, set],
) -> None:
    """The population-size rules, which hold per stratum: a size on every row, one size a stratum, no fewer
    units than the sample's; load.py words them on the rows (or stand-ins) that show them."""
    alone = Design(weight=design.weight, fpc=design.fpc)
    if no_size is not None:
        refuse(no_size, alone)
    if any(len(values) > 1 for values in sizes.values()):
        row = connection.execute(
            f"WITH s AS (SELECT h, arg_min(size, file_row_number) AS first, min(file_row_number) AS first_row "
            f"FROM {cells} GROUP BY h) SELECT file_row_number, first_row FROM {cells} JOIN s USING (h) "
            "WHERE size <> first ORDER BY file_row_number LIMIT 1"
        ).fetchone()
        refuse(row[0], alone, [row[1], row[0]])
    if any(min(sizes[stratum]) < psus[stratum] for stratum in psus):
        count = "count(DISTINCT c)" if design.cluster else "count(*)"
        row, count = connection.execute(
            f"WITH s AS (SELECT h, {count} AS psus FROM {cells} GROUP BY h) "
            f"SELECT file_row_number, psus FROM {cells} JOIN s USING (h) WHERE size < psus "
            "ORDER BY file_row_number LIMIT 1"
        ).fetchone()
        # As many stand-in rows (distinct ids and PSUs, the row's size) as the stratum has PSUs.
        stand_ins = {"respondent_id": [f"R{index}" for index in range(count)]}
        if design.cluster:
            stand_ins[design.cluster] = [str(index) for index in range(count)]
        clustered = Design(weight=design.weight, cluster=design.cluster, fpc=design.fpc)
        refuse(row, clustered, [row] * count, stand_ins)
