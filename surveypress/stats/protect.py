"""Stage "protect": reliability flags, small-cell suppression and the k-anonymity report.

Takes: the indicator table from `tabulate` (indicator .. ci_high) and the `Publication`'s disclosure settings;
for the k-anonymity report, the validated microdata frames from `load`.
Gives: the same table with `reliability`, `suppression` and `flags` added (values kept numeric),
`publishable()` — a copy with suppressed cells left empty (the `suppression` and `flags` columns say `[c]`) —
and `disclosure_report()` / `check_disclosure()`.

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
from pathlib import Path
from typing import Any

import pandas as pd

from surveypress import layout
from surveypress.content import Population, Publication, recount_error, recount_needs
from surveypress.errors import DisclosureError
from surveypress.microdata import load
from surveypress.microdata.sources import Streamed

SUPPRESSED = "[c]"
LOW_RELIABILITY = "[u]"
SUPPRESSED_COLUMNS = ("count", "percent", "ci_low", "ci_high")
# A weighted table's standard error and design effect would give the hidden percent back (se² ∝ p(1 − p)).
DESIGN_SUPPRESSED_COLUMNS = ("se", "deff", "n_eff")
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
    """A copy for writing: suppressed rows leave count, percent, the interval (and a weighted row's design columns)
    empty, and the columns keep their types, so every CSV reader loads them as numbers; the `suppression` and `flags`
    columns say why a cell is empty (`[c]`), and the workbook writes `[c]` in it (workbook.py)."""
    published = table.copy()
    hidden = (published["suppression"] != "none").to_numpy()
    for column in hidden_columns(published):
        values = published[column]
        if pd.api.types.is_integer_dtype(values.dtype):
            values = values.astype("Int64")
        published[column] = values.mask(hidden)
    return published


def hidden_columns(table: pd.DataFrame) -> tuple[str, ...]:
    """The columns a suppressed row leaves empty: the count, percent and interval, and a weighted table's standard
    error and design effect, which would give the percent back."""
    return SUPPRESSED_COLUMNS + tuple(c for c in DESIGN_SUPPRESSED_COLUMNS if c in table.columns)


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
    """One row per released microdata file (see `released_microdata`): the smallest group over the
    quasi-identifiers it still holds (k) and the sample uniques."""
    rows = []
    released = released_microdata(pub, microdata)
    for pop_id, population in pub.codebook.populations.items():
        if pop_id not in released:
            continue
        file, frame = released[pop_id]
        if not isinstance(frame, pd.DataFrame):
            # A file streamed from disk (sources.Streamed, or its public-use recoding) is grouped by the engine.
            from surveypress.stats.engines import duckdb_export

            recoded = frame if isinstance(frame, StreamedRelease) else None
            held = recoded.columns if recoded else pub.codebook.columns_of(pop_id)
            quasi = [column for column in population.quasi_identifiers if column in held]
            records, k, uniques, values = duckdb_export.k_anonymity(
                recoded.source if recoded else frame, quasi, recoded.classes if recoded else None
            )
            combination = ", ".join(f"{name}={_cell(value)}" for name, value in zip(quasi, values, strict=True))
        elif (quasi := [column for column in population.quasi_identifiers if column in frame.columns]) and len(frame):
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


def released_microdata(pub: Publication, microdata: dict[str, pd.DataFrame]) -> dict[str, tuple[str, pd.DataFrame]]:
    """What the publication releases of each population's microdata (publication.yml `release`), as
    {population: (project-relative file, frame as released)}: the input as it is (`full`), the input after its
    public-use recodes (`public-use`: columns dropped, codes coarsened and top-coded), or nothing (`none`)."""
    released = {}
    for population in pub.codebook.populations:
        file = pub.released_file(population)
        if file is None:
            continue
        frame = microdata[population]
        recodes = pub.release.of(population)
        if recodes is not None and not isinstance(frame, pd.DataFrame):
            # A streamed file is recoded by the engine as it is written (StreamedRelease), never loaded.
            released[population] = (file, StreamedRelease(pub, population, frame, recodes))
            continue
        if recodes is not None:
            frame = frame.drop(columns=list(recodes.drop))
            for question in pub.codebook.questions_of(population):
                classes = recodes.classes(question) if question.type != "multi" else None
                if classes and question.id in frame.columns and any(c != r for c, r in classes.items()):
                    frame[question.id] = frame[question.id].map(lambda code, classes=classes: classes.get(code, code))
                    frame[question.id] = frame[question.id].astype(microdata[population][question.id].dtype)
        # A streamed file released in full is copied by the engine, which writes whole numbers as integers itself.
        whole = with_whole_numbers(pub, population, frame) if isinstance(frame, pd.DataFrame) else frame
        released[population] = (file, whole)
    return released


def with_whole_numbers(pub: Publication, population: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A frame to release, its whole-number columns (`Codebook.integer_columns_of`) as integers: load keeps a numeric
    question's raw values as floats, which a released file would write as `7.0` in a column declared integer."""
    floats = [
        column
        for column in pub.codebook.integer_columns_of(population)
        if column in frame.columns and pd.api.types.is_float_dtype(frame[column].dtype)
    ]
    return frame.astype(dict.fromkeys(floats, "Int64")) if floats else frame


class StreamedRelease:
    """A streamed population's public-use file: which columns it keeps and how their codes are recoded; the engine
    applies both when it writes the file (`write`) and when it groups the quasi-identifiers (`classes`)."""

    def __init__(self, pub: Publication, population: str, source: object, recodes) -> None:
        self.source = source
        self.columns = [column for column in pub.codebook.columns_of(population) if column not in recodes.drop]
        design = pub.codebook.populations[population].design
        self.verbatim = tuple(design.columns()) if design else ()
        self.classes = {
            question.id: classes
            for question in pub.codebook.questions_of(population)
            if question.type != "multi" and (classes := recodes.classes(question))
        }
        self.numbers = {
            question.id: question.whole_numbers
            for question in pub.codebook.questions_of(population)
            if question.numeric is not None and question.id in self.columns
        }

    def write(self, target: Path, connected: Any = None) -> None:
        """Writes the file to `target`; `connected` is given the engine's connection first (see StreamedReleases)."""
        from surveypress.stats.engines import duckdb_export

        duckdb_export.write_released(
            self.source, self.columns, self.classes, target, self.verbatim, connected, self.numbers
        )


def check_recount(pub: Publication, table: pd.DataFrame, released: dict[str, tuple[str, pd.DataFrame]]) -> None:
    """Raises InputError for the first suppressed cell that the released microdata lets a reader count back.

    A reader counts a cell (group g of breakdown B, category C of question Q) from a released file that holds B and
    Q: directly, when g and the codes of C are released as themselves; by difference, when g is released together
    with other groups, or C's codes together with other codes, whose cells the table shows
    (content.release.recount_needs).
    """
    protected = table.reset_index(drop=True)
    keys = protected[["indicator", "breakdown", "group", "category"]].astype(str)
    hidden = dict(zip(keys.itertuples(index=False, name=None), protected["suppression"] != "none", strict=True))
    for (indicator_id, breakdown_id, group, category), is_hidden in hidden.items():
        if not is_hidden or breakdown_id == "total":
            continue
        indicator = pub.indicator(indicator_id)
        if indicator.population not in released:
            continue
        known = recount_needs(pub, indicator, breakdown_id, int(group), category)
        if known is not None and all(not hidden.get((indicator_id, breakdown_id, g, c), True) for g, c in known):
            raise recount_error(pub, indicator, breakdown_id, group, category, hidden=True)


def release_microdata(pub: Publication, staging: Any, microdata: dict[str, pd.DataFrame | Streamed]) -> list[str]:
    """Stages each population's microdata for release (see layout.RELEASE_CSV_MAX_BYTES); gives the staged paths."""
    released = []
    for population in pub.codebook.populations.values():
        path = population.microdata
        relative = layout.full_release_file(load.display_path(path, pub.project_root), path)
        if relative == load.display_path(path, pub.project_root):
            released.append(staging.mirror_input(path))
            continue
        target = staging.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = microdata[population.id]
        if isinstance(source, pd.DataFrame):
            released_frame = with_whole_numbers(pub, population.id, source)
            released_frame.to_parquet(target, index=False, row_group_size=layout.PARQUET_ROW_GROUP)
        else:
            from surveypress.stats.engines import duckdb_export

            duckdb_export.write_typed_parquet(pub.codebook, population.id, source, target, layout.PARQUET_ROW_GROUP)
        released.append(relative)
    return released


def released_path(pub: Publication, population: Population) -> str:
    """Where a population's microdata is released, relative to the project (see `release_microdata`)."""
    relative = Path(load.display_path(population.microdata, pub.project_root)).as_posix()
    return layout.full_release_file(relative, population.microdata)
