"""The output layout, declared once: every path a build writes, relative to the project folder (`--out`).

`outputs.py` derives from it what a build may replace or remove and what `--check` compares; the stages take their
paths from here (build.py stages the files, package.py describes them, narrate.py and charts/ link to them, content/
names the public-use files). Nothing else spells an output path.
"""

from __future__ import annotations

from pathlib import Path

from surveypress import formats

# Released microdata is CSV only up to this size of its input file; above it, Parquet (a CSV file of millions of rows
# helps no reader, opens in no spreadsheet, and Parquet is a tenth of its size). See public_use_file and
# protect.release_microdata.
RELEASE_CSV_MAX_BYTES = 16 * 1024 * 1024
PARQUET_ROW_GROUP = 131_072  # rows per group of a Parquet file written: groups enough for DuckDB to use every core

DATASETS = "datasets"
INDICATORS = f"{DATASETS}/indicators.csv"  # every indicator, long format
INDICATOR_DIR = f"{DATASETS}/indicators"  # one file per indicator, indicator_file()
PUBLISHED_FIGURES = f"{DATASETS}/published_figures.csv"  # the content's table, copied for download
RECONCILIATION = f"{DATASETS}/reconciliation.csv"
DISCLOSURE = f"{DATASETS}/disclosure.csv"
SUMMARIES = f"{DATASETS}/summaries.csv"  # only when the codebook has numeric questions
PUBLIC_USE_DIR = f"{DATASETS}/public-use"  # released microdata under `release: public-use`, public_use_file()
MICRODATA_DIR = f"{DATASETS}/microdata"  # input, never output: where `init` puts converted files
DATAPACKAGE = "datapackage.json"
MANIFEST = ".surveypress-manifest.json"
GENERATED_CONFIG = "mkdocs.generated.yml"
CITATION = "CITATION.cff"  # the repository's citation, from the data package (metadata.py)
DOCS = "docs"  # pages: the primary language at the root, other languages under docs/<tag>/
# Relative to DOCS, as pages link to them:
CHARTS = "assets/charts"  # charts (other languages' under assets/charts/<tag>/)
DOWNLOADS = "downloads"  # the archive, its checksums and a copy of each file in it
EMBED = "embed"  # each chart's embed page (an edition's, under docs/<tag>/embed/ for another language)
DCAT = "dcat.ttl"  # the data package's DCAT record (under DOWNLOADS; metadata.py)
CHECKSUMS = "SHA256SUMS"  # the archive's SHA-256 (under DOWNLOADS), and every member's inside the archive
CHARTS_DIR = f"{DOCS}/{CHARTS}"
DOWNLOADS_DIR = f"{DOCS}/{DOWNLOADS}"
# Page names a drafted or built site already uses at the docs root: the front page, the folders of charts ("assets")
# and downloads, the search index, and the pages a publication adds beside its questions. `init` refuses an XLSForm
# group whose page would take one (and a declared language's tag: docs/<tag>/ holds that language's pages).
RESERVED_PAGES = ("index", "assets", "downloads", EMBED, "search", "methods", "changelog", "cite", "reconciliation")
# The outputs whose path no id decides (summaries only with numeric questions).
FIXED = (
    INDICATORS,
    PUBLISHED_FIGURES,
    RECONCILIATION,
    DISCLOSURE,
    SUMMARIES,
    DATAPACKAGE,
    MANIFEST,
    GENERATED_CONFIG,
    CITATION,
)


def indicator_file(indicator: str) -> str:
    return f"{INDICATOR_DIR}/{indicator}.csv"


def public_use_file(population: str, source: Path | None = None) -> str:
    """A population's public-use file: CSV, or Parquet when its input file is larger than RELEASE_CSV_MAX_BYTES."""
    large = source is not None and source.is_file() and source.stat().st_size > RELEASE_CSV_MAX_BYTES
    return f"{PUBLIC_USE_DIR}/{population}.{'parquet' if large else 'csv'}"


def full_release_file(relative: str, source: Path) -> str:
    """Where an input released in full is published: its own path (the file as it is), or beside it as Parquet when
    it is a CSV file larger than RELEASE_CSV_MAX_BYTES (protect.release_microdata writes it)."""
    large = formats.of(source) is formats.CSV and source.is_file() and source.stat().st_size > RELEASE_CSV_MAX_BYTES
    return str(Path(relative).with_suffix(".parquet").as_posix()) if large else relative


def page_file(prefix: str, page: str) -> str:
    """A page's Markdown file: `page` is its template's path without `.md.j2`, `prefix` its edition's folder."""
    return f"{DOCS}/{prefix}{page}.md"


def archive_folder(name: str, version: str) -> str:
    """The one folder inside the download archive, and the archive's name without `.zip`."""
    return f"{name}-{version}"


def archive(name: str, version: str) -> str:
    """The download archive's file name (under DOWNLOADS)."""
    return f"{archive_folder(name, version)}.zip"


def embed_page(prefix: str, chart_id: str) -> str:
    """A chart's embed page relative to DOCS, in its edition's folder (`prefix`: '' or '<tag>/')."""
    return f"{prefix}{EMBED}/{chart_id}.html"


def charts(prefix: str = "") -> str:
    """An edition's charts folder relative to DOCS: `assets/charts`, or `assets/charts/<tag>` for another language."""
    return f"{CHARTS}/{prefix.strip('/')}" if prefix.strip("/") else CHARTS
