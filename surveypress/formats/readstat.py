"""Statistical packages' files through pyreadstat (ReadStat): what SPSS, Stata and SAS transport files share.

Takes: a file and how pyreadstat reads its format (`ReadStat`: the reader, how messages name the file).
Gives: text columns, as the CSV reader gives them (whole numbers without a decimal point, empty for system-missing,
user-missing values as the no-answer code), and pyreadstat's metadata (variable and value labels, user-missing
values, measures, multiple-response sets) for `surveypress init`.

Limits: files are read `CHUNK_ROWS` cases at a time (`row_offset`/`row_limit`), so only the text columns of the whole
file are held at once, as for a CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surveypress.errors import InputError
from surveypress.formats.base import CASES, SourceTable

CHUNK_ROWS = 100_000

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class ReadStat:
    """How pyreadstat reads one format."""

    function: str  # pyreadstat's reader: read_sav, read_dta, read_xport
    kind: str  # the format's `Format.kind`
    program: str  # where to export the file again from, for the hint of a damaged file
    user_missing: bool = True  # the reader keeps user-missing values apart (read_xport has no such option)

    def table(self, path: Path, name: str, sheet: str | None, population: str, no_answer: int) -> SourceTable:
        """The build's reader (`base.Reader`): text columns numbered as cases."""
        columns = read_statistical(self, path, name, no_answer)[0]
        return SourceTable(list(columns), columns, CASES)

    def labels(self, path: Path, name: str, no_answer: int | Callable[[Any], int]) -> tuple[dict[str, pa.Array], Any]:
        """init's reader (`base.LabelReader`): text columns and the file's metadata."""
        return read_statistical(self, path, name, no_answer)

    def call(self, path: Path, name: str, **options: Any) -> tuple[Any, Any]:
        import pyreadstat

        if self.user_missing:
            options["user_missing"] = True
        try:
            return getattr(pyreadstat, self.function)(str(path), **options)
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as error:
            raise InputError(
                name,
                f"{self.kind.format(extension=path.suffix.lower())} that pyreadstat can read",
                value=str(error).splitlines()[0][:120] if str(error) else type(error).__name__,
                hint=f"The file is damaged or is not what its name says; export it again from {self.program}",
            ) from None


def read_statistical(
    how: ReadStat, path: Path, name: str, no_answer: int | Callable[[Any], int]
) -> tuple[dict[str, pa.Array], Any]:
    """Text columns of a file, read `CHUNK_ROWS` cases at a time; user-missing values (SPSS missing values and
    ranges, Stata's .a to .z) become the codebook's no-answer code (or the code `no_answer(metadata)` gives: init
    reads it off the file's own missing values).

    Each chunk is read with `row_offset`/`row_limit` and no separate metadata pass: pyreadstat parses the whole
    dictionary on every call, in time that grows faster than the number of variables."""
    import pyarrow as pa

    chunks: dict[str, list[pa.Array]] = {}
    meta, code, offset = None, no_answer, 0
    while True:
        frame, chunk_meta = how.call(
            path, name, row_offset=offset, row_limit=CHUNK_ROWS, disable_datetime_conversion=True
        )
        if meta is None:
            meta = chunk_meta
            code = no_answer(meta) if callable(no_answer) else no_answer
            chunks = {column: [] for column in meta.column_names}
        for column in meta.column_names:
            chunks[column].append(_as_text(frame[column], meta, column, code))
        offset += len(frame)
        if len(frame) < CHUNK_ROWS:
            break
    if not offset:
        raise InputError(name, "at least one case", value="(no cases)")
    meta.number_rows = offset
    return {column: pa.chunked_array(parts, type=pa.string()) for column, parts in chunks.items()}, meta


def user_missing(meta: Any, column: str) -> list[tuple[float, float]]:
    ranges = (getattr(meta, "missing_ranges", None) or {}).get(column) or []
    return [(float(item["lo"]), float(item["hi"])) for item in ranges if isinstance(item.get("lo"), int | float)]


def _as_text(series: Any, meta: Any, column: str, no_answer: int) -> pa.Array:
    """One column as text: whole numbers without a decimal point, empty for system-missing, user-missing as the
    no-answer code; text variables as they are."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    is_text = (getattr(meta, "readstat_variable_types", None) or {}).get(column) == "string"
    if is_text:
        return pa.array(["" if value is None or value != value else str(value) for value in series], pa.string())
    if series.dtype == object:
        # Stata's tagged missing values (.a to .z) arrive as their letter among the numbers.
        tagged = series.map(lambda value: isinstance(value, str))
        numbers = pd.to_numeric(series.where(~tagged), errors="coerce").to_numpy(dtype=float)
        is_missing = tagged.to_numpy(dtype=bool)
    else:
        numbers = series.to_numpy(dtype=float)
        is_missing = np.zeros(len(numbers), dtype=bool)
    for low, high in user_missing(meta, column):
        is_missing |= (numbers >= low) & (numbers <= high)
    empty = np.isnan(numbers)
    whole = ~empty & (numbers == np.floor(numbers)) & (np.abs(numbers) < 2**53)
    # Arrow's casts do in C what numpy's astype(str) does slowly: whole numbers via int64 (no ".0"), others as floats.
    as_integers = pc.cast(pc.cast(pa.array(np.where(whole, numbers, 0.0)), pa.int64()), pa.string())
    text = pc.if_else(pa.array(whole), as_integers, pc.cast(pa.array(numbers), pa.string()))
    text = pc.if_else(pa.array(empty), "", text)
    return pc.if_else(pa.array(is_missing), str(no_answer), text)
