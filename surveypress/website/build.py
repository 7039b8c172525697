"""Stage "mkdocs": the static site from the generated pages (`surveypress build`), and `surveypress serve`.

Takes: the project folder (its `mkdocs.yml`, the `mkdocs.generated.yml` and `docs/` the build wrote) and the key of
the build's inputs (`build.inputs_key`).
Gives: `site/` (the `site_dir` of mkdocs.yml), made by `mkdocs build --strict` in a process of this interpreter: MkDocs
and its plugins keep state in modules and in logging, which a process of its own starts clean and takes away with it.
The site is dated as the Makefile dates it: `SOURCE_DATE_EPOCH`, else the time of the project's last commit, else
2000-01-01, so the same commit gives the same bytes.

Nothing changed, nothing built: after a site build, the cache folder records a key of what MkDocs read (the build's
inputs key, the date, the project folder's top-level files and every file under docs/, by size and modification time:
the build replaces a page only when its bytes change) and the size and time of every file of site/. A later build
with the same key and site/ as it was left skips MkDocs. A file mkdocs.yml names elsewhere (a `custom_dir`, hooks in
a subfolder) is not in the key: delete site/ to build again after changing one.

`serve` runs `mkdocs serve` on 127.0.0.1; there the surveypress plugin runs the build before each site build and
watches the content folder and the microdata (website/plugin.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from surveypress import cache, layout
from surveypress.errors import InputError

CONFIG = "mkdocs.yml"
# The date of a site built outside git and without SOURCE_DATE_EPOCH (the Makefile's fallback too).
FALLBACK_EPOCH = "946684800"
_SITE_DIR = re.compile(r"^site_dir:\s*['\"]?([^'\"#\s]+)", re.MULTILINE)
# Besides the build's inputs, what the site depends on: where it is published (address.site_url_for).
SITE_ENVIRONMENT = ("GITHUB_REPOSITORY",)
_LINK = re.compile(r"\b(link|anchor)\b")


@dataclass(frozen=True)
class Site:
    """What the stage did: the site folder, how many HTML pages it holds, whether MkDocs ran, and what MkDocs said
    about links (notices a strict build lets pass, such as a link it does not recognise)."""

    folder: Path
    pages: int
    built: bool
    notices: tuple[str, ...] = ()

    def summary(self) -> str:
        state = "built" if self.built else "as the last build left it"
        said = "".join(f"; MkDocs: {notice}" for notice in self.notices)
        return f"{self.folder.name}/: {self.pages} pages, {state}{said}"


def require_config(project: Path, command: str = "build") -> Path:
    """The project's mkdocs.yml; without one, an InputError saying what writes one."""
    config = project / CONFIG
    if not config.is_file():
        alternative = "; or surveypress build --no-site to stop after the pages" if command == "build" else ""
        raise InputError(
            config,
            "the site's MkDocs configuration in the project folder",
            hint=f"surveypress init SOURCE writes one when the project has none{alternative}",
        )
    return config


def site_folder(project: Path) -> Path:
    """mkdocs.yml's `site_dir` (MkDocs' default `site`), in the project folder."""
    found = _SITE_DIR.search((project / CONFIG).read_text(encoding="utf-8", errors="replace"))
    return project / (found.group(1) if found else "site")


def site_epoch(project: Path) -> str:
    """SOURCE_DATE_EPOCH, else the project's last commit time, else FALLBACK_EPOCH (as the Makefile's `site`)."""
    given = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if given:
        return given
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=project, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return FALLBACK_EPOCH
    return commit.stdout.strip() if commit.returncode == 0 and commit.stdout.strip() else FALLBACK_EPOCH


def listing(folder: Path, recursive: bool = True) -> list[list[object]]:
    """Every file below `folder` (or directly in it) with its size and modification time, by relative path."""
    if not folder.is_dir():
        return []
    paths = folder.rglob("*") if recursive else folder.iterdir()
    found = []
    for path in paths:
        if path.is_file():
            status = path.stat()
            found.append([path.relative_to(folder).as_posix(), status.st_size, status.st_mtime_ns])
    return sorted(found)


def site_key(project: Path, inputs: str, epoch: str) -> str:
    environment = {name: os.environ.get(name, "") for name in SITE_ENVIRONMENT}
    return cache.digest(inputs, epoch, environment, listing(project, recursive=False), listing(project / "docs"))


def _record(project: Path) -> Path:
    return cache.build_record(project).with_suffix(".site.json")


def unchanged(project: Path, key: str, folder: Path) -> bool:
    """Whether the last site build had this key and its site folder is as it left it."""
    try:
        record = json.loads(_record(project).read_bytes())
        return record["key"] == key and record["site"] == listing(folder) and bool(record["site"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def build_site(project: Path, inputs: str) -> Site:
    """`mkdocs build --strict` into the site folder, unless nothing it reads changed since it last built it."""
    config = require_config(project)
    folder = site_folder(project)
    epoch = site_epoch(project)
    key = site_key(project, inputs, epoch)
    if unchanged(project, key, folder):
        return Site(folder, _pages(folder), built=False)
    _record(project).unlink(missing_ok=True)
    environment = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config)]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise InputError(config, "a site that builds with mkdocs build --strict", hint=_problems(result.stderr))
    record = _record(project)
    record.parent.mkdir(parents=True, exist_ok=True)
    temporary = record.with_suffix(".tmp")
    temporary.write_text(json.dumps({"key": key, "site": listing(folder)}), encoding="utf-8")
    temporary.replace(record)
    return Site(folder, _pages(folder), built=True, notices=_link_notices(result.stderr))


def _pages(folder: Path) -> int:
    """The site's pages: its HTML files but the charts' embed pages, which are parts of pages (layout.EMBED)."""
    if not folder.is_dir():
        return 0
    return sum(1 for page in folder.rglob("*.html") if layout.EMBED not in page.relative_to(folder).parts[:-1])


def _link_notices(log: str) -> tuple[str, ...]:
    """MkDocs' notices about links and anchors, without their level."""
    return tuple(
        line.split("-", 1)[1].strip() for line in log.splitlines() if line.startswith("INFO") and _LINK.search(line)
    )


def _problems(log: str) -> str:
    """MkDocs' warnings and errors, the lines that say why a strict build stopped."""
    lines = [line.strip() for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    return "MkDocs said: " + (" | ".join(lines) if lines else log.strip()[-2000:])


def serve(project: Path, content: Path, port: int, dirty: bool) -> NoReturn:
    """Becomes `mkdocs serve` of the project on 127.0.0.1:`port` (this process is replaced, so that a signal to
    stop reaches MkDocs itself and no server outlives the command); raises InputError without mkdocs.yml."""
    from surveypress.website.hooks import CONTENT_ENV  # imports MkDocs, which a build that skips the site never needs

    config = require_config(project, command="serve")
    environment = dict(os.environ)
    if content.resolve() != (project / "publication").resolve():
        environment[CONTENT_ENV] = os.path.relpath(content.resolve(), project.resolve())
    command = [sys.executable, "-m", "mkdocs", "serve", "--config-file", str(config), "-a", f"127.0.0.1:{port}"]
    # --dirty rebuilds only the pages whose Markdown changed; MkDocs warns that it does, which strict would refuse.
    command += ["--dirty", "--no-strict"] if dirty else []
    os.chdir(project)
    os.execve(sys.executable, command, environment)
