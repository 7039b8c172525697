"""Reads a publication's content folder into typed, checked objects: `load_publication`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from surveypress import i18n, layout
from surveypress.address import site_address
from surveypress.content.codebook import (
    Codebook,
    Population,
    is_code,
    is_number,
    load_codebook,
    require_mapping,
)
from surveypress.content.indicators import load_indicators
from surveypress.content.labels import refuse_undeclared_languages_within
from surveypress.content.meta import DESIGN_KEYS, RELEASES, Design
from surveypress.content.meta import Publication as PublicationFile
from surveypress.content.names import ID_PATTERN, LANGUAGE_TAG, PACKAGE_NAME, VERSION, is_name, require_name
from surveypress.content.paths import refuse_links_out_of
from surveypress.content.publication import (
    OPTIONAL_DOCUMENTS,
    PUBLISHED_FIGURES,
    Disclosure,
    Publication,
    Recodes,
    Release,
)
from surveypress.content.validation import refuse_unknown_keys
from surveypress.content.yaml import line_of, read_yaml
from surveypress.errors import InputError
from surveypress.languages import DEFAULT_LANGUAGES


def _setting(settings: dict, key: str, default: int, source: Path) -> int:
    value = settings.get(key, default)
    if not is_code(value) or value < 1:
        raise InputError(
            source, "a positive whole number", row=line_of(settings, key), column=f"disclosure.{key}", value=value
        )
    return value


def _check_name_and_version(meta: dict, source: Path) -> None:
    """`name` and `version` become file names (the download archive) and package identifiers: keep them plain."""
    require_name(
        meta.get("name"),
        source,
        "a package name of lower-case letters, digits and . _ - (e.g. city-survey-2022)",
        row=line_of(meta, "name"),
        column="name",
        shape=PACKAGE_NAME,
    )
    version = meta.get("version")
    require_name(
        version,
        source,
        "a version such as 1.0.0, written as text",
        row=line_of(meta, "version"),
        column="version",
        shape=VERSION,
        hint="Quote a version YAML would read as a number" if isinstance(version, int | float) else "",
    )


def _check_site_url(meta: dict, source: Path) -> None:
    """`site_url`, when given, is the site's published address: canonical links and the sitemap are built on it."""
    url = meta.get("site_url")
    if url is None:
        return
    try:
        site_address(url)
    except ValueError:
        raise InputError(
            source,
            "the site's published address: an absolute http(s) URL without quotes, angle brackets, spaces, "
            "backslashes, control characters, query or fragment, e.g. https://data.example.org/survey/",
            row=line_of(meta, "site_url"),
            column="site_url",
            value=url,
        ) from None


def load_publication(content_dir: Path, project_root: Path | None = None) -> Publication:
    """Reads the whole content folder. `project_root` defaults to the folder above it."""
    content_dir = Path(content_dir).resolve()
    project_root = Path(project_root).resolve() if project_root else content_dir.parent
    refuse_links_out_of(content_dir)
    meta_path = content_dir / "publication.yml"
    meta = require_mapping(read_yaml(meta_path), meta_path, "(top level)")
    _check_name_and_version(meta, meta_path)
    _check_site_url(meta, meta_path)
    languages = _languages(meta, meta_path)
    refuse_undeclared_languages_within(meta, meta_path, languages)
    _refuse_undeclared_template_folders(content_dir / "templates", languages)
    return _load_content(content_dir, project_root, meta, meta_path, languages)


def _refuse_undeclared_template_folders(templates: Path, languages: tuple[str, ...]) -> None:
    """A folder of templates named as a language the engine speaks (`templates/fr/`) that publication.yml does not
    declare is refused: it would not be that language's edition, only pages of the primary one under fr/, in a
    language the site does not say. Other folders (`templates/findings/`) are pages of the primary language."""
    if not templates.is_dir():
        return
    for folder in sorted(path for path in templates.iterdir() if path.is_dir()):
        if folder.name not in languages and i18n.catalogue_folder(folder.name) is not None:
            raise InputError(
                folder,
                f"page templates of a declared language ({', '.join(languages)})",
                column="languages",
                value=folder.name,
                hint=f"Add {folder.name} to languages in publication.yml for an edition in it, or remove the folder",
            )


def _languages(meta: dict, source: Path) -> tuple[str, ...]:
    """`languages: [zh-Hans, en]`: BCP 47 tags, the first primary. The old `language: zh-Hans` still reads."""
    declared = meta.get("languages")
    if declared is None and isinstance(meta.get("language"), str):
        declared = [meta["language"]]
    if declared is None:
        # Content written before languages were declared: Chinese, with English labels beside it.
        declared = list(DEFAULT_LANGUAGES)
    if (
        not isinstance(declared, list)
        or not declared
        or not all(is_name(tag, LANGUAGE_TAG) for tag in declared)
        or len({tag.lower() for tag in declared}) != len(declared)
    ):
        raise InputError(
            source,
            "a list of distinct BCP 47 language tags, the primary first (e.g. [zh-Hans, en])",
            row=line_of(meta, "languages"),
            column="languages",
            value=declared,
        )
    for tag in declared:
        if i18n.catalogue_folder(tag) is None:
            raise InputError(
                source,
                f"languages the engine has a message catalogue for ({', '.join(i18n.available())})",
                row=line_of(meta, "languages"),
                column="languages",
                value=tag,
                hint="Adding a language is adding a catalogue under surveypress/locale/ (see surveypress/i18n.py)",
            )
    return tuple(declared)


def _load_content(
    content_dir: Path, project_root: Path, meta: dict, meta_path: Path, languages: tuple[str, ...]
) -> Publication:
    microdata = require_mapping(meta.get("microdata"), meta_path, "microdata", line_of(meta, "microdata"))
    settings = require_mapping(meta.get("disclosure") or {}, meta_path, "disclosure", line_of(meta, "disclosure"))
    qi = require_mapping(
        settings.get("quasi_identifiers") or {},
        meta_path,
        "disclosure.quasi_identifiers",
        line_of(settings, "quasi_identifiers"),
    )
    codebook = load_codebook(content_dir / "codebook.yml", project_root, microdata, qi, languages)
    for pop_id, columns in qi.items():
        for column in columns:
            question = codebook.questions.get(column)
            if question is None or question.population != pop_id:
                raise InputError(
                    meta_path,
                    f"a question of population '{pop_id}'",
                    row=line_of(qi, pop_id),
                    column="disclosure.quasi_identifiers",
                    value=column,
                )
    disclosure = Disclosure(
        low_base=_setting(settings, "low_base", 30, meta_path),
        min_cell=_setting(settings, "min_cell", 5, meta_path),
        min_k=_setting(settings, "min_k", 3, meta_path),
    )
    codebook = _with_designs(meta, meta_path, codebook)
    indicators = load_indicators(content_dir / "indicators.yml", codebook, languages)
    return Publication(
        content_dir=content_dir,
        project_root=project_root,
        meta=PublicationFile.of(meta),
        codebook=codebook,
        indicators=indicators,
        disclosure=disclosure,
        languages=languages,
        release=load_release(meta, meta_path, codebook, project_root),
        documents={name: read_yaml(content_dir / name) for name in OPTIONAL_DOCUMENTS if (content_dir / name).exists()},
        figures_text=read_figures_text(content_dir / PUBLISHED_FIGURES),
    )


def read_figures_text(path: Path) -> str | None:
    """published_figures.csv as text, or None when the content folder has none (reconcile then says it is needed)."""
    if not path.is_file():
        return None
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, "UTF-8 text", value=f"byte {error.start}", hint="Save the file as UTF-8") from None


def _with_designs(meta: dict, source: Path, codebook: Codebook) -> Codebook:
    """The codebook with each population's sample design from publication.yml `design` (see `Design`)."""
    designs = require_mapping(meta.get("design") or {}, source, "design", line_of(meta, "design"))
    populations = dict(codebook.populations)
    for pop_id, entry in designs.items():
        where = f"design.{pop_id}"
        row = line_of(designs, pop_id)
        if pop_id not in populations:
            raise InputError(
                source, f"one of the populations {sorted(populations)}", row=row, column="design", value=pop_id
            )
        entry = require_mapping(entry, source, where, row)
        refuse_unknown_keys(entry, DESIGN_KEYS, source, where)
        taken = {"respondent_id": "the id column", **{c: "a question" for c in codebook.question_columns_of(pop_id)}}
        names: dict[str, str | None] = {}
        for key in DESIGN_KEYS:
            value = entry.get(key)
            if value is None or (key == "fpc" and is_number(value)):
                continue
            if not is_name(value, ID_PATTERN) or value in taken:
                expected = "a lower_snake_case column name"
                if isinstance(value, str) and value in taken:
                    expected = f"a column name not used by {taken[value]}"
                raise InputError(source, expected, row=line_of(entry, key), column=f"{where}.{key}", value=value)
            taken[value] = f"design.{pop_id}.{key}"
            names[key] = value
        if "weight" not in names:
            raise InputError(
                source,
                "the name of the weight column",
                row=row,
                column=f"{where}.weight",
                hint="A design needs weights; for an equal-probability sample, add a column of 1s",
            )
        fpc = entry.get("fpc")
        if is_number(fpc) and (fpc <= 0 or names.get("strata")):
            raise InputError(
                source,
                "a population size column (one size per stratum) or, without strata, a positive number",
                row=line_of(entry, "fpc"),
                column=f"{where}.fpc",
                value=fpc,
            )
        design = Design(weight=names["weight"], strata=names.get("strata"), cluster=names.get("cluster"), fpc=fpc)
        populations[pop_id] = replace(populations[pop_id], design=design)
    return replace(codebook, populations=populations)


def load_release(meta: dict, source: Path, codebook: Codebook, project_root: Path) -> Release:
    """publication.yml `release` and `public_use` recodes. Without the key, a synthetic publication or one stating a
    legal basis releases its microdata in full (as before the key existed); any other releases none."""
    legal = bool(meta.get("synthetic")) or bool(str(meta.get("legal_basis") or "").strip())
    policy = meta.get("release", "full" if legal else "none")
    if policy not in RELEASES:
        raise InputError(
            source, f"one of {', '.join(RELEASES)}", row=line_of(meta, "release"), column="release", value=policy
        )
    legal_basis = str(meta.get("legal_basis") or "").strip()
    if policy == "full" and not meta.get("synthetic") and not legal_basis:
        raise InputError(
            source,
            "release: full only for a publication declared synthetic: true or stating a legal_basis",
            row=line_of(meta, "release"),
            column="release",
            value=policy,
            hint="Release full microdata only where the law allows it; otherwise use public-use or none",
        )
    raw = meta.get("public_use") or {}
    if raw and policy != "public-use":
        raise InputError(
            source,
            "public_use recodes only with release: public-use",
            row=line_of(meta, "public_use"),
            column="public_use",
            value=policy,
        )
    recodes = []
    if policy == "public-use":
        raw = require_mapping(raw, source, "public_use", line_of(meta, "public_use"))
        unknown = [pop_id for pop_id in raw if pop_id not in codebook.populations]
        if unknown:
            raise InputError(
                source,
                f"one of the populations {sorted(codebook.populations)}",
                row=line_of(raw, unknown[0]),
                column="public_use",
                value=unknown[0],
            )
        for pop_id, population in codebook.populations.items():
            entry = require_mapping(raw.get(pop_id) or {}, source, f"public_use.{pop_id}", line_of(raw, pop_id))
            recodes.append((pop_id, _recodes(entry, source, codebook, population, project_root)))
    return Release(policy=policy, recodes=tuple(recodes), legal_basis=legal_basis)


def _recodes(entry: dict, source: Path, codebook: Codebook, population: Population, project_root: Path) -> Recodes:
    where = f"public_use.{population.id}"
    columns = set(codebook.columns_of(population.id))
    drop = entry.get("drop") or []
    for column in drop if isinstance(drop, list) else [drop]:
        if column not in columns or column == "respondent_id":
            raise InputError(
                source,
                f"a microdata column of population '{population.id}' other than respondent_id",
                row=line_of(entry, "drop"),
                column=f"{where}.drop",
                value=column,
            )
    coarsen = []
    for column, groups in require_mapping(entry.get("coarsen") or {}, source, f"{where}.coarsen").items():
        question = codebook.questions.get(column)
        valid = (
            question is not None
            and question.population == population.id
            and question.type != "multi"
            and isinstance(groups, list)
            and all(isinstance(g, list) and g for g in groups)
            and all(code in question.codes for group in groups for code in group)
        )
        if not valid:
            raise InputError(
                source,
                "a single-choice question of the population and a list of groups of its codes",
                row=line_of(entry, "coarsen"),
                column=f"{where}.coarsen",
                value=column,
            )
        coarsen.append((column, tuple(tuple(group) for group in groups)))
    top_code = []
    for column, highest in require_mapping(entry.get("top_code") or {}, source, f"{where}.top_code").items():
        question = codebook.questions.get(column)
        if (
            question is None
            or question.population != population.id
            or question.type == "multi"
            or (highest not in question.codes)
        ):
            raise InputError(
                source,
                "a single-choice question of the population and one of its codes",
                row=line_of(entry, "top_code"),
                column=f"{where}.top_code",
                value=f"{column}: {highest}",
            )
        top_code.append((column, highest))
    return Recodes(
        file=layout.public_use_file(population.id, population.microdata),
        drop=tuple(drop if isinstance(drop, list) else [drop]),
        coarsen=tuple(coarsen),
        top_code=tuple(top_code),
    )


# What a released file lets a reader count back: one rule, applied before any work on the content alone
# (`check_release`: any cross-tabulation cell may turn out small) and after protect on the cells it hid
