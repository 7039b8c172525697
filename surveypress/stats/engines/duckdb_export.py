"""The released microdata of a streamed file, written by DuckDB without holding it in memory: the public-use CSV or
Parquet copy with its recodes, the typed Parquet copy, and the k-anonymity figures of its quasi-identifiers.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from surveypress import layout
from surveypress.content import Codebook
from surveypress.microdata.csv_checks import UTF8_BOM
from surveypress.stats.engines import duckdb_long
from surveypress.stats.engines.duckdb_sql import cell_value, connect, design_values, literal, parquet, quote, raw_number


def _recoded(column: str, column_type: str, classes: dict[int, int] | None) -> str:
    """SQL for a cell as an integer, with a public-use file's recodes (code -> code it is released as) applied."""
    value = cell_value(column, column_type)
    changed = {code: to for code, to in (classes or {}).items() if code != to}
    if not changed:
        return value
    cases = " ".join(f"WHEN {int(code)} THEN {int(to)}" for code, to in sorted(changed.items()))
    return f"CASE {value} {cases} ELSE {value} END"


def _released_number(column: str, whole: bool) -> str:
    """SQL for a numeric question's raw cell as released: a whole number as BIGINT (`22`, never `22.0`), else a
    double; empty as NULL. Its value is checked already (numeric.py), so the cast loses nothing."""
    return f"CAST({raw_number(column)} AS BIGINT)" if whole else raw_number(column)


def write_released(
    source: object,
    columns: list[str],
    classes: dict[str, dict[int, int]],
    target: Path,
    verbatim: tuple[str, ...] = (),
    connected: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    numbers: dict[str, bool] | None = None,
) -> None:
    """Writes a streamed file's released columns as CSV (or Parquet, when `target` ends in .parquet), with the
    public-use recodes applied (protect.py keeps the same rules for files read whole), in file order, without holding
    the file in memory. `verbatim` columns (a design's weights, strata and PSUs) are written as they are, not read as
    answer codes; `numbers` names the numeric questions' columns, each with whether it holds whole numbers.
    `connected` is given the connection first (another thread may `interrupt()` it)."""
    numbers = numbers or {}
    connection = connect()
    if connected is not None:
        connected(connection)
    try:
        relation = parquet(Path(source))  # type: ignore[arg-type]
        types = {name: kind for name, kind, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
        as_parquet = target.suffix.lower() == ".parquet"
        select = [f"CAST({quote(columns[0])} AS VARCHAR) AS {quote(columns[0])}"]
        select += [
            (quote(column) if as_parquet else f"CAST({quote(column)} AS VARCHAR)") + f" AS {quote(column)}"
            if column in verbatim
            else f"{_released_number(column, numbers[column])} AS {quote(column)}"
            if column in numbers
            else f"{_recoded(column, types[column], classes.get(column))} AS {quote(column)}"
            for column in columns[1:]
        ]
        connection.execute("SET preserve_insertion_order = true")
        # Written in file order, the copy runs on one core whatever it is given (a second thread only costs more:
        # 8.0 s of CPU instead of 9.2 s for 8.7 million rows), and the build counts the tables on the others meanwhile.
        connection.execute("SET threads = 1")
        if as_parquet:
            with duckdb_long.independent_columns(connection, len(select)):
                connection.execute(
                    f"COPY (SELECT {', '.join(select)} FROM {relation}) TO {literal(str(target))} "
                    f"(FORMAT parquet, ROW_GROUP_SIZE {layout.PARQUET_ROW_GROUP})"
                )
            return
        body = Path(f"{target}.body")
        with duckdb_long.independent_columns(connection, len(select)):
            connection.execute(
                f"COPY (SELECT {', '.join(select)} FROM {relation}) TO {literal(str(body))} (FORMAT csv, HEADER true)"
            )
        # The byte-order mark every published CSV starts with (outputs.CSV_ENCODING), then DuckDB's rows as a stream.
        with target.open("wb") as out, body.open("rb") as rows:
            out.write(UTF8_BOM)
            shutil.copyfileobj(rows, out, 16 << 20)
        body.unlink()
    finally:
        connection.close()


def k_anonymity(
    source: object, quasi: list[str], classes: dict[str, dict[int, int]] | None = None
) -> tuple[int, int, int, tuple]:
    """(records, k, sample uniques, the smallest combination's values) over the quasi-identifiers of a Parquet
    file, grouped in one scan (after a public-use file's recodes, `classes`); values are integers, None for an empty
    cell. Ties go to the first combination in ascending order with empty cells last, as protect.disclosure_report
    orders them in memory."""
    connection = connect()
    try:
        relation = parquet(Path(source))  # type: ignore[arg-type]
        types = dict(
            (column, column_type)
            for column, column_type, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        )
        records = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        if not quasi or not records:
            return records, records, int(records == 1), ()
        keys = [
            f"{_recoded(column, types[column], (classes or {}).get(column))} AS {quote(column)}" for column in quasi
        ]
        ordered = ", ".join(f"{quote(column)} ASC NULLS LAST" for column in quasi)
        listed = ", ".join(quote(column) for column in quasi)
        row = connection.execute(
            f"WITH cells AS (SELECT {', '.join(keys)} FROM {relation}), "
            f"groups AS (SELECT {listed}, count(*) AS n FROM cells GROUP BY ALL) "
            f"SELECT n, (SELECT count_if(n = 1) FROM groups), {listed} FROM groups ORDER BY n, {ordered} LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return records, row[0], row[1], tuple(row[2:])


def write_typed_parquet(codebook: Codebook, population: str, source: object, target: Path, row_group: int) -> None:
    """Writes a checked microdata file as Parquet for release, streamed: ids as text, answers as small integers
    (an empty cell as null), rows in file order."""
    connection = connect()
    try:
        relation = parquet(Path(source))  # type: ignore[arg-type]
        schema = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        types = {column: column_type for column, column_type, *_ in schema}
        columns = codebook.columns_of(population)
        design = codebook.populations[population].design
        # Design columns as the validated frame holds them: weights and sizes as doubles, codes as trimmed text.
        kept = design_values(design, types) if design else {}
        # A numeric question keeps its raw value: whole numbers as integers, others as doubles.
        kept.update(
            {q.id: _released_number(q.id, q.whole_numbers) for q in codebook.questions_of(population) if q.numeric}
        )
        select = [f"CAST({quote(columns[0])} AS VARCHAR) AS {quote(columns[0])}"]
        select += [
            f"{kept[column] if column in kept else f'CAST({cell_value(column, types[column])} AS SMALLINT)'} AS "
            f"{quote(column)}"
            for column in columns[1:]
        ]
        connection.execute("SET preserve_insertion_order = true")
        with duckdb_long.independent_columns(connection, len(select)):
            connection.execute(
                f"COPY (SELECT {', '.join(select)} FROM {relation}) TO {literal(str(target))} "
                f"(FORMAT parquet, ROW_GROUP_SIZE {int(row_group)})"
            )
    finally:
        connection.close()
