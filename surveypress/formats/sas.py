"""SAS transport files (.xpt, versions 5 and 8: the format of NHANES and many public files), read with pyreadstat.

A transport file carries variable labels but no value labels: SAS keeps those as formats in a separate catalogue,
which pyreadstat does not read with it. So `surveypress init` drafts one like a data file (draft/data.py: the codebook
read off the data, the variable labels as question texts, codes kept, their labels TODO) and says so; should a file
ever carry value labels, it is drafted from its labels as an SPSS or Stata file is. The build reads it as an SPSS or
Stata file, case by case. SAS's special missing values (.A to .Z) are read as system-missing: an empty cell, "not
asked".

A transport file is a sequence of 80-byte records, and ReadStat reads a file cut off inside one as far as it goes,
without a word; so a file whose length is not a whole number of records is refused before it is read. A file cut
exactly at a record's end cannot be told from a whole one (the format does not record how many cases it holds).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from surveypress.errors import InputError
from surveypress.formats.base import Draft, Format
from surveypress.formats.readstat import ReadStat
from surveypress.i18n import _

KIND = "a SAS transport {extension} file"
RECORD_BYTES = 80


class Transport(ReadStat):
    """pyreadstat's read_xport, after the check that the file is whole records."""

    def call(self, path: Path, name: str, **options: Any) -> tuple[Any, Any]:
        size = path.stat().st_size
        if size % RECORD_BYTES:
            raise InputError(
                name,
                f"{self.kind.format(extension=path.suffix.lower())} made of whole {RECORD_BYTES}-byte records",
                value=f"{size:,} bytes: {size // RECORD_BYTES:,} records and {size % RECORD_BYTES} bytes more",
                hint="The file was cut off (a failed copy or download); copy or export it again",
            )
        return super().call(path, name, **options)


READSTAT = Transport("read_xport", KIND, "SAS (the XPORT engine, or %loc2xpt for version 8)", user_missing=False)
NO_USER_MISSING = 0  # read_xport keeps no user-missing values apart, so no cell becomes a no-answer code


def drafts_from(path: Path, name: str) -> Draft:
    """From its labels when it has value labels, else from its data."""
    meta = READSTAT.call(path, name, metadataonly=True)[1]
    return "labels" if meta.variable_value_labels else "data"


def variable_labels(path: Path, name: str) -> dict[str, str]:
    """Each variable's label (the question texts init drafts), without the data."""
    meta = READSTAT.call(path, name, metadataonly=True)[1]
    return {column: str(label) for column, label in (meta.column_names_to_labels or {}).items() if label}


def stream(
    path: Path, name: str, notes: list[str], check_header: Callable[[list[str], str], None]
) -> tuple[list[str], Any, list]:
    """init's reader (`base.Streamer`): every variable as text, read in chunks of cases."""
    import pyarrow as pa

    columns, _meta = READSTAT.labels(path, name, NO_USER_MISSING)
    header = list(columns)
    check_header(header, name)
    notes.append(
        _(
            "{file}: a SAS transport file holds no value labels (SAS keeps them in a format catalogue), so the codebook"
            " was read off the data: codes are kept and their labels are TODO"
        ).format(file=path.name)
    )
    return header, pa.table({f"c{i}": column for i, column in enumerate(columns.values())}), []


FORMAT = Format(
    name="SAS transport",
    extensions=(".xpt",),
    kind=KIND,
    read=READSTAT.table,
    confidential=True,
    labels=READSTAT.labels,
    stream=stream,
    variable_labels=variable_labels,
    drafts_from=drafts_from,
)
