"""SPSS data files (.sav, and .zsav compressed): read with pyreadstat; init drafts from their labels."""

from __future__ import annotations

from surveypress.formats.base import Format
from surveypress.formats.readstat import ReadStat

KIND = "an SPSS {extension} file"
READSTAT = ReadStat("read_sav", KIND, "SPSS or Stata")
FORMAT = Format(
    name="SPSS",
    extensions=(".sav", ".zsav"),
    kind=KIND,
    read=READSTAT.table,
    confidential=True,
    labels=READSTAT.labels,
)
