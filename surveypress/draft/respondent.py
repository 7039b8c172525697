"""`surveypress init` from a data file: which column is the respondent id, and that it is one.

Takes: the scratch table `source` data.py streamed the file into, and its profiled columns.
Gives: the column named by `--id-column`, else the first column named like an id (`model.ID_NAMES`, or with "id" as
a word of its name: `case_id`, `Respondent ID`, `RespondentID`, `ID number`) whose values are unique and never empty;
else an InputError naming the file, the row and the value (an empty or repeated id), or asking for `--id-column`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import duckdb

from surveypress.draft import model as init_draft
from surveypress.errors import InputError
from surveypress.i18n import _

if TYPE_CHECKING:
    from surveypress.draft.profile import Column

# The words of a column name (`Respondent ID`, `RespondentID`, `case_id`, `ID number`): one of them "id" names an id.
NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def respondent_column(con: duckdb.DuckDBPyConnection, columns: list[Column], chosen: str | None, name: str) -> Column:
    """The column named by --id-column, else the first column named like an id that is unique and never empty."""
    if chosen:
        found = next((column for column in columns if column.name == chosen), None)
        if found is None:
            raise InputError(
                name,
                _("a column named {column} (--id-column)").format(column=chosen),
                row=1,
                value=chosen,
                hint=_("The file's columns: {columns}").format(columns=", ".join(c.name for c in columns[:30])),
            )
        _check_unique(con, found, name)
        return found
    named = [c for c in columns if c.name.lower() in init_draft.ID_NAMES]
    named.sort(key=lambda column: init_draft.ID_NAMES.index(column.name.lower()))
    named += [c for c in columns if "id" in map(str.lower, NAME_WORDS.findall(c.name)) and c not in named]
    for column in named:
        if _problem_row(con, column) is None:
            return column
    if named:
        _check_unique(con, named[0], name)
    raise InputError(
        name,
        _("a respondent id column: one whose values are unique and never empty, named id, respondent_id, ..."),
        row=1,
        value=", ".join(c.name for c in columns[:10]) + (", ..." if len(columns) > 10 else ""),
        hint=_("Name it with --id-column NAME"),
    )


def _problem_row(con: duckdb.DuckDBPyConnection, column: Column) -> tuple[int, str] | None:
    """(row, value) of the first empty or repeated id, rows numbered as a spreadsheet does (header = 1)."""
    c = column.sql
    unique = con.execute(f"SELECT count(DISTINCT {c}) = count(*) AND bool_and({c} <> '') FROM source").fetchone()[0]
    if unique:
        return None
    return con.execute(
        f"SELECT r + 2, v FROM (SELECT rowid AS r, {c} AS v, row_number() OVER (PARTITION BY {c} ORDER BY rowid) AS n"
        " FROM source) WHERE n = 2 OR v = '' ORDER BY r LIMIT 1"
    ).fetchone()


def _check_unique(con: duckdb.DuckDBPyConnection, column: Column, name: str) -> None:
    problem = _problem_row(con, column)
    if problem is None:
        return
    row, value = problem
    raise InputError(
        name,
        _("a unique respondent id in every row"),
        row=row,
        column=column.name,
        value=value,
        hint=_("The id is empty") if not value else _("The id appears in an earlier row"),
    )
