"""Stage "load", for files of any size: small files are read whole by load.py, large ones are left to the engine.

Takes: a `Publication` and a scratch folder that lives as long as the build.
Gives: `{population: DataFrame | Streamed}`: a validated frame (load.py) for a small file; for a large one a
`Streamed` Parquet path that the DuckDB engine checks while it counts (tabulate) and groups (k-anonymity), so no
population is held in memory. A large CSV file is first copied into a Parquet file of text columns in one
streaming pass (pyarrow reads it a block at a time), so both formats take the same path and get the same checks.

The messages are load.py's own: the file checks (missing, too large, not CSV or Parquet) and the header are checked
here with load.py's functions; the rows are checked by the engine, which asks load.py to word the problem it found
(engines/duckdb_engine.py). A CSV file that pyarrow cannot read as a stream (bytes that are not UTF-8, a ragged row)
is read once more by load.py, which names the problem exactly; only a broken file pays for that. NUL bytes (a sparse
file's holes among them) and cells over csv_checks.MAX_CELL_CHARACTERS are named without reading the file whole.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from surveypress import formats, layout
from surveypress.content import Population, Publication
from surveypress.errors import InputError
from surveypress.microdata import csv_checks, load, readers

# Microdata released in full is the input file (mirrored into the outputs) when it is Parquet or a CSV file up to
# layout.RELEASE_CSV_MAX_BYTES; a larger CSV file is released as Parquet only, written by the engine as a stream.
# Files up to their format's `stream_above` are read whole (quicker for small surveys: no engine to start); larger
# ones stream through the engine (CSV and Parquet: the formats the engine reads; every other format is read whole).
# Overrides the size of every format that streams (in bytes), e.g. 0 to stream every such file (the tests run the
# bad-input catalogue this way).
STREAM_ENV = "SURVEYPRESS_STREAM_ABOVE_BYTES"
HEAD_BYTES = 1 << 16  # the start of a CSV file checked as load.py checks a whole file (encoding, header)
CSV_BLOCK_BYTES = 16 << 20


@dataclass(frozen=True)
class Streamed(os.PathLike):
    """A population's microdata for the engine to read: a Parquet file, and the input file that messages name."""

    path: Path
    display: str
    population: str

    def __fspath__(self) -> str:
        return str(self.path)


def stream_above(form: formats.Format) -> int | None:
    """The size above which a file of this format streams through the engine; None: always read whole."""
    override = os.environ.get(STREAM_ENV, "").strip()
    if override and form.stream_above is not None:
        return int(override)
    return form.stream_above


def open_microdata(pub: Publication, scratch: Path) -> dict[str, pd.DataFrame | Streamed]:
    """Every population's microdata, read whole when small, else checked at its start and left for the engine."""
    limit_bytes = load.max_file_bytes(pub)
    sources: dict[str, pd.DataFrame | Streamed] = {}
    for population in pub.codebook.populations.values():
        path, name = load.checked_file(population, pub.project_root, limit_bytes)
        form = formats.of(path)
        assert form is not None  # load.checked_file accepts only formats the build reads
        # Formats without a size to stream above (SPSS, Stata, SAS, workbooks) load whole, as do answers given as
        # text and multi questions in one cell (readers.py converts them).
        above = stream_above(form)
        whole = above is None or population.source.answers != "codes"
        whole = whole or population.source.multi_separator is not None
        if whole or path.stat().st_size <= above:
            sources[population.id] = load.load_population(pub.codebook, population, pub.project_root, limit_bytes)
            continue
        expected = pub.codebook.columns_of(population.id)
        if form is formats.PARQUET:
            _check_parquet_start(path, name, expected, population.id)
            sources[population.id] = Streamed(path, name, population.id)
        else:
            target = scratch / f"{population.id}.parquet"
            read = _csv_to_parquet(pub, population, path, name, expected, target, limit_bytes)
            sources[population.id] = Streamed(target, name, population.id) if read is None else read
    return sources


def describe(sources: dict[str, pd.DataFrame | Streamed]) -> str:
    """The load stage's progress line."""
    parts = []
    for population, source in sources.items():
        if isinstance(source, pd.DataFrame):
            parts.append(f"{population} {len(source):,} rows")
        else:
            parts.append(f"{population} streamed ({pq.ParquetFile(source.path).metadata.num_rows:,} rows)")
    return ", ".join(parts)


def _check_parquet_start(path: Path, name: str, expected: list[str], population: str) -> None:
    """What load.py checks of a Parquet file before its rows: that it is one, its columns, that it has rows."""
    try:
        metadata = pq.ParquetFile(path).metadata
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(name, "a Parquet file", value=str(error).splitlines()[0][:120]) from None
    csv_checks.check_header(
        [metadata.schema.column(i).name for i in range(metadata.num_columns)], name, expected, population
    )
    if metadata.num_rows == 0:
        raise InputError(name, "at least one respondent row", value="(no rows)")


def _csv_to_parquet(
    pub: Publication,
    population: Population,
    path: Path,
    name: str,
    expected: list[str],
    target: Path,
    limit_bytes: int,
) -> pd.DataFrame | None:
    """Copies a large CSV file into a Parquet file of text columns, a block at a time, as load.py would read it.

    Gives None when it did. When the start of the file or pyarrow's stream finds a problem, load.py reads the whole
    file instead: it raises the problem's exact message, or, if the sample misled, gives the frame to use.
    """
    try:
        csv_checks.check_csv_start(_head(path), name, expected, population.id)
    except InputError:
        return load.load_population(pub.codebook, population, pub.project_root, limit_bytes)
    if not _streamed_to_parquet(path, name, expected, target):
        return load.load_population(pub.codebook, population, pub.project_root, limit_bytes)
    return None


def _head(path: Path) -> bytes:
    """The first HEAD_BYTES of a file, without a last character the sample cut in two."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        more = bool(handle.read(1))
    if more:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.reason == "unexpected end of data":
                head = head[: error.start]  # a character cut by the sample, not an error
    return head


def _streamed_to_parquet(path: Path, name: str, expected: list[str], target: Path) -> bool:
    """Streams the CSV file into `target` as text columns; False at the first row pyarrow finds invalid (or bytes
    it cannot read), which load.py then names. A cell over the limit is refused here, by row and column."""
    invalid: list[pa_csv.InvalidRow | None] = []

    def keep_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    try:
        reader = pa_csv.open_csv(path, **csv_checks.text_columns_options(expected, CSV_BLOCK_BYTES, keep_invalid))
        with pq.ParquetWriter(target, reader.schema) as writer:
            rows = csv_checks.FIRST_DATA_ROW
            for batch in reader:
                if invalid:
                    break
                cells = dict(zip(batch.schema.names, batch.columns, strict=True))
                csv_checks.refuse_long_cells(cells, name, readers.Rows(first=rows, label="row"))
                rows += batch.num_rows
                writer.write_batch(batch, row_group_size=layout.PARQUET_ROW_GROUP)
    except pa.ArrowInvalid as error:
        if csv_checks.is_straddling(error):
            # A row longer than a block: a cell over the limit is named without reading the file whole.
            csv_checks.refuse_long_cell_in_file(path, name, expected)
        invalid.append(None)  # e.g. bytes that are not UTF-8 further down the file
    return not invalid
