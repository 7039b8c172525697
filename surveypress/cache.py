"""A content-addressed cache of expensive outputs (chart images), so a rebuild redraws only what changed.

Takes: a key made of everything an output depends on (`digest`), and the output's files as bytes.
Gives: the same bytes back on a later build. An entry is found only by the hash of its inputs, so a cached build is
byte-identical to a cold one; the cache can be deleted at any time.

Where: `SURVEYPRESS_CACHE_DIR` if set, else `.cache/surveypress/` in the project (gitignored). Entries are written to
a temporary name and renamed, so an interrupted build leaves no half-written entry. Nothing is ever evicted: each
entry is a few kilobytes per chart, and `rm -rf .cache` starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

import jinja2

CACHE_ENV = "SURVEYPRESS_CACHE_DIR"
DEFAULT_DIR = Path(".cache") / "surveypress"


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
            path = self.folder / key[:2] / f"{key}.{suffix}"
            try:
                found[suffix] = path.read_bytes()
            except OSError:
                return None
        return found

    def put(self, key: str, files: dict[str, bytes]) -> None:
        """Stores an entry; a folder that cannot be written only means the next build draws again."""
        folder = self.folder / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for suffix, data in files.items():
                partial = folder / f".{key}.{suffix}.{secrets.token_hex(4)}"
                partial.write_bytes(data)
                os.replace(partial, folder / f"{key}.{suffix}")
        except OSError:
            pass


def jinja_bytecode_cache(project_root: str | Path, settings: str) -> jinja2.BytecodeCache | None:
    """Jinja2's own cache of compiled templates, in a folder per Jinja2 version and environment `settings` (code
    compiled with other settings, e.g. autoescape, is never shared); None when the folder cannot be made."""
    folder = cache_root(project_root) / "jinja" / f"{jinja2.__version__}-{settings}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))
