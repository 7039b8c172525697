"""Files a content folder names: paths inside the project only, and no link out of the content folder."""

from __future__ import annotations

import os
from pathlib import Path

from surveypress.errors import InputError


def folder_name(folder: Path) -> str:
    """A folder as the person running the build knows it: relative to the working folder when inside it."""
    folder = Path(folder).resolve()
    try:
        relative = folder.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(folder)
    return "the current folder" if relative == "." else relative


def safe_path(project_root: Path, relative: str, source: Path, key: str, row: int | None = None) -> Path:
    """Resolves a path named in a spec; refuses one that points outside the project."""
    candidate = (project_root / str(relative)).resolve()
    root = project_root.resolve()
    if Path(str(relative)).is_absolute() or not candidate.is_relative_to(root):
        raise InputError(
            source,
            f"a path inside the project folder, here {folder_name(root)} (set by --out; by default the folder above"
            " the content folder)",
            row=row,
            column=key,
            value=relative,
        )
    return candidate


def refuse_links_out_of(content_dir: Path) -> None:
    """Content is read only from inside its folder: a symlink in it that leads out stops the build."""
    for path in sorted(content_dir.rglob("*")):
        if path.is_symlink() and not path.resolve().is_relative_to(content_dir):
            raise InputError(
                path,
                f"a file inside the content folder {content_dir.name}/ (symlinks included)",
                value=f"a symlink to {os.readlink(path)}",
                hint="Copy the file into the content folder instead of linking to it",
            )
