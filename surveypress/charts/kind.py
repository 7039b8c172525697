"""What a kind of chart is to the rest of the engine: one small interface (`ChartKind`) that each module of
`kinds/` implements and `registry.py` names.

A kind owns its rows (`rows`), its Vega-Lite drawing (`drawing`, at any layout), the narrow drawing made from the
wide one (`relaid`) and the download made from it (`framed`), and its text alternative (`alt_text`, `table`,
`download`). Everything else (reading charts.yml, titles and the source line, caching, drawing SVG and PNG, the
page's figure) is shared and never asks which kind a chart is.

The rows are a pandas frame with at least the columns every text alternative reads: `label`, `series`,
`series_index`, `indicator`, `population`, `category`, `count`, `base`, `percent`, `ci_low`, `ci_high`,
`percent_text`, `ci_text`, `flags`, `low`, `suppressed` (and `weighted` when a population is weighted), plus
`row_text` and `row_base` where a kind labels its rows. A drawing's source line (a download's) is the title of its
x axis (`titles.axis_channel`), where `framed` puts it and `framing.framed_svg` reads it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from surveypress.charts import accessible, titles
from surveypress.charts.draw import FONT_STACK
from surveypress.charts.layouts import DOWNLOAD, NARROW, Layout
from surveypress.charts.model import ChartSpec

if TYPE_CHECKING:
    import altair as alt

    from surveypress.content import Publication
    from surveypress.values import Values


class ChartKind(ABC):
    """One kind of chart (`kind:` in charts.yml). Subclasses set `name` and `description` (REFERENCE.md lists it)
    and `legend` when their series are told apart by colour and a legend (each series then named with its own n)."""

    name: ClassVar[str]
    description: ClassVar[str]
    legend: ClassVar[bool] = False

    def check(self, pub: Publication, path: Path, where: str, entry: dict, raw_series: list) -> None:  # noqa: B027
        """Refuses (InputError) a charts.yml `entry` this kind cannot draw, beyond the checks every chart has."""

    @abstractmethod
    def rows(self, pub: Publication, values: Values, spec: ChartSpec) -> pd.DataFrame:
        """The chart's rows in the current language, from the protected table (see the module's contract)."""

    def drawn_as(self, spec: ChartSpec, frame: pd.DataFrame) -> ChartSpec:
        """The declaration the chart is drawn as (a kind may draw its rows as another kind does)."""
        return spec

    @abstractmethod
    def drawing(
        self,
        spec: ChartSpec,
        title: str,
        frame: pd.DataFrame,
        layout: Layout = DOWNLOAD,
        source: str = "",
        font: str = FONT_STACK,
    ) -> alt.TopLevelMixin:
        """The Altair chart for `layout`: a framed layout carries the title and, under the x axis, the source line."""

    @abstractmethod
    def relaid(self, drawing: dict, spec: ChartSpec, title: str, frame: pd.DataFrame, layout: Layout) -> dict:
        """The wide drawing's specification as `drawing(..., layout)` would give it (NARROW), without Altair."""

    def framed(self, wide: dict, spec: ChartSpec, title: str, frame: pd.DataFrame, source: str) -> dict:
        """The download made from the wide drawing's specification: the same, with a title and a source line."""
        return titles.framed_drawing(wide, title, self.subtitle(frame, DOWNLOAD), source)

    def subtitle(self, frame: pd.DataFrame, layout: Layout = NARROW) -> list[str]:
        """The lines under the title: the bases, weighting, the interval and the flags the chart shows."""
        return titles.subtitle_lines(frame, layout, every_series=self.legend)

    def listing(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows in the order the text alternative, the data table and the CSV list them."""
        return frame

    def alt_text(self, spec: ChartSpec, title: str, frame: pd.DataFrame) -> str:
        """Every value with its base and interval, in reading order: what a screen reader reads for the chart."""
        return accessible.alt_text(title, self.listing(frame))

    def table(self, frame: pd.DataFrame) -> list[dict[str, str]]:
        """The data table's rows, keyed by the headers of the current language."""
        return accessible.table_rows(self.listing(frame))

    def download(self, spec: ChartSpec, frame: pd.DataFrame) -> pd.DataFrame:
        """The drawn values as published in `<id>.csv`."""
        return accessible.data_frame_for_download(spec, self.listing(frame))
