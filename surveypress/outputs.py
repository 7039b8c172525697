"""Writes every output file, first into a staging folder, and moves them into place only when the build succeeded.

Takes: tables, documents and text from the other stages, and the project root they belong under.
Gives: files in the staging folder `.build-staging-<random>/` (same layout as the project), `Staging.swap()` that
replaces the published files one by one with `os.replace` and removes stale generated files, and a deterministic zip
archive with its `SHA256SUMS`.

Every writer here uses UTF-8 without a byte-order mark and `\\n` line ends. CSV cells that a spreadsheet would run as
a formula are neutralised with a leading apostrophe. Timestamps come from `SOURCE_DATE_EPOCH` or the publication
date, never from the clock, so two builds of the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

STAGING_PREFIX = ".build-staging-"

# Generated outputs, relative to the project root, as (folder, glob) pairs: swap() owns everything they match,
# so a matching file that the build did not stage is stale and removed. Microdata is input and is never touched.
GENERATED = (
    ("datasets", "indicators.csv"),
    ("datasets/indicators", "*.csv"),
    ("datasets", "published_figures.csv"),
    ("datasets", "reconciliation.csv"),
    ("datasets", "disclosure.csv"),
    (".", "datapackage.json"),
    ("docs", "*.md"),
    ("docs/assets/charts", "*"),
    ("docs/downloads", "*"),
)

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

# ZIP cannot store dates before 1980.
ZIP_EPOCH_MIN = 315532800


def neutralise_formula(cell: str) -> str:
    """Prefixes `'` to text a spreadsheet would evaluate as a formula; numbers such as `-9` stay as they are."""
    if cell.startswith(FORMULA_STARTS) and not NUMBER.match(cell):
        return "'" + cell
    return cell


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float (Python's repr), `nan` as an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        raise ValueError("infinite value in an output table")
    return repr(float(value))


def _column_as_text(series: pd.Series) -> list[str]:
    """One column's cells as the strings written to the CSV."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return ["" if pd.isna(v) else ("true" if v else "false") for v in series]
    if pd.api.types.is_integer_dtype(series.dtype):
        return ["" if pd.isna(v) else str(int(v)) for v in series]
    if pd.api.types.is_float_dtype(series.dtype):
        return [format_number(v) for v in series]
    cells = []
    for value in series:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            cells.append("")
        elif isinstance(value, bool):
            cells.append("true" if value else "false")
        elif isinstance(value, float):
            cells.append(format_number(value))
        elif isinstance(value, int):
            cells.append(str(value))
        else:
            cells.append(neutralise_formula(str(value)))
    return cells


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text: header row, no index, minimal quoting, `\\n` line ends, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise_formula(str(name)) for name in frame.columns])
    columns = [_column_as_text(frame[name]) for name in frame.columns]
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


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


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Writes a table as CSV (UTF-8 without BOM, `\\n`, no index, deterministic numbers, formulas neutralised)."""
    path = _prepare(Path(path))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(csv_text(frame))
    return path


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


def write_zip(path: str | Path, members: Mapping[str, Path], epoch: int) -> Path:
    """Writes a zip whose bytes depend only on the members' names and contents and on `epoch`.

    Entries are sorted by name and carry the same timestamp and permissions; compression level is fixed.
    """
    path = _prepare(Path(path))
    stamp = dt.datetime.fromtimestamp(max(epoch, ZIP_EPOCH_MIN), tz=dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the permission bits below are honoured
            info.external_attr = 0o100644 << 16
            archive.writestr(info, Path(members[name]).read_bytes(), compresslevel=9)
    return path


def sha256sums_text(files: Mapping[str, Path]) -> str:
    """`sha256sum -c` format, one `<hex>  <name>` line per file, sorted by name."""
    return "".join(f"{sha256_of(Path(files[name]))}  {name}\n" for name in sorted(files))


@dataclass
class Comparison:
    """What `Staging.compare` found between staged files and the files in the work tree."""

    differ: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # staged but not in the work tree
    stale: list[str] = field(default_factory=list)  # in the work tree but no longer generated

    @property
    def clean(self) -> bool:
        return not (self.differ or self.missing or self.stale)

    def lines(self) -> list[str]:
        return (
            [f"differs: {name}" for name in self.differ]
            + [f"missing: {name}" for name in self.missing]
            + [f"stale (no longer generated): {name}" for name in self.stale]
        )


class Staging:
    """A private folder inside the project root that mirrors its layout; nothing outside it changes until swap().

    Use as a context manager: leaving the block with an exception removes the folder and every staged file.
    """

    def __init__(self, project_root: str | Path, generated: tuple[tuple[str, str], ...] = GENERATED) -> None:
        self.project_root = Path(project_root).resolve()
        self.generated = generated
        # Inside the project root so os.replace stays on one file system (an atomic rename per file).
        self.root = self.project_root / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
        self.root.mkdir()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.discard()

    def path(self, relative: str | Path) -> Path:
        """Where a project-relative output is staged; refuses paths that leave the staging folder."""
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root):
            raise ValueError(f"output path leaves the staging folder: {relative}")
        return target

    def staged(self) -> list[str]:
        """Every staged file, as a project-relative POSIX path, sorted."""
        if not self.root.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())

    def _is_generated(self, relative: str, generated: tuple[tuple[str, str], ...] | None = None) -> bool:
        folder, _, name = relative.rpartition("/")
        folder = folder or "."
        return any(
            folder == g_folder and Path(name).match(pattern) for g_folder, pattern in generated or self.generated
        )

    def existing(self, generated: tuple[tuple[str, str], ...] | None = None) -> list[str]:
        """Generated files now in the work tree (the ones a swap would replace or remove), sorted."""
        found = set()
        for folder, pattern in generated or self.generated:
            base = self.project_root / folder
            if base.is_dir():
                found.update(p.relative_to(self.project_root).as_posix() for p in base.glob(pattern) if p.is_file())
        return sorted(found)

    def compare(self, generated: tuple[tuple[str, str], ...] | None = None) -> Comparison:
        """Staged files against the work tree, limited to the outputs matched by `generated`."""
        generated = generated or self.generated
        result = Comparison()
        staged = [name for name in self.staged() if self._is_generated(name, generated)]
        for name in staged:
            current = self.project_root / name
            if not current.is_file():
                result.missing.append(name)
            elif current.read_bytes() != (self.root / name).read_bytes():
                result.differ.append(name)
        result.stale = sorted(set(self.existing(generated)) - set(staged))
        return result

    def swap(self) -> list[str]:
        """Moves every staged file into place, removes stale generated files, deletes the staging folder.

        Returns the project-relative paths of the removed stale files. Call only after every stage succeeded.
        """
        staged = self.staged()
        stale = sorted(set(self.existing()) - set(staged))
        for name in staged:
            target = self.project_root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / name, target)
        for name in stale:
            (self.project_root / name).unlink()
        self.discard()
        return stale

    def discard(self) -> None:
        """Removes the staging folder and everything in it (safe to call twice)."""
        shutil.rmtree(self.root, ignore_errors=True)
