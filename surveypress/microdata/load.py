"""Stage "load": reads each population's microdata file and checks it against the codebook before anything else runs.

Takes: a `Publication` (its codebook names one CSV or Parquet file per population).
Gives: `{population: DataFrame}` with `respondent_id` as text and one nullable small-integer column (`Int8`/`Int16`)
per microdata column, in codebook order: `<NA>` = not asked (outside the universe), the no-answer code kept as is.

The first problem found raises one `InputError` naming the file, the row as a spreadsheet shows it (header = 1),
the column, the value and what was expected. Checks run on whole columns at once (pyarrow and numpy masks), so a
file of a million respondents is checked without a Python loop over its rows.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from surveypress import formats
from surveypress.content import Codebook, Population, Publication, Question, folder_name, refuse_oversized
from surveypress.errors import InputError
from surveypress.microdata import design_checks, numeric, readers, rules
from surveypress.microdata.csv_checks import (
    HEADER_BYTES,
    UTF8_BOM,
    check_csv_start,
    check_header,
    first_true,
    header_length,
    is_straddling,
    refuse_binary,
    refuse_long_cell_in_file,
    refuse_long_cells,
    row_of_invalid,
    text_columns_options,
)
from surveypress.microdata.rules import FULL_WIDTH_DIGITS, STRAY_SPACE, Problem, raise_earliest

DEFAULT_MAX_FILE_MB = 2048
INTEGER_TEXT = f"^{rules.INTEGER_TEXT}$"


def load_microdata(pub: Publication) -> dict[str, pd.DataFrame]:
    """Reads and validates every population's microdata; see the module docstring for what comes back."""
    limit_bytes = max_file_bytes(pub)
    frames = {}
    for population in pub.codebook.populations.values():
        frames[population.id] = load_population(pub.codebook, population, pub.project_root, limit_bytes)
    return frames


def max_file_bytes(pub: Publication) -> int:
    """`limits.max_file_mb` from publication.yml (default 2048 MB) in bytes: a guard against a wrong, huge file."""
    limits = pub.meta.limits or {}
    source = pub.content_dir / "publication.yml"
    if not isinstance(limits, dict):
        raise InputError(source, "a mapping", column="limits", value=limits)
    value = limits.get("max_file_mb", DEFAULT_MAX_FILE_MB)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError(source, "a positive number of megabytes", column="limits.max_file_mb", value=value)
    return int(value * 1024 * 1024)


def display_path(path: Path, project_root: Path) -> str:
    """The path as the person running the build knows it: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(project_root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_population(codebook: Codebook, population: Population, project_root: Path, limit_bytes: int) -> pd.DataFrame:
    """Reads one population's file (CSV and Parquet here, any other format by its own reader: `surveypress.formats`)
    and returns its validated frame."""
    path, name = checked_file(population, project_root, limit_bytes)
    _check_design_columns(path, name, population)
    form = formats.of(path)
    source = population.source
    # With a multi_separator, each multi question is one column of the file; answers_to_codes splits it.
    expected = readers.source_columns(codebook, population.id, source)
    rows = readers.SPREADSHEET_ROWS
    if form is formats.CSV:
        columns = _read_csv(path, name, expected, population.id)
    elif form is formats.PARQUET:
        columns = _read_parquet(path, name, expected, population.id)
    else:
        assert form is not None and form.read is not None  # checked_file accepts only formats the build reads
        table = form.read(path, name, source.sheet, population.id, codebook.no_answer)
        check_header(table.header, name, expected, population.id)
        columns, rows = table.columns, table.rows
    refuse_long_cells(columns, name, rows)
    columns = readers.answers_to_codes(columns, codebook, population.id, source, name, rows)
    return validate(codebook, population.id, columns, name, rows)


def checked_file(population: Population, project_root: Path, limit_bytes: int) -> tuple[Path, str]:
    """The population's file and its name in messages, once it exists, is under the size limit and is CSV or
    Parquet (the checks made before reading, whichever way the file is then read)."""
    path = population.microdata
    name = display_path(path, project_root)
    if not path.is_file():
        raise InputError(
            name,
            f"a microdata file for population '{population.id}'",
            hint="The path comes from publication.yml, key microdata, and starts in the project folder, here "
            + folder_name(project_root),
        )
    refuse_oversized(
        name,
        path.stat().st_size,
        limit_bytes,
        "a file",
        "Check that this is the right file; raise limits.max_file_mb if it is",
        "publication.yml: limits.max_file_mb",
    )
    form = formats.of(path)
    if form is formats.CSV:
        refuse_binary(path, name)
    if population.source.sheet is not None and not (form and form.sheets):
        raise InputError(
            name,
            f"a workbook ({', '.join(formats.extensions(lambda item: item.sheets))}), because publication.yml names a"
            " sheet",
            value=path.suffix,
            hint=f"Remove the key microdata.{population.id}.sheet, or point path at the workbook",
        )
    if form is None or not form.build:
        raise InputError(
            name, f"a file ending in {formats.listed(formats.extensions(lambda item: item.build))}", value=path.suffix
        )
    return path, name


def _check_design_columns(path: Path, name: str, population: Population) -> None:
    """A design column named in publication.yml must be in the file's header (said before any other column check)."""
    if population.design is None or formats.of(path) is not formats.CSV:
        return
    with path.open("rb") as handle:
        start = handle.read(HEADER_BYTES)  # a header longer than this is refused by the reader, cell by cell
    line = start.removeprefix(UTF8_BOM).split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    try:
        header = next(csv.reader([line]), [])
    except csv.Error:
        return  # a header cell longer than the csv module takes: the reader names it
    if len(header) < 2:
        return  # an empty file or another delimiter: the reader says what is wrong
    for key, column in (
        ("weight", population.design.weight),
        ("strata", population.design.strata),
        ("cluster", population.design.cluster),
        ("fpc", population.design.fpc),
    ):
        if isinstance(column, str) and column not in header:
            raise InputError(
                name,
                f"the column '{column}' that publication.yml names as design.{population.id}.{key}",
                row=1,
                column=column,
                hint="Design columns follow respondent_id: weight, then stratum, cluster and population size",
            )


# ---------------------------------------------------------------------------------------------------------------
# Reading: bytes -> {column: pyarrow string array}, with file-level problems named precisely.


def _read_csv(path: Path, name: str, expected: list[str], population: str) -> dict[str, pa.Array]:
    body = check_csv_start(path.read_bytes(), name, expected, population)
    header = next(csv.reader([body[: header_length(body)].decode("utf-8").rstrip("\r")]), [])
    invalid: list[pa_csv.InvalidRow] = []

    def keep_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    def read(block_size: int) -> pa.Table:
        return pa_csv.read_csv(pa.py_buffer(body), **text_columns_options(header, block_size, keep_invalid))

    try:
        table = read(pa_csv.ReadOptions().block_size)
    except pa.ArrowInvalid as error:
        if not is_straddling(error):
            raise
        # A row longer than pyarrow's block: a cell over the limit is named; else the row is read in one block.
        refuse_long_cell_in_file(path, name, header)
        invalid.clear()
        table = read(min(len(body) + 1, 2**31 - 1))
    if invalid:
        row, bad = min((row_of_invalid(body, item), i) for i, item in enumerate(invalid))
        item = invalid[bad]
        raise InputError(
            name,
            f"{item.expected_columns} cells per row, like the header",
            row=row,
            value=item.text if len(item.text) <= 80 else item.text[:77] + "...",
            hint=f"This row has {item.actual_columns} cells (a missing or extra comma, or an unclosed quote)",
        )
    # Chunked arrays as read: pyarrow compute and numpy conversion accept them without a copy into one block.
    return {column: table.column(i) for i, column in enumerate(table.column_names)}


def _read_parquet(path: Path, name: str, expected: list[str], population: str) -> dict[str, pa.Array]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(name, "a Parquet file", value=str(error).splitlines()[0][:120]) from None
    check_header(table.column_names, name, expected, population)
    if table.num_rows == 0:
        raise InputError(name, "at least one respondent row", value="(no rows)")
    columns = {}
    for column in table.column_names:
        values = table.column(column).combine_chunks()
        # Parquet may hold integers, floats or text; as text they go through the same checks as a CSV.
        if not pa.types.is_string(values.type):
            try:
                values = pc.cast(values, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(name, "integer or text columns", column=column, value=str(values.type)) from None
        columns[column] = pc.fill_null(values, "")
    return columns


# ---------------------------------------------------------------------------------------------------------------
# Validation: whole-column masks; the earliest problem (by row, then column order) is reported.


def validate(
    codebook: Codebook,
    population: str,
    columns: dict[str, pa.Array],
    name: str,
    rows: readers.Rows = readers.SPREADSHEET_ROWS,
) -> pd.DataFrame:
    """Checks header, ids, codes and universes of one population's columns (as text) and builds its frame.

    `rows` says how the source numbers respondents in messages (spreadsheet rows, or SPSS/Stata cases)."""
    questions = codebook.questions_of(population)
    expected = codebook.columns_of(population)
    rules.check_columns(list(columns), expected, population, name)

    ids = columns["respondent_id"]
    _check_ids(ids, columns, name, rows)
    design = codebook.populations[population].design
    design_columns = design_checks.check_design(design, columns, name) if design else {}

    # Parse every question column into integers, noting the earliest malformed or unknown code.
    values: dict[str, np.ndarray] = {}
    empty: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    order = {column: i for i, column in enumerate(expected)}
    raw: dict[str, np.ndarray] = {}
    for question in questions:
        if question.numeric is not None:
            # Raw values kept for the frame; their band codes stand in for them in the universe checks.
            raw[question.id], values[question.id], empty[question.id], problem = _parse_numbers(
                columns[question.id], question, order[question.id], codebook.no_answer
            )
            problems.extend([problem] if problem else [])
            continue
        for column in question.columns():
            column_values, column_empty, problem = _parse_codes(
                columns[column], column, order[column], question, codebook.no_answer
            )
            values[column], empty[column] = column_values, column_empty
            if problem:
                problems.append(problem)
    raise_earliest(problems, name, rows)

    _check_universes(questions, codebook, values, empty, order, name, rows, raw)
    return _frame(ids, questions, codebook, values, empty, design_columns, raw)


def _check_ids(
    ids: pa.Array, columns: dict[str, pa.Array], name: str, rows: readers.Rows = readers.SPREADSHEET_ROWS
) -> None:
    """Every rule of `rules.ID_RULES` over all rows in turn, then each id once."""

    def refuse(index: int, expected: str, value: str, hint: str) -> None:
        raise InputError(
            name, expected, row=index + rows.first, row_label=rows.label, column="respondent_id", value=value, hint=hint
        )

    for rule in rules.ID_RULES:
        index = first_true(rule.arrow(ids).to_numpy(zero_copy_only=False))
        if index >= 0:
            value = ids[index].as_py()
            if rule is rules.ID_RULES[0] and all(columns[column][index].as_py() == "" for column in columns):
                value = "(empty line)"
            refuse(index, rule.expected, value, rule.hint(value))
    series = pd.Series(ids.to_numpy(zero_copy_only=False))
    index = first_true(series.duplicated(keep="first").to_numpy())
    if index >= 0:
        value = series.iloc[index]
        earlier = first_true((series == value).to_numpy())
        refuse(index, rules.REPEATED_ID, value, rules.repeated_id_hint(rows.label, earlier + rows.first))


# A weight or population size as written: a plain decimal number (the engines' SQL checks use the same pattern).
def _parse_codes(
    text: pa.Array, column: str, order: int, question: Question, no_answer: int
) -> tuple[np.ndarray, np.ndarray, Problem | None]:
    """Integers (0 where empty) and the empty mask of one column, and its first malformed or unknown code."""
    is_empty = pc.equal(text, "")
    empty = is_empty.to_numpy(zero_copy_only=False)
    try:
        # Fast path: arrow's cast accepts only plain integers, so if it succeeds no cell is malformed.
        values = pc.fill_null(pc.cast(pc.if_else(is_empty, None, text), pa.int64()), 0).to_numpy()
        malformed = np.zeros(len(text), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        is_integer = pc.match_substring_regex(text, INTEGER_TEXT)
        malformed = pc.and_(pc.invert(is_empty), pc.invert(is_integer)).to_numpy(zero_copy_only=False)
        integers = pc.if_else(pc.and_(is_integer, pc.invert(is_empty)), text, pa.scalar("0"))
        values = pc.cast(integers, pa.int64()).to_numpy(zero_copy_only=False)
    expected = rules.codes_expected(question, no_answer)

    bad_text = first_true(malformed)
    unknown = rules.unknown_codes(values, empty | malformed, question, no_answer)
    bad_code = first_true(unknown)
    problem = None
    if bad_text >= 0 and (bad_code < 0 or bad_text < bad_code):
        problem = Problem(
            bad_text, order, column, text[bad_text].as_py(), expected, rules.malformed_hint(text[bad_text].as_py())
        )
    elif bad_code >= 0:
        value = int(values[bad_code])
        problem = Problem(bad_code, order, column, str(value), expected, rules.unknown_code_hint(question))
    return values, empty, problem


def _parse_numbers(
    text: pa.Array, question: Question, order: int, no_answer: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Problem | None]:
    """Raw values (NaN where empty), band codes, the empty mask and the first refused cell of a numeric column."""
    rule = question.numeric
    is_empty = pc.equal(text, "")
    empty = is_empty.to_numpy(zero_copy_only=False)
    is_number = pc.match_substring_regex(text, numeric.NUMBER_TEXT)
    malformed = pc.and_(pc.invert(is_empty), pc.invert(is_number)).to_numpy(zero_copy_only=False)
    parsed = pc.cast(
        pc.if_else(pc.and_(is_number, pc.invert(is_empty)), text, pa.scalar(None, pa.string())), pa.float64()
    )
    raw = pc.fill_null(parsed, math.nan).to_numpy(zero_copy_only=False)
    filled = np.where(np.isnan(raw), 0.0, raw)
    whole, exact = numeric.scaled(filled, rule)
    valid = (exact & numeric.in_range(whole, rule)) | (filled == no_answer)
    refused = ~empty & ~malformed & ~valid
    codes = numeric.band_array(filled, empty | malformed, rule, no_answer)
    bad_text, bad_value = first_true(malformed), first_true(refused)
    expected = numeric.expected(question, no_answer)
    problem = None
    if bad_text >= 0 and (bad_value < 0 or bad_text < bad_value):
        value = text[bad_text].as_py()
        hint = rules.malformed_hint(value) if FULL_WIDTH_DIGITS.search(value) or STRAY_SPACE.search(value) else ""
        problem = Problem(bad_text, order, question.id, value, expected, hint or "The value is not a number")
    elif bad_value >= 0:
        value = text[bad_value].as_py()
        problem = Problem(bad_value, order, question.id, value, expected, numeric.problem_hint(rule, raw[bad_value]))
    return raw, codes, empty, problem


def _check_universes(
    questions: list[Question],
    codebook: Codebook,
    values: dict[str, np.ndarray],
    empty: dict[str, np.ndarray],
    order: dict[str, int],
    name: str,
    rows: readers.Rows = readers.SPREADSHEET_ROWS,
    raw: dict[str, np.ndarray] | None = None,
) -> None:
    """Empty exactly outside each question's universe; inside, a multi question is all no-answer or none."""
    raw = raw or {}
    no_answer = codebook.no_answer
    asked = _asked_masks(questions, codebook, values, empty)
    problems: list[Problem] = []
    for question in questions:
        inside = asked[question.id]
        for column in question.columns():
            outside, inside_empty = rules.misplaced(empty[column], inside)
            index = first_true(outside)
            if index >= 0:
                value = _shown(raw[column][index]) if column in raw else str(int(values[column][index]))
                problems.append(
                    Problem(index, order[column], column, value, rules.outside_universe(question, codebook))
                )
            index = first_true(inside_empty)
            if index >= 0:
                problems.append(Problem(index, order[column], column, "", rules.inside_universe(question, codebook)))
        if question.type == "multi":
            columns = question.columns()
            answered = inside & ~np.logical_or.reduce([empty[c] for c in columns])
            is_no_answer = [values[c] == no_answer for c in columns]
            index = first_true(rules.half_answered_mask(is_no_answer, answered))
            if index >= 0:
                first_na = next(c for c, flags in zip(columns, is_no_answer, strict=True) if flags[index])
                problems.append(
                    Problem(index, order[first_na], first_na, str(no_answer), rules.half_answered(question, no_answer))
                )
    raise_earliest(problems, name, rows)


def _shown(value: float) -> str:
    """A raw numeric value as a message shows it: 37 rather than 37.0."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _asked_masks(
    questions: list[Question], codebook: Codebook, values: dict[str, np.ndarray], empty: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Who was asked each question: the chain of universes, followed through the answers actually given."""
    size = len(next(iter(values.values()))) if values else 0
    asked: dict[str, np.ndarray] = {}

    def mask(question: Question) -> np.ndarray:
        if question.id in asked:
            return asked[question.id]
        if question.universe is None:
            result = np.ones(size, dtype=bool)
        else:
            target = codebook.questions[question.universe.question]
            if target.type == "multi":
                ticked = [values[f"{target.id}_{code}"] == 1 for code in question.universe.codes]
                chose = np.logical_or.reduce(ticked)
            else:
                chose = np.isin(values[target.id], np.array(question.universe.codes)) & ~empty[target.id]
            result = mask(target) & chose
        asked[question.id] = result
        return result

    for question in questions:
        mask(question)
    return asked


def _frame(
    ids: pa.Array,
    questions: list[Question],
    codebook: Codebook,
    values: dict[str, np.ndarray],
    empty: dict[str, np.ndarray],
    design_columns: dict[str, object] | None = None,
    raw: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The validated frame: text ids, the design columns (weights and population sizes as floats, strata and
    clusters as text), then each question column as the smallest nullable integer type that holds its codes; a
    numeric question's column holds its raw values (Float64), which tabulate bands."""
    raw = raw or {}
    data: dict[str, object] = {"respondent_id": pd.array(ids.to_numpy(zero_copy_only=False), dtype="str")}
    data.update(design_columns or {})
    for question in questions:
        if question.id in raw:
            data[question.id] = pd.arrays.FloatingArray(np.nan_to_num(raw[question.id]), empty[question.id].copy())
            continue
        codes = (0, 1) if question.type == "multi" else question.codes
        smallest, largest = min(*codes, codebook.no_answer), max(*codes, codebook.no_answer)
        numpy_type = next(
            t
            for t in (np.int8, np.int16, np.int32, np.int64)
            if np.iinfo(t).min <= smallest and largest <= np.iinfo(t).max
        )
        for column in question.columns():
            data[column] = pd.arrays.IntegerArray(values[column].astype(numpy_type), empty[column].copy())
    return pd.DataFrame(data)
