"""`surveypress init` from a data file without labels: CSV, TSV, Parquet, or the data sheet of a workbook.

Takes: the file and init's options (population, languages, the respondent id column).
Gives: an init `Draft` whose codebook is read off the data, and the data converted to the codebook's CSV layout in a
scratch file, which init writes to `datasets/microdata/<population>.csv` like the data of an SPSS or Stata file.

How each column is read (cells trimmed, `4.0` read as 4; an empty cell is "not asked"):
- the respondent id (draft/respondent.py): `--id-column`, else the first column named like an id whose values are
  unique and never empty; without one, init stops and asks for `--id-column`;
- 0/1 columns named `<question>_<code>` (two or more) -> a multi question, as init reads them in SPSS files;
- a column whose cells list answers joined by a separator (`a;b`, ODK's `a b`) -> a multi question, one option per
  answer, when most answers also stand alone in some cell (so "Very satisfied" is not split);
- whole numbers with at most `MAX_INTEGER_CODES` distinct values -> a single question keeping them as its codes
  (negative ones are the no-answer code; with a 0 among them, codes 1..k in order); other text with at most
  `MAX_OPTIONS` distinct answers -> a single question, the answers given codes 1..k in sorted order;
- numbers otherwise (decimals, or many distinct whole numbers) -> a numeric question, its range the data's, its bands
  cut at the quartiles; a float written with all its digits (more than the 9 decimals a codebook allows) rounded to
  `ROUNDED_DECIMALS`;
- anything else (many distinct answers, long answers) is free text: left out, and a note lists it. The codebook has
  no type for text answers, and leaving them out keeps names and comments out of the released microdata.
Every label only a person can word (question texts, integer codes) is drafted as `TODO` in each declared language.

Why the data is converted rather than named in place: the build reads exactly the codebook's columns, named by
question id, with codes; a data file has other names, free-text columns and text answers. Converting keeps one path
for every source (as for SPSS and Stata), leaves the original file untouched, and releases only what the codebook
declares. Cost: the file is streamed once into a scratch DuckDB database (a workbook is read whole by calamine, as the
build reads one), profiled with a few aggregate queries (`approx_count_distinct`, min/max, capped distinct lists), and
written with DuckDB `COPY`; universes are inferred reading one converted column at a time.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from surveypress import formats
from surveypress.draft import model as init_draft
from surveypress.draft.profile import Column
from surveypress.draft.project import say
from surveypress.draft.respondent import respondent_column
from surveypress.draft.universe import ParquetColumns, infer_universes, no_answer_columns
from surveypress.errors import InputError
from surveypress.formats.text import unreadable
from surveypress.i18n import _

MAX_OPTIONS = 50  # a column of text with more distinct answers is free text
MAX_INTEGER_CODES = 20  # a column of whole numbers with more distinct values is numeric (age, income, a count)
MAX_ANSWER_CHARACTERS = 100  # a longer answer is free text, not an option
# Separators of multi-select answers in one cell, in the order they are tried: Wenjuanxing's ┋, then ;, |, comma,
# and ODK/KoboToolbox's space.
SEPARATORS = ("┋", ";", "|", ",", " ")
WHOLE = "-?[0-9]{1,15}"
NUMBER = "-?[0-9]{1,15}(\\.[0-9]{1,17})?"  # a float written whole (0.30000000000000004) is a number too
MAX_DECIMALS = 9  # the most decimals a numeric question declares (content/codebook.py)
ROUNDED_DECIMALS = 4  # numbers with more decimals than a codebook allows (9: float noise) are rounded to this many
NEGATIVE = "-[0-9]{1,15}"
BAND_QUANTILES = (0.25, 0.5, 0.75)
COLUMNS_PER_QUERY = 100  # profiling aggregates are asked for this many columns at a time
SPACES = "' ' || chr(9) || chr(13) || chr(10) || chr(160) || chr(12288)"  # trimmed off every cell (SQL)


@dataclass
class Planned:
    """A drafted question and the SQL expression of each of its microdata columns (NULL = not asked)."""

    question: init_draft.Question
    expressions: dict[str, str]


def draft_from_data(
    path: Path,
    name: str,
    population: str | None,
    languages: list[str] | None,
    id_column: str | None,
    form: formats.Format,
) -> init_draft.Draft:
    workspace = tempfile.TemporaryDirectory(prefix="surveypress-init-")
    scratch = Path(workspace.name)
    notes: list[str] = []
    with duckdb.connect(str(scratch / "profile.duckdb")) as con:
        con.execute(f"SET temp_directory = {_literal(str(scratch / 'spill'))}")
        header = _load(con, path, name, notes, form)
        rows = con.execute("SELECT count(*) FROM source").fetchone()[0]
        if not rows:
            raise InputError(name, _("at least one respondent row below the header"), row=2, value=_("(header only)"))
        columns = _profile(con, header)
        respondent = respondent_column(con, columns, id_column, name)
        labels = form.variable_labels(path, name) if form.variable_labels is not None else {}
        texts = header + list(labels.values()) + [value for column in columns for value in column.values or []]
        source_language = init_draft.language_of(texts)
        languages = languages or [source_language]
        for column in columns:
            if labels.get(column.name):
                column.text = init_draft.in_languages(labels[column.name], source_language, languages)
        draft = init_draft.Draft(
            source=path,
            source_name=name,
            population=population or init_draft.identifier(path.stem, "survey"),
            name=re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower()).strip("-._") or "survey",
            languages=languages,
            title={tag: f"{say('todo', tag)}: {path.stem}" for tag in languages},
            questions=[],
            groups={},
            notes=notes,
        )
        draft.no_answer = _no_answer_below([float(c.minimum) for c in columns if _is_numeric(c, respondent)])
        planned = _plan(con, columns, respondent, draft, source_language)
        draft.questions = [plan.question for plan in planned]
        microdata = scratch / "microdata.parquet"
        _convert(con, respondent, planned, microdata)
    draft.microdata = ParquetColumns(microdata)
    draft.workspace = workspace  # the scratch folder lives as long as the draft
    infer_universes(draft)
    draft.microdata_file = scratch / "microdata.csv"
    _write_csv(microdata, draft.microdata_file, draft)
    init_draft._choose_charts(draft)
    draft.groups = init_draft._groups_of_ten(draft, source_language)
    return draft


# ---------------------------------------------------------------------------------------------------------------
# Reading the file into a scratch table of text columns c0, c1, ... in file order.


def _load(con: duckdb.DuckDBPyConnection, path: Path, name: str, notes: list[str], form: formats.Format) -> list[str]:
    """Streams the file, as its format reads it (`Format.stream`), into the table `source` (text, trimmed); gives
    its header."""
    assert form.stream is not None
    header, reader, invalid = form.stream(path, name, notes, _check_header)
    con.register("incoming", reader)
    # A whole number written `4.0` is 4, as Parquet and workbook cells are read: pandas writes an integer column
    # with blanks so, and its codes must stay codes.
    trimmed = ", ".join(
        f"regexp_replace(trim(c{i}, {SPACES}), '^(-?[0-9]{{1,15}})\\.0+$', '\\1') AS c{i}" for i in range(len(header))
    )
    try:
        con.execute(f"CREATE TABLE source AS SELECT {trimmed} FROM incoming")
    except (duckdb.Error, pa.ArrowInvalid) as error:
        raise unreadable(path, name, error, invalid) from None
    finally:
        con.unregister("incoming")
    return header


def _check_header(header: list[str], name: str) -> None:
    """A name in every header cell, each once, within init's limit of variables."""
    if len(header) > init_draft.MAX_VARIABLES:
        raise InputError(
            name,
            _("at most {limit} variables").format(limit=f"{init_draft.MAX_VARIABLES:,}"),
            value=f"{len(header):,} variables",
            hint=_("No survey has that many; split the file, or keep only the variables to publish"),
        )
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if not column.strip() or re.search(r"[\x00-\x1f\x7f]", column):
            raise InputError(
                name,
                _("a name of printable characters in every header cell"),
                row=1,
                column=f"({position})",
                value=column,
            )
        if column in seen:
            raise InputError(
                name,
                _("each column name once"),
                row=1,
                column=column,
                value=column,
                hint=_("The name appears in columns {first} and {second}").format(first=seen[column], second=position),
            )
        seen[column] = position


# ---------------------------------------------------------------------------------------------------------------
# Profiling: a few aggregate queries over the scratch table, COLUMNS_PER_QUERY columns at a time.


def _profile(con: duckdb.DuckDBPyConnection, header: list[str]) -> list[Column]:
    columns = [Column(position, name) for position, name in enumerate(header)]
    for start in range(0, len(columns), COLUMNS_PER_QUERY):
        batch = columns[start : start + COLUMNS_PER_QUERY]
        parts = [_aggregates(column) for column in batch]
        row = con.execute(f"SELECT {', '.join(parts)} FROM source").fetchone()
        width = len(row) // len(batch)
        for index, column in enumerate(batch):
            _fill(column, row[index * width : (index + 1) * width])
        few = [column for column in batch if column.filled and column.distinct <= 2 * MAX_OPTIONS + 10]
        if few:
            lists = [f"list(DISTINCT {c.sql}) FILTER (WHERE {c.sql} <> '')" for c in few]
            for column, values in zip(
                few, con.execute(f"SELECT {', '.join(lists)} FROM source").fetchone(), strict=True
            ):
                column.values = sorted(values, key=_natural) if len(values) <= MAX_OPTIONS else None
    return columns


def _aggregates(column: Column) -> str:
    c = column.sql
    number = f"regexp_full_match({c}, '{NUMBER}')"
    parts = [
        f"count(*) FILTER (WHERE {c} <> '')",
        f"approx_count_distinct(NULLIF({c}, ''))",
        f"coalesce(max(length({c})), 0)",
        f"count(*) FILTER (WHERE {number})",
        f"count(*) FILTER (WHERE regexp_full_match({c}, '{WHOLE}'))",
        f"coalesce(max(length(split_part({c}, '.', 2))) FILTER (WHERE {number}), 0)",
        f"arg_min({c}, TRY_CAST({c} AS DOUBLE)) FILTER (WHERE {number})",
        f"arg_max({c}, TRY_CAST({c} AS DOUBLE)) FILTER (WHERE {number})",
        f"coalesce(bool_or(regexp_matches({c}, '[[:cntrl:]]')), false)",
    ]
    parts += [f"count(*) FILTER (WHERE contains({c}, {_literal(separator)}))" for separator in SEPARATORS]
    return ", ".join(parts)


def _fill(column: Column, values: tuple) -> None:
    filled, distinct, longest, numbers, wholes, decimals, minimum, maximum, control, *separated = values
    column.filled, column.distinct, column.longest = filled, distinct, longest
    column.numbers, column.wholes, column.decimals = numbers, wholes, decimals
    column.minimum, column.maximum, column.control = minimum or "", maximum or "", control
    column.separated = {separator: count for separator, count in zip(SEPARATORS, separated, strict=True) if count}


def _natural(value: str) -> tuple:
    """Sort key: numbers by value, then text by its characters (so 2 comes before 10)."""
    return (0, float(value), "") if re.fullmatch(NUMBER, value) else (1, 0.0, value)


def _is_numeric(column: Column, respondent: Column) -> bool:
    """Numbers with decimals, or more distinct whole numbers than a question has codes."""
    if column is respondent or not column.numeric:
        return False
    return column.decimals > 0 or column.distinct > MAX_INTEGER_CODES or column.values is None


def _no_answer_below(minima: list[float]) -> int:
    """init's no-answer code (-9), or -99, -999, ... when a numeric question's values reach it."""
    code = init_draft.NO_ANSWER
    while minima and min(minima) <= code:
        code = code * 10 - 9
    return code


# ---------------------------------------------------------------------------------------------------------------
# Questions, and the SQL that converts each column.


def _plan(
    con: duckdb.DuckDBPyConnection, columns: list[Column], respondent: Column, draft: init_draft.Draft, language: str
) -> list[Planned]:
    """A question per usable column, in file order; notes for what was left out or guessed."""
    ids = init_draft.Names()
    ids.take("respondent_id")
    no_answer = str(draft.no_answer)
    tick_columns = {c.name: pa.array(c.values or ["x"], pa.string()) for c in columns if c is not respondent}
    ticks = {c: pc.if_else(pc.match_substring_regex(v, f"^{NEGATIVE}$"), no_answer, v) for c, v in tick_columns.items()}
    groups = init_draft._multi_columns(list(ticks), ticks, {}, set(), no_answer)
    members = {member for _, group in groups.values() for member, _ in group}
    by_name = {column.name: column for column in columns}
    planned: list[Planned] = []
    free_text: list[str] = []
    renumbered: list[str] = []
    for column in columns:
        if column is respondent or (column.name in members and column.name not in groups):
            continue
        if column.name in groups:
            prefix, group = groups[column.name]
            planned.append(_ticks_question(ids.take(init_draft.identifier(prefix)), prefix, group, by_name, draft))
        elif _is_numeric(column, respondent):
            planned.append(_numeric_question(con, ids.take(init_draft.identifier(column.name)), column, draft))
        elif (separator := _separator(con, column)) is not None:
            planned.append(_separated_question(con, ids, column, separator, draft, language, renumbered))
        elif column.filled == 0:
            draft.notes.append(_("{column}: empty in every row; left out").format(column=column.name))
        elif _is_free_text(column):
            free_text.append(column.name)
        elif len(column.values) < 2:
            draft.notes.append(_("{column}: the same answer in every row; left out").format(column=column.name))
        else:
            planned.append(
                _single_question(ids.take(init_draft.identifier(column.name)), column, draft, language, renumbered)
            )
    if renumbered:
        draft.notes.append(
            _("answers given codes 1, 2, ... in sorted order (the data was converted to them): {columns}").format(
                columns=", ".join(renumbered)
            )
        )
    if free_text:
        draft.notes.append(
            _("free text (many different or long answers), left out of the codebook: {columns}").format(
                columns=", ".join(free_text)
            )
        )
    return planned


def _is_free_text(column: Column) -> bool:
    """Too many different answers to be options (more than MAX_OPTIONS, or in a small file mostly different ones),
    long answers, or control characters."""
    if column.values is None or column.control or column.longest > MAX_ANSWER_CHARACTERS:
        return True
    return len(column.values) > max(10, column.filled // 2)


def _text(column: Column, draft: init_draft.Draft) -> dict[str, str]:
    """A question's text: its variable label when the file has one, else TODO and the column's name."""
    return column.text or _todo(column.name, draft.languages)


def _todo(text: str, languages: list[str]) -> dict[str, str]:
    return {tag: f"{say('todo', tag)}: {text}" for tag in languages}


def _codes(values: list[str], renumbered: list[str], column: str) -> dict[str, int]:
    """Answer -> code: positive whole numbers keep their value; other answers get 1..k in sorted order (and the
    column is listed in `renumbered`)."""
    answers = [value for value in values if not re.fullmatch(NEGATIVE, value)]
    if all(re.fullmatch(WHOLE, value) and int(value) > 0 for value in answers):
        return {value: int(value) for value in answers}
    renumbered.append(column)
    return {value: code for code, value in enumerate(answers, start=1)}


def _single_question(
    qid: str, column: Column, draft: init_draft.Draft, language: str, renumbered: list[str]
) -> Planned:
    assert column.values is not None
    codes = _codes(column.values, renumbered, column.name)
    whole = all(re.fullmatch(WHOLE, value) for value in column.values)
    options = [
        init_draft.Option(
            code, _todo(value, draft.languages) if whole else init_draft.in_languages(value, language, draft.languages)
        )
        for value, code in sorted(codes.items(), key=lambda item: item[1])
    ]
    mapping = {value: str(code) for value, code in codes.items()}
    mapping |= {value: str(draft.no_answer) for value in column.values if value not in codes}
    question = init_draft.Question(qid, "single", _text(column, draft), options, "")
    return Planned(question, {qid: _case(column.sql, mapping)})


def _ticks_question(
    qid: str, prefix: str, group: list[tuple[str, int]], by_name: dict[str, Column], draft: init_draft.Draft
) -> Planned:
    """0/1 columns named <question>_<code>: one multi question, its options the codes (labels TODO)."""
    options = [init_draft.Option(code, _todo(member, draft.languages)) for member, code in group]
    expressions = {}
    for member, code in group:
        c = by_name[member].sql
        expressions[f"{qid}_{code}"] = (
            f"CASE WHEN {c} = '' THEN NULL WHEN regexp_full_match({c}, '{NEGATIVE}') THEN '{draft.no_answer}'"
            f" ELSE {c} END"
        )
    return Planned(init_draft.Question(qid, "multi", _todo(prefix, draft.languages), options, ""), expressions)


def _separator(con: duckdb.DuckDBPyConnection, column: Column) -> str | None:
    """The separator joining several answers in this column's cells, if it is a multi-select column: most of the
    answers the cells list also stand alone in some cell (so "Very satisfied" is not two answers)."""
    if column.numeric or column.control:
        return None
    for separator in (s for s in SEPARATORS if s in column.separated):
        listed = _distinct(con, f"unnest(string_split_regex({column.sql}, {_split_pattern(separator)}))", column)
        alone = _distinct(con, column.sql, column, f"NOT contains({column.sql}, {_literal(separator)})")
        if listed is None or alone is None or not 2 <= len(listed) <= MAX_OPTIONS:
            continue
        if any(len(answer) > MAX_ANSWER_CHARACTERS for answer in listed):
            continue
        if separator == " " and not all(re.fullmatch(r"[\w.-]+", answer) for answer in listed):
            continue  # ODK lists choice names, which have no spaces or punctuation
        if 2 * len(set(listed) & set(alone)) > len(listed):
            return separator
    return None


def _split_pattern(separator: str) -> str:
    return _literal("\\s+" if separator == " " else f"\\s*{re.escape(separator)}\\s*")


def _distinct(con: duckdb.DuckDBPyConnection, expression: str, column: Column, where: str = "true") -> list[str] | None:
    """Up to MAX_OPTIONS distinct non-empty values of an expression over the column, or None when there are more."""
    found = con.execute(
        f"SELECT DISTINCT v FROM (SELECT {expression} AS v FROM source WHERE {column.sql} <> '' AND {where})"
        f" WHERE v <> '' LIMIT {MAX_OPTIONS + 1}"
    ).fetchall()
    values = [row[0] for row in found]
    return sorted(values, key=_natural) if len(values) <= MAX_OPTIONS else None


def _separated_question(
    con: duckdb.DuckDBPyConnection,
    ids: init_draft.Names,
    column: Column,
    separator: str,
    draft: init_draft.Draft,
    language: str,
    renumbered: list[str],
) -> Planned:
    """Answers joined in one cell: one multi question, a 0/1 column per answer."""
    answers = _distinct(con, f"unnest(string_split_regex({column.sql}, {_split_pattern(separator)}))", column) or []
    answers = [answer for answer in answers if not re.fullmatch(NEGATIVE, answer)]
    codes = _codes(answers, renumbered, column.name)
    qid = ids.take(init_draft.identifier(column.name))
    whole = all(re.fullmatch(WHOLE, answer) for answer in answers)
    options = [
        init_draft.Option(
            code,
            _todo(answer, draft.languages) if whole else init_draft.in_languages(answer, language, draft.languages),
        )
        for answer, code in codes.items()
    ]
    draft.notes.append(
        _("{column}: read as a multi-select question, its answers separated by {separator!r}").format(
            column=column.name, separator=separator
        )
    )
    c, listed = column.sql, f"string_split_regex({column.sql}, {_split_pattern(separator)})"
    expressions = {
        f"{qid}_{code}": f"CASE WHEN {c} = '' THEN NULL WHEN regexp_full_match({c}, '{NEGATIVE}')"
        f" THEN '{draft.no_answer}' WHEN list_contains({listed}, {_literal(answer)}) THEN '1' ELSE '0' END"
        for answer, code in codes.items()
    }
    question = init_draft.Question(qid, "multi", _text(column, draft), options, "")
    return Planned(question, expressions)


def _numeric_question(con: duckdb.DuckDBPyConnection, qid: str, column: Column, draft: init_draft.Draft) -> Planned:
    """Numbers: a numeric question over the data's range, its bands cut at the quartiles (rounded); values with more
    decimals than a codebook allows rounded to `ROUNDED_DECIMALS`, the range widened to hold them."""
    decimals = column.decimals if column.decimals <= MAX_DECIMALS else ROUNDED_DECIMALS
    step = Decimal(1).scaleb(-decimals)
    low = Decimal(column.minimum).quantize(step, rounding=ROUND_FLOOR)
    high = Decimal(column.maximum).quantize(step, rounding=ROUND_CEILING)
    c = column.sql
    quartiles = con.execute(
        f"SELECT approx_quantile(TRY_CAST({c} AS DOUBLE), {list(BAND_QUANTILES)}) FROM source WHERE {c} <> ''"
    ).fetchone()[0]
    edges = sorted({Decimal(str(q)).quantize(step, rounding=ROUND_HALF_UP) for q in quartiles} - {low})
    edges = [edge for edge in edges if low < edge < high] or [high]
    bands = []
    starts = [low, *edges]
    for code, start in enumerate(starts, start=1):
        below = starts[code] if code < len(starts) else None
        labels = {
            tag: say("band", tag, low=_number(start), below=_number(below))
            if below is not None
            else say("band_last", tag, low=_number(start))
            for tag in draft.languages
        }
        bands.append(
            {"code": code, "from": _number(start), **({"below": _number(below)} if below is not None else {}), **labels}
        )
    options = [init_draft.Option(band["code"], {tag: band[tag] for tag in draft.languages}) for band in bands]
    question = init_draft.Question(qid, "numeric", _text(column, draft), options, "")
    question.numeric = {
        "unit": {tag: say("unit", tag) for tag in draft.languages},
        "range": [_number(low), _number(high)],
        "decimals": decimals,
        "bands": bands,
    }
    draft.notes.append(
        _(
            "{column}: {count} different numbers, drafted as a numeric question with bands; if they are codes, make it"
            " a single question with options"
        ).format(column=column.name, count=f"~{column.distinct:,}")
    )
    if decimals == column.decimals:
        return Planned(question, {qid: f"NULLIF({c}, '')"})
    draft.notes.append(
        _("{column}: numbers with up to {count} decimals, rounded to {decimals} in the converted microdata").format(
            column=column.name, count=column.decimals, decimals=decimals
        )
    )
    return Planned(question, {qid: f"CAST(round(CAST(NULLIF({c}, '') AS DOUBLE), {decimals}) AS VARCHAR)"})


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _case(column: str, mapping: dict[str, str]) -> str:
    """SQL giving each answer's code; an empty cell gives NULL (not asked)."""
    cases = " ".join(f"WHEN {_literal(answer)} THEN {_literal(code)}" for answer, code in mapping.items())
    return f"CASE {column} {cases} ELSE NULL END"


def _literal(text: str) -> str:
    """A SQL string literal. Answers with control characters never get here (they are free text)."""
    return "'" + text.replace("'", "''") + "'"


def _convert(con: duckdb.DuckDBPyConnection, respondent: Column, planned: list[Planned], parquet: Path) -> None:
    """The microdata in the codebook's layout, streamed by DuckDB to Parquet, which the universes read."""
    selected = [f"{respondent.sql} AS respondent_id"]
    selected += [f"{expression} AS {column}" for plan in planned for column, expression in plan.expressions.items()]
    con.execute(
        f"COPY (SELECT {', '.join(selected)} FROM source ORDER BY rowid) TO {_literal(str(parquet))} (FORMAT parquet)"
    )


def _write_csv(parquet: Path, csv: Path, draft: init_draft.Draft) -> None:
    """The project's microdata CSV from the Parquet, streamed; the empty cells no universe explains as no answer."""
    code = draft.no_answer
    filled = [f'coalesce(CAST("{name}" AS VARCHAR), \'{code}\') AS "{name}"' for name in no_answer_columns(draft)]
    replaced = f" REPLACE ({', '.join(filled)})" if filled else ""
    source = f"SELECT *{replaced} FROM read_parquet({_literal(str(parquet))})"
    with duckdb.connect() as con:
        con.execute(f"COPY ({source}) TO {_literal(str(csv))} (FORMAT csv, HEADER)")
