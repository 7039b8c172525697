"""Writes every output file, and says which files are outputs: a build writes nothing any other way.

Takes: tables, documents and text from the other stages, and the paths (in the staging folder, staging.py) they go to.
Gives: text, CSV, JSON and bytes written whole, a deterministic zip archive with its `SHA256SUMS`, the build's
timestamp (`build_epoch`); and the output sets (`GENERATED`, `CHECKED`): what a build generates, what `--check`
compares, and where no input may lie (`refuse_inputs_among_outputs`).

Every writer here uses UTF-8 and `\\n` line ends; CSV files start with a byte-order mark, so that Excel on Chinese
Windows opens them as UTF-8 on a double-click (pandas, csvkit, frictionless and DuckDB skip it). CSV cells that a
spreadsheet would run as a formula are neutralised with a leading apostrophe. Timestamps come from
`SOURCE_DATE_EPOCH` or the publication date, never from the clock, so two builds of the same inputs give the same
bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import os
import shutil
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from surveypress import layout
from surveypress.errors import InputError
from surveypress.text import neutralise_formula

if TYPE_CHECKING:  # pandas is imported where a table is written: the no-change check (build.py) never needs it
    import pandas as pd

STAGING_PREFIX = ".build-staging-"
# The files the last build generated, one project-relative path a line in JSON; committed with the outputs.
MANIFEST = layout.MANIFEST
# Present only while a publish is under way: what to move from which staging folder and what to remove.
JOURNAL = ".surveypress-publish.json"


@dataclass(frozen=True)
class OutputSet:
    """A group of generated files under `folder` (project-relative) matching `pattern`.

    `recursive` also matches in subfolders; `marker` (bytes the file starts with) limits the set to files the
    build wrote, so hand-written files in the same folder are never treated as stale.
    """

    folder: str
    pattern: str
    recursive: bool = False
    marker: bytes = b""

    def matches(self, relative: str) -> bool:
        folder, _, name = relative.rpartition("/")
        folder = folder or "."
        inside = folder == self.folder or (
            self.recursive and (self.folder == "." or folder.startswith(self.folder + "/"))
        )
        return inside and PurePosixPath(name).match(self.pattern)

    def found_in(self, root: Path) -> set[str]:
        base = root / self.folder
        if not base.is_dir():
            return set()
        paths = base.rglob(self.pattern) if self.recursive else base.glob(self.pattern)
        return {
            path.relative_to(root).as_posix()
            for path in paths
            if path.is_file() and (not self.marker or starts_with(path, self.marker))
        }


# Folders whose every file the build writes: no input may live in them (beside GENERATED's own patterns).
OUTPUT_FOLDERS = (layout.INDICATOR_DIR, layout.CHARTS_DIR, layout.DOWNLOADS_DIR)


def output_place(relative: str) -> str:
    """The output folder or pattern a project-relative path falls in (e.g. `datasets/*.csv`), or '' if none."""
    if relative.startswith(STAGING_PREFIX):
        return relative.split("/")[0] + "/"
    for folder in OUTPUT_FOLDERS:
        if relative == folder or relative.startswith(folder + "/"):
            return folder + "/"
    for output in GENERATED:
        if output.matches(relative):
            return f"{output.folder}/{output.pattern}" if output.folder != "." else output.pattern
    return ""


def refuse_inputs_among_outputs(project_root: Path, inputs: Iterable[tuple[str, Path, int | None]], source: Path):
    """Raises InputError for an input (`setting`, path, row in `source`) that lies where the build writes outputs.

    A build replaces and removes files there, so such an input would be overwritten or deleted.
    """
    root = Path(project_root).resolve()
    for setting, path, row in inputs:
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(root):
            continue
        relative = resolved.relative_to(root).as_posix()
        place = output_place(relative)
        if place:
            raise InputError(
                source,
                f"an input path outside the build's outputs ({place} is written by the build)",
                row=row,
                column=setting,
                value=relative,
                hint="A build replaces and removes generated files there; move the input elsewhere (microdata: "
                "datasets/microdata/) and change this setting",
            )


def starts_with(path: Path, marker: bytes) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(marker)) == marker


# Pages narrate writes start with this comment; hand-written pages do not.
PAGE_MARKER = b"<!-- Generated by surveypress"

# Everything the build generates, and whether it is committed (what `build_tables.py --check` compares: charts and
# downloads are not committed). swap() replaces these, and removes one that the build no longer stages only when
# the previous build's manifest lists it (a file the build did not write is never removed). Microdata is input and
# is never in this list; an input path that matches it is refused (`refuse_inputs_among_outputs`).
_OUTPUTS = (
    (OutputSet(layout.DATASETS, "*.csv"), True),
    (OutputSet(layout.INDICATOR_DIR, "*.csv"), True),
    (OutputSet(layout.PUBLIC_USE_DIR, "*.csv"), True),
    (OutputSet(layout.PUBLIC_USE_DIR, "*.parquet"), True),
    (OutputSet(".", layout.DATAPACKAGE), True),
    (OutputSet(layout.DOCS, "*.md", recursive=True, marker=PAGE_MARKER), True),
    (OutputSet(layout.CHARTS_DIR, "*", recursive=True), False),
    # Embed pages (docs/[<tag>/]embed/*.html), made from the charts: as the charts, not committed.
    (OutputSet(layout.DOCS, "*.html", recursive=True, marker=PAGE_MARKER), False),
    (OutputSet(layout.DOWNLOADS_DIR, "*"), False),
    (OutputSet(".", layout.MANIFEST), True),
    (OutputSet(".", layout.GENERATED_CONFIG), True),
    (OutputSet(".", layout.CITATION), True),
)
GENERATED = tuple(output for output, _ in _OUTPUTS)
CHECKED = tuple(output for output, committed in _OUTPUTS if committed)


# ZIP cannot store dates before 1980.
ZIP_EPOCH_MIN = 315532800


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float (Python's repr), `nan` as an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        raise ValueError("infinite value in an output table")
    return repr(float(value))


def _column_as_text(series: pd.Series) -> list[str]:
    """One column's cells as the strings written to the CSV."""
    import pandas as pd

    # tolist(): Python values, iterated at list speed (a pandas Series yields its cells ten times slower).
    values = series.tolist()
    if pd.api.types.is_bool_dtype(series.dtype):
        return ["" if pd.isna(v) else ("true" if v else "false") for v in values]
    if pd.api.types.is_integer_dtype(series.dtype):
        return ["" if pd.isna(v) else str(int(v)) for v in values]
    if pd.api.types.is_float_dtype(series.dtype):
        return [format_number(v) for v in values]
    cells = []
    for value in values:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            cells.append("")
        elif isinstance(value, bool):
            cells.append("true" if value else "false")
        elif isinstance(value, float):
            cells.append(format_number(value))
        elif isinstance(value, int):
            cells.append(str(value))
        else:
            # The formula rule looks at the cell as the file will hold it: a CRLF is written as LF (write_text), so
            # a cell of a line break alone is not given an apostrophe for its CR. The csv module quotes only "\n"
            # line breaks here, so a bare CR then becomes LF to keep the row intact.
            cells.append(neutralise_formula(str(value).replace("\r\n", "\n")).replace("\r", "\n"))
    return cells


class _Lines(list):
    """A file for csv.writer that keeps each row's text apart (the writer writes a row in one call)."""

    def write(self, text: str) -> int:
        self.append(text)
        return len(text)


def csv_lines(frame: pd.DataFrame) -> list[str]:
    """A table as CSV rows, the header first, each with its `\\n` (a row's text depends on that row alone)."""
    lines = _Lines()
    writer = csv.writer(lines, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise_formula(str(name)) for name in frame.columns])
    columns = [_column_as_text(frame[name]) for name in frame.columns]
    writer.writerows(zip(*columns, strict=True))
    return lines


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text: header row, no index, minimal quoting, `\\n` line ends, formulas neutralised."""
    return "".join(csv_lines(frame))


def json_text(document: Any, *, sort_keys: bool = True) -> str:
    """JSON as written to disk: 2-space indent, Chinese kept readable, trailing newline.

    Pass `sort_keys=False` where key order carries meaning for readers (e.g. `name` first in a descriptor).
    """
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=sort_keys, allow_nan=False) + "\n"


def _prepare(path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Writes text as UTF-8 with `\\n` line ends (any `\\r\\n` is normalised)."""
    path = _prepare(Path(path))
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text.replace("\r\n", "\n"))
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    path = _prepare(Path(path))
    path.write_bytes(data)
    return path


def copy_file(source: str | Path, path: str | Path) -> Path:
    """Copies a file as a stream (published microdata may be larger than memory)."""
    path = _prepare(Path(path))
    shutil.copyfile(source, path)
    return path


# Excel reads a CSV without a byte-order mark in the system's code page (GBK on Chinese Windows): mojibake.
CSV_ENCODING = "utf-8-sig"


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Writes a table as CSV (UTF-8 with BOM, `\\n`, no index, deterministic numbers, formulas neutralised)."""
    path = _prepare(Path(path))
    with open(path, "w", encoding=CSV_ENCODING, newline="") as handle:
        handle.write(csv_text(frame))
    return path


def write_csv_parts(frame: pd.DataFrame, column: str, paths: Mapping[Any, str | Path]) -> list[Path]:
    """Writes, for each key of `paths`, the rows of `frame` whose `column` equals it, as `write_csv` writes them
    (a key without rows gets the header alone). The table is converted to text once, not once per file."""
    header, *rows = csv_lines(frame)
    positions: dict[Any, list[int]] = {}
    for position, key in enumerate(frame[column].tolist()):
        positions.setdefault(key, []).append(position)
    written = []
    for key, target in paths.items():
        path = _prepare(Path(target))
        with open(path, "w", encoding=CSV_ENCODING, newline="") as handle:
            handle.write(header + "".join(rows[position] for position in positions.get(key, ())))
        written.append(path)
    return written


def write_json(path: str | Path, document: Any, *, sort_keys: bool = True) -> Path:
    """Writes JSON (2-space indent, `ensure_ascii=False`, trailing newline); see `json_text` for `sort_keys`."""
    path = _prepare(Path(path))
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(json_text(document, sort_keys=sort_keys))
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_epoch(meta: Mapping[str, Any] | None = None, changelog: Iterable[Mapping[str, Any]] | None = None) -> int:
    """The one timestamp outputs may carry: `SOURCE_DATE_EPOCH`, else the publication date, else 1980-01-01.

    The publication date is `date` in publication.yml, or the date of the newest changelog entry.
    """
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        if not env.isdigit():
            raise ValueError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {env!r}")
        return int(env)
    candidates = []
    if meta and meta.get("date"):
        candidates.append(meta["date"])
    for entry in changelog or []:
        if isinstance(entry, Mapping) and entry.get("date"):
            candidates.append(entry["date"])
            break
    for value in candidates:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    return ZIP_EPOCH_MIN


def write_zip(path: str | Path, members: Mapping[str, Path | bytes], epoch: int) -> Path:
    """Writes a zip whose bytes depend only on the members' names and contents and on `epoch`.

    Entries are sorted by name and carry the same timestamp and permissions. A member is a file path or its bytes.
    Entries are stored uncompressed: deflate output differs between zlib builds, stored bytes do not.
    """
    path = _prepare(Path(path))
    stamp = dt.datetime.fromtimestamp(max(epoch, ZIP_EPOCH_MIN), tz=dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # unix, so the permission bits below are honoured
            info.external_attr = 0o100644 << 16
            member = members[name]
            if isinstance(member, bytes):
                archive.writestr(info, member)
                continue
            # A file is streamed in; with its size known first, the entry's bytes are those writestr would write.
            info.file_size = Path(member).stat().st_size
            with open(member, "rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)
    return path


def sha256sums_text(files: Mapping[str, Path | bytes]) -> str:
    """`sha256sum -c` format, one `<hex>  <name>` line per file (a path or its bytes), sorted by name."""
    lines = []
    for name in sorted(files):
        member = files[name]
        digest = hashlib.sha256(member).hexdigest() if isinstance(member, bytes) else sha256_of(Path(member))
        lines.append(f"{digest}  {name}\n")
    return "".join(lines)
