"""The sample design's columns of a microdata file read whole, checked before any count (load.py calls it; the
DuckDB engine checks a streamed file with the same words: stats/engines/duckdb_design.py): weights positive numbers,
strata and PSU codes in every row and never a spreadsheet formula, two PSUs or more in every stratum, and population
sizes constant within a stratum and at least its sampled PSUs. Each problem is one InputError naming the row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from surveypress.content import Design
from surveypress.errors import InputError
from surveypress.microdata import rules
from surveypress.microdata.csv_checks import FIRST_DATA_ROW, first_true

PLAIN_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


def numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Finite numbers of a text column (NaN elsewhere) and the mask of cells that are not plain numbers."""
    trimmed = pc.utf8_trim_whitespace(text)
    plain = pc.and_(pc.equal(trimmed, text), pc.match_substring_regex(text, f"^{PLAIN_NUMBER}$"))
    values = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), pa.float64())
    numbers = values.to_numpy(zero_copy_only=False).astype(float)
    bad = ~plain.to_numpy(zero_copy_only=False) | ~np.isfinite(numbers)
    return numbers, bad


def check_design(design: Design, columns: dict[str, pa.Array], name: str) -> dict[str, object]:
    """Checks the design's columns; gives them for the frame (weights and population sizes as floats, strata and
    PSU codes as text)."""
    frame: dict[str, object] = {design.weight: _weights(design.weight, columns[design.weight], name)}
    codes: dict[str, np.ndarray] = {}
    for column, what in ((design.strata, "stratum"), (design.cluster, "cluster (PSU)")):
        if column is not None:
            codes[column], frame[column] = _codes(column, what, columns[column], name)
    size = len(frame[design.weight])
    strata = codes[design.strata] if design.strata else np.zeros(size, dtype=np.int64)
    # PSU codes are taken within their stratum (R's nest = TRUE); without clusters each respondent is a PSU.
    units = codes[design.cluster] if design.cluster else np.arange(size, dtype=np.int64)
    psus = _psus_per_stratum(design, columns, name, strata, units)
    if design.fpc is not None and isinstance(design.fpc, str):
        frame[design.fpc] = _population_sizes(design, columns[design.fpc], name, strata, psus)
    return frame


def _weights(column: str, cells: pa.Array, name: str) -> np.ndarray:
    """Weights: a positive number in every row."""
    weights, bad = numbers(cells)
    index = first_true(bad)
    if index >= 0:
        value = cells[index].as_py()
        raise InputError(
            name,
            "a weight in every row: a positive number",
            row=index + FIRST_DATA_ROW,
            column=column,
            value=value,
            hint="The cell is empty" if value == "" else "The value is not a number (use a point for decimals)",
        )
    index = first_true(weights <= 0)
    if index >= 0:
        raise InputError(
            name,
            "a positive weight",
            row=index + FIRST_DATA_ROW,
            column=column,
            value=cells[index].as_py(),
            hint="A weight of zero or less drops the respondent from every estimate; remove the row or fix the weight",
        )
    return weights


def _codes(column: str, what: str, cells: pa.Array, name: str) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """A stratum or PSU column: a code in every row, none a spreadsheet would run; integer codes for the checks and
    the labels as Arrow-backed text for the frame (without a copy)."""
    text = pc.utf8_trim_whitespace(cells)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    index = first_true(pc.equal(text, "").to_numpy(zero_copy_only=False))
    if index >= 0:
        raise InputError(name, f"a {what} code in every row", row=index + FIRST_DATA_ROW, column=column, value="")
    index = first_true(rules.formula_cells(text).to_numpy(zero_copy_only=False))
    if index >= 0:
        raise InputError(
            name,
            f"a {what} code that does not start with =, +, - or @",
            row=index + FIRST_DATA_ROW,
            column=column,
            value=text[index].as_py(),
            hint=rules.FORMULA_CODE_HINT,
        )
    codes = pc.dictionary_encode(text).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, pd.array(text, dtype="str")


def _psus_per_stratum(
    design: Design, columns: dict[str, pa.Array], name: str, strata: np.ndarray, units: np.ndarray
) -> np.ndarray:
    """The number of PSUs of each stratum; a stratum of one PSU is refused (its variance cannot be estimated)."""
    pairs = np.unique(strata * (int(units.max()) + 1) + units)
    psus = np.bincount(pairs // (int(units.max()) + 1), minlength=int(strata.max()) + 1)
    lonely = psus == 1
    if design.strata and lonely.any():
        row = first_true(lonely[strata])
        what = "PSU" if design.cluster else "respondent"
        raise InputError(
            name,
            f"at least two {what}s in every stratum",
            row=row + FIRST_DATA_ROW,
            column=design.strata,
            value=columns[design.strata][row].as_py().strip(),
            hint=f"This stratum has one {what} only, so its sampling variance cannot be estimated (svy refuses it "
            "too); merge it with a similar stratum, as the survey's documentation prescribes",
        )
    return psus


def _population_sizes(design: Design, cells: pa.Array, name: str, strata: np.ndarray, psus: np.ndarray) -> np.ndarray:
    """The finite population correction's column: a positive number, one per stratum, at least its sampled PSUs."""
    sizes, bad = numbers(cells)
    index = first_true(bad | (sizes <= 0))
    if index >= 0:
        raise InputError(
            name,
            "the population size of the respondent's stratum: a positive number",
            row=index + FIRST_DATA_ROW,
            column=design.fpc,
            value=cells[index].as_py(),
        )
    # The first size seen in each stratum; any row that differs from it is named.
    order = np.argsort(strata, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(strata[order])) + 1]
    first = np.empty(int(strata.max()) + 1)
    first[strata[order][starts]] = sizes[order][starts]
    index = first_true(sizes != first[strata])
    if index >= 0:
        raise InputError(
            name,
            "one population size per stratum (the same in every row of the stratum)",
            row=index + FIRST_DATA_ROW,
            column=design.fpc,
            value=cells[index].as_py(),
        )
    counts = psus[strata]
    index = first_true(sizes < counts)
    if index >= 0:
        raise InputError(
            name,
            f"a population size of at least the {int(counts[index])} sampled "
            f"{'PSUs' if design.cluster else 'respondents'} of the stratum",
            row=index + FIRST_DATA_ROW,
            column=design.fpc,
            value=cells[index].as_py(),
        )
    return sizes
