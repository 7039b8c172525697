"""publication.yml: its model, the one definition of its keys (`Publication`), and what a build reads of it.

`pub.meta` is a `Publication` holding publication.yml as read, once load.py has checked it: each key is an attribute
(`pub.meta.version`, `pub.meta.synthetic`; None when the file leaves it out), its value as YAML gave it (a mapping
keeps the lines an error names: `line_of(pub.meta, "navigation")`). Page templates and charts.yml's source line
read it as before, as a mapping too (`meta.get("synthetic")`, `meta["title"]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from surveypress import formats
from surveypress.content.models import Closed, Code, Id, Open, Text, TextOrTexts
from surveypress.content.names import LANGUAGE_TAG, PACKAGE_NAME, VERSION

RELEASES = ("none", "public-use", "full")


# How to read one microdata file (`microdata.<population>` as a mapping; a plain path reads with the defaults).
# `sheet`: the workbook sheet holding the data; `answers`: `codes` (option codes) or `text` (option texts, as a
# platform's "export as option text" gives them); `multi_separator`: set when each multi-select question is one column
# whose cell lists the chosen options joined by this separator (e.g. `┋`, `;`, `|`). (No docstring: the schema's
# description would change.)
class Source(Closed):
    # Checked as the build reads it (validation.validated): strict types (a number is not text), frozen like the
    # Population that holds it.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True, frozen=True)

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

    @field_validator("path", "sheet", "multi_separator")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("blank")
        return value


# How a population's sample was drawn (publication.yml, `design.<population>`): the microdata columns holding each
# respondent's weight, stratum and cluster (PSU), and the finite population correction: a column holding the number of
# PSUs in the respondent's stratum in the population (respondents, without clusters), or one number for a design
# without strata. load.py checks the names (`_with_designs`); Population.design holds one. (No docstring: the schema's
# description would change.)
class Design(Closed):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True, frozen=True)

    weight: Text = Field(description="The column of respondent weights")
    strata: Text | None = Field(None, description="The stratum column")
    cluster: Text | None = Field(None, description="The primary sampling unit (cluster) column, nested in strata")
    fpc: Text | float | None = Field(
        None, description="A column holding the stratum's number of PSUs in the population, or that number"
    )

    def columns(self) -> list[str]:
        """The design's microdata columns, in the order they follow respondent_id."""
        named = [self.weight, self.strata, self.cluster, self.fpc if isinstance(self.fpc, str) else None]
        return [column for column in named if column is not None]


class PublicUse(Open):
    drop: list[str] | None = Field(None, description="Columns left out of the released file")
    coarsen: dict[str, list[list[int]]] | None = Field(
        None, description="Per single/scale question: groups of codes released as one (the first code stands for all)"
    )
    top_code: dict[str, int] | None = Field(
        None, description="Per single/scale question: codes above this one released as it"
    )


class Disclosure(Open):
    low_base: Code | None = Field(None, description="A base under this is flagged [u] (default 30)")
    min_cell: Code | None = Field(None, description="Cross-tabulation cells under this are suppressed (default 5)")
    min_k: Code | None = Field(None, description="Smallest group over the quasi-identifiers (default 3)")
    quasi_identifiers: dict[str, list[Id]] | None = Field(
        None, description="Per population: the questions that together could identify a respondent (k-anonymity)"
    )


class Page(Closed):
    page: Text = Field(description="A page's template path under templates/, without .md.j2")
    title: TextOrTexts | None = Field(None, description="Its title in the menu (default: its first heading)")


class Section(Closed):
    section: TextOrTexts = Field(description="The section's title in the menu")
    pages: list[Page | Section] = Field(description="Its pages and sections, in order")


class Publication(Open):
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

    # publication.yml as read: the mapping the attributes come from, with the lines of its keys.
    _read: Mapping = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, read: Mapping) -> Publication:
        """publication.yml as load.py read and checked it (a key the file leaves out is None); no copy is made."""
        values = {name: None for name in cls.model_fields} | {str(key): value for key, value in read.items()}
        meta = cls.model_construct(**values)
        meta._read = read
        return meta

    @property
    def line(self) -> int | None:
        """The line the mapping starts on (`yaml.line_of`)."""
        return getattr(self._read, "line", None)

    @property
    def key_lines(self) -> dict | None:
        """The line of each key (`yaml.line_of`)."""
        return getattr(self._read, "key_lines", None)

    def get(self, key: str, default: Any = None) -> Any:
        """A key's value as read, or `default` when the file leaves it out (templates: `meta.get("synthetic")`)."""
        return self._read.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._read[key]

    def __contains__(self, key: object) -> bool:
        return key in self._read


# Keys of the mappings whose keys the engine checks strictly (load.py refuses any other, on its line), and the
# values of `answers`: read off the models, so that the checks and the schemas cannot disagree.
SOURCE_KEYS = tuple(Source.model_fields)
DESIGN_KEYS = tuple(Design.model_fields)
ANSWERS = get_args(Source.model_fields["answers"].annotation)
