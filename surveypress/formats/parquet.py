"""Apache Parquet (.parquet): the build reads it itself (load.py whole; the DuckDB engine streams one above
`FORMAT.stream_above`); `surveypress init` reads its columns here, batch by batch, as a CSV export would write them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surveypress.errors import InputError
from surveypress.formats.base import Format
from surveypress.i18n import _

# 256 KB of Parquet is about 15,000 respondents of the default publication's codebook (load.py reads it in a second).
STREAM_PARQUET_ABOVE_BYTES = 256 * 1024

if TYPE_CHECKING:
    import pyarrow as pa


def stream(
    path: Path, name: str, notes: list[str], check_header: Callable[[list[str], str], None]
) -> tuple[list[str], Any, list]:
    """init's reader (`base.Streamer`): every column as text, a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(name, _("a Parquet file"), value=str(error).splitlines()[0][:120]) from None
    header = parquet.schema_arrow.names
    check_header(header, name)
    schema = pa.schema([(f"c{i}", pa.string()) for i in range(len(header))])

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in parquet.iter_batches():
            yield pa.record_batch([_as_text(column) for column in batch.columns], schema=schema)

    return header, pa.RecordBatchReader.from_batches(schema, batches()), []


def _as_text(values: pa.Array) -> pa.Array:
    """A Parquet column as a CSV export would write it: whole numbers without '.0', empty for null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_floating(values.type):
        filled = pc.fill_null(values, 0.0)
        whole = pc.and_(pc.equal(filled, pc.floor(filled)), pc.less(pc.abs(filled), 2.0**53))
        as_integers = pc.cast(pc.if_else(whole, filled, 0.0), pa.int64())
        values = pc.if_else(whole, pc.cast(as_integers, pa.string()), pc.cast(values, pa.string()))
        values = pc.if_else(pc.is_nan(filled), None, values)
    elif not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return pc.fill_null(values, "")


FORMAT = Format(
    name="Parquet",
    extensions=(".parquet",),
    kind="a Parquet file",
    stream_above=STREAM_PARQUET_ABOVE_BYTES,
    stream=stream,
)
