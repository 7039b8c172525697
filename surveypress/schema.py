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
    title: Texts


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
    id: Id
    population: Id
    type: Literal["single", "scale", "multi", "numeric"] = "single"
    text: Texts
    options: list[Option] | None = Field(None, min_length=2, description="single, scale and multi questions")
    universe: Universe | None = Field(None, description="Who was asked; null for everyone in the population")
    unit: Texts | None = Field(None, description="numeric questions: the unit of the raw value")
    range: tuple[float, float] | None = Field(None, description="numeric questions: smallest and largest value")
    decimals: int | None = Field(None, ge=0, le=9, description="numeric questions: decimals a value may have")
    bands: list[Band] | None = Field(None, min_length=2, description="numeric questions: the bands tables count")


class Codebook(_Open):
    """codebook.yml: questions, options, universes and the missing-value code."""

    missing: Missing
    populations: dict[str, PopulationEntry]
    questions: list[Question] = Field(min_length=1)


# --- indicators.yml -----------------------------------------------------------------------------------------------


class Net(_Labelled):
    code: Annotated[str | int, Field(description="The net's code, unlike any option code")]
    codes: list[int] = Field(min_length=1, description="The options it combines")


class Indicator(_Open):
    id: Id
    question: Id
    title: Texts
    nets: list[Net] | None = None
    breakdowns: list[Id] | None = Field(None, description="Overrides the population's default; [] for none")


class Indicators(_Open):
    """indicators.yml: which questions are tabulated, nets, breakdowns."""

    breakdowns: dict[str, list[Id]] | None = Field(None, description="Default breakdowns per population")
    indicators: list[Indicator] = Field(min_length=1)


# --- charts.yml ---------------------------------------------------------------------------------------------------


class Series(_Open):
    indicator: Id
    categories: list[int | str] | None = Field(None, description="Codes or net codes; omitted = every option")
    label: TextOrTexts | None = None


class Chart(_Open):
    id: Id
    page: str = Field(description="The page (a template path without .md.j2) that shows it first")
    kind: Literal["bars", "compare", "breakdown"] = "bars"
    breakdown: Id | None = Field(None, description="breakdown charts: one of the indicator's breakdowns")
    series: list[Series] = Field(min_length=1)
    title: TextOrTexts = Field(description="A Jinja2 template stating the chart's message")
    sort: Literal["descending", "none"] = "descending"
    note: TextOrTexts | None = None


class Charts(_Open):
    """charts.yml: the charts each page shows and the source line under them."""

    source: TextOrTexts | None = Field(None, description="Jinja2 template (with `meta`) of the line under every chart")
    charts: list[Chart] = Field(min_length=1)


# --- changelog.yml ------------------------------------------------------------------------------------------------


class Version(_Open):
    version: Text
    date: Annotated[str, Field(description="YYYY-MM-DD")]
    changes: list[Texts] = Field(min_length=1)


class Changelog(RootModel[list[Version]]):
    """changelog.yml: versions and what changed, newest first."""

    root: list[Version] = Field(min_length=1)


# --- publication.yml ----------------------------------------------------------------------------------------------


class Source(_Model):
    path: Text
    sheet: Text | None = None
    answers: Literal["codes", "text"] = "codes"
    multi_separator: Text | None = None


class Design(_Model):
    weight: Text
    strata: Text | None = None
    cluster: Text | None = None
    fpc: Text | float | None = None


class PublicUse(_Open):
    drop: list[str] | None = None
    coarsen: dict[str, list[list[int]]] | None = None
    top_code: dict[str, int] | None = None


class Disclosure(_Open):
    low_base: Code | None = Field(None, description="A base under this is flagged [u] (default 30)")
    min_cell: Code | None = Field(None, description="Cross-tabulation cells under this are suppressed (default 5)")
    min_k: Code | None = Field(None, description="Smallest group over the quasi-identifiers (default 3)")
    quasi_identifiers: dict[str, list[Id]] | None = None


class Page(_Model):
    page: Text
    title: TextOrTexts | None = None


class Section(_Model):
    section: TextOrTexts
    pages: list[Page | Section]


class Publication(_Open):
    """publication.yml: metadata, languages, files, design, release and disclosure settings."""

    name: Annotated[str, Field(pattern=PACKAGE_NAME.pattern)]
    version: Annotated[str, Field(pattern=VERSION.pattern, description='Quoted text, e.g. "1.0.0"')]
    title: TextOrTexts
    description: TextOrTexts | None = None
    languages: list[Annotated[str, Field(pattern=LANGUAGE_TAG.pattern)]] | None = Field(
        None, min_length=1, description="BCP 47 tags, the primary first"
    )
    language: Annotated[str, Field(pattern=LANGUAGE_TAG.pattern)] | None = Field(None, description="Older: one tag")
    short_title: TextOrTexts | None = None
    short_description: TextOrTexts | None = None
    keywords: list[str] | None = None
    navigation: list[Page | Section] | None = None
    contact: TextOrTexts | None = None
    next_release: TextOrTexts | None = None
    site_url: str | None = None
    date: str | None = Field(None, description="YYYY-MM-DD; else the newest changelog date")
    synthetic: bool | None = None
    licenses: list[dict[str, Any]] | None = None
    sources: list[dict[str, Any]] | None = None
    contributors: list[dict[str, Any]] | None = None
    microdata: dict[str, Text | Source] = Field(description="Per population: a path from the project folder")
    design: dict[str, Design] | None = None
    release: Literal[RELEASES] | None = None  # type: ignore[valid-type]
    public_use: dict[str, PublicUse | None] | None = None
    legal_basis: Text | None = None
    limits: dict[str, float] | None = None
    disclosure: Disclosure | None = None


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
