"""Writes every output file, first into a staging folder, and moves them into place only when the build succeeded.

Takes: tables, documents and text from the other stages, and the project root they belong under.
Gives: files in the staging folder `.build-staging-<random>/` (same layout as the project), the manifest of what the
build generated (`.surveypress-manifest.json`), `Staging.swap()` that publishes through a journal
(`.surveypress-publish.json`: after a kill, the next build finishes the publish, so outputs are all-old or all-new)
and removes only stale files the previous manifest lists, and a deterministic zip archive with its `SHA256SUMS`.
ARCHITECTURE.md ("Publishing") describes the protocol.

Every writer here uses UTF-8 and `\\n` line ends; CSV files start with a byte-order mark, so that Excel on Chinese
Windows opens them as UTF-8 on a double-click (pandas, csvkit, frictionless and DuckDB skip it). CSV cells that a
spreadsheet would run as a formula are neutralised with a leading apostrophe. Timestamps come from
`SOURCE_DATE_EPOCH` or the publication date, never from the clock, so two builds of the same inputs give the same
bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from surveypress.errors import InputError
from surveypress.publish import layout

if TYPE_CHECKING:  # pandas is imported where a table is written: the no-change check (build.py) never needs it
    import pandas as pd

STAGING_PREFIX = ".build-staging-"


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
            if path.is_file() and (not self.marker or _starts_with(path, self.marker))
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


def _starts_with(path: Path, marker: bytes) -> bool:
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

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

# ZIP cannot store dates before 1980.
ZIP_EPOCH_MIN = 315532800


def runs_as_formula(cell: str) -> bool:
    """Whether a spreadsheet opening a CSV file would run the cell as a formula (a number such as `-9` it would not)."""
    return cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)


def neutralise_formula(cell: str) -> str:
    """Prefixes `'` to text a spreadsheet would evaluate as a formula; numbers such as `-9` stay as they are."""
    return "'" + cell if runs_as_formula(cell) else cell


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
            # The csv module quotes only "\n" line breaks here, so a bare CR becomes LF to keep the row intact.
            cells.append(neutralise_formula(str(value)).replace("\r\n", "\n").replace("\r", "\n"))
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
    In the project (not `outside`), it holds the project's build lock from creation to the end of the block, and
    first finishes or discards what a killed build left (`recover`), so a build starts from all-old or all-new.
    """

    def __init__(
        self, project_root: str | Path, generated: tuple[OutputSet, ...] = GENERATED, *, outside: bool = False
    ) -> None:
        """`outside=True` stages in the system's temporary folder (for --check, which must not touch the project)."""
        self.project_root = Path(project_root).resolve()
        self.generated = generated
        self.inputs: set[str] = set()
        self._lock: int | None = None
        if outside:
            self.root = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX)).resolve()
        else:
            self._lock = acquire_lock(self.project_root)
            try:
                recover(self.project_root)
                # Inside the project root so os.replace stays on one file system (an atomic rename per file).
                self.root = self.project_root / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
                self.root.mkdir()
            except BaseException:
                release_lock(self._lock)
                raise

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if not (self.project_root / JOURNAL).exists():
                self.discard()
        finally:
            release_lock(self._lock)
            self._lock = None

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

    def _is_generated(self, relative: str, generated: tuple[OutputSet, ...]) -> bool:
        return any(output.matches(relative) for output in generated)

    def existing(self, generated: tuple[OutputSet, ...] | None = None) -> list[str]:
        """Generated files now in the work tree that the previous build's manifest lists, sorted.

        Only these may be replaced or removed: a file the build did not write itself is never touched.
        """
        generated = generated or self.generated
        return sorted(
            name
            for name in read_manifest(self.project_root)
            if name not in self.inputs
            and self._is_generated(name, generated)
            and name in _found(self.project_root, generated, name)
        )

    def mirror_input(self, source: Path) -> str:
        """Copies an input file (e.g. microdata) into the staging folder at its project-relative path.

        Later stages then see the complete published layout in one place; swap() and compare() skip it,
        because the input is already where it belongs.
        """
        relative = Path(source).resolve().relative_to(self.project_root).as_posix()
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        self.inputs.add(relative)
        return relative

    def outputs(self) -> list[str]:
        """Staged files that are outputs (mirrored inputs left out), sorted."""
        return [name for name in self.staged() if name not in self.inputs]

    def write_manifest(self) -> Path:
        """Stages the manifest: every output of this build (itself included), so the next build knows what it owns."""
        return write_text(self.path(MANIFEST), manifest_text({*self.outputs(), MANIFEST}))

    def compare(self, generated: tuple[OutputSet, ...] | None = None) -> Comparison:
        """Staged outputs against the work tree, limited to the outputs in `generated` (default: CHECKED)."""
        generated = generated or CHECKED
        result = Comparison()
        staged = [name for name in self.outputs() if self._is_generated(name, generated)]
        for name in staged:
            current = self.project_root / name
            if not current.is_file():
                result.missing.append(name)
            elif current.read_bytes() != (self.root / name).read_bytes():
                result.differ.append(name)
        result.stale = sorted(set(self.existing(generated)) - set(staged))
        return result

    def swap(self) -> list[str]:
        """Publishes the staged outputs as one unit; returns the removed stale files (project-relative paths).

        Call only after every stage succeeded. Writing the journal is the commit point: before it the work tree is
        all-old (the staging folder is discarded), after it all-new (a kill part-way is finished by `recover`, which
        the next build runs first). See ARCHITECTURE.md, "Publishing".
        """
        if not (self.root / MANIFEST).is_file():
            self.write_manifest()
        staged = self.outputs()
        stale = sorted(set(self.existing()) - set(staged))
        # The manifest and the data package go last: they describe the other files. A file that already holds the
        # staged bytes is left as it is, so its modification time says it did not change (what `mkdocs serve
        # --dirty` and other watchers go by).
        last = {MANIFEST: 2, layout.DATAPACKAGE: 1}
        changed = [name for name in staged if not _same_bytes(self.root / name, self.project_root / name)]
        moves = sorted(changed, key=lambda name: (last.get(name, 0), name))
        journal = {"staging": self.root.name, "move": moves, "remove": stale}
        _write_atomically(self.project_root / JOURNAL, json_text(journal, sort_keys=False))
        roll_forward(self.project_root)
        return stale

    def discard(self) -> None:
        """Removes the staging folder and everything in it (safe to call twice)."""
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# Publishing: manifest, lock, journal. Every file operation of a publish goes through the functions below.

# The files the last build generated, one project-relative path a line in JSON; committed with the outputs.
MANIFEST = layout.MANIFEST
# Present only while a publish is under way: what to move from which staging folder and what to remove.
JOURNAL = ".surveypress-publish.json"


def manifest_text(names: Iterable[str]) -> str:
    return json_text({"generator": "surveypress", "files": sorted(names)}, sort_keys=False)


def read_manifest(project_root: Path) -> list[str]:
    """The files the previous build generated, from its manifest; none when there is none or it is unreadable.

    Entries that are absolute, leave the project or point into a staging folder are ignored: a damaged manifest
    can make a build keep a stale file, never remove another one.
    """
    path = Path(project_root) / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        names = document["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    safe = []
    for name in names if isinstance(names, list) else []:
        if not isinstance(name, str) or not name or name.startswith(("/", STAGING_PREFIX)) or "\\" in name:
            continue
        if any(part in ("", ".", "..") for part in name.split("/")):
            continue
        safe.append(name)
    return safe


def _found(project_root: Path, generated: tuple[OutputSet, ...], name: str) -> set[str]:
    """`{name}` when the file exists and belongs to an output set (its marker checked); else empty."""
    path = project_root / name
    if not path.is_file() or path.is_symlink():
        return set()
    for output in generated:
        if output.matches(name) and (not output.marker or _starts_with(path, output.marker)):
            return {name}
    return set()


def acquire_lock(project_root: Path) -> int:
    """Takes the project's build lock (waits while another build holds it); the system frees it if we die.

    The lock is an flock on the project folder itself, so no lock file is left behind.
    """
    descriptor = os.open(Path(project_root), os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def release_lock(descriptor: int | None) -> None:
    if descriptor is not None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _write_atomically(path: Path, text: str) -> None:
    """Writes a small file so that it exists whole or not at all, and survives a crash once this returns."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _same_bytes(staged: Path, current: Path) -> bool:
    """Whether `current` is a regular file (not a link) holding exactly the bytes of `staged`."""
    try:
        if current.is_symlink() or current.stat().st_size != staged.stat().st_size:
            return False
        return current.read_bytes() == staged.read_bytes()
    except OSError:
        return False


def roll_forward(project_root: Path) -> None:
    """Finishes the publish its journal describes. Idempotent: a kill at any point is finished by running it again.

    A move whose staged file is gone was done; a removal of a missing file was done. The journal goes last.
    """
    project_root = Path(project_root)
    journal = json.loads((project_root / JOURNAL).read_text(encoding="utf-8"))
    staging = project_root / journal["staging"]
    if not journal["staging"].startswith(STAGING_PREFIX) or "/" in journal["staging"]:
        raise ValueError(f"{JOURNAL} names a staging folder outside the project: {journal['staging']}")
    for name in journal["move"]:
        source = staging / name
        if source.is_file():
            target = project_root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for name in journal["remove"]:
        try:
            os.unlink(project_root / name)
        except FileNotFoundError:
            pass
    shutil.rmtree(staging, ignore_errors=True)
    os.unlink(project_root / JOURNAL)


def recover(project_root: Path) -> list[str]:
    """Run with the lock held before a build stages: finishes an interrupted publish, removes dead staging folders.

    Returns the names of the staging folders removed. No other build can be running (we hold the lock), so every
    staging folder left in the project belongs to a build that died.
    """
    project_root = Path(project_root)
    if (project_root / JOURNAL).exists():
        roll_forward(project_root)
    (project_root / (JOURNAL + ".tmp")).unlink(missing_ok=True)
    removed = []
    for folder in sorted(project_root.glob(f"{STAGING_PREFIX}*")):
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
