"""Counting the DuckDB engine's grouping sets of a wide file (thousands of questions) in long form.

One query with a grouping set per indicator is right for tens of indicators, not for thousands: DuckDB keeps a hash
table per grouping set (5,000 sets of a 500-respondent file ran out of 768 MB), and a query against the checked view
of a file of thousands of columns binds every column's SQL again (about 2 s at 5,000, before any row is read).

So above `MAX_GROUPING_SETS` sets, each set is split into its own cells (the question's cells and universe flag) and
its context (breakdowns and their flags). Sets of one context and one width are counted together, a batch of at
most `BATCH_COLUMNS` stored columns a query: the query selects just those columns with the checked view's SQL
(`Checked.relation`), turns each set's own cells into a row per respondent (UNPIVOT) and counts the rows with one
GROUP BY on (context, set, cells). The counts are the grouping sets' counts, combination by combination, so the
tables do not change; each stored column is read and converted once, and memory is one hash table of a few
thousand groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

# Above this many grouping sets, a population is counted in long form. 64 sets of the narrow benchmarks' files
# take one scan in the grouping-sets query; 256 sets of a 500-respondent file already exhausted 768 MB.
MAX_GROUPING_SETS = 64
# Stored columns read by one long-form query: its rows are 2,048 respondents × these columns wide in DuckDB's
# vectors (16 bytes a text cell: 16 MB), and binding stays quick. 500 and 1,000 took the same time.
BATCH_COLUMNS = 512
# Above this many columns' expressions in one query, the common-subexpression pass is turned off
# (`independent_columns`); the narrow files' queries keep it.
MANY_EXPRESSIONS = 256
YES = "__yes"  # a constant TRUE standing in for the universe flag of a set whose question has no universe


@dataclass(frozen=True)
class Split:
    """One grouping set as context and own cells: `own` the question's cells, `flag` its universe flag or None."""

    context: tuple[str, ...]
    own: tuple[str, ...]
    flag: str | None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _batches(splits: list[tuple[int, Split]], stored: Callable[[Split], set[str]]) -> list[list[tuple[int, Split]]]:
    """Consecutive runs of sets reading at most BATCH_COLUMNS stored columns each (a single set may read more)."""
    batches: list[list[tuple[int, Split]]] = []
    columns: set[str] = set()
    for entry in splits:
        needed = stored(entry[1])
        if batches and len(columns | needed) <= BATCH_COLUMNS:
            batches[-1].append(entry)
            columns |= needed
        else:
            batches.append([entry])
            columns = set(needed)
    return batches


def count_long(
    connection: duckdb.DuckDBPyConnection,
    splits: list[Split],
    flags: dict[str, str],
    flag_columns: dict[str, tuple[str, ...]],
    relation: Callable[[list[str]], str],
) -> list[list[tuple[dict, int]]]:
    """Per set (in the order of `splits`), its combinations of cells and their respondents, as the grouping-sets
    query gives them. `flags` maps each flag name to its SQL over the typed columns, which it reads from
    `flag_columns`; `relation(columns)` gives SQL for a relation holding those typed columns."""
    found: list[list[tuple[dict, int]]] = [[] for _ in splits]
    groups: dict[tuple[tuple[str, ...], int], list[tuple[int, Split]]] = defaultdict(list)
    for index, split in enumerate(splits):
        groups[(split.context, len(split.own))].append((index, split))

    def stored(split: Split) -> set[str]:
        names = [*split.context, *split.own] + ([split.flag] if split.flag else [])
        return {column for name in names for column in flag_columns.get(name, (name,))}

    # Each column's SQL stands alone: the search for common subexpressions took seconds a batch.
    with independent_columns(connection):
        for (context, width), entries in groups.items():
            for batch in _batches(entries, stored):
                columns = sorted(set().union(*(stored(split) for _, split in batch)))
                _count_batch(connection, batch, context, width, flags, relation(columns), found)
    return found


@contextmanager
def independent_columns(connection: duckdb.DuckDBPyConnection, expressions: int | None = None) -> Iterator[None]:
    """Turns off the optimizer's common-subexpression pass (with `expressions`, only above MANY_EXPRESSIONS) for
    queries whose columns' SQL share nothing: the pass is quadratic in expressions (a minute for 5,000 columns'
    CASE, planning a query that then runs in a second)."""
    if expressions is not None and expressions <= MANY_EXPRESSIONS:
        yield
        return
    before = connection.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    disabled = ",".join(filter(None, [before, "common_subexpressions"]))
    connection.execute(f"SET disabled_optimizers = '{disabled}'")
    try:
        yield
    finally:
        connection.execute(f"SET disabled_optimizers = '{before}'")


def _count_batch(
    connection: duckdb.DuckDBPyConnection,
    batch: list[tuple[int, Split]],
    context: tuple[str, ...],
    width: int,
    flags: dict[str, str],
    typed: str,
    found: list[list[tuple[dict, int]]],
) -> None:
    """One query: the sets of `batch` (one context, `width` own cells each) counted over the relation `typed`."""
    used_flags = {name for _, split in batch for name in (*context, split.flag) if name in flags}
    cells = [f"{flags[name]} AS {_quote(name)}" for name in sorted(used_flags)]
    plain = {column for _, split in batch for column in (*context, *split.own) if column not in flags}
    cells += [_quote(column) for column in sorted(plain)]
    cells.append(f"TRUE AS {YES}")
    values = [f"__v{position}" for position in range(width)] + ["__asked"]
    listed = ", ".join(
        "(" + ", ".join(_quote(column) for column in (*split.own, split.flag or YES)) + f") AS '{index}'"
        for index, split in batch
    )
    keys = [_quote(column) for column in context]
    rows = connection.execute(
        f"WITH cells AS (SELECT {', '.join(cells)} FROM {typed}) "
        f"SELECT {', '.join([*keys, '__set', *values])}, count(*) FROM cells "
        f"UNPIVOT INCLUDE NULLS (({', '.join(values)}) FOR __set IN ({listed})) GROUP BY ALL"
    ).fetchall()
    splits = dict(batch)
    for row in rows:
        index = int(row[len(context)])
        split = splits[index]
        combination = dict(zip(context, row[: len(context)], strict=True))
        own = row[len(context) + 1 : len(context) + 1 + width]
        combination.update(zip(split.own, own, strict=True))
        if split.flag is not None:
            combination[split.flag] = row[-2]
        found[index].append((combination, row[-1]))
