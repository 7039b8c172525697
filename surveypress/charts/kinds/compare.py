"""Kind `compare`: the same measure for two or more populations side by side, a bar per series in each category, told
apart by colour and a legend; drawn as bars are (kinds/bars.py), with `legend`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from surveypress.charts.kinds.bars import Bars
from surveypress.errors import InputError

if TYPE_CHECKING:
    from surveypress.content import Publication


class Compare(Bars):
    name: ClassVar[str] = "compare"
    description: ClassVar[str] = (
        "The same measure for two or more populations side by side (e.g. residents and enterprises): a bar "
        "per series in each category, told apart by colour and a legend; categories are matched by position when "
        "every series lists as many, else by label."
    )
    legend: ClassVar[bool] = True

    def check(self, pub: Publication, path: Path, where: str, entry: dict, raw_series: list) -> None:
        if len(raw_series) < 2:
            raise InputError(path, "at least two series in a compare chart", column=f"{where}.series")
