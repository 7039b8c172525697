"""A chart as charts.yml declares it (`ChartSpec`, its `Series`) and as a page shows it (`ChartOutput`), and the
texts charts.yml gives once or per language."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveypress import i18n
from surveypress.content import CHARTS
from surveypress.errors import InputError
from surveypress.languages import serves

CHARTS_FILE = CHARTS


@dataclass(frozen=True)
class Series:
    indicator: str
    categories: tuple[str, ...] | None
    label: str | dict[str, str] | None  # one text, or one per language


@dataclass(frozen=True)
class ChartSpec:
    id: str
    page: str
    kind: str
    series: tuple[Series, ...]
    title: str | dict[str, str]  # a template, or one per language (charts.yml: `title: {zh: ..., en: ...}`)
    sort: str
    note: str | dict[str, str] = ""
    breakdown: str = ""  # kind breakdown: the question id of one of the indicator's breakdowns

    def text(self, field_name: str, language: str, source: Path) -> str:
        """The chart's title or note template in `language`; a mapping without that language is an error."""
        value = getattr(self, field_name)
        if isinstance(value, str):
            return value
        for key, text in value.items():
            if serves(key, language):
                return text
        raise InputError(
            source,
            f"a {field_name} in each language of the publication (missing: {language})",
            column=f"chart {self.id}.{field_name}",
            value=value,
        )


# Whether a chart's percents are weighted estimates (their population declares a sample design): none of them, all,
# or some (a chart setting a weighted population beside an unweighted one).
UNWEIGHTED, WEIGHTED, PARTLY_WEIGHTED = "none", "all", "some"


@dataclass
class ChartOutput:
    """What a page needs to show one chart. `files` maps a format (svg, png, csv, vl.json) to its path."""

    id: str
    title: str
    alt: str
    table: list[dict[str, str]]
    files: dict[str, Path]
    page: str = ""
    subtitle: tuple[str, ...] = ()
    note: str = ""
    columns: tuple[str, ...] = field(default=())
    drawn: bool = True  # False when the images came from the cache (cache.py)
    source: str = ""
    weighting: str = UNWEIGHTED  # whether its percents are weighted estimates: none, all or some (`weighting`)


def in_language(value: str | dict[str, str] | None) -> str | None:
    """Text given once or per language (charts.yml), in the language charts are drawn in now."""
    if value is None or isinstance(value, str):
        return value
    language = i18n.current()
    for key, text in value.items():
        if serves(key, language):
            return text
    raise KeyError(f"no text in language {language!r} in {value!r}")


def is_text_or_texts(value: Any) -> bool:
    """A non-empty string, or a mapping from language to non-empty strings (contract: charts.yml per language)."""
    if isinstance(value, str):
        return bool(value.strip())
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(text, str) and text.strip() for text in value.values())
    )
