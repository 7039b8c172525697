"""Orchestration: runs the stages in the order ARCHITECTURE.md fixes, writes through a staging folder, then swaps.

Takes: a content folder (`publication/` by default) inside a project, the tabulation engine, and whether to check.
Gives: the published outputs (`datasets/*.csv`, `datapackage.json`, `docs/**/*.md`, `docs/assets/charts/*`,
`docs/downloads/*`) moved into place only after every stage succeeded; or, with `check=True`, the list of committed
files that differ from a fresh build, leaving the project untouched. One progress line per stage goes to stderr.

`surveypress build` (`main(site=True)`) then builds the site from the pages (website/build.py), before the `done` line.

Exit codes of `main`: 0 done, 1 `--check` found differences, 2 bad input (message printed once, outputs untouched),
3 an internal error (a bug: rerun with `--verbose` for the traceback), 4 out of memory (neither bad input nor a bug:
the message says which limit to raise; outputs untouched), 130 interrupted (outputs untouched).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from surveypress import cache, languages, layout
from surveypress.charts import fonts
from surveypress.content import TEMPLATE_SUFFIX, Publication, check_release, line_of, load_publication
from surveypress.errors import InputError
from surveypress.microdata import tracking
from surveypress.publish import outputs, staging
from surveypress.website import build as site_build

ENGINES = ("auto", "pandas", "duckdb", "spark")


class Progress:
    """One line per stage on a stream: name, what it produced, how long it took. With `hold_done`, the `done` line
    waits for `finish()`, so that a stage after the pipeline (the site) reports before it."""

    def __init__(self, stream: TextIO | None = None, *, hold_done: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.hold_done = hold_done
        self.held = ""

    def step(self, name: str, action: Callable[[], Any], summary: Callable[[Any], str] | None = None) -> Any:
        began = time.perf_counter()
        result = action()
        detail = summary(result) if summary else ""
        print(f"{name:<10} {detail:<60} {time.perf_counter() - began:6.2f} s", file=self.stream, flush=True)
        return result

    def done(self, text: str) -> None:
        if self.hold_done:
            self.held = text
            return
        print(f"{'done':<10} {text:<60} {time.perf_counter() - self.started:6.2f} s", file=self.stream, flush=True)

    def finish(self) -> None:
        """Prints the `done` line held back."""
        self.hold_done = False
        self.done(self.held)


def build(
    content_dir: str | Path = "publication",
    *,
    out_dir: str | Path | None = None,
    engine: str = "auto",
    check: bool = False,
    stream: TextIO | None = None,
    site: bool = False,
) -> staging.Comparison | None:
    """Builds every output into `out_dir` (the project folder: default the folder above `content_dir`, where the
    microdata paths of publication.yml start), and with `site` (never with `check`) the site from them; returns None
    after the swap, or, with `check`, the comparison with committed files."""
    site = site and not check
    progress = Progress(stream, hold_done=site)
    cache.discard()  # entries left by an earlier build in this process that failed

    # Load inputs.
    pub = progress.step(
        "spec",
        lambda: load_publication(Path(content_dir), Path(out_dir) if out_dir is not None else None),
        lambda p: (
            f"{len(p.codebook.questions)} questions, {len(p.indicators)} indicators, languages {', '.join(p.languages)}"
        ),
    )
    refuse_inputs_among_outputs(pub)
    # Checks the content alone can fail, before any microdata is read or chart drawn.
    check_release(pub)
    refuse_colliding_outputs(pub)
    # Confidential microdata in git is published by the next push: said on every build, the build goes on.
    tracking.warn_if_tracked(pub, progress.stream)
    # Nothing changed since the last build (inputs, code, libraries, fonts, options) and its outputs are intact:
    # a build would write the same bytes, so none is written. --check always builds.
    inputs = None if check else inputs_key(pub, engine)
    if site:
        site_build.require_config(pub.project_root)  # before the tables: a build that cannot end in a site stops now
    if inputs is not None and unchanged(pub, inputs):
        progress.done(
            f"nothing changed: {len(staging.read_manifest(pub.project_root))} outputs as the last build left them"
        )
        comparison = None
    else:
        # Imported here: a rebuild with nothing changed never needs the stages' libraries (pandas, Altair, DuckDB).
        from surveypress import pipeline

        comparison = pipeline.run(pub, progress, engine=engine, check=check, inputs=inputs)
    if site and inputs is not None:
        progress.step("mkdocs", lambda: site_build.build_site(pub.project_root, inputs), site_build.Site.summary)
        progress.finish()
    return comparison


# Environment variables that change what a build writes (the cache folder does not).
BUILD_ENVIRONMENT = ("SOURCE_DATE_EPOCH", "SPARK_REMOTE")


def inputs_key(pub: Publication, engine: str) -> str:
    """One hash of everything a build reads: the content folder, the microdata and published figures, the engine's
    code, the installed libraries and Python, the CJK fonts and the Latin text's, the options and the environment
    variables it reads."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if (name in BUILD_ENVIRONMENT or name.startswith(("SURVEYPRESS_", "SPARK_"))) and name != cache.CACHE_ENV
    }
    try:
        folder = fonts.find_cjk_font_dir()
        font = [str(folder), fonts.font_files(folder)]
    except InputError:
        font = []
    font.append(fonts.face_files(*fonts.text_family(languages.families(languages.TEXT_FONTS))))
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
        font,
        [str(pub.content_dir.resolve()), str(pub.project_root.resolve()), engine],
        cache.file_digest(pub.content_dir),
        microdata,
        [str(pub.published_figures), cache.file_digest(pub.published_figures)],
    )


def unchanged(pub: Publication, inputs: str) -> bool:
    """Whether the last build had these inputs and left outputs that are all still as it wrote them."""
    if (pub.project_root / outputs.JOURNAL).exists():
        return False  # a publish was interrupted: the build finishes it first
    return cache.unchanged_since_last_build(pub.project_root, inputs, staging.read_manifest(pub.project_root))


def refuse_inputs_among_outputs(pub: Publication) -> None:
    """Inputs are never outputs: a microdata file or the content folder where the build writes stops the build."""
    settings = pub.meta.microdata or {}
    microdata = [
        (f"microdata.{population.id}", population.microdata, line_of(settings, population.id))
        for population in pub.codebook.populations.values()
    ]
    source = pub.content_dir / "publication.yml"
    outputs.refuse_inputs_among_outputs(pub.project_root, microdata, source)
    outputs.refuse_inputs_among_outputs(pub.project_root, [("--content", pub.content_dir, None)], pub.content_dir)


def planned_outputs(pub: Publication) -> list[tuple[str, Path, str | None, str]]:
    """The output paths the ids of the content decide (layout.py spells each), with where each id comes from:
    (project-relative path, content file, key, value). Charts are left out: their folder holds nothing else."""
    content = pub.content_dir
    planned = [(path, content / "publication.yml", None, path) for path in layout.FIXED]
    planned += [
        (layout.indicator_file(indicator.id), content / "indicators.yml", f"indicator {indicator.id}.id", indicator.id)
        for indicator in pub.indicators
    ]
    for population in pub.codebook.populations.values():
        released = pub.released_file(population.id)
        if pub.release.policy == "full" and released is not None:
            # The input itself is published where it is; only a large CSV file gets a Parquet copy beside it.
            released = layout.full_release_file(released, population.microdata)
            released = None if population.microdata.resolve() == (pub.project_root / released).resolve() else released
        if released is not None:
            planned.append((released, content / "codebook.yml", "populations", population.id))
    for language, _templates in pub.editions:
        folder, pages = pub.pages(language)
        for page in pages:
            name = page[: -len(TEMPLATE_SUFFIX)]
            planned.append((layout.page_file(pub.docs_prefix(language), name), folder / page, None, name))
    name, version = str(pub.meta.name), str(pub.meta.version)
    planned.append(
        (f"{layout.DOWNLOADS_DIR}/{layout.archive(name, version)}", content / "publication.yml", "name", name)
    )
    return planned


def refuse_colliding_outputs(pub: Publication) -> None:
    """Before anything is written: two outputs on one path (compared without case, as macOS and Windows file systems
    do), an output on an input, or a page in a folder the build fills with charts, downloads or embed pages stop the
    build."""
    root = pub.project_root.resolve()
    inputs = {
        population.microdata.resolve().relative_to(root).as_posix().casefold(): f"the microdata of {population.id}"
        for population in pub.codebook.populations.values()
        if population.microdata.resolve().is_relative_to(root)
    }
    if pub.content_dir.resolve().is_relative_to(root):
        for path in pub.content_dir.rglob("*"):
            inputs[path.resolve().relative_to(root).as_posix().casefold()] = "a file of the content folder"
    # Each edition's embed pages (docs/[<tag>/]embed/<chart>.html): a page there would become the same site page.
    embeds = tuple(f"{layout.DOCS}/{pub.docs_prefix(language)}{layout.EMBED}/" for language, _ in pub.editions)
    claimed: dict[str, str] = {}
    for relative, source, key, value in planned_outputs(pub):
        folded = relative.casefold()
        place = outputs.output_place(relative)
        embed = next((folder for folder in embeds if folded.startswith(folder.casefold())), None)
        if folded in claimed or folded in inputs:
            other = claimed.get(folded) or inputs[folded]
        elif source.name.endswith(TEMPLATE_SUFFIX) and place.rstrip("/") in outputs.OUTPUT_FOLDERS:
            other = f"inside {place}, which the build fills"
        elif source.name.endswith(TEMPLATE_SUFFIX) and embed is not None:
            other = f"inside {embed}, which the build fills with the charts' embed pages"
        else:
            claimed[folded] = f"the output of {key or source.name} {value!r}" if key else f"the output {relative}"
            continue
        raise InputError(
            source,
            "an id that gives an output path of its own",
            column=key,
            value=value,
            hint=f"It would be written to {relative}, which is also {other}",
        )


def parser(site: bool = False) -> argparse.ArgumentParser:
    """build_tables.py's options; with `site`, `surveypress build`'s (the same and --no-site)."""
    command = argparse.ArgumentParser(
        prog="surveypress build" if site else "build_tables.py",
        description="Build the indicator tables, data package, charts and pages of a publication"
        + (", then the site (mkdocs build --strict, into site/)." if site else "."),
        epilog="Exit codes: 0 built, 1 --check found stale files, 2 bad input, 3 internal error, 4 out of memory.",
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
    if site:
        command.add_argument(
            "--no-site",
            dest="site",
            action="store_false",
            help="stop after the pages, as build_tables.py does (--check never builds the site)",
        )
    return command


def out_of_memory(error: BaseException) -> bool:
    """Whether `error` is the process (MemoryError) or DuckDB (its limit, duckdb_sql.memory_limit) out of memory:
    not bad input and not a bug, but a file bigger than the memory allowed for it."""
    return isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryException"


def memory_advice(error: BaseException) -> str:
    """One message for running out of memory anywhere: what happened and which setting to raise."""
    from surveypress.stats.engines import duckdb_sql

    found = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return (
        f"out of memory ({found}); nothing was published. The DuckDB engine may use "
        f"{duckdb_sql.memory_limit()}: set {duckdb_sql.MEMORY_ENV} higher (e.g. {duckdb_sql.MEMORY_ENV}=2GB) "
        "if the machine has that memory free, or build on a machine with more"
    )


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None, *, site: bool = False) -> int:
    """The command line: see `build_tables.py --help`; with `site`, `surveypress build --help`."""
    stream = stream if stream is not None else sys.stderr
    arguments = parser(site).parse_args(argv)
    content_dir = Path(arguments.content)
    out_dir = Path(arguments.out) if arguments.out else content_dir.resolve().parent
    try:
        comparison = build(
            content_dir,
            out_dir=out_dir,
            engine=arguments.engine,
            check=arguments.check,
            stream=stream,
            site=getattr(arguments, "site", False),
        )
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
        if out_of_memory(error):
            print(f"error: {memory_advice(error)}", file=stream)
            return 4
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
