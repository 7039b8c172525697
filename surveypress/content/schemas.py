"""JSON Schemas of the content files, generated from pydantic models of their shape, for editors.

An editor that knows JSON Schema (through the YAML language server: VS Code's YAML extension, JetBrains IDEs, Neovim)
completes keys and flags a wrong type in `codebook.yml` as it is typed, given the first line

    # yaml-language-server: $schema=https://<site>/schemas/codebook.schema.json

The models below describe each file's keys and types, and are written from the content package's readers (and
chart.py's for charts.yml), which stay the judge: a build checks everything again and its `InputError` messages are
the source of truth. A schema therefore never refuses what the engine accepts; it may accept what the engine then
refuses (a cycle of universes, a band gap, an unknown question id), because those rules need the whole publication.

Why pydantic: its `model_json_schema()` writes draft 2020-12 schemas from typed models, so the schema is the model
and not a second hand-written document. The schemas are committed in `surveypress/theme/schemas/` (package data;
the MkDocs plugin serves the theme folder, so every site offers them at `schemas/<file>.schema.json`), and
tests/test_schema.py checks that they equal what `python -m surveypress.content.schemas` writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, RootModel

from surveypress.content.meta import DESIGN_KEYS, SOURCE_KEYS, Design, Publication, Source
from surveypress.content.models import Closed, Code, Id, Labelled, Open, Text, TextOrTexts, Texts

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "theme" / "schemas"
SCHEMA_URL = "schemas/{name}.schema.json"  # relative to a published site's root


# --- codebook.yml -------------------------------------------------------------------------------------------------


class Missing(Open):
    no_answer: int = Field(description="The code of an asked question left unanswered (an empty cell: not asked)")


class PopulationEntry(Open):
    title: Texts = Field(description="The population's name, per language (residents, enterprises)")


class Universe(Closed):
    question: Id = Field(description="A question of the same population")
    codes: list[int] = Field(min_length=1, description="Its codes: the respondents whose answer is one of them")


class Option(Labelled):
    code: Code


class Band(Labelled):
    code: Code
    from_: float = Field(alias="from", description="Smallest value of the band, included")
    below: float | None = Field(None, description="The next band's start, excluded; none in the last band")


class Question(Open):
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


class Codebook(Open):
    """codebook.yml: questions, options, universes and the missing-value code."""

    missing: Missing = Field(description="The missing-value codes")
    populations: dict[str, PopulationEntry] = Field(
        description="Each population (one microdata file) by its id, with its title"
    )
    questions: list[Question] = Field(min_length=1, description="Every question, in the microdata's column order")


# --- indicators.yml -----------------------------------------------------------------------------------------------


class Net(Labelled):
    code: Annotated[str | int, Field(description="The net's code, unlike any option code")]
    codes: list[int] = Field(min_length=1, description="The options it combines")


class Indicator(Open):
    id: Id = Field(description="Usually the question id; unique; names datasets/indicators/<id>.csv")
    question: Id = Field(description="The codebook question it tabulates")
    title: Texts = Field(description="The indicator's title, per language")
    nets: list[Net] | None = Field(None, description="Combined categories, each a percent of the same base")
    breakdowns: list[Id] | None = Field(None, description="Overrides the population's default; [] for none")


class Indicators(Open):
    """indicators.yml: which questions are tabulated, nets, breakdowns."""

    breakdowns: dict[str, list[Id]] | None = Field(None, description="Default breakdowns per population")
    indicators: list[Indicator] = Field(min_length=1, description="Every indicator, in the tables' order")


# --- charts.yml ---------------------------------------------------------------------------------------------------


class Series(Open):
    indicator: Id = Field(description="An indicator of indicators.yml")
    categories: list[int | str] | None = Field(None, description="Codes or net codes; omitted = every option")
    label: TextOrTexts | None = Field(
        None, description="The series' name on the chart (default: its population's title)"
    )


class Chart(Open):
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


class Charts(Open):
    """charts.yml: the charts each page shows and the source line under them."""

    source: TextOrTexts | None = Field(None, description="Jinja2 template (with `meta`) of the line under every chart")
    charts: list[Chart] = Field(min_length=1, description="Every chart")


# --- changelog.yml ------------------------------------------------------------------------------------------------


class Version(Open):
    version: Text = Field(description="Semantic version; the newest entry's equals publication.yml `version`")
    date: Annotated[str, Field(description="YYYY-MM-DD")]
    changes: list[Texts] = Field(min_length=1, description="What changed, one text per language each")


class Changelog(RootModel[list[Version]]):
    """changelog.yml: versions and what changed, newest first."""

    root: list[Version] = Field(min_length=1, description="Versions, newest first")


# The mappings whose keys the engine checks strictly: load.py reads those keys off these models (meta.py).
STRICT_KEYS = {Source.__name__: SOURCE_KEYS, Design.__name__: DESIGN_KEYS}

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


if __name__ == "__main__":  # python -m surveypress.content.schemas: regenerate the committed schemas
    for path in write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(path)
