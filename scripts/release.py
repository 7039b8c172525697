"""Checks that a built tree is ready to release under a git tag, and names the files the release attaches.

Takes: the tag (e.g. `v1.0.0`), the project root after `build_tables.py` ran (datapackage.json, docs/downloads/,
publication/changelog.yml).
Gives: exit 0 and, on stdout, the paths to attach (the archive and SHA256SUMS), one per line; with `--notes FILE`, the
newest changelog entry as Markdown release notes. Exit 1 with a one-line reason when the tag is not `v` + the data
package version, the changelog's newest entry is another version, or SHA256SUMS does not match the archive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


class ReleaseError(Exception):
    """The tree cannot be released under this tag; the message says why."""


def package_identity(root: Path) -> tuple[str, str]:
    """Name and version of the data package the build wrote."""
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    return package["name"], package["version"]


def newest_changelog_entry(root: Path) -> dict:
    """First entry of publication/changelog.yml (the changelog lists versions newest first)."""
    entries = yaml.safe_load((root / "publication" / "changelog.yml").read_text(encoding="utf-8"))
    if not entries:
        raise ReleaseError("publication/changelog.yml has no entries")
    return entries[0]


def release_files(root: Path, tag: str) -> list[Path]:
    """The archive and its SHA256SUMS, after checking tag, package version, changelog and checksum agree."""
    name, version = package_identity(root)
    if tag != f"v{version}":
        raise ReleaseError(f"tag {tag!r} does not match datapackage.json version {version!r} (expected 'v{version}')")
    newest = str(newest_changelog_entry(root).get("version"))
    if newest != version:
        raise ReleaseError(f"publication/changelog.yml's newest entry is {newest!r}, the data package is {version!r}")

    downloads = root / "docs" / "downloads"
    archive = downloads / f"{name}-{version}.zip"
    sums = downloads / "SHA256SUMS"
    for path in (archive, sums):
        if not path.is_file():
            raise ReleaseError(f"{path.relative_to(root)} is missing: run `python build_tables.py` first")

    listed = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, filename = line.partition("  ")
        listed[filename.lstrip("*")] = digest
    actual = hashlib.sha256(archive.read_bytes()).hexdigest()
    if listed.get(archive.name) != actual:
        raise ReleaseError(f"SHA256SUMS does not list {archive.name} with its actual digest {actual}")
    return [archive, sums]


def release_notes(root: Path) -> str:
    """Markdown notes for the release page from the newest changelog entry, Chinese then English."""
    entry = newest_changelog_entry(root)
    lines = [f"## {entry['version']} ({entry.get('date', '')})", ""]
    for change in entry.get("changes") or []:
        lines.append(f"- {change.get('zh', '')} / {change.get('en', '')}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the git tag being released, e.g. v1.0.0")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this checkout)")
    parser.add_argument("--notes", type=Path, help="write release notes (Markdown) to this file")
    args = parser.parse_args(argv)
    try:
        files = release_files(args.root, args.tag)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    if args.notes:
        args.notes.write_text(release_notes(args.root), encoding="utf-8")
    for path in files:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
