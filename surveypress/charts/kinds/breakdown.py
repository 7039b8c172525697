"""Kind `breakdown`: one indicator across the groups of one of its breakdowns: a row of bars per group, labelled
with its n, a bar per category in it. Drawn as grouped bars (as `compare` draws) when it shows several categories,
else as plain bars; its text alternative, data table and CSV list the rows group by group."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from surveypress.charts.kinds.bars import Bars
from surveypress.charts.kinds.compare import Compare
from surveypress.charts.layouts import NARROW, PALETTE
from surveypress.charts.model import CHARTS_FILE, ChartSpec
from surveypress.charts.rows import (
    has_indicator,
    require_indicator,
    row_labels,
    series_categories,
    series_name,
    value_text,
    weighted_population,
)
from surveypress.errors import InputError

if TYPE_CHECKING:
    from surveypress.content import Publication
    from surveypress.values import Values


class Breakdown(Bars):
    name: ClassVar[str] = "breakdown"
    description: ClassVar[str] = (
        "One indicator across the groups of one of its breakdowns (`breakdown:`): a row per group, labelled "
        "with its n, and a bar per category in it (at most four, nets allowed); exactly one series."
    )

    def check(self, pub: Publication, path: Path, where: str, entry: dict, raw_series: list) -> None:
        check_breakdown(pub, path, where, entry, raw_series)

    def rows(self, pub: Publication, values: Values, spec: ChartSpec) -> pd.DataFrame:
        return breakdown_rows(pub, values, spec)

    def drawn_as(self, spec: ChartSpec, frame: pd.DataFrame) -> ChartSpec:
        # Drawn as grouped bars (a compare layout) when it shows several categories, else as plain bars.
        return replace(spec, kind=Compare.name if frame["series"].nunique() > 1 else Bars.name)

    def listing(self, frame: pd.DataFrame) -> pd.DataFrame:
        return by_group(frame)

    def download(self, spec: ChartSpec, frame: pd.DataFrame) -> pd.DataFrame:
        # A breakdown chart's CSV names every group: its rows are listed group by group.
        listing = self.listing(frame)
        download = super().download(spec, frame)
        download.insert(4, "breakdown", spec.breakdown)
        download.insert(5, "group", listing["group"])
        return download


def check_breakdown(pub: Publication, path: Path, where: str, entry: dict, raw_series: list) -> None:
    """A breakdown chart shows one indicator across the groups of one of its breakdowns."""
    if len(raw_series) != 1 or not isinstance(raw_series[0], dict):
        raise InputError(path, "exactly one series in a breakdown chart", column=f"{where}.series")
    indicator_id = raw_series[0].get("indicator")
    known = has_indicator(pub, indicator_id) and pub.indicator(indicator_id).breakdowns
    if entry.get("breakdown") not in (known or ()):
        raise InputError(
            path,
            f"one of the breakdowns of indicator '{indicator_id}' ({', '.join(known or ()) or 'it has none'})",
            column=f"{where}.breakdown",
            value=entry.get("breakdown"),
        )


def breakdown_rows(pub: Publication, values: Values, spec: ChartSpec) -> pd.DataFrame:
    """One row per bar of a breakdown chart: a row of bars per breakdown group (labelled with its n), one bar per
    category in it; the fields are those `bars.bar_rows` gives, so the chart is drawn as bars are."""
    path = pub.content_dir / CHARTS_FILE
    series = spec.series[0]
    require_indicator(values, series, path, spec.id)
    categories = series_categories(pub, values, series, path, spec.id)
    if len(categories) > len(PALETTE):
        raise InputError(
            path,
            f"at most {len(PALETTE)} categories in a breakdown chart (list them in 'categories')",
            column=f"chart {spec.id}.series.categories",
            value=len(categories),
        )
    single = len(categories) == 1
    name = series_name(pub, values, series)
    records: list[dict[str, Any]] = []
    for position, option in enumerate(pub.codebook.questions[spec.breakdown].options):
        group = str(option.code)
        records += [
            _group_record(pub, values, spec, (group, position), (code, series_index), name if single else None)
            for series_index, code in enumerate(categories)
        ]
    frame = pd.DataFrame.from_records(records)
    frame["row_label"] = row_labels(frame, NARROW)
    frame["value_text"] = [
        value_text(name, text, flags, not single)
        for name, text, flags in zip(frame["series"], frame["percent_text"], frame["flags"], strict=True)
    ]
    return frame


def _group_record(
    pub: Publication,
    values: Values,
    spec: ChartSpec,
    group_at: tuple[str, int],
    code_at: tuple[str, int],
    series: str | None,
) -> dict[str, Any]:
    """One bar: category `code` in breakdown group `group` (the series named `series`, else by the category)."""
    (group, position), (code, series_index) = group_at, code_at
    indicator = spec.series[0].indicator
    base = values.base(indicator, spec.breakdown, group)
    group_label = values.group_label(indicator, spec.breakdown, group)
    cell = (indicator, code, spec.breakdown, group)
    row = values.row(*cell)
    label = values.label(indicator, code)
    percent = values.percent(*cell)
    return {
        "key": group_label,
        "label": label,
        "series": series if series is not None else label,
        "series_index": series_index,
        "position": position,
        "indicator": indicator,
        "population": str(row["population"]),
        "weighted": weighted_population(pub, str(row["population"])),
        "category": str(code),
        "group": group,
        "group_label": group_label,
        "count": values.count(*cell),
        "base": base,
        "percent": percent,
        "ci_low": None if percent is None else float(row["ci_low"]),
        "ci_high": None if percent is None else float(row["ci_high"]),
        "percent_text": values.pct(*cell),
        "ci_text": values.ci(*cell),
        "flags": values.flag(*cell),
        "low": values.low(*cell),
        "suppressed": percent is None,
        "row_order": position,
        # Each group's n under its name: the groups' bases differ.
        "row_text": group_label,
        "row_base": f"n={base}",
    }


def by_group(frame: pd.DataFrame) -> pd.DataFrame:
    """A breakdown chart's rows listed group by group, for the text alternative, data table and CSV."""
    listing = frame.copy()
    listing["series"] = listing["group_label"]
    listing["series_index"] = listing["position"]
    return listing.sort_values(["position", "row_order"], kind="stable").reset_index(drop=True)
