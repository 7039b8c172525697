"""A content-addressed cache of expensive outputs (chart images), so a rebuild redraws only what changed.

Takes: a key made of everything an output depends on (`digest`), and the output's files as bytes.
Gives: the same bytes back on a later build. An entry is found only by the hash of its inputs, so a cached build is
byte-identical to a cold one; the cache can be deleted at any time.

Where: `SURVEYPRESS_CACHE_DIR` if set, else `.cache/surveypress/` in the project (gitignored). New entries are kept
in memory until the build succeeds (`commit`, called by build.py), so a failed build leaves the project as it was;
each file is written to a temporary name and renamed. Nothing is ever evicted: an entry is a few kilobytes per chart,
and `rm -rf .cache` starts afresh. One kind is written at once: `fonts/<key>/`, the CJK faces cut down to a
publication's characters (chart.drawing_typeface), which the drawing workers need while the build runs; a folder
depends only on the font files and the characters, so one left by a failed build is as good as any.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

CACHE_ENV = "SURVEYPRESS_CACHE_DIR"
DEFAULT_DIR = Path(".cache") / "surveypress"
# Entries made by the build running in this process, written out by `commit` once it has succeeded.
_pending: dict[Path, bytes] = {}


def _read(path: Path) -> bytes | None:
    if path in _pending:
        return _pending[path]
    try:
        return path.read_bytes()
    except OSError:
        return None


def commit() -> None:
    """Writes the entries of a build that succeeded; a folder that cannot be written only means drawing again."""
    for path, data in sorted(_pending.items()):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
            partial.write_bytes(data)
            os.replace(partial, path)
        except OSError:
            pass
    _pending.clear()


def discard() -> None:
    """Forgets the entries of a build that failed."""
    _pending.clear()


def cache_root(project_root: str | Path) -> Path:
    override = os.environ.get(CACHE_ENV, "").strip()
    return Path(override) if override else Path(project_root) / DEFAULT_DIR


def digest(*parts: Any) -> str:
    """SHA-256 of the parts as canonical JSON (sorted keys, no spacing): the same inputs give the same key."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Cache:
    """One kind of output (e.g. `charts`) in the cache folder: entries are files `<key>.<suffix>`."""

    def __init__(self, project_root: str | Path, kind: str) -> None:
        self.folder = cache_root(project_root) / kind

    def get(self, key: str, suffixes: tuple[str, ...]) -> dict[str, bytes] | None:
        """Every file of the entry, or None when any is missing (a partial entry is treated as absent)."""
        found = {}
        for suffix in suffixes:
            data = _read(self.folder / key[:2] / f"{key}.{suffix}")
            if data is None:
                return None
            found[suffix] = data
        return found

    def put(self, key: str, files: dict[str, bytes]) -> None:
        """Keeps an entry, written when the build succeeds (`commit`)."""
        for suffix, data in files.items():
            _pending[self.folder / key[:2] / f"{key}.{suffix}"] = data


class _JinjaCache(jinja2.BytecodeCache):
    """Jinja2's compiled templates in the cache folder, written like every entry only when the build succeeds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = _read(self.folder / f"{bucket.key}.cache")
        if data is not None:
            bucket.load_bytecode(io.BytesIO(data))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        buffer = io.BytesIO()
        bucket.write_bytecode(buffer)
        _pending[self.folder / f"{bucket.key}.cache"] = buffer.getvalue()


def jinja_bytecode_cache(project_root: str | Path, settings: str) -> jinja2.BytecodeCache:
    """Jinja2's cache of compiled templates, in a folder per Jinja2 version and environment `settings` (code
    compiled with other settings, e.g. autoescape, is never shared)."""
    return _JinjaCache(cache_root(project_root) / "jinja" / f"{jinja2.__version__}-{settings}")


# A rebuild with nothing changed: the whole build's inputs hashed into one key, and the outputs it wrote then.

BUILDS = "builds"


def file_digest(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes (of every file below it, by relative path, for a folder); None when absent."""
    path = Path(path)
    if path.is_dir():
        files = sorted(item for item in path.rglob("*") if item.is_file() and "__pycache__" not in item.parts)
        return digest([[item.relative_to(path).as_posix(), file_digest(item)] for item in files])
    hasher = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                hasher.update(chunk)
    except OSError:
        return None
    return hasher.hexdigest()


def build_record(project_root: str | Path) -> Path:
    # One record per project: SURVEYPRESS_CACHE_DIR may be shared between projects.
    return cache_root(project_root) / BUILDS / f"{digest(str(Path(project_root).resolve()))[:32]}.json"


def record_build(project_root: str | Path, inputs: str, files: list[str]) -> None:
    """Notes, after a build has published, the key of its inputs and the hash of every file it generated."""
    root = Path(project_root)
    record = {"inputs": inputs, "files": {name: file_digest(root / name) for name in sorted(files)}}
    _pending[build_record(root)] = json.dumps(record, indent=0, sort_keys=True).encode("utf-8")
    commit()


def forget_build(project_root: str | Path) -> None:
    """Drops the record (a build that did not publish, or published something else, must not be skipped next)."""
    build_record(project_root).unlink(missing_ok=True)


def unchanged_since_last_build(project_root: str | Path, inputs: str, files: list[str]) -> bool:
    """Whether the last build of this project had the same inputs and every file it generated (`files`, from the
    manifest) still holds the bytes it wrote: then a build would write exactly those bytes again."""
    root = Path(project_root)
    try:
        record = json.loads(build_record(root).read_bytes())
        recorded = record["files"]
        same_inputs = record["inputs"] == inputs
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not same_inputs or not files or sorted(recorded) != sorted(files):
        return False
    return all(file_digest(root / name) == recorded[name] for name in files)
