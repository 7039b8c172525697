"""The interface every input format implements (`Format`), and the shapes its readers give.

A format is data plus a few functions: the extensions it names, how the build reads a file of it as text columns, and
what `surveypress init` makes of it (a labelled file, an XLSForm, or plain data). The registry in `__init__.py` maps
each extension to its one format; every stage that chooses by a file's extension asks the registry.

Nothing here or in the format modules imports a stage (spec, load, init): the stages import the formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pyarrow as pa

# What `surveypress init` drafts from a file: its labels (variable and value labels, as in SPSS or Stata), an XLSForm
# (a questionnaire, no data), or data whose codebook is read off the data itself (draft/data.py).
Draft = Literal["labels", "form", "data"]


@dataclass(frozen=True)
class Rows:
    """How the source tool numbers respondents: the number of the first one and the word for it."""

    first: int
    label: str


SPREADSHEET_ROWS = Rows(first=2, label="row")  # the header is row 1
CASES = Rows(first=1, label="case")  # SPSS Data View, Stata's browser and SAS number cases from 1


@dataclass
class SourceTable:
    """A microdata file read for the build: text columns, as the CSV reader gives them to load.validate."""

    header: list[str]  # as in the file, for load's header checks (a repeated name is kept apart in `columns`)
    columns: dict[str, pa.Array]
    rows: Rows


# build: (path, name in messages, sheet from publication.yml, population id, the codebook's no-answer code).
Reader = Callable[[Path, str, str | None, str, int], SourceTable]
# init, labelled files: (path, name, no-answer code or how to find it in the file's metadata) -> (columns, metadata).
LabelReader = Callable[[Path, str, "int | Callable[[Any], int]"], tuple[dict[str, "pa.Array"], Any]]
# init, data: (path, name, notes to add to, header check) -> (header, a table or batch reader of text columns c0, c1,
# ..., the rows pyarrow set aside as invalid while reading).
Streamer = Callable[[Path, str, list[str], Callable[[list[str], str], None]], tuple[list[str], Any, list]]


@dataclass(frozen=True)
class Format:
    """One input format. Adding a format is one module that defines one of these, and its line in `__init__.py`."""

    name: str  # what people call it: "SPSS", "SAS transport"
    extensions: tuple[str, ...]  # lower case, with the dot; no extension belongs to two formats
    kind: str  # a file of it in messages, `{extension}` standing for the file's own: "an SPSS {extension} file"
    build: bool = True  # the build reads it as microdata (publication.yml, key microdata)
    read: Reader | None = None  # text columns for the build; None: load.py reads it itself (CSV and Parquet)
    stream_above: int | None = None  # a file larger than this (bytes) streams through the engine instead
    sheets: bool = False  # a workbook: publication.yml may name the sheet to read
    formulas_checked: bool = True  # its cells can be checked for formulas (a file released in full must be so)
    # A file released in full is published as it is: refuses what any part of it may not hold, beyond what the
    # build reads (a workbook: a formula in any sheet, macros); None: the build's reading checks all of it.
    released_whole: Callable[[Path, str], None] | None = None
    confidential: bool = False  # a survey tool's own file: init's .gitignore keeps files of this kind out of git
    labels: LabelReader | None = None  # init: the text columns and the file's labels (pyreadstat's metadata)
    variables: Callable[[Path], int | None] | None = None  # init: how many variables, from the header alone
    stream: Streamer | None = None  # init: the data as text columns, read off for a codebook (draft/data.py)
    form: Callable[[Path, str], Any] | None = None  # init: the questionnaire of an XLSForm (xlsform.Form)
    variable_labels: Callable[[Path, str], dict[str, str]] | None = None  # init, data: column -> its label, if any
    drafts_from: Callable[[Path, str], Draft] | None = None  # init: what to draft from this file, when it depends on it

    def kind_of(self, path: Path) -> str:
        return self.kind.format(extension=path.suffix.lower())

    def drafts(self, path: Path, name: str) -> Draft:
        """What `surveypress init` drafts from this file (see `Draft`)."""
        if self.drafts_from is not None:
            return self.drafts_from(path, name)
        return "labels" if self.labels is not None else "data"
