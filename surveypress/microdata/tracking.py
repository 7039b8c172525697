"""Whether git tracks confidential input microdata: a warning on every build, before a push publishes it.

Takes: the `Publication` (its microdata files, `synthetic`, the release policy) and its project folder.
Gives: the project-relative paths of the microdata files that git tracks although publication.yml does not declare
them releasable (`synthetic: true`, or `release: full`, which needs a `legal_basis`), and one warning line for each.
Nothing at all when git is not installed, the project is not in a git work tree, or git fails: the warning is help,
never a reason for a build to stop.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TextIO

from surveypress.content import Publication
from surveypress.i18n import _


def releasable(pub: Publication) -> bool:
    """Whether publication.yml declares the input microdata publishable as it is."""
    return bool(pub.meta.synthetic) or pub.release.policy == "full"


def tracked_confidential(pub: Publication) -> list[str]:
    """The project-relative paths of confidential microdata files that git tracks, in codebook order."""
    if releasable(pub):
        return []
    root = pub.project_root.resolve()
    inside: list[str] = []
    for population in pub.codebook.populations.values():
        path = Path(population.microdata).resolve() if population.microdata else None
        if path is not None and path.is_relative_to(root):
            inside.append(path.relative_to(root).as_posix())
    if not inside:
        return []
    try:
        # -z: paths as they are (no quoting of unusual characters), relative to the project folder.
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", *inside], cwd=root, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []  # no git
    if listed.returncode != 0:
        return []  # not a git work tree
    tracked = set(listed.stdout.decode("utf-8", errors="replace").split("\0"))
    return [path for path in inside if path in tracked]


def warn_if_tracked(pub: Publication, stream: TextIO) -> list[str]:
    """One warning line per tracked confidential microdata file; returns their paths."""
    tracked = tracked_confidential(pub)
    for path in tracked:
        message = _(
            "{file} is confidential microdata and git tracks it: whoever gets the repository reads every answer. "
            "Run git rm --cached {file} and keep it in .gitignore, or declare it releasable in publication.yml "
            "(synthetic: true, or release: full with a legal_basis)"
        ).format(file=path)
        print(f"{'warning':<10} {message}", file=stream, flush=True)
    return tracked
