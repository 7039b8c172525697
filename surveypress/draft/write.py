"""Writing init's files into the project folder, never through a symlink and never outside it.

Takes: the files init drafted (project-relative path -> text, or a scratch file to copy in: converted microdata of
any size is streamed, never held) and the project folder (the content folder's parent).
Gives: each new file written, each existing one compared and kept; a report line per file.

Every path is checked before anything is written: a symlink anywhere below the project (the content folder, a
subfolder, the file itself, dangling or not) is refused, naming it, so a refused run writes nothing. The writing then
walks down from the project folder one directory at a time (`dir_fd`, `O_NOFOLLOW`) and creates each file with
`O_CREAT | O_EXCL | O_NOFOLLOW`, so a symlink put in the way after the check cannot redirect a file either.
"""

from __future__ import annotations

import difflib
import errno
import filecmp
import os
import re
import shutil
import stat
from pathlib import Path, PurePosixPath
from typing import TextIO

from surveypress.errors import InputError
from surveypress.i18n import _

DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
COPY_BYTES = 1 << 20
# The project's own site configuration and ignore list are kept as they are, without a report of how they differ.
KEEP = ("mkdocs.yml", ".gitignore")


def parts_of(relative: str) -> list[str]:
    """The folders and name of a project-relative path; a path that could lead out of the project is refused."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or any(part in ("", ".", "..") for part in parts):
        raise InputError(relative, _("a path inside the project folder"))
    return list(parts)


def check(files: dict[str, str | Path], project: Path) -> None:
    """Refuses, before anything is written, a path whose folders or file are a symlink (or not a folder)."""
    seen: set[str] = set()
    for relative in files:
        parts = parts_of(relative)
        for depth in range(1, len(parts) + 1):
            below = "/".join(parts[:depth])
            if below in seen:
                continue
            seen.add(below)
            try:
                status = os.lstat(project / below)
            except FileNotFoundError:
                break
            if stat.S_ISLNK(status.st_mode):
                raise _symlink_error(project, below)
            if depth < len(parts) and not stat.S_ISDIR(status.st_mode):
                raise InputError(below, _("a folder"), value=_("a file"))


def _symlink_error(project: Path, below: str) -> InputError:
    return InputError(
        below,
        _("a file or folder that is not a symbolic link (init writes only inside the project folder)"),
        value=_("a symlink to {target}").format(target=os.readlink(project / below)),
        hint=_("Remove the link, or run init with --content naming a new folder"),
    )


def make_project(folder: Path) -> Path:
    """The project folder (the one above --content), made when nothing holds its name yet, and resolved. Its name
    taken by a dangling symbolic link or a file is refused: mkdir never follows a link, and the folder is resolved
    only once it exists."""
    if not folder.is_dir():
        try:
            os.makedirs(folder)
        except FileExistsError:
            raise InputError(
                folder,
                _("a folder, or a name nothing holds yet, for the project (the folder above --content)"),
                value=_("a symlink to {target}").format(target=os.readlink(folder))
                if folder.is_symlink()
                else _("a file"),
                hint=_("Move away what holds that name, or run init with --content naming a new folder"),
            ) from None
    return folder.resolve()


def write(files: dict[str, str | Path], project: Path, stream: TextIO) -> int:
    """Writes each file that does not exist; reports the others as unchanged or, with a short diff, as differing.
    Returns how many differ."""
    check(files, project)
    differ = 0
    root = os.open(project, DIRECTORY_FLAGS)
    try:
        for relative, text in files.items():
            differ += _write_one(root, project, relative, text, stream)
    finally:
        os.close(root)
    return differ


def _write_one(root: int, project: Path, relative: str, text: str | Path, stream: TextIO) -> int:
    *folders, name = parts_of(relative)
    folder = _open_folders(root, project, folders)
    try:
        try:
            handle = os.open(name, NEW_FILE_FLAGS, 0o666, dir_fd=folder)
        except FileExistsError:
            return _compare(folder, project, relative, name, text, stream)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _symlink_error(project, relative) from None
            raise
        if isinstance(text, Path):
            with os.fdopen(handle, "wb") as out, text.open("rb") as source:
                shutil.copyfileobj(source, out, COPY_BYTES)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
        print(f"wrote     {relative}", file=stream)
        return 0
    finally:
        if folder != root:
            os.close(folder)


def _open_folders(root: int, project: Path, folders: list[str]) -> int:
    """The folder a file goes in, made where missing and opened step by step without following a symlink."""
    current = root
    for depth, folder in enumerate(folders, start=1):
        try:
            os.mkdir(folder, 0o777, dir_fd=current)
        except FileExistsError:
            pass
        try:
            opened = os.open(folder, DIRECTORY_FLAGS, dir_fd=current)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                raise _symlink_error(project, "/".join(folders[:depth])) from None
            raise
        finally:
            if current != root:
                os.close(current)
        current = opened
    return current


def _compare(folder: int, project: Path, relative: str, name: str, text: str | Path, stream: TextIO) -> int:
    """An existing file is kept: reported unchanged, or as differing with the first lines of a diff (returns 1)."""
    try:
        handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _symlink_error(project, relative) from None
        raise
    if isinstance(text, Path):
        os.close(handle)
        return _compare_file(project / relative, relative, text, stream)
    with os.fdopen(handle, "rb") as existing:
        current = existing.read().decode("utf-8", errors="replace")
    if relative in KEEP:
        print(f"kept      {relative} (the project has its own)", file=stream)
        return 0
    if _without_date(current) == _without_date(text):
        print(f"unchanged {relative}", file=stream)
        return 0
    print(f"differs   {relative} (kept as it is; delete it and run init again to take the new one)", file=stream)
    diff = list(
        difflib.unified_diff(
            current.splitlines(),
            text.splitlines(),
            f"{relative} (yours)",
            f"{relative} (from the source)",
            n=0,
            lineterm="",
        )
    )
    for line in diff[:40]:
        print(f"    {line}", file=stream)
    if len(diff) > 40:
        print(f"    ... {len(diff) - 40} more lines", file=stream)
    return 1


def _compare_file(existing: Path, relative: str, scratch: Path, stream: TextIO) -> int:
    """A data file is compared byte for byte, a block at a time; a diff of microdata would say nothing useful."""
    if filecmp.cmp(existing, scratch, shallow=False):
        print(f"unchanged {relative}", file=stream)
        return 0
    print(f"differs   {relative} (kept as it is; delete it and run init again to take the new one)", file=stream)
    return 1


def _without_date(text: str) -> str:
    """Compares files as if written the same day: the header line and changelog date change every run."""
    text = re.sub(r"^# Drafted by `surveypress init` from .*$", "", text, count=1, flags=re.M)
    return re.sub(r"^(\s*-?\s*date: )['\"]?\d{4}-\d{2}-\d{2}['\"]?$", r"\1", text, flags=re.M)
