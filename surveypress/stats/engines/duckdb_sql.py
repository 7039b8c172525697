"""The DuckDB engine's connection and the SQL of a cell, shared by its checks, counts, sums and released files.

The connection: its threads and memory limit (`MEMORY_LIMIT`, or `SURVEYPRESS_DUCKDB_MEMORY`), no progress bar.
The SQL: quoting, a cell as an integer, a numeric question's raw number and band code, a universe chain as one
condition, and the design columns (weights and sizes as doubles, stratum and PSU codes as trimmed text) as load.py
keeps them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from surveypress.content import Codebook, Design, Question, Universe
from surveypress.errors import InputError
from surveypress.microdata import design_checks, numeric
from surveypress.stats.tasks import universe_chain

# Aggregation state is tiny; the limit keeps DuckDB from claiming most of the machine on a big file. With 1 GB the
# weighted, stratified, clustered 1e7 build peaked at 1.09 GB (the process, Python included); with 768 MB at 0.70 GB
# in the same time (36 s), and the unweighted 1e7 build at 0.64 GB.
MEMORY_LIMIT = "768MB"


# Overrides MEMORY_LIMIT (a size as DuckDB writes one: 2GB, 1500MB), for a machine with memory to spare. A build
# that reaches the limit stops with exit 4 and a message naming this variable (build.py).
MEMORY_ENV = "SURVEYPRESS_DUCKDB_MEMORY"


MEMORY_SIZE = re.compile(r"\s*[0-9]+(\.[0-9]+)?\s*([KMGT]i?B|B)\s*", re.IGNORECASE)


def memory_limit() -> str:
    """The memory DuckDB may use: MEMORY_ENV when set, else MEMORY_LIMIT."""
    size = os.environ.get(MEMORY_ENV, "").strip() or MEMORY_LIMIT
    if not MEMORY_SIZE.fullmatch(size):
        raise InputError(f"the environment variable {MEMORY_ENV}", "a size such as 2GB or 1500MB", value=size)
    return size


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def code_list(codes: tuple[int, ...]) -> str:
    return ", ".join(str(int(code)) for code in codes)


def parquet(path: Path | str) -> str:
    """SQL for reading one Parquet file."""
    return f"read_parquet({literal(str(path))})"


def connect() -> duckdb.DuckDBPyConnection:
    # No progress bar: the build prints one line per stage on stderr and nothing else.
    connection = duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": memory_limit()})
    connection.execute("SET enable_progress_bar = false")
    return connection


def condition_sql(codebook: Codebook, condition: Universe) -> str:
    target = codebook.questions[condition.question]
    if target.type == "multi":
        return "(" + " OR ".join(f"{quote(f'{target.id}_{code}')} = 1" for code in condition.codes) + ")"
    return f"{quote(target.id)} IN ({code_list(condition.codes)})"


def asked_sql(codebook: Codebook, question: Question) -> str:
    """SQL that is true exactly for respondents inside the question's universe chain (never NULL)."""
    conditions = universe_chain(codebook, question)
    return " AND ".join(f"coalesce({condition_sql(codebook, condition)}, FALSE)" for condition in conditions) or "TRUE"


def cell_value(name: str, column_type: str) -> str:
    """SQL for a cell as an integer: integer columns as they are, text parsed, empty text as NULL (not asked)."""
    if is_integer(column_type):
        return quote(name)
    text = f"CAST({quote(name)} AS VARCHAR)"
    return f"CASE WHEN {text} = '' THEN NULL ELSE TRY_CAST({text} AS BIGINT) END"


def is_integer(column_type: str) -> bool:
    return column_type.upper() in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


def raw_number(column: str) -> str:
    """SQL for a numeric question's raw cell as a double, whatever the column type; NULL when empty or not a number."""
    text = f"CAST({quote(column)} AS VARCHAR)"
    return f"CASE WHEN regexp_full_match({text}, '{numeric.NUMBER_TEXT[1:-1]}') THEN CAST({text} AS DOUBLE) END"


def banded(question: Question, no_answer: int) -> str:
    """SQL for a numeric question's band code: NULL when empty, `numeric.NO_BAND` when malformed or out of range."""
    text = f"CAST({quote(question.id)} AS VARCHAR)"
    return (
        f"(CASE WHEN {text} IS NULL OR {text} = '' THEN NULL WHEN {raw_number(question.id)} IS NULL "
        f"THEN {numeric.NO_BAND} ELSE {numeric.band_sql(raw_number(question.id), question.numeric, no_answer)} END)"
    )


def design_number(column: str, column_type: str) -> str:
    """SQL for a weight or population size as a double; NULL when empty, not a plain number or not finite."""
    if column_type.upper() in ("DOUBLE", "FLOAT", "DECIMAL") or is_integer(column_type):
        value = f"CAST({quote(column)} AS DOUBLE)"
    else:
        text = f"CAST({quote(column)} AS VARCHAR)"
        value = (
            f"(CASE WHEN regexp_full_match({text}, '{design_checks.PLAIN_NUMBER}') THEN TRY_CAST({text} AS DOUBLE) END)"
        )
    return f"(CASE WHEN isfinite({value}) THEN {value} END)"


# The characters of WHITESPACE, for trim(): much quicker than a regular expression on every row.
WHITESPACE_CHARACTERS = "\t\n\v\f\r \x85\xa0" + "".join(
    chr(point) for point in (0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)


def design_label(column: str) -> str:
    """SQL for a stratum or PSU code as load.py keeps it: text, trimmed of white space, empty when missing."""
    return f"trim(coalesce(CAST({quote(column)} AS VARCHAR), ''), {literal(WHITESPACE_CHARACTERS)})"


def design_values(design: Design, types: dict[str, str]) -> dict[str, str]:
    """SQL for each design column as the validated frame holds it: weights and sizes as doubles, codes as text."""
    values = {design.weight: design_number(design.weight, types[design.weight])}
    for column in (design.strata, design.cluster):
        if column:
            values[column] = design_label(column)
    if isinstance(design.fpc, str):
        values[design.fpc] = design_number(design.fpc, types[design.fpc])
    return values


def raw_design_cells(design: Design) -> dict[str, str]:
    """The `microdata` view's names for the stored stratum and PSU cells: {name: design column}."""
    cells = {"__design_h": design.strata, "__design_c": design.cluster}
    return {name: column for name, column in cells.items() if column}
