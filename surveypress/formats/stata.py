"""Stata data files (.dta): read with pyreadstat; init drafts from their labels."""

from __future__ import annotations

from surveypress.formats.base import Format
from surveypress.formats.readstat import ReadStat

KIND = "a Stata {extension} file"
READSTAT = ReadStat("read_dta", KIND, "SPSS or Stata")
FORMAT = Format(
    name="Stata",
    extensions=(".dta",),
    kind=KIND,
    read=READSTAT.table,
    confidential=True,
    labels=READSTAT.labels,
)
