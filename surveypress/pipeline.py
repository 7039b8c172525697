"""The stages of a build, in the order ARCHITECTURE.md fixes: load, tabulate, protect, charts sent to be drawn,
disclose, reconcile, tables, data package, archive, then per edition its drawn charts and its pages, and the site
config; written through a staging folder, then swapped. The drawing workers start before load, so that they are
ready for the first chart, and draw while the tables, the package and the archive are written.

build.py runs it after deciding that something changed: this module imports the heavy libraries (pandas, Altair,
DuckDB ...), which a rebuild with nothing changed never needs.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from surveypress import address, cache, i18n, layout
from surveypress.charts.stage import EditionCharts
from surveypress.content import Publication, meta_text
from surveypress.i18n import _
from surveypress.microdata import sources
from surveypress.pages import narrate
from surveypress.publish import metadata, outputs, package, workbook
from surveypress.publish.staging import Comparison, Staging, read_manifest
from surveypress.stats import protect, reconcile, tabulate
from surveypress.website import config as site

CHARTS_DIR = layout.CHARTS_DIR
DOWNLOADS_DIR = layout.DOWNLOADS_DIR
DATA_README = "README.md"


def _rows(frame: pd.DataFrame) -> str:
    return f"{len(frame):,} rows"


def run(pub: Publication, progress: Any, *, engine: str, check: bool, inputs: str | None) -> Comparison | None:
    """Builds every output of `pub` through a staging folder, reporting each stage to `progress` (a build.Progress);
    swaps them into place (recording the build's inputs for the next no-change check), or, with `check`, compares
    them with the committed files and changes nothing."""
    # The published figures are checked against the content before any microdata is read or chart drawn.
    figures = reconcile.read_published_figures(pub)
    # Each language with page templates is an edition: its own charts and pages, from the same tables. The charts
    # of every edition are drawn together, by workers started now, so that they are ready when the tables are.
    with (
        Staging(pub.project_root, outside=check) as staging,
        tempfile.TemporaryDirectory() as scratch,
        EditionCharts(pub, chart_folders(pub, staging)) as drawing,
        contextlib.ExitStack() as stack,
    ):
        # Small files are read and checked whole; large ones are checked by the engine while it scans them.
        microdata = progress.step("load", lambda: sources.open_microdata(pub, Path(scratch)), sources.describe)
        released = protect.released_microdata(pub, microdata)
        streamed = stack.enter_context(StreamedReleases(staging, released))
        results = _process(pub, progress, microdata, released, figures, drawing, engine)
        _save(pub, progress, staging, results, microdata, released, streamed)
        pages = _write_pages(pub, progress, staging, drawing, results)
        _describe(pub, progress, staging, pages)
        staging.write_manifest()
        return _publish(pub, progress, staging, check, inputs)


@dataclass(frozen=True)
class _Results:
    """What processing the data gives the stages that save it: the protected table and what is published of it,
    the numeric summaries, the k-anonymity report and the reconciliation."""

    table: pd.DataFrame
    published: pd.DataFrame
    summary: pd.DataFrame | None
    disclosure: pd.DataFrame
    reconciliation: pd.DataFrame


def _process(
    pub: Publication,
    progress: Any,
    microdata: Any,
    released: Any,
    figures: Any,
    drawing: EditionCharts,
    engine: str,
) -> _Results:
    """Stages tabulate, protect, chart (sent to be drawn), disclose and reconcile."""
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
    # The charts are drawn while the tables are checked and written.
    progress.step(
        "chart",
        lambda: drawing.send(table),
        lambda sent: (
            f"{sent} charts sent to {drawing.drawer.workers} drawing processes"
            if drawing.drawer.workers >= 2
            else f"{sent} charts, drawn in this process"
        ),
    )
    published = protect.publishable(table)
    protect.check_recount(pub, table, released)
    disclosure = progress.step(
        "disclose", lambda: protect.disclosure_report(pub, microdata), lambda d: f"{_rows(d)} in the k-report"
    )
    protect.check_disclosure(pub, disclosure)
    reconciliation = progress.step(
        "reconcile",
        lambda: reconcile.reconcile(pub, table, figures),
        lambda r: ", ".join(f"{n} {status}" for status, n in r["status"].value_counts().sort_index().items()),
    )
    return _Results(table, published, summary, disclosure, reconciliation)


def _save(
    pub: Publication,
    progress: Any,
    staging: Staging,
    results: _Results,
    microdata: Any,
    released: Any,
    streamed: StreamedReleases,
) -> None:
    """Stages tables, package and archive."""
    progress.step(
        "tables",
        lambda: (
            write_tables(
                pub,
                staging,
                results.published,
                results.disclosure,
                results.reconciliation,
                microdata,
                released,
                results.summary,
            )
            + streamed.wait()
        ),
        lambda files: f"{len(files)} files",
    )
    # The data package and the archive describe the tables only: made while the charts are drawn.
    progress.step(
        "package",
        lambda: write_datapackage(pub, staging),
        lambda descriptor: f"{len(descriptor['resources'])} resources",
    )
    progress.step("archive", lambda: write_archive(pub, staging), lambda path: path.name)


def _write_pages(
    pub: Publication, progress: Any, staging: Staging, drawing: EditionCharts, results: _Results
) -> dict[str, list[str]]:
    """Stages compile, then per edition draw and narrate; gives each edition's pages (paths under its docs)."""
    # The pages' templates are compiled while the charts are drawn; they are rendered once their charts are.
    progress.step("compile", lambda: narrate.compile_pages(pub), lambda count: f"{count} page templates")
    # Each edition's pages are written as soon as its charts are drawn, while the next edition's are.
    pages: dict[str, list[str]] = {}
    for language, _templates in pub.editions:
        charts = progress.step(
            "draw",
            lambda language=language: drawing.finish(language),
            lambda charts, language=language: (
                f"{len(charts)} charts ({language}), {sum(output.drawn for output in charts.values())} drawn, "
                f"{drawing.font_used(language)}"
            ),
        )
        prefix = pub.docs_prefix(language)
        docs = staging.path(f"{layout.DOCS}/{prefix}") if prefix else staging.path(layout.DOCS)
        written = progress.step(
            "narrate",
            lambda language=language, charts=charts, docs=docs: narrate.render_pages(
                pub, results.table, results.reconciliation, charts, docs, language, results.summary
            ),
            lambda written, language=language: f"{len(written)} pages ({language})",
        )
        pages[language] = [path.relative_to(docs).as_posix() for path in written]
    return pages


def _describe(pub: Publication, progress: Any, staging: Staging, pages: dict[str, list[str]]) -> None:
    """Stages site (the generated MkDocs config) and metadata."""
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
    # What search engines, portals and citation tools read, from the data package just written.
    progress.step(
        "metadata",
        lambda: metadata.write_metadata(
            staging.path(layout.DATAPACKAGE),
            staging.path(DOWNLOADS_DIR),
            staging.path(layout.CITATION),
            address.site_url_for(pub.meta, {}),
        ),
        lambda paths: ", ".join(path.name for path in paths),
    )


def _publish(pub: Publication, progress: Any, staging: Staging, check: bool, inputs: str | None) -> Comparison | None:
    """With `check`, compares the staged outputs with the committed ones; else swaps them into place and records
    the build's inputs for the next no-change check."""
    if check:
        comparison = staging.compare(outputs.CHECKED)
        progress.done("up to date" if comparison.clean else f"{len(comparison.lines())} files out of date")
        cache.commit()
        return comparison
    cache.forget_build(pub.project_root)
    stale = staging.swap()
    cache.commit()  # only a build that succeeded adds to the cache
    if inputs is not None:
        cache.record_build(pub.project_root, inputs, read_manifest(pub.project_root))
    progress.done(f"outputs replaced, {len(stale)} stale files removed")
    return None


def chart_folders(pub: Publication, staging: Staging) -> dict[str, Path]:
    """The staged charts folder of each edition: the primary language's at the top, others' in a folder per tag."""
    folders = {}
    for language, _templates in pub.editions:
        prefix = pub.docs_prefix(language).strip("/")
        folders[language] = staging.path(CHARTS_DIR + (f"/{prefix}" if prefix else ""))
    return folders


def write_tables(
    pub: Publication,
    staging: Staging,
    published: pd.DataFrame,
    disclosure: pd.DataFrame,
    reconciliation: pd.DataFrame,
    microdata: dict[str, Any] | None = None,
    released: dict[str, tuple[str, pd.DataFrame]] | None = None,
    summary: pd.DataFrame | None = None,
) -> list[Path]:
    """Stages the CSV tables under datasets/ and the released microdata: an input released in full is mirrored (or,
    when large, written as Parquet: protect.release_microdata) so later stages see the whole layout; a public-use
    file is written; nothing for `release: none`."""
    written = [outputs.write_csv(staging.path(layout.INDICATORS), published)]
    files = {indicator.id: staging.path(layout.indicator_file(indicator.id)) for indicator in pub.indicators}
    written += outputs.write_csv_parts(published, "indicator", files)
    if pub.figures_text is not None:
        # Read as text so the hand-entered cells are copied as typed (no number re-formatting).
        figures = pd.read_csv(io.StringIO(pub.figures_text), dtype=str, keep_default_na=False)
        written.append(outputs.write_csv(staging.path(layout.PUBLISHED_FIGURES), figures))
        # Without printed figures there is nothing to reconcile: neither file is written (the package lists neither).
        written.append(outputs.write_csv(staging.path(layout.RECONCILIATION), reconciliation))
    written.append(outputs.write_csv(staging.path(layout.DISCLOSURE), disclosure))
    if pub.release.policy == "full":
        protect.release_microdata(pub, staging, microdata or {})
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
            # A streamed file's public-use recoding is written by the engine, on a thread (StreamedReleases).
    return written


class StreamedReleases:
    """The public-use files of streamed populations, written by the engine on a thread from the moment the
    microdata is opened: the engine writes a file in its order on one core, for seconds at ten million respondents,
    while the tables are counted on the others. Use as a context manager; leaving it waits for the thread, so nothing
    is written into the staging folder once it is gone. Leaving it on an error first interrupts the engine: the
    build reports a bad file at once instead of after the copy (the files are discarded with the staging folder)."""

    def __init__(self, staging: Staging, released: dict[str, tuple[str, Any]]) -> None:
        self.jobs = [
            (staging.path(file), frame)
            for file, frame in released.values()
            if isinstance(frame, protect.StreamedRelease)
        ]
        self.error: BaseException | None = None
        self.connection: Any = None
        self.stopping = False
        self.thread = threading.Thread(target=self._write, name="public-use files", daemon=True)
        if self.jobs:
            self.thread.start()

    def _write(self) -> None:
        try:
            for target, frame in self.jobs:
                if self.stopping:
                    return
                target.parent.mkdir(parents=True, exist_ok=True)
                frame.write(target, self._connected)
        except BaseException as error:  # raised again by `wait`, in the build's thread
            self.error = error

    def wait(self) -> list[Path]:
        """The files written; raises what writing them raised."""
        if self.thread.ident is not None:
            self.thread.join()
        if self.error is not None:
            raise self.error
        return [target for target, _frame in self.jobs]

    def __enter__(self) -> StreamedReleases:
        return self

    def _connected(self, connection: Any) -> None:
        self.connection = connection
        if self.stopping:
            self._interrupt()

    def _interrupt(self) -> None:
        try:
            self.connection.interrupt()
        except Exception:  # the copy has finished and closed its connection: nothing to stop
            pass

    def __exit__(self, failed: type[BaseException] | None, *_exception: object) -> None:
        if self.thread.ident is None:
            return
        if failed is not None:
            self.stopping = True
            if self.connection is not None:
                self._interrupt()
        self.thread.join()


def write_datapackage(pub: Publication, staging: Staging) -> dict[str, Any]:
    """Stages datapackage.json; gives the descriptor written."""
    descriptor = package.build_datapackage(pub, staging.root)
    outputs.write_json(staging.path(layout.DATAPACKAGE), descriptor, sort_keys=False)
    return descriptor


def data_readme(pub: Publication, members: Sequence[str]) -> str:
    """The README placed in the download archive: what the package is, its licence and sources, and its files,
    written once per declared language (primary first)."""
    sections = []
    for language in pub.languages:
        with i18n.language(language):
            sections.append(_data_readme_in(pub, members, language))
    return "\n".join(sections)


def _data_readme_in(pub: Publication, members: Sequence[str], language: str) -> str:
    meta = pub.meta
    title = meta_text(pub, "title", language) or str(meta.name or "")
    description = meta_text(pub, "description", language)
    lines = [f"# {title}", "", _("Version: {version}").format(version=meta.version or ""), ""]
    if description:
        lines += [description, ""]
    if meta.synthetic:
        lines += [
            _("Note: the microdata in this package is synthetic; it only reproduces the published aggregates."),
            "",
        ]
    licences = [entry.get("title") or entry.get("name") for entry in meta.licenses or []]
    if licences:
        lines += [_("Licence: {licences}").format(licences=", ".join(str(name) for name in licences)), ""]
    sources = meta.sources or []
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
        _("Check: {command}").format(command=f"`sha256sum -c {layout.CHECKSUMS}`"),
        "",
    ]
    return "\n".join(lines)


def write_archive(pub: Publication, staging: Staging) -> Path:
    """Stages docs/downloads/<name>-<version>.zip (one folder <name>-<version>/ holding datasets/, datapackage.json,
    README and the workbook), its SHA256SUMS, and a copy of every file in it under docs/downloads/ for downloading
    one at a time."""
    # load_publication has checked that name and version are plain enough for a file name.
    stem = layout.archive_folder(pub.meta.name, pub.meta.version)

    members: dict[str, Path | bytes] = {
        name: staging.root / name for name in staging.staged() if name.startswith(layout.DATASETS + "/")
    }
    members[layout.DATAPACKAGE] = staging.path(layout.DATAPACKAGE)
    # The indicator tables again as one accessible workbook, for readers who open data in a spreadsheet program.
    descriptor = json.loads(members[layout.DATAPACKAGE].read_text(encoding="utf-8"))
    release = {key: getattr(pub.meta, key) for key in ("contact", "next_release") if getattr(pub.meta, key)}
    members[workbook.WORKBOOK_NAME] = workbook.write_workbook(
        {**descriptor, **release}, staging.root, staging.path(f"{DOWNLOADS_DIR}/{workbook.WORKBOOK_NAME}")
    )
    members[DATA_README] = data_readme(pub, sorted(members)).encode("utf-8")
    members[layout.CHECKSUMS] = outputs.sha256sums_text(members).encode("utf-8")
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
    outputs.write_text(
        staging.path(f"{DOWNLOADS_DIR}/{layout.CHECKSUMS}"), outputs.sha256sums_text({archive.name: archive})
    )
    return archive
