"""JSON Schemas of the content files, generated from pydantic models of their shape, for editors.

An editor that knows JSON Schema (through the YAML language server: VS Code's YAML extension, JetBrains IDEs, Neovim)
completes keys and flags a wrong type in `codebook.yml` as it is typed, given the first line

    # yaml-language-server: $schema=https://<site>/schemas/codebook.schema.json

The models below describe each file's keys and types, and are written from spec.py's readers (and chart.py's for
charts.yml), which stay the judge: a build checks everything again and its `InputError` messages are the source of
truth. A schema therefore never refuses what the engine accepts; it may accept what the engine then refuses (a cycle
of universes, a band gap, an unknown question id), because those rules need the whole publication.

Why pydantic: its `model_json_schema()` writes draft 2020-12 schemas from typed models, so the schema is the model
and not a second hand-written document. The schemas are committed in `surveypress/theme/schemas/` (package data;
the MkDocs plugin serves the theme folder, so every site offers them at `schemas/<file>.schema.json`), and
tests/test_schema.py checks that they equal what `python -m surveypress.schema` writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from surveypress import formats
from surveypress.spec import DESIGN_KEYS, ID_PATTERN, LANGUAGE_TAG, PACKAGE_NAME, RELEASES, SOURCE_KEYS, VERSION

SCHEMA_DIR = Path(__file__).resolve().parent / "theme" / "schemas"
SCHEMA_URL = "schemas/{name}.schema.json"  # relative to a published site's root

Id = Annotated[str, Field(pattern=ID_PATTERN.pattern, description="lower_snake_case")]
Code = Annotated[int, Field(ge=1, description="a positive whole number")]
Text = Annotated[str, Field(min_length=1)]
Texts = Annotated[
    dict[str, Text],
    Field(
        description="Text per language: keys are BCP 47 tags of publication.yml `languages` (or their primary "
        "subtag, `zh` for zh-Hans), one non-empty text for each declared language",
        min_length=1,
    ),
]
TextOrTexts = Annotated[Text | Texts, Field(description="One text, or a text per language")]


class _Model(BaseModel):
    """A mapping that may hold only the keys declared (the engine refuses others where it checks keys)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Open(BaseModel):
    """A mapping with the keys declared and others the engine ignores."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Labelled(BaseModel):
    """An entry with a code and its label in each language as keys beside it (`{code: 1, zh: ..., en: ...}`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    __pydantic_extra__: dict[str, Text]


# --- codebook.yml -------------------------------------------------------------------------------------------------


class Missing(_Open):
    no_answer: int = Field(description="The code of an asked question left unanswered (an empty cell: not asked)")


class PopulationEntry(_Open):
    title: Texts = Field(description="The population's name, per language (residents, enterprises)")


class Universe(_Model):
    question: Id = Field(description="A question of the same population")
    codes: list[int] = Field(min_length=1, description="Its codes: the respondents whose answer is one of them")


class Option(_Labelled):
    code: Code


class Band(_Labelled):
    code: Code
    from_: float = Field(alias="from", description="Smallest value of the band, included")
    below: float | None = Field(None, description="The next band's start, excluded; none in the last band")


class Question(_Open):
    id: Id = Field(description="lower_snake_case, unique across the codebook; names the microdata column(s)")
    population: Id = Field(description="The population (a key of `populations`) that was asked")
    type: Literal["single", "scale", "multi", "numeric"] = Field(
        "single",
        description="single: one option; scale: one option of an ordered scale; multi: any options, a 0/1 column "
        "each; numeric: a raw number, counted in its bands",
    )
    text: Texts = Field(description="The question's wording, per language")
    options: list[Option] | None = Field(None, min_length=2, description="single, scale and multi questions")
    universe: Universe | None = Field(None, description="Who was asked; null for everyone in the population")
    unit: Texts | None = Field(None, description="numeric questions: the unit of the raw value")
    range: tuple[float, float] | None = Field(None, description="numeric questions: smallest and largest value")
    decimals: int | None = Field(None, ge=0, le=9, description="numeric questions: decimals a value may have")
    bands: list[Band] | None = Field(None, min_length=2, description="numeric questions: the bands tables count")


class Codebook(_Open):
    """codebook.yml: questions, options, universes and the missing-value code."""

    missing: Missing = Field(description="The missing-value codes")
    populations: dict[str, PopulationEntry] = Field(
        description="Each population (one microdata file) by its id, with its title"
    )
    questions: list[Question] = Field(min_length=1, description="Every question, in the microdata's column order")


# --- indicators.yml -----------------------------------------------------------------------------------------------


class Net(_Labelled):
    code: Annotated[str | int, Field(description="The net's code, unlike any option code")]
    codes: list[int] = Field(min_length=1, description="The options it combines")


class Indicator(_Open):
    id: Id = Field(description="Usually the question id; unique; names datasets/indicators/<id>.csv")
    question: Id = Field(description="The codebook question it tabulates")
    title: Texts = Field(description="The indicator's title, per language")
    nets: list[Net] | None = Field(None, description="Combined categories, each a percent of the same base")
    breakdowns: list[Id] | None = Field(None, description="Overrides the population's default; [] for none")


class Indicators(_Open):
    """indicators.yml: which questions are tabulated, nets, breakdowns."""

    breakdowns: dict[str, list[Id]] | None = Field(None, description="Default breakdowns per population")
    indicators: list[Indicator] = Field(min_length=1, description="Every indicator, in the tables' order")


# --- charts.yml ---------------------------------------------------------------------------------------------------


class Series(_Open):
    indicator: Id = Field(description="An indicator of indicators.yml")
    categories: list[int | str] | None = Field(None, description="Codes or net codes; omitted = every option")
    label: TextOrTexts | None = Field(
        None, description="The series' name on the chart (default: its population's title)"
    )


class Chart(_Open):
    id: Id = Field(description="Unique; names the chart's files and `chart(id)` in templates")
    page: str = Field(description="The page (a template path without .md.j2) that shows it first")
    kind: Literal["bars", "compare", "breakdown"] = Field("bars", description="How it is drawn (see the chart kinds)")
    breakdown: Id | None = Field(None, description="breakdown charts: one of the indicator's breakdowns")
    series: list[Series] = Field(min_length=1, description="What is drawn: an indicator and its categories each")
    title: TextOrTexts = Field(description="A Jinja2 template stating the chart's message")
    sort: Literal["descending", "none"] = Field(
        "descending", description="descending: largest value first; none: in the codebook's order"
    )
    note: TextOrTexts | None = Field(None, description="A Jinja2 template of a note under the chart")


class Charts(_Open):
    """charts.yml: the charts each page shows and the source line under them."""

    source: TextOrTexts | None = Field(None, description="Jinja2 template (with `meta`) of the line under every chart")
    charts: list[Chart] = Field(min_length=1, description="Every chart")


# --- changelog.yml ------------------------------------------------------------------------------------------------


class Version(_Open):
    version: Text = Field(description="Semantic version; the newest entry's equals publication.yml `version`")
    date: Annotated[str, Field(description="YYYY-MM-DD")]
    changes: list[Texts] = Field(min_length=1, description="What changed, one text per language each")


class Changelog(RootModel[list[Version]]):
    """changelog.yml: versions and what changed, newest first."""

    root: list[Version] = Field(min_length=1, description="Versions, newest first")


# --- publication.yml ----------------------------------------------------------------------------------------------


class Source(_Model):
    path: Text = Field(
        description="The file, from the project folder: " + " ".join(formats.extensions(lambda item: item.build))
    )
    sheet: Text | None = Field(None, description="Workbooks: which sheet (required when there are several)")
    answers: Literal["codes", "text"] = Field(
        "codes", description="codes: cells hold option codes; text: cells hold option labels"
    )
    multi_separator: Text | None = Field(
        None, description="Each multi question is one column holding the chosen options joined by this"
    )


class Design(_Model):
    weight: Text = Field(description="The column of respondent weights")
    strata: Text | None = Field(None, description="The stratum column")
    cluster: Text | None = Field(None, description="The primary sampling unit (cluster) column, nested in strata")
    fpc: Text | float | None = Field(
        None, description="A column holding the stratum's number of PSUs in the population, or that number"
    )


class PublicUse(_Open):
    drop: list[str] | None = Field(None, description="Columns left out of the released file")
    coarsen: dict[str, list[list[int]]] | None = Field(
        None, description="Per single/scale question: groups of codes released as one (the first code stands for all)"
    )
    top_code: dict[str, int] | None = Field(
        None, description="Per single/scale question: codes above this one released as it"
    )


class Disclosure(_Open):
    low_base: Code | None = Field(None, description="A base under this is flagged [u] (default 30)")
    min_cell: Code | None = Field(None, description="Cross-tabulation cells under this are suppressed (default 5)")
    min_k: Code | None = Field(None, description="Smallest group over the quasi-identifiers (default 3)")
    quasi_identifiers: dict[str, list[Id]] | None = Field(
        None, description="Per population: the questions that together could identify a respondent (k-anonymity)"
    )


class Page(_Model):
    page: Text = Field(description="A page's template path under templates/, without .md.j2")
    title: TextOrTexts | None = Field(None, description="Its title in the menu (default: its first heading)")


class Section(_Model):
    section: TextOrTexts = Field(description="The section's title in the menu")
    pages: list[Page | Section] = Field(description="Its pages and sections, in order")


class Publication(_Open):
    """publication.yml: metadata, languages, files, design, release and disclosure settings."""

    name: Annotated[str, Field(pattern=PACKAGE_NAME.pattern)] = Field(
        description="The data package's name; with the version, it names the download archive"
    )
    version: Annotated[str, Field(pattern=VERSION.pattern, description='Quoted text, e.g. "1.0.0"')]
    title: TextOrTexts = Field(description="The publication's title")
    description: TextOrTexts | None = Field(None, description="What the publication holds (data package, site)")
    languages: list[Annotated[str, Field(pattern=LANGUAGE_TAG.pattern)]] | None = Field(
        None, min_length=1, description="BCP 47 tags, the primary first"
    )
    language: Annotated[str, Field(pattern=LANGUAGE_TAG.pattern)] | None = Field(None, description="Older: one tag")
    short_title: TextOrTexts | None = Field(None, description="The site's name (default: title)")
    short_description: TextOrTexts | None = Field(None, description="The site's description (default: description)")
    keywords: list[str] | None = Field(None, description="Keywords of the data package")
    navigation: list[Page | Section] | None = Field(
        None, description="The site menu (default: every page in template order, titled by its first heading)"
    )
    contact: TextOrTexts | None = Field(None, description="Whom to ask (front page's release box, workbook cover)")
    next_release: TextOrTexts | None = Field(
        None, description="When the next release is due (front page's release box, workbook cover)"
    )
    site_url: str | None = Field(
        None, description="Where the site is published: canonical links, sitemap, Open Graph, the 404 page"
    )
    temporal_coverage: str | None = Field(
        None, description='The period the survey describes, ISO 8601: "2022", or "2022-03-01/2022-05-31"'
    )
    spatial_coverage: TextOrTexts | None = Field(None, description="The place the survey describes")
    date: str | None = Field(None, description="YYYY-MM-DD; else the newest changelog date")
    synthetic: bool | None = Field(None, description="True when the microdata is synthetic: every page says so")
    licenses: list[dict[str, Any]] | None = Field(None, description="Frictionless licences: name, title, path")
    sources: list[dict[str, Any]] | None = Field(None, description="Frictionless sources: title, path, ...")
    contributors: list[dict[str, Any]] | None = Field(None, description="Frictionless contributors: title, roles")
    microdata: dict[str, Text | Source] = Field(description="Per population: a path from the project folder")
    design: dict[str, Design] | None = Field(None, description="Per population: its sample design (weighted tables)")
    release: Literal[RELEASES] | None = Field(  # type: ignore[valid-type]
        None, description="Which microdata is released: none, public-use (recoded) or full"
    )
    public_use: dict[str, PublicUse | None] | None = Field(
        None, description="release public-use, per population: its recodes (null: released unchanged)"
    )
    legal_basis: Text | None = Field(None, description="The law or licence under which full microdata may be released")
    limits: dict[str, float] | None = Field(
        None, description="max_file_mb: a larger input file is refused (default 2048)"
    )
    disclosure: Disclosure | None = Field(None, description="Thresholds of reliability, suppression and k-anonymity")


# Which keys the engine checks strictly must match what the models forbid (a drift here is a test failure).
STRICT_KEYS = {"Source": SOURCE_KEYS, "Design": DESIGN_KEYS}

MODELS: dict[str, type[BaseModel]] = {
    "publication": Publication,
    "codebook": Codebook,
    "indicators": Indicators,
    "charts": Charts,
    "changelog": Changelog,
}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one content file (`codebook` for codebook.yml), as committed."""
    generated = MODELS[name].model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **generated}


def schema_text(name: str) -> str:
    return json.dumps(schema(name), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in MODELS:
        path = folder / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8", newline="\n")
        written.append(path)
    return written


if __name__ == "__main__":  # python -m surveypress.schema: regenerate the committed schemas
    for path in write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(path)
