"""Staging and publishing: every output is written first into a staging folder, and moved into place only when
the build succeeded.

`Staging` is the folder `.build-staging-<random>/` (same layout as the project) and the project's build lock; it
compares the staged outputs with the committed ones (`--check`) or publishes them: `swap()` writes the journal
(`.surveypress-publish.json`: after a kill, the next build finishes the publish, so outputs are all-old or all-new),
moves the staged files and removes only the stale files the previous manifest lists. ARCHITECTURE.md
("Publishing") describes the protocol. Every file operation of a publish goes through the functions here.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from surveypress import layout
from surveypress.publish.outputs import (
    CHECKED,
    GENERATED,
    JOURNAL,
    MANIFEST,
    STAGING_PREFIX,
    OutputSet,
    json_text,
    starts_with,
    write_text,
)


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
        if output.matches(name) and (not output.marker or starts_with(path, output.marker)):
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
