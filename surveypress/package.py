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
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from surveypress import formats, i18n, layout, sources
from surveypress.errors import InputError
from surveypress.i18n import N_, _
from surveypress.outputs import build_epoch, sha256_of
from surveypress.spec import Publication, Question, meta_text

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
SUPPRESSED = "[c]"
TRANSLATED = ("title", "description", "spatialCoverage")


def _table_missing() -> list[dict[str, str]]:
    return [
        {"value": "", "label": _("blank: not applicable (e.g. no flag, no note)")},
        {"value": SUPPRESSED, "label": _("[c]: a small number hidden to protect confidentiality")},
    ]


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
        "name": meta.get("name", pub.content_dir.name),
        "title": meta_text(pub, "title", language),
        "description": meta_text(pub, "description", language),
        "version": str(meta.get("version", "")),
        "created": created,
        "languages": list(pub.languages),
        "keywords": [str(word) for word in meta.get("keywords") or []],
        "licenses": [dict(entry) for entry in meta.get("licenses") or []],
        "sources": [_source(entry) for entry in meta.get("sources") or []],
        "contributors": [dict(entry) for entry in meta.get("contributors") or []],
        "resources": [],
    }
    if "synthetic" in meta:
        package["synthetic"] = bool(meta["synthetic"])
    # When and where the survey speaks of, for the schema.org and DCAT records (metadata.py).
    for key, name in (("temporal_coverage", "temporalCoverage"), ("spatial_coverage", "spatialCoverage")):
        if meta.get(key):
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
            and sources.released_path(pub, population) == relative
        ):
            found[relative] = population.microdata
    order = [pub.released_file(population.id) for population in pub.codebook.populations.values()]
    order += [sources.released_path(pub, population) for population in pub.codebook.populations.values()]
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
    language = i18n.current()
    # One file per indicator, thousands in a large survey: found first, without measuring the microdata's paths
    # (no released microdata file lies among them: build.py refuses an input there).
    if relative.startswith(layout.INDICATOR_DIR + "/"):
        indicator_id = Path(relative).stem
        try:
            indicator = pub.indicator(indicator_id)
        except KeyError:
            indicator = None
        if indicator is not None:
            title = indicator.title.text(language)
            return (
                "indicator",
                f"indicator-{indicator.id}",
                title,
                _('The table of the indicator "{title}"; its columns are those of the all-indicators table.').format(
                    title=title
                ),
                _indicator_schema(pub, indicator.id),
            )
    for population in pub.codebook.populations.values():
        if relative in (pub.released_file(population.id), sources.released_path(pub, population)):
            name = population.title.text(language)
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
            schema = _microdata_schema(pub, population.id, header, relative)
            return ("microdata", f"microdata-{population.id}", title, description, schema)
    if relative == layout.INDICATORS:
        about = (
            _(
                "One row per indicator × group × category: count and base (respondents, unweighted), percent and "
                "its 95 percent interval (weighted and design-based for a population with a declared sample "
                "design, else count ÷ base with the Wilson interval), standard error, design effect, effective "
                "sample size, and the reliability and suppression flags."
            )
            if _weighted(pub)
            else _(
                "One row per indicator × group × category: count, base, percent, 95% Wilson interval, and the "
                "reliability and suppression flags."
            )
        )
        return ("indicators", "indicators", _("All indicators"), about, _indicator_schema(pub, None))
    if relative == layout.PUBLISHED_FIGURES:
        return (
            "published_figures",
            "published-figures",
            _("Figures printed in the report"),
            _(
                "Every figure the report prints, entered once as printed, with the section it appears in, its unit, "
                "how it compares and the indicator it belongs to."
            ),
            _published_figures_schema(pub, header),
        )
    if relative == layout.RECONCILIATION:
        return (
            "reconciliation",
            "reconciliation",
            _("Reconciliation of the report's figures"),
            _(
                "Every figure of the report beside the value recomputed from the microdata, saying whether it can "
                "be reproduced and why."
            ),
            _reconciliation_schema(pub),
        )
    if relative == layout.DISCLOSURE:
        return (
            "disclosure",
            "disclosure",
            _("Disclosure check of the microdata (k-anonymity)"),
            _(
                "One row per published microdata file: how many records the smallest group over the "
                "quasi-identifiers holds (k), and how many records are unique in the sample."
            ),
            _disclosure_schema(),
        )
    if relative == SUMMARIES:
        return (
            "summaries",
            "summaries",
            _("Means and medians of numeric questions"),
            _(
                "One row per numeric question and statistic (mean, median): the value, its 95 percent interval and the "
                "number of answers. Mean: t-interval. Median: the order statistics whose ranks a Binomial(n, 1/2) "
                "gives at least 95 percent coverage (distribution-free, exact)."
            ),
            _summaries_schema(),
        )
    name = relative.removeprefix(layout.DATASETS + "/").removesuffix(".csv").replace("/", "-")
    fields = [{"name": column, "type": "string", "title": column} for column in header]
    return "other", name, name, "", {"fields": fields, "missingValues": [""]}


def _field(name: str, type_: str, title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "description": description, **extra}


def _percent_field(name: str, title: str, description: str) -> dict[str, Any]:
    """A column of percentages (0 to 100); a title may name the interval's `{level}`."""
    return _field(name, "number", title.format(level="95%"), description, constraints={"minimum": 0, "maximum": 100})


def _label_fields(pub: Publication, name: str, title: str, description: str) -> list[dict[str, Any]]:
    """A label column and its `<name>_<tag>` twins, one per non-primary language (tabulate.table_columns)."""
    fields = [_field(name, "string", title, description.format(language=_language_name(pub.primary)))]
    for tag in pub.languages[1:]:
        fields.append(
            _field(
                f"{name}_{i18n.column_suffix(tag)}", "string", title, description.format(language=_language_name(tag))
            )
        )
    return fields


def _language_name(tag: str) -> str:
    """A language's name in the current language ('Chinese', 'English'), from Babel's locale data."""
    try:
        return i18n.babel_locale(tag).get_display_name(i18n.babel_locale(i18n.current())) or tag
    except Exception:
        return tag


def _microdata_schema(pub: Publication, population: str, header: list[str], relative: str) -> dict[str, Any]:
    codebook = pub.codebook
    fields = [
        _field(
            "respondent_id",
            "string",
            _("Respondent id"),
            _("An opaque random id that holds no personal information"),
            constraints={"required": True, "unique": True},
        )
    ]
    design = codebook.populations[population].design
    if design is not None:
        for column, type_, title, description in (
            (design.weight, "number", N_("Weight"), N_("Sample design: weight")),
            (design.strata, "string", N_("Stratum"), N_("Sample design: stratum")),
            (design.cluster, "string", N_("Cluster (PSU)"), N_("Sample design: cluster (PSU)")),
            (
                design.fpc if isinstance(design.fpc, str) else None,
                "number",
                N_("PSUs in the stratum's population"),
                N_("Sample design: PSUs in the stratum's population"),
            ),
        ):
            if column:
                fields.append(_field(column, type_, _(title), _(description)))
    for question in codebook.questions_of(population):
        fields.extend(_question_fields(pub, question))
    recodes = pub.release.of(population)
    if recodes is not None:
        fields = [field for field in fields if field["name"] not in recodes.drop]
        for field in fields:
            question = codebook.questions.get(field["name"])
            classes = recodes.classes(question) if question is not None and question.type != "multi" else None
            if classes and any(code != released for code, released in classes.items()):
                # A coarsened or top-coded column: each released code stands for the options released as it.
                labels: dict[int, list[str]] = {}
                for option in question.options:
                    labels.setdefault(classes[option.code], []).append(option.text(i18n.current()))
                field["categories"] = [{"value": code, "label": " / ".join(names)} for code, names in labels.items()]
                field["description"] += _(" / public-use: {codes}").format(
                    codes="; ".join(
                        f"{code} = {'+'.join(str(c) for c, r in classes.items() if r == code)}" for code in labels
                    )
                )
    expected = [field["name"] for field in fields]
    if header != expected:
        raise InputError(relative, f"the header {','.join(expected)}", row=1, value=",".join(header))
    return {
        "fields": fields,
        "missingValues": [
            {"value": "", "label": _("not asked (outside the question's universe)")},
            {"value": str(codebook.no_answer), "label": _("asked, no answer")},
        ],
        "primaryKey": ["respondent_id"],
    }


def _universe_text(pub: Publication, question: Question) -> str:
    if question.universe is None:
        return _("Asked of: every respondent.")
    language = i18n.current()
    target = pub.codebook.questions[question.universe.question]
    labels = _(", ").join(target.option(code).text(language) for code in question.universe.codes)
    if target.type == "multi":
        message = _('Asked of: respondents who ticked any of "{labels}" at {question} ({text}).')
    else:
        message = _('Asked of: respondents who answered "{labels}" to {question} ({text}).')
    return message.format(labels=labels, question=target.id, text=target.text.text(language))


def _numeric_field(pub: Publication, question: Question) -> dict[str, Any]:
    """A numeric question's raw value: a number in its declared range, and the bands the tables count it in."""
    rule = question.numeric
    bands = "; ".join(
        f"{band.code} = [{band.low}, {band.below if band.below is not None else str(rule.maximum) + ']'}"
        + (")" if band.below is not None else "")
        + f" {question.option(band.code).text(i18n.current())}"
        for band in rule.bands
    )
    about = _(
        "Numeric ({unit}), {minimum} to {maximum}, at most {decimals} decimals. {universe} {text}. "
        "Tabulated in bands: {bands}"
    ).format(
        unit=rule.unit.text(i18n.current()),
        minimum=rule.minimum,
        maximum=rule.maximum,
        decimals=rule.decimals,
        universe=_universe_text(pub, question),
        text=question.text.text(i18n.current()),
        bands=bands,
    )
    constraints = {"minimum": float(rule.minimum), "maximum": float(rule.maximum)}
    if question.whole_numbers:
        return _field(
            question.id,
            "integer",
            question.text.text(i18n.current()),
            about,
            constraints={k: int(v) for k, v in constraints.items()},
        )
    return _field(question.id, "number", question.text.text(i18n.current()), about, constraints=constraints)


def _question_fields(pub: Publication, question: Question) -> list[dict[str, Any]]:
    if question.numeric is not None:
        return [_numeric_field(pub, question)]
    language = i18n.current()
    kind = {
        "single": _("Single choice."),
        "scale": _("Scale (options in order)."),
        "multi": _("Multiple choice."),
    }[question.type]
    about = _("{kind} {universe}").format(kind=kind, universe=_universe_text(pub, question))
    text = question.text.text(language)
    if question.type != "multi":
        extra: dict[str, Any] = {
            "categories": [{"value": option.code, "label": option.text(language)} for option in question.options],
            "constraints": {"enum": list(question.codes)},
        }
        if question.type == "scale":
            extra["categoriesOrdered"] = True
        return [_field(question.id, "integer", text, about, **extra)]
    return [
        _field(
            f"{question.id}_{option.code}",
            "integer",
            _("{question}: {option}").format(question=text, option=option.text(language)),
            _("{about} 1 = ticked, 0 = not ticked.").format(about=about),
            categories=[{"value": 0, "label": _("not ticked")}, {"value": 1, "label": _("ticked")}],
            constraints={"enum": [0, 1]},
        )
        for option in question.options
    ]


def _indicator_schema(pub: Publication, indicator_id: str | None) -> dict[str, Any]:
    ids = [indicator_id] if indicator_id else [indicator.id for indicator in pub.indicators]
    populations = sorted({pub.indicator(one).population for one in ids})
    fields = [
        _field("indicator", "string", _("Indicator"), _("Indicator id, see indicators.yml"), constraints={"enum": ids}),
        _field("population", "string", _("Population"), _("Population id"), constraints={"enum": populations}),
        _field("breakdown", "string", _("Breakdown"), _("total for the whole population, else the breakdown question")),
        _field("group", "string", _("Group"), _("total for the whole population, else the breakdown option's code")),
        *_label_fields(pub, "group_label", _("Group label"), _("The group's label in {language}")),
        _field("category", "string", _("Category"), _("Option code or net code")),
        *_label_fields(pub, "category_label", _("Category label"), _("The category's label in {language}")),
        _field(
            "count",
            "integer",
            _("Count"),
            _("Respondents in the group choosing the category (unweighted); [c] when suppressed"),
            constraints={"minimum": 0},
        ),
        _field(
            "base",
            "integer",
            _("Base"),
            _("Respondents in the group who were asked and answered (unweighted)"),
            constraints={"minimum": 0},
        ),
        _percent_field(
            "percent",
            # A table of weighted populations only says so in its header (the workbook's too).
            _("Percent (weighted)") if all(_designed(pub, population) for population in populations) else _("Percent"),
            _("count ÷ base × 100, two decimals; the options of a multiple-choice question can add up past 100"),
        ),
        _percent_field("ci_low", _("{level} interval, lower bound"), _("Wilson score interval, in percent")),
        _percent_field("ci_high", _("{level} interval, upper bound"), _("Wilson score interval, in percent")),
        _field(
            "reliability",
            "string",
            _("Reliability"),
            _("low (flag [u]) when the base is under {low_base}, else normal").format(low_base=pub.disclosure.low_base),
            constraints={"required": True, "enum": ["normal", "low"]},
        ),
        _field(
            "suppression",
            "string",
            _("Suppression"),
            _(
                "none; primary: a cross-tabulation cell under {min_cell}; secondary: hidden too so that it cannot be "
                "worked out from the totals"
            ).format(min_cell=pub.disclosure.min_cell),
            constraints={"required": True, "enum": ["none", "primary", "secondary"]},
        ),
        _field("flags", "string", _("Flags"), _("[u] low reliability, [c] suppressed, separated by spaces")),
    ]
    if _weighted(pub):
        fields[fields.index(next(f for f in fields if f["name"] == "ci_high")) + 1 : 0] = _design_fields()
        interval = _(
            "With a declared design: the logit interval on the linearised standard error (t); else: {otherwise}"
        )
        weighted = {
            "percent": _("With a declared design: the weighted percent, sum(w*y) / sum(w) * 100; else: {otherwise}"),
            "ci_low": interval,
            "ci_high": interval,
        }
        for field in fields:
            if field["name"] in weighted:
                field["description"] = weighted[field["name"]].format(otherwise=field["description"])
    return {
        "fields": fields,
        "missingValues": _table_missing(),
        "primaryKey": ["indicator", "breakdown", "group", "category"],
    }


def _weighted(pub: Publication) -> bool:
    """Whether some population declares a sample design: its percents and intervals are weighted, design-based."""
    return any(_designed(pub, population) for population in pub.codebook.populations)


def _designed(pub: Publication, population: str) -> bool:
    return pub.codebook.populations[population].design is not None


def _design_fields() -> list[dict[str, Any]]:
    """The weighted table's extra columns; with a design, percent and interval are weighted and design-based."""
    return [
        _field(
            "se",
            "number",
            _("Standard error"),
            _("Of the weighted percent (Taylor), in points; empty for a population without a declared design"),
            constraints={"minimum": 0},
        ),
        _field(
            "deff",
            "number",
            _("Design effect"),
            _(
                "Design variance / variance of a simple random sample of the same n; empty for a population without "
                "a declared design"
            ),
            constraints={"minimum": 0},
        ),
        _field(
            "n_eff",
            "number",
            _("Effective sample size"),
            _("Base / design effect; empty for a population without a declared design"),
            constraints={"minimum": 0},
        ),
    ]


def _published_figures_schema(pub: Publication, header: list[str] | None = None) -> dict[str, Any]:
    fields = [
        _field(
            "figure_id", "string", _("Figure id"), _("The figure's id in this table"), constraints={"required": True}
        ),
        _field("section", "string", _("Report section"), _("Where in the report the figure appears")),
        _field("population", "string", _("Population"), _("Population id; several joined with + for a total")),
        _field("measure", "string", _("Measure"), _("What the figure measures")),
        _field("printed", "string", _("As printed"), _("Exactly as the report prints it")),
        _field("value", "number", _("Value"), _("The number in it"), constraints={"required": True}),
        _field(
            "unit",
            "string",
            _("Unit"),
            _("percent; count: respondents; base: the base of the indicator"),
            constraints={"required": True, "enum": ["percent", "count", "base"]},
        ),
        _field(
            "comparison",
            "string",
            _("Comparison"),
            _('equal; at_least: no less than (e.g. "over 70%"); about: roughly (e.g. "about 90%")'),
            constraints={"required": True, "enum": ["equal", "at_least", "about"]},
        ),
        _field("indicator", "string", _("Indicator"), _("The indicator id; several joined with + add their bases")),
        _field("category", "string", _("Category"), _("The option or net code")),
        _field("note", "string", _("Note"), _("Why the figure cannot be reproduced (written by hand)")),
    ]
    # Translations of the text columns into the other languages (section_en, measure_en, note_en), when the content
    # has them: each described as the column it translates.
    by_name = {field["name"]: field for field in fields}
    for column in (header or [])[len(fields) :]:
        source = by_name[column.split("_", 1)[0]]
        fields.append(_field(column, "string", source["title"], source["description"]))
    return {"fields": fields, "missingValues": [""], "primaryKey": ["figure_id"]}


def _reconciliation_schema(pub: Publication) -> dict[str, Any]:
    fields = [
        _field(
            "figure_id",
            "string",
            _("Figure id"),
            _("As in the table of printed figures"),
            constraints={"required": True},
        ),
        _field("section", "string", _("Report section"), _("Where in the report the figure appears")),
        _field("population", "string", _("Population"), _("Population id(s)")),
        _field("measure", "string", _("Measure"), _("What the figure measures")),
        _field("printed", "string", _("As printed"), _("Exactly as the report prints it")),
        _field("published", "number", _("Printed value"), _("The value in the report")),
        _field("recomputed", "number", _("Recomputed"), _("The value recomputed from the microdata")),
        _field("count", "integer", _("Count"), _("The count used")),
        _field("base", "integer", _("Base"), _("The base used")),
        _field("difference", "number", _("Difference"), _("Recomputed minus printed")),
        _field(
            "status",
            "string",
            _("Check result"),
            _(
                "reproduced; ambiguous_base: only fits other bases; not_reproducible: no whole count of "
                "respondents gives it"
            ),
            constraints={"required": True, "enum": ["reproduced", "ambiguous_base", "not_reproducible"]},
        ),
        _field("candidates", "string", _("Possible bases"), _("Bases that give the printed value, comma-separated")),
        _field(
            "candidate_count",
            "integer",
            _("Bases that fit"),
            _("How many bases up to the population size give the printed value; candidates lists the smallest ten"),
        ),
        *_label_fields(pub, "reason", _("Reason"), _("Why the result is what it is, in {language}")),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["figure_id"]}


def _disclosure_schema() -> dict[str, Any]:
    fields = [
        _field("file", "string", _("File"), _("A published microdata file"), constraints={"required": True}),
        _field(
            "quasi_identifiers",
            "string",
            _("Quasi-identifiers"),
            _("Questions that could help identify a person, separated by spaces"),
        ),
        _field("records", "integer", _("Records"), _("Records in the file"), constraints={"minimum": 0}),
        _field("k", "integer", _("Smallest group k"), _("Records in the smallest group over the quasi-identifiers")),
        _field("sample_uniques", "integer", _("Sample uniques"), _("Records unique over the quasi-identifiers")),
        _field("min_k", "integer", _("Minimum k"), _("The smallest k the release allows")),
        _field(
            "status",
            "string",
            _("Result"),
            _("ok: k is at least the minimum; fail: under it"),
            constraints={"required": True, "enum": ["ok", "fail"]},
        ),
        _field("smallest_combination", "string", _("Smallest combination"), _("The combination with fewest records")),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["file"]}


SUMMARIES = layout.SUMMARIES


def _summaries_schema() -> dict[str, Any]:
    """The summary table's columns (tabulate.SUMMARY_COLUMNS)."""
    fields = [
        _field("question", "string", _("Question"), _("Id of the numeric question in the codebook")),
        _field("population", "string", _("Population"), _("Population the question was asked of")),
        _field("statistic", "string", _("Statistic"), _("mean or median"), constraints={"enum": ["mean", "median"]}),
        _field("value", "number", _("Value"), _("The statistic, in the question's unit")),
        _field(
            "ci_low",
            "number",
            _("Interval, lower end"),
            _("Lower end of the 95 percent interval (empty if n is too small)"),
        ),
        _field(
            "ci_high",
            "number",
            _("Interval, upper end"),
            _("Upper end of the 95 percent interval (empty if n is too small)"),
        ),
        _field("n", "integer", _("Answers"), _("Respondents who gave a value (not asked and no answer excluded)")),
        _field("unit", "string", _("Unit"), _("The unit of the raw values")),
        _field("interval", "string", _("Interval method"), _("t, or binomial order statistics")),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["question", "statistic"]}
