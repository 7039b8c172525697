"""Stage "package": the Frictionless Data Package (v2) descriptor for everything under `datasets/`.

Takes: the `Publication` (metadata, codebook, indicators) and the staging root the CSV files were written to
(microdata, an input, is read from the staging root when staged there, else from the project).
Gives: a dict for `datapackage.json` — every `title` and `description` (package, resources, fields) in the primary
language, since v2 allows one string, and the same texts in the other declared languages in a custom property
`translations: {<tag>: {title, description}}` beside them; and one resource per CSV with its size, sha256 hash and a
full Table Schema: field titles and descriptions, types, codebook categories and enum constraints, labelled missing
values, primary keys. The descriptor is built once per language and the others' texts are folded into the first.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from surveypress import formats, i18n, layout
from surveypress.content import Population, Publication, meta_text
from surveypress.errors import InputError
from surveypress.i18n import N_, _
from surveypress.publish.microdata import microdata_schema
from surveypress.publish.outputs import build_epoch, sha256_of
from surveypress.publish.table_schemas import (
    any_designed,
    disclosure_schema,
    indicator_schema,
    published_figures_schema,
    reconciliation_schema,
    summaries_schema,
)
from surveypress.stats import protect

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TRANSLATED = ("title", "description", "spatialCoverage")


def build_datapackage(pub: Publication, staging_root: Path) -> dict[str, Any]:
    """The datapackage.json document for the files staged under `staging_root`, texts in every declared language."""
    with i18n.language(pub.primary):
        package = _build_datapackage(pub, staging_root)
    for tag in pub.languages[1:]:
        with i18n.language(tag):
            _fold_translations(package, _build_datapackage(pub, staging_root), tag)
    return package


def _fold_translations(base: Any, other: Any, tag: str) -> None:
    """Puts each title and description of `other` that differs from `base`'s into base's `translations[tag]`."""
    if isinstance(base, dict) and isinstance(other, dict):
        for key in TRANSLATED:
            if isinstance(base.get(key), str) and isinstance(other.get(key), str) and other[key] != base[key]:
                base.setdefault("translations", {}).setdefault(tag, {})[key] = other[key]
        for key, value in base.items():
            if key != "translations" and key in other:
                _fold_translations(value, other[key], tag)
    elif isinstance(base, list) and isinstance(other, list):
        for one, two in zip(base, other, strict=False):
            _fold_translations(one, two, tag)


def _build_datapackage(pub: Publication, staging_root: Path) -> dict[str, Any]:
    staging_root = Path(staging_root)
    meta = pub.meta
    created = dt.datetime.fromtimestamp(build_epoch(meta, pub.changelog_entries), tz=dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    language = i18n.current()
    package: dict[str, Any] = {
        "$schema": PROFILE,
        "name": meta.name or pub.content_dir.name,
        "title": meta_text(pub, "title", language),
        "description": meta_text(pub, "description", language),
        "version": str(meta.version or ""),
        "created": created,
        "languages": list(pub.languages),
        "keywords": [str(word) for word in meta.keywords or []],
        "licenses": [dict(entry) for entry in meta.licenses or []],
        "sources": [_source(entry) for entry in meta.sources or []],
        "contributors": [dict(entry) for entry in meta.contributors or []],
        "resources": [],
    }
    if "synthetic" in meta:  # written, even as false
        package["synthetic"] = bool(meta.synthetic)
    # When and where the survey speaks of, for the schema.org and DCAT records (metadata.py).
    for key, name in (("temporal_coverage", "temporalCoverage"), ("spatial_coverage", "spatialCoverage")):
        if getattr(meta, key):
            package[name] = meta_text(pub, key, language)
    package = {key: value for key, value in package.items() if value not in ("", None, [])}
    package["resources"] = [_resource(pub, path, relative) for path, relative in _resource_files(pub, staging_root)]
    return package


def _source(entry: dict[str, Any]) -> dict[str, Any]:
    # YAML reads an unquoted date as a date object; the descriptor wants text.
    return {key: str(value) for key, value in entry.items()}


def _resource_files(pub: Publication, staging_root: Path) -> list[tuple[Path, str]]:
    """(file to measure, path relative to the project) for every CSV under datasets/, in a stable reading order."""
    found: dict[str, Path] = {}
    datasets = staging_root / layout.DATASETS
    if datasets.is_dir():
        for path in datasets.rglob("*.csv"):
            found[path.relative_to(staging_root).as_posix()] = path
        # Microdata over layout.RELEASE_CSV_MAX_BYTES (a public-use file of such an input too), or given as Parquet,
        # is released as Parquet.
        for path in datasets.rglob("*.parquet"):
            found[path.relative_to(staging_root).as_posix()] = path
    # Input microdata that is not released is never described, wherever it sits.
    for population in pub.codebook.populations.values():
        if pub.release.policy != "full":
            found.pop(_relative(pub, population.microdata), None)
    # Microdata released in full is an input; when the build did not stage a copy, the project's file is published.
    for population in pub.codebook.populations.values():
        relative = pub.released_file(population.id)
        if (
            pub.release.policy == "full"
            and relative not in found
            and population.microdata.is_file()
            and formats.of(population.microdata) is formats.CSV
            and protect.released_path(pub, population) == relative
        ):
            found[relative] = population.microdata
    order = [pub.released_file(population.id) for population in pub.codebook.populations.values()]
    order += [protect.released_path(pub, population) for population in pub.codebook.populations.values()]
    order.append(layout.INDICATORS)
    order.extend(layout.indicator_file(indicator.id) for indicator in pub.indicators)
    order.extend([layout.PUBLISHED_FIGURES, layout.RECONCILIATION, layout.DISCLOSURE])
    order.append(SUMMARIES)
    known = [relative for relative in dict.fromkeys(order) if relative in found]
    others = sorted(relative for relative in found if relative not in order)
    return [(found[relative], relative) for relative in [*known, *others]]


def _relative(pub: Publication, path: Path) -> str:
    try:
        return path.resolve().relative_to(pub.project_root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _resource(pub: Publication, path: Path, relative: str) -> dict[str, Any]:
    parquet = path.suffix.lower() == ".parquet"
    header = pq.read_schema(path).names if parquet else _header(path, relative)
    kind, name, title, description, schema = _describe(pub, relative, header)
    file_format = (
        {"format": "parquet", "mediatype": "application/vnd.apache.parquet"}
        if parquet
        else {"format": "csv", "mediatype": "text/csv", "encoding": "utf-8"}
    )
    return {
        "name": name,
        "type": "table",
        "path": relative,
        "title": title,
        "description": description,
        **file_format,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_of(path)}",
        "kind": kind,
        "schema": schema,
    }


def _header(path: Path, relative: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise InputError(relative, "a CSV file with a header row", row=1)
    return header


def _describe(pub: Publication, relative: str, header: list[str]) -> tuple[str, str, str, str, dict[str, Any]]:
    """(kind, name, title, description, schema) of one resource, chosen by its path, in the current language."""
    # One file per indicator, thousands in a large survey: found first, without measuring the microdata's paths
    # (no released microdata file lies among them: build.py refuses an input there).
    if relative.startswith(layout.INDICATOR_DIR + "/"):
        indicator_id = Path(relative).stem
        try:
            indicator = pub.indicator(indicator_id)
        except KeyError:
            indicator = None
        if indicator is not None:
            title = indicator.title.text(i18n.current())
            return (
                "indicator",
                f"indicator-{indicator.id}",
                title,
                _('The table of the indicator "{title}"; its columns are those of the all-indicators table.').format(
                    title=title
                ),
                indicator_schema(pub, indicator.id),
            )
    for population in pub.codebook.populations.values():
        if relative in (pub.released_file(population.id), protect.released_path(pub, population)):
            return _describe_microdata(pub, population, header, relative)
    if relative == layout.INDICATORS:
        return ("indicators", "indicators", _("All indicators"), _all_indicators_text(pub), indicator_schema(pub, None))
    if relative in FIXED_TABLES:
        kind, name, title, description, schema = FIXED_TABLES[relative]
        return kind, name, _(title), _(description), schema(pub, header)
    name = relative.removeprefix(layout.DATASETS + "/").removesuffix(".csv").replace("/", "-")
    fields = [{"name": column, "type": "string", "title": column} for column in header]
    return "other", name, name, "", {"fields": fields, "missingValues": [""]}


def _describe_microdata(
    pub: Publication, population: Population, header: list[str], relative: str
) -> tuple[str, str, str, str, dict[str, Any]]:
    """A released microdata file: what a row, a column, a blank cell and the no-answer code are."""
    name = population.title.text(i18n.current())
    title = _("{population}: questionnaire microdata").format(population=name)
    description = _(
        "One row per respondent ({population}), one column per question (a multiple-choice question has one "
        "0/1 column per option). A blank cell means not asked (outside the question's universe); "
        "{no_answer} means asked, no answer."
    ).format(population=name, no_answer=pub.codebook.no_answer)
    if pub.meta.get("synthetic"):
        description += _(
            " This file is synthetic data reconstructed from the report's figures: its marginal tables match "
            "the report, its cross-tabulations say nothing about the real respondents."
        )
    schema = microdata_schema(pub, population.id, header, relative)
    return ("microdata", f"microdata-{population.id}", title, description, schema)


def _all_indicators_text(pub: Publication) -> str:
    """What the all-indicators table holds, weighted and design-based where a population declares a design."""
    if any_designed(pub):
        return _(
            "One row per indicator × group × category: count and base (respondents, unweighted), percent and "
            "its 95 percent interval (weighted and design-based for a population with a declared sample "
            "design, else count ÷ base with the Wilson interval), standard error, design effect, effective "
            "sample size, and the reliability and suppression flags."
        )
    return _(
        "One row per indicator × group × category: count, base, percent, 95% Wilson interval, and the "
        "reliability and suppression flags."
    )


SUMMARIES = layout.SUMMARIES
# The tables of fixed paths: (kind, name, title, description, the schema of (publication, header)), the texts
# translated where a descriptor is built.
FIXED_TABLES: dict[str, tuple[str, str, str, str, Callable[[Publication, list[str]], dict[str, Any]]]] = {
    layout.PUBLISHED_FIGURES: (
        "published_figures",
        "published-figures",
        N_("Figures printed in the report"),
        N_(
            "Every figure the report prints, entered once as printed, with the section it appears in, its unit, "
            "how it compares and the indicator it belongs to."
        ),
        published_figures_schema,
    ),
    layout.RECONCILIATION: (
        "reconciliation",
        "reconciliation",
        N_("Reconciliation of the report's figures"),
        N_(
            "Every figure of the report beside the value recomputed from the microdata, saying whether it can "
            "be reproduced and why."
        ),
        lambda pub, header: reconciliation_schema(pub),
    ),
    layout.DISCLOSURE: (
        "disclosure",
        "disclosure",
        N_("Disclosure check of the microdata (k-anonymity)"),
        N_(
            "One row per published microdata file: how many records the smallest group over the "
            "quasi-identifiers holds (k), and how many records are unique in the sample."
        ),
        lambda pub, header: disclosure_schema(),
    ),
    SUMMARIES: (
        "summaries",
        "summaries",
        N_("Means and medians of numeric questions"),
        N_(
            "One row per numeric question and statistic (mean, median): the value, its 95 percent interval and the "
            "number of answers. Mean: t-interval. Median: the order statistics whose ranks a Binomial(n, 1/2) "
            "gives at least 95 percent coverage (distribution-free, exact)."
        ),
        lambda pub, header: summaries_schema(),
    ),
}
