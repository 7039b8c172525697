"""Orchestration: runs the stages in the order ARCHITECTURE.md fixes, writes through a staging folder, then swaps.

Takes: a content folder (`publication/` by default) inside a project, the tabulation engine, and whether to check.
Gives: the published outputs (`datasets/*.csv`, `datapackage.json`, `docs/**/*.md`, `docs/assets/charts/*`,
`docs/downloads/*`) moved into place only after every stage succeeded; or, with `check=True`, the list of committed
files that differ from a fresh build, leaving the project untouched. One progress line per stage goes to stderr.

Exit codes of `main`: 0 done, 1 `--check` found differences, 2 bad input (message printed once, outputs untouched),
3 an internal error (a bug: rerun with `--verbose` for the traceback), 130 interrupted (outputs untouched).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from surveypress import (
    cache,
    chart,
    i18n,
    layout,
    narrate,
    outputs,
    package,
    protect,
    reconcile,
    site,
    sources,
    spec,
    tabulate,
    workbook,
)
from surveypress.errors import InputError
from surveypress.i18n import _

ENGINES = ("auto", "pandas", "duckdb", "spark")
CHARTS_DIR = layout.CHARTS_DIR
DOWNLOADS_DIR = layout.DOWNLOADS_DIR
DATA_README = "README.md"


class Progress:
    """One line per stage on a stream: name, what it produced, how long it took."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()

    def step(self, name: str, action: Callable[[], Any], summary: Callable[[Any], str] | None = None) -> Any:
        began = time.perf_counter()
        result = action()
        detail = summary(result) if summary else ""
        print(f"{name:<10} {detail:<60} {time.perf_counter() - began:6.2f} s", file=self.stream, flush=True)
        return result

    def done(self, text: str) -> None:
        print(f"{'done':<10} {text:<60} {time.perf_counter() - self.started:6.2f} s", file=self.stream, flush=True)


def _rows(frame: pd.DataFrame) -> str:
    return f"{len(frame):,} rows"


def build(
    content_dir: str | Path = "publication",
    *,
    out_dir: str | Path | None = None,
    engine: str = "auto",
    check: bool = False,
    stream: TextIO | None = None,
) -> outputs.Comparison | None:
    """Builds every output into `out_dir` (the project folder: default the folder above `content_dir`, where the
    microdata paths of publication.yml start); returns None after the swap, or, with `check`, the comparison with
    committed files."""
    progress = Progress(stream)
    cache.discard()  # entries left by an earlier build in this process that failed

    # Load inputs.
    pub = progress.step(
        "spec",
        lambda: spec.load_publication(Path(content_dir), Path(out_dir) if out_dir is not None else None),
        lambda p: (
            f"{len(p.codebook.questions)} questions, {len(p.indicators)} indicators, languages {', '.join(p.languages)}"
        ),
    )
    refuse_inputs_among_outputs(pub)
    # Nothing changed since the last build (inputs, code, libraries, fonts, options) and its outputs are intact:
    # a build would write the same bytes, so none is written. --check always builds.
    inputs = None if check else inputs_key(pub, engine)
    if inputs is not None and unchanged(pub, inputs):
        progress.done(
            f"nothing changed: {len(outputs.read_manifest(pub.project_root))} outputs as the last build left them"
        )
        return None
    with outputs.Staging(pub.project_root, outside=check) as staging, tempfile.TemporaryDirectory() as scratch:
        # Small files are read and checked whole; large ones are checked by the engine while it scans them.
        microdata = progress.step("load", lambda: sources.open_microdata(pub, Path(scratch)), sources.describe)

        # Process data.
        chosen = tabulate.choose_engine(microdata) if engine == "auto" else engine
        table = progress.step(
            "tabulate", lambda: tabulate.tabulate(pub, microdata, engine=chosen), lambda t: f"{_rows(t)} ({chosen})"
        )
        # Means and medians of numeric questions; a publication without any gets no summary table.
        summary = tabulate.summarize(pub, microdata)
        table = progress.step(
            "protect",
            lambda: protect.protect(pub, table),
            lambda t: f"{_rows(t)}, {int((t['suppression'] != 'none').sum())} suppressed",
        )
        published = protect.publishable(table)
        released = protect.released_microdata(pub, microdata)
        protect.check_recount(pub, table, released)
        disclosure = progress.step(
            "disclose", lambda: protect.disclosure_report(pub, microdata), lambda d: f"{_rows(d)} in the k-report"
        )
        protect.check_disclosure(pub, disclosure)
        reconciliation = progress.step(
            "reconcile",
            lambda: reconcile.reconcile(pub, table),
            lambda r: ", ".join(f"{n} {status}" for status, n in r["status"].value_counts().sort_index().items()),
        )

        # Save outputs.
        progress.step(
            "tables",
            lambda: write_tables(pub, staging, published, disclosure, reconciliation, microdata, released, summary),
            lambda files: f"{len(files)} files",
        )
        # Each language with page templates is an edition: its own charts and pages, from the same tables.
        pages: dict[str, list[str]] = {}
        for language, _templates in pub.editions:
            prefix = pub.docs_prefix(language)
            charts = progress.step(
                "chart",
                lambda language=language, prefix=prefix: chart.render_charts(
                    pub, table, staging.path(CHARTS_DIR + ("/" + prefix.strip("/") if prefix else "")), language
                ),
                lambda c, language=language: (
                    f"{len(c)} charts ({language}), {sum(output.drawn for output in c.values())} drawn"
                ),
            )
            docs = staging.path(f"{layout.DOCS}/{prefix}") if prefix else staging.path(layout.DOCS)
            written = progress.step(
                "narrate",
                lambda language=language, charts=charts, docs=docs: narrate.render_pages(
                    pub, table, reconciliation, charts, docs, language, summary
                ),
                lambda written, language=language: f"{len(written)} pages ({language})",
            )
            pages[language] = [path.relative_to(docs).as_posix() for path in written]
        # A declared language without templates still has its labels in the tables and the data package.
        unbuilt = [language for language in pub.languages if language not in pages]
        progress.step(
            "site",
            lambda: outputs.write_text(staging.path(layout.GENERATED_CONFIG), site.generated_config(pub, pages)),
            lambda path: (
                f"{path.name}, editions {', '.join(pages)}"
                + (f"; no templates for {', '.join(unbuilt)}" if unbuilt else "")
            ),
        )
        progress.step(
            "package",
            lambda: outputs.write_json(
                staging.path(layout.DATAPACKAGE), package.build_datapackage(pub, staging.root), sort_keys=False
            ),
            lambda path: f"{len(json.loads(path.read_text(encoding='utf-8'))['resources'])} resources",
        )
        progress.step("archive", lambda: write_archive(pub, staging), lambda path: path.name)
        staging.write_manifest()

        if check:
            comparison = staging.compare(outputs.CHECKED)
            progress.done("up to date" if comparison.clean else f"{len(comparison.lines())} files out of date")
            cache.commit()
            return comparison
        cache.forget_build(pub.project_root)
        stale = staging.swap()
        cache.commit()  # only a build that succeeded adds to the cache
        if inputs is not None:
            cache.record_build(pub.project_root, inputs, outputs.read_manifest(pub.project_root))
        progress.done(f"outputs replaced, {len(stale)} stale files removed")
        return None


# Environment variables that change what a build writes (the cache folder does not).
BUILD_ENVIRONMENT = ("SOURCE_DATE_EPOCH", "SPARK_REMOTE")


def inputs_key(pub: spec.Publication, engine: str) -> str:
    """One hash of everything a build reads: the content folder, the microdata and published figures, the engine's
    code, the installed libraries and Python, the CJK fonts, the options and the environment variables it reads."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if (name in BUILD_ENVIRONMENT or name.startswith(("SURVEYPRESS_", "SPARK_"))) and name != cache.CACHE_ENV
    }
    try:
        folder = chart.find_cjk_font_dir()
        fonts = [str(folder), chart.font_files(folder)]
    except InputError:
        fonts = []
    libraries = sorted(f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions())
    microdata = [
        [population.id, str(population.microdata), cache.file_digest(population.microdata)]
        for population in pub.codebook.populations.values()
    ]
    return cache.digest(
        sys.version,
        libraries,
        cache.file_digest(Path(__file__).parent),
        environment,
        fonts,
        [str(pub.content_dir.resolve()), str(pub.project_root.resolve()), engine],
        cache.file_digest(pub.content_dir),
        microdata,
        [str(pub.published_figures), cache.file_digest(pub.published_figures)],
    )


def unchanged(pub: spec.Publication, inputs: str) -> bool:
    """Whether the last build had these inputs and left outputs that are all still as it wrote them."""
    if (pub.project_root / outputs.JOURNAL).exists():
        return False  # a publish was interrupted: the build finishes it first
    return cache.unchanged_since_last_build(pub.project_root, inputs, outputs.read_manifest(pub.project_root))


def refuse_inputs_among_outputs(pub: spec.Publication) -> None:
    """Inputs are never outputs: a microdata file or the content folder where the build writes stops the build."""
    settings = pub.meta.get("microdata") or {}
    microdata = [
        (f"microdata.{population.id}", population.microdata, spec.line_of(settings, population.id))
        for population in pub.codebook.populations.values()
    ]
    source = pub.content_dir / "publication.yml"
    outputs.refuse_inputs_among_outputs(pub.project_root, microdata, source)
    outputs.refuse_inputs_among_outputs(pub.project_root, [("--content", pub.content_dir, None)], pub.content_dir)


def write_tables(
    pub: spec.Publication,
    staging: outputs.Staging,
    published: pd.DataFrame,
    disclosure: pd.DataFrame,
    reconciliation: pd.DataFrame,
    microdata: dict[str, Any] | None = None,
    released: dict[str, tuple[str, pd.DataFrame]] | None = None,
    summary: pd.DataFrame | None = None,
) -> list[Path]:
    """Stages the CSV tables under datasets/ and the released microdata: an input released in full is mirrored (or,
    when large, written as Parquet: sources.release_microdata) so later stages see the whole layout; a public-use
    file is written; nothing for `release: none`."""
    written = [outputs.write_csv(staging.path(layout.INDICATORS), published)]
    for indicator in pub.indicators:
        rows = published[published["indicator"] == indicator.id]
        written.append(outputs.write_csv(staging.path(layout.indicator_file(indicator.id)), rows))
    if pub.figures_text is not None:
        # Read as text so the hand-entered cells are copied as typed (no number re-formatting).
        figures = pd.read_csv(io.StringIO(pub.figures_text), dtype=str, keep_default_na=False)
        written.append(outputs.write_csv(staging.path(layout.PUBLISHED_FIGURES), figures))
    written.append(outputs.write_csv(staging.path(layout.RECONCILIATION), reconciliation))
    written.append(outputs.write_csv(staging.path(layout.DISCLOSURE), disclosure))
    if pub.release.policy == "full":
        sources.release_microdata(pub, staging, microdata or {})
    if summary is not None and len(summary):
        written.append(outputs.write_csv(staging.path(layout.SUMMARIES), summary))
    for population in pub.codebook.populations.values():
        if pub.release.policy != "full" and released and population.id in released:
            file, frame = released[population.id]
            if isinstance(frame, pd.DataFrame) and file.endswith(".parquet"):
                target = staging.path(file)
                target.parent.mkdir(parents=True, exist_ok=True)
                frame.to_parquet(target, index=False, row_group_size=layout.PARQUET_ROW_GROUP)
                written.append(target)
            elif isinstance(frame, pd.DataFrame):
                written.append(outputs.write_csv(staging.path(file), frame))
            else:  # a streamed file's public-use recoding, written by the engine
                target = staging.path(file)
                target.parent.mkdir(parents=True, exist_ok=True)
                frame.write(target)
                written.append(target)
    return written


def data_readme(pub: spec.Publication, members: Sequence[str]) -> str:
    """The README placed in the download archive: what the package is, its licence and sources, and its files,
    written once per declared language (primary first)."""
    sections = []
    for language in pub.languages:
        with i18n.language(language):
            sections.append(_data_readme_in(pub, members, language))
    return "\n".join(sections)


def _data_readme_in(pub: spec.Publication, members: Sequence[str], language: str) -> str:
    meta = pub.meta
    title = package.meta_text(pub, "title", language) or str(meta.get("name", ""))
    description = package.meta_text(pub, "description", language)
    lines = [f"# {title}", "", _("Version: {version}").format(version=meta.get("version", "")), ""]
    if description:
        lines += [description, ""]
    if meta.get("synthetic"):
        lines += [
            _("Note: the microdata in this package is synthetic; it only reproduces the published aggregates."),
            "",
        ]
    licences = [entry.get("title") or entry.get("name") for entry in meta.get("licenses") or []]
    if licences:
        lines += [_("Licence: {licences}").format(licences=", ".join(str(name) for name in licences)), ""]
    sources = meta.get("sources") or []
    if sources:
        lines += [_("Sources:"), ""]
        lines += [
            f"- {entry.get('title', '')} ({entry.get('publisher', '')}, {entry.get('date', '')})" for entry in sources
        ]
        lines.append("")
    lines += [
        _("Files (each described in datapackage.json):"),
        "",
        *[f"- `{name}`" for name in members],
        "",
        _("Check: {command}").format(command="`sha256sum -c SHA256SUMS`"),
        "",
    ]
    return "\n".join(lines)


def write_archive(pub: spec.Publication, staging: outputs.Staging) -> Path:
    """Stages docs/downloads/<name>-<version>.zip (one folder <name>-<version>/ holding datasets/, datapackage.json,
    README and the workbook), its SHA256SUMS, and a copy of every file in it under docs/downloads/ for downloading
    one at a time."""
    # spec.load_publication has checked that name and version are plain enough for a file name.
    stem = layout.archive_folder(pub.meta["name"], pub.meta["version"])

    members: dict[str, Path | bytes] = {
        name: staging.root / name for name in staging.staged() if name.startswith(layout.DATASETS + "/")
    }
    members[layout.DATAPACKAGE] = staging.path(layout.DATAPACKAGE)
    # The indicator tables again as one accessible workbook, for readers who open data in a spreadsheet program.
    descriptor = json.loads(members[layout.DATAPACKAGE].read_text(encoding="utf-8"))
    release = {key: pub.meta[key] for key in ("contact", "next_release") if pub.meta.get(key)}
    members[workbook.WORKBOOK_NAME] = workbook.write_workbook(
        {**descriptor, **release}, staging.root, staging.path(f"{DOWNLOADS_DIR}/{workbook.WORKBOOK_NAME}")
    )
    members[DATA_README] = data_readme(pub, sorted(members)).encode("utf-8")
    members["SHA256SUMS"] = outputs.sha256sums_text(members).encode("utf-8")
    epoch = outputs.build_epoch(pub.meta, pub.changelog_entries)
    # Each file is also offered on its own, beside the package that describes it, so that a reader can take one
    # table, and a tool can read the package from the site (its resource paths resolve from there).
    for name, source in members.items():
        target = staging.path(f"{DOWNLOADS_DIR}/{name}")
        if isinstance(source, Path) and source != target:
            outputs.copy_file(source, target)
    # Inside the archive everything sits in one folder named like it, so unpacking never spills into the current one.
    archive = outputs.write_zip(
        staging.path(f"{DOWNLOADS_DIR}/{stem}.zip"),
        {f"{stem}/{name}": source for name, source in members.items()},
        epoch,
    )
    outputs.write_text(staging.path(f"{DOWNLOADS_DIR}/SHA256SUMS"), outputs.sha256sums_text({archive.name: archive}))
    return archive


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="build_tables.py",
        description="Build the indicator tables, data package, charts and pages of a publication.",
        epilog="Exit codes: 0 built, 1 --check found stale files, 2 bad input, 3 internal error.",
    )
    command.add_argument(
        "--content",
        default="publication",
        help="content folder: publication.yml, codebook, templates ... (default: publication)",
    )
    command.add_argument(
        "--out",
        default=None,
        help="project folder: the microdata paths of publication.yml start here and datasets/, docs/, "
        "datapackage.json and mkdocs.generated.yml are written here (default: the folder above --content)",
    )
    command.add_argument("--engine", choices=ENGINES, default="auto", help="tabulation engine (default: auto)")
    command.add_argument(
        "--check",
        action="store_true",
        help="build in a temporary folder and fail if committed outputs differ; changes nothing",
    )
    command.add_argument("--verbose", action="store_true", help="print tracebacks")
    return command


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    """The command line: see `build_tables.py --help`."""
    stream = stream if stream is not None else sys.stderr
    arguments = parser().parse_args(argv)
    content_dir = Path(arguments.content)
    out_dir = Path(arguments.out) if arguments.out else content_dir.resolve().parent
    try:
        comparison = build(content_dir, out_dir=out_dir, engine=arguments.engine, check=arguments.check, stream=stream)
    except InputError as error:
        if arguments.verbose:
            traceback.print_exc(file=stream)
        error.relative_to(out_dir)
        print(f"error: {error}", file=stream)
        return 2
    except KeyboardInterrupt:
        if (content_dir.resolve().parent / outputs.JOURNAL).exists():
            print("interrupted while publishing: the next build finishes the publish first", file=stream)
        else:
            print("interrupted: the staging folder was removed, outputs are as they were", file=stream)
        return 130
    except Exception as error:  # anything else is a bug: say so briefly unless asked for detail
        if arguments.verbose:
            traceback.print_exc(file=stream)
            return 3
        print(f"internal error: {type(error).__name__}: {error} (rerun with --verbose for the traceback)", file=stream)
        return 3
    if comparison is not None and not comparison.clean:
        print("error: outputs are out of date; run build_tables.py and commit the result:", file=stream)
        for line in comparison.lines():
            print(f"  {line}", file=stream)
        return 1
    return 0
