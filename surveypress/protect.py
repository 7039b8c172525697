"""Stage "protect": reliability flags, small-cell suppression and the k-anonymity report.

Takes: the indicator table from `tabulate` (indicator .. ci_high) and the `Publication`'s disclosure settings;
for the k-anonymity report, the validated microdata frames from `load`.
Gives: the same table with `reliability`, `suppression` and `flags` added (values kept numeric),
`publishable()` — a copy with suppressed cells written as `[c]` — and `disclosure_report()` / `check_disclosure()`.

Rules (see ARCHITECTURE.md, "Indicator table"):
- reliability is `low` when the base is under `disclosure.low_base`; such rows are flagged `[u]`.
- primary suppression: in a cross-tabulation (breakdown other than `total`) a count from 1 to `min_cell - 1`.
  Zero cells are left visible, as ONS and Eurostat threshold rules do: an empty cell tells nothing about
  a particular respondent, and hiding zeros would blank most small tables without protecting anyone.
- secondary suppression: every "line" of cells whose sum is public (options of a single/scale question add up to
  the published base; a net equals the sum of its options; a category's counts across the groups of a breakdown
  add up to the published total row) must hold no suppressed cell or at least two. Lines holding exactly one are
  completed by suppressing one more cell, repeated until no line changes.
- the `total` breakdown is never suppressed: the report already published those figures.

The line rule is the classic heuristic of statistical offices (no single hidden cell is the difference of public
figures); it does not solve the full linear-programming attack on interval bounds, which small tables rarely need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from surveypress.errors import DisclosureError
from surveypress.spec import Publication

SUPPRESSED = "[c]"
LOW_RELIABILITY = "[u]"
SUPPRESSED_COLUMNS = ("count", "percent", "ci_low", "ci_high")
DISCLOSURE_COLUMNS = (
    "file",
    "quasi_identifiers",
    "records",
    "k",
    "sample_uniques",
    "min_k",
    "status",
    "smallest_combination",
)


@dataclass(frozen=True)
class Line:
    """Cells (row positions in the table) whose sum is public; `complement_first` is tried first when completing."""

    cells: tuple[int, ...]
    complement_first: int | None = None


def protect(pub: Publication, table: pd.DataFrame) -> pd.DataFrame:
    """Adds reliability, suppression and flags; counts and percents stay numeric (see `publishable`)."""
    settings = pub.disclosure
    protected = table.reset_index(drop=True).copy()
    low = protected["base"].astype("int64") < settings.low_base
    protected["reliability"] = ["low" if flag else "normal" for flag in low]

    # Primary: small positive counts in cross-tabulations only.
    counts = protected["count"].astype("int64")
    crossed = protected["breakdown"].astype(str) != "total"
    primary = crossed & (counts > 0) & (counts < settings.min_cell)
    suppression = ["primary" if flag else "none" for flag in primary]

    lines = list(_lines(pub, protected))
    _complete_lines(lines, twin_cells(pub, protected), suppression, counts.tolist(), crossed.tolist())
    protected["suppression"] = suppression
    protected["flags"] = [
        " ".join(flag for flag, on in ((LOW_RELIABILITY, is_low), (SUPPRESSED, state != "none")) if on)
        for is_low, state in zip(low, suppression, strict=True)
    ]
    return protected


def publishable(table: pd.DataFrame) -> pd.DataFrame:
    """A copy for writing: suppressed rows show `[c]` in count, percent and the interval."""
    published = table.copy()
    hidden = published["suppression"] != "none"
    for column in SUPPRESSED_COLUMNS:
        published[column] = published[column].astype(object)
        published.loc[hidden, column] = SUPPRESSED
    return published


def suppression_lines(pub: Publication, table: pd.DataFrame) -> list[tuple[int, ...]]:
    """The lines (row positions of a protected, 0-based indexed table) checked by secondary suppression."""
    return [line.cells for line in _lines(pub, table.reset_index(drop=True))]


def _lines(pub: Publication, table: pd.DataFrame) -> Iterable[Line]:
    """Every set of cells whose sum a reader can compute from published figures."""
    keys = table[["indicator", "breakdown", "group", "category"]].astype(str)
    frame = keys.assign(position=range(len(table)))
    # Within a group of a cross-tabulation: options sum to the base, and each net to its options.
    for (indicator_id, _breakdown, _group), cells in frame[frame["breakdown"] != "total"].groupby(
        ["indicator", "breakdown", "group"], sort=False
    ):
        indicator = pub.indicator(indicator_id)
        question = pub.codebook.questions[indicator.question]
        position = dict(zip(cells["category"], cells["position"], strict=True))
        options = [position[str(code)] for code in question.codes if str(code) in position]
        if question.type != "multi":
            # Multi-choice options overlap, so neither their sum nor a net's relation to them is public.
            if len(options) > 1:
                yield Line(tuple(options))
            for net in indicator.nets:
                if net.code not in position:
                    continue
                inside = [position[str(code)] for code in net.codes if str(code) in position]
                outside = [p for p in options if p not in inside]
                yield Line((position[net.code], *inside), complement_first=position[net.code])
                if outside:
                    # base − net = the options outside the net.
                    yield Line((position[net.code], *outside), complement_first=position[net.code])
    # Across the groups of one breakdown: a category's counts add up to the published total row.
    for _key, cells in frame[frame["breakdown"] != "total"].groupby(["indicator", "breakdown", "category"], sort=False):
        if len(cells) > 1:
            yield Line(tuple(cells["position"]))


def twin_cells(pub: Publication, table: pd.DataFrame) -> list[tuple[int, ...]]:
    """Cells that are the same respondents in two tables: A broken down by B, and B broken down by A."""
    questions = {indicator.id: indicator.question for indicator in pub.indicators}
    cells: dict[tuple, list[int]] = {}
    keys = table[["population", "indicator", "breakdown", "group", "category"]].astype(str)
    for position, (population, indicator_id, breakdown, group, category) in enumerate(keys.itertuples(index=False)):
        question = pub.codebook.questions[questions[indicator_id]]
        if breakdown == "total" or question.type == "multi" or not category.isdigit():
            continue
        key = (population, frozenset({(question.id, category), (breakdown, group)}))
        cells.setdefault(key, []).append(position)
    return [tuple(positions) for positions in cells.values() if len(positions) > 1]


def _complete_lines(
    lines: list[Line], twins: list[tuple[int, ...]], suppression: list[str], counts: list[int], crossed: list[bool]
) -> None:
    """Suppresses one more cell in every line that hides exactly one, until no line changes.

    A cell printed in two transposed tables is hidden in both, or the visible copy would undo the hidden one.
    """
    changed = True
    while changed:
        changed = False
        for twin in twins:
            if any(suppression[cell] != "none" for cell in twin):
                for cell in twin:
                    if suppression[cell] == "none":
                        suppression[cell] = "secondary"
                        changed = True
        for line in lines:
            hidden = [cell for cell in line.cells if suppression[cell] != "none"]
            if len(hidden) != 1:
                continue
            candidates = [cell for cell in line.cells if suppression[cell] == "none" and crossed[cell]]
            if not candidates:
                continue
            if line.complement_first is not None and line.complement_first in candidates:
                choice = line.complement_first
            else:
                # Smallest positive count loses least information; a zero adds no uncertainty, so it comes last.
                choice = min(candidates, key=lambda cell: (counts[cell] == 0, counts[cell], cell))
            suppression[choice] = "secondary"
            changed = True


def disclosure_report(pub: Publication, microdata: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per published microdata file: the smallest group over its quasi-identifiers (k) and the uniques."""
    rows = []
    for pop_id, population in pub.codebook.populations.items():
        frame = microdata[pop_id]
        quasi = list(population.quasi_identifiers)
        try:
            file = population.microdata.relative_to(pub.project_root).as_posix()
        except ValueError:
            file = population.microdata.as_posix()
        if not isinstance(frame, pd.DataFrame):
            # A file streamed from disk (sources.Streamed) is grouped by the engine, never loaded.
            from surveypress.engines import duckdb_engine

            records, k, uniques, values = duckdb_engine.k_anonymity(frame, quasi)
            combination = ", ".join(f"{name}={_cell(value)}" for name, value in zip(quasi, values, strict=True))
        elif quasi and len(frame):
            records = len(frame)
            # Missing answers form a group of their own: a reader sees the blank or -9 just like a code.
            sizes = frame.groupby(quasi, dropna=False, sort=True).size()
            k = int(sizes.min())
            uniques = int((sizes == 1).sum())
            smallest = sizes.idxmin()
            values = smallest if isinstance(smallest, tuple) else (smallest,)
            combination = ", ".join(f"{name}={_cell(value)}" for name, value in zip(quasi, values, strict=True))
        else:
            records = len(frame)
            k, uniques, combination = records, int(records == 1), ""
        rows.append(
            {
                "file": file,
                "quasi_identifiers": " ".join(quasi),
                "records": records,
                "k": k,
                "sample_uniques": uniques,
                "min_k": pub.disclosure.min_k,
                "status": "ok" if k >= pub.disclosure.min_k else "fail",
                "smallest_combination": combination,
            }
        )
    return pd.DataFrame(rows, columns=list(DISCLOSURE_COLUMNS))


def check_disclosure(pub: Publication, report: pd.DataFrame) -> None:
    """Raises DisclosureError for the first file whose smallest quasi-identifier group is under min_k."""
    for row in report.itertuples(index=False):
        if int(row.k) < pub.disclosure.min_k:
            raise DisclosureError(
                row.file,
                f"every combination of the quasi-identifiers to be shared by at least {pub.disclosure.min_k} records",
                column=row.quasi_identifiers,
                value=f"{row.smallest_combination} ({row.k} records)",
                hint="Coarsen or drop a quasi-identifier before publishing this file",
            )


def _cell(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)
