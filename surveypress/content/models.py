"""The content files' shapes as pydantic models, each defined once: codebook.yml, indicators.yml, charts.yml and
changelog.yml here, publication.yml in meta.py (its model is also `pub.meta`), with their building blocks (ids, codes,
texts per language, kinds of mapping). `schemas.py` writes their JSON Schemas; the engine's constants that name a
file's choices are read off them (`codebook.QUESTION_TYPES`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from surveypress.content.names import ID_PATTERN

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


class Closed(BaseModel):
    """A mapping that may hold only the keys declared (the engine refuses others where it checks keys)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Open(BaseModel):
    """A mapping with the keys declared and others the engine ignores."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Labelled(BaseModel):
    """An entry with a code and its label in each language as keys beside it (`{code: 1, zh: ..., en: ...}`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    __pydantic_extra__: dict[str, Text]


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
