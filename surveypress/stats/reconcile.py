"""Stage "reconcile": every figure the report printed, set beside the value recomputed from the microdata.

Takes: the `Publication` (its `published_figures.csv`) and the protected indicator table (numeric values).
Gives: the reconciliation table (columns in ARCHITECTURE.md, "Reconciliation"), one row per printed figure, with a
status — `reproduced`, `ambiguous_base` or `not_reproducible` — and a reason a reader can follow.

Only `total` rows are used: the report printed marginal figures. Rounding is done on exact fractions, half up,
to the number of decimals the report printed, so 2/3 printed as 66.7 is compared as 66.7 and never as a float.

For a weighted population (publication.yml `design`) a printed percentage is an estimate of the population's share,
so it is compared with the weighted share the table publishes (two decimals, rounded again to the printed decimals:
the figure a reader can check in the published table), never with count/base. Looking for another base that would
give the printed figure does not apply: a weighted share is no whole count over a base, so a mismatch is
`not_reproducible` with a reason that says so. Printed counts and bases are compared with the unweighted
respondents, as the table's `count` and `base` are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import pandas as pd

from surveypress import i18n
from surveypress.content import Publication
from surveypress.errors import InputError
from surveypress.i18n import _

FIGURE_COLUMNS = (
    "figure_id",
    "section",
    "population",
    "measure",
    "printed",
    "value",
    "unit",
    "comparison",
    "indicator",
    "category",
    "note",
)
# Text columns of published_figures.csv that may carry a translation per language (`note_en`).
TRANSLATED_FIGURE_COLUMNS = ("section", "measure", "note")
RECONCILIATION_COLUMNS = (
    "figure_id",
    "section",
    "population",
    "measure",
    "printed",
    "published",
    "recomputed",
    "count",
    "base",
    "difference",
    "status",
    "candidates",
    "candidate_count",
    "reason",
)
UNITS = ("percent", "count", "base")
COMPARISONS = ("equal", "at_least", "about")
ABOUT_TOLERANCE = Fraction(5)  # "about": within 5 percentage points, or 5 respondents for counts
# How many fitting bases the `candidates` cell lists (the smallest ones); `candidate_count` says how many fit in all,
# so no cell grows with the number of respondents.
SHOWN_CANDIDATES = 10


@dataclass(frozen=True)
class Figure:
    row: int
    figure_id: str
    section: str
    population: str
    measure: str
    printed: str
    value: Decimal
    unit: str
    comparison: str
    indicators: tuple[str, ...]
    category: str
    note: str
    # Hand-written notes in the other languages, from the `note_<tag>` columns (e.g. note_en), by language tag.
    translated_notes: tuple[tuple[str, str], ...] = ()

    def note_in(self, language: str, primary: str) -> str:
        if language == primary:
            return self.note
        return dict(self.translated_notes).get(language, "")

    @property
    def decimals(self) -> int:
        exponent = self.value.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0


def read_published_figures(pub: Publication) -> list[Figure]:
    """Reads and checks published_figures.csv; every problem names the row and column."""
    path = pub.published_figures
    text = pub.figures_text
    if text is None:
        return []  # a survey without a printed report has no figures to reconcile
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        header = [column.strip() for column in header] if header is not None else None
        # Translations of the text columns into the other declared languages: section_en, measure_en, note_en.
        translation_columns = {
            f"{column}_{i18n.column_suffix(tag)}": tag
            for tag in pub.languages[1:]
            for column in TRANSLATED_FIGURE_COLUMNS
        }
        if (
            header is None
            or tuple(header[: len(FIGURE_COLUMNS)]) != FIGURE_COLUMNS
            or any(column not in translation_columns for column in header[len(FIGURE_COLUMNS) :])
        ):
            translations = ", then optionally " + ",".join(translation_columns) if translation_columns else ""
            raise InputError(
                path, f"the header {','.join(FIGURE_COLUMNS)}{translations}", row=1, value=",".join(header or [])
            )
        figures = []
        seen: set[str] = set()
        row_number = 1
        for cells in reader:
            row_number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise InputError(path, f"{len(header)} cells", row=row_number, value=len(cells))
            record = dict(zip(header, (cell.strip() for cell in cells), strict=True))
            figure = _figure(pub, path, row_number, record)
            if figure.figure_id in seen:
                raise InputError(
                    path, "figure ids to be unique", row=row_number, column="figure_id", value=figure.figure_id
                )
            seen.add(figure.figure_id)
            figures.append(figure)
    return figures


def _figure(pub: Publication, path: Path, row: int, record: dict[str, str]) -> Figure:
    def fail(column: str, expected: str) -> InputError:
        return InputError(path, expected, row=row, column=column, value=record[column])

    if not record["figure_id"]:
        raise fail("figure_id", "a non-empty figure id")
    populations = tuple(part.strip() for part in record["population"].split("+"))
    if any(part not in pub.codebook.populations for part in populations):
        raise fail("population", f"populations from {sorted(pub.codebook.populations)}, joined with + for bases")
    try:
        value = Decimal(record["value"])
    except InvalidOperation:
        raise fail("value", "a plain number such as 88.9 or 20") from None
    if not value.is_finite() or value < 0:
        raise fail("value", "a plain non-negative number such as 88.9 or 20")
    if record["unit"] not in UNITS:
        raise fail("unit", f"one of {', '.join(UNITS)}")
    if record["comparison"] not in COMPARISONS:
        raise fail("comparison", f"one of {', '.join(COMPARISONS)}")
    known = {indicator.id for indicator in pub.indicators}
    indicators = tuple(part.strip() for part in record["indicator"].split("+"))
    if not all(indicators) or any(part not in known for part in indicators):
        raise fail("indicator", "indicator ids from indicators.yml, joined with + to add bases")
    if len(indicators) > 1 and record["unit"] != "base":
        raise fail("indicator", "a single indicator id (only unit 'base' may join several with +)")
    if {pub.indicator(part).population for part in indicators} != set(populations):
        raise fail("indicator", f"indicators of population {record['population']}")
    category = record["category"]
    if record["unit"] in ("percent", "count"):
        indicator = pub.indicator(indicators[0])
        question = pub.codebook.questions[indicator.question]
        categories = [str(code) for code in question.codes] + [net.code for net in indicator.nets]
        if category not in categories:
            raise fail("category", f"an option or net code of indicator {indicator.id}: {', '.join(categories)}")
    return Figure(
        row=row,
        figure_id=record["figure_id"],
        section=record["section"],
        population=record["population"],
        measure=record["measure"],
        printed=record["printed"],
        value=value,
        unit=record["unit"],
        comparison=record["comparison"],
        indicators=indicators,
        category=category,
        note=record["note"],
        translated_notes=tuple(
            (tag, record[f"note_{i18n.column_suffix(tag)}"])
            for tag in pub.languages[1:]
            if record.get(f"note_{i18n.column_suffix(tag)}")
        ),
    )


def round_half_up(value: Fraction, decimals: int) -> Decimal:
    """Rounds an exact non-negative fraction half up (as the report's tables do), without floats."""
    scale = 10**decimals
    scaled = value * scale
    rounded = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return (Decimal(rounded) / Decimal(scale)).quantize(Decimal(1).scaleb(-decimals))


def _interval(printed: Decimal, decimals: int) -> tuple[int, int, int]:
    """The half-up rounding interval [low, high) of the printed percentage as integers (low/scale, high/scale)."""
    scale = 2 * 10**decimals
    doubled = int(printed.scaleb(decimals) * 2)  # printed × 10^decimals is whole: it has `decimals` places
    return doubled - 1, doubled + 1, scale


def _fits(low: int, high: int, scale: int, base: int) -> bool:
    """Whether some count k in 0..base has k/base × 100 in [low/scale, high/scale), in integer arithmetic."""
    # The smallest k with 100·k·scale ≥ low·base, then check it is under high.
    count = max(0, -((-low * base) // (100 * scale)))
    return count <= base and 100 * count * scale < high * base


def base_fits(printed: Decimal, decimals: int, base: int) -> bool:
    """Whether some whole count out of `base` gives a percentage that rounds to the printed value."""
    return base >= 1 and _fits(*_interval(printed, decimals), base)


def fitting_bases_summary(printed: Decimal, decimals: int, largest: int, shown: int) -> tuple[list[int], int]:
    """The `shown` smallest bases d in 1..largest that fit the printed value (see `fitting_bases`), and how many fit.

    Costs at most 100 × 10^decimals steps whatever `largest` is: from that base on, the rounding interval is at
    least one count wide, so every larger base fits (when the value is at most 100) and is counted, not tried.
    """
    low, high, scale = _interval(printed, decimals)
    every_from = 100 * 10**decimals
    tried = min(largest, every_from - 1)
    smallest: list[int] = []
    total = 0
    for base in range(1, tried + 1):
        if _fits(low, high, scale, base):
            total += 1
            if len(smallest) < shown:
                smallest.append(base)
    if largest > tried and printed <= 100:
        total += largest - tried
        smallest.extend(range(tried + 1, tried + 1 + min(shown - len(smallest), largest - tried)))
    return smallest, total


def fitting_bases(printed: Decimal, decimals: int, largest: int) -> list[int]:
    """Every base d in 1..largest for which some count k in 0..d gives k/d × 100 rounding to the printed value."""
    return fitting_bases_summary(printed, decimals, largest, largest)[0]


def reconcile(pub: Publication, table: pd.DataFrame, figures: list[Figure] | None = None) -> pd.DataFrame:
    """The reconciliation table: one row per published figure, in the order of published_figures.csv (`figures`
    as read_published_figures gave them, read now when not given)."""
    figures = read_published_figures(pub) if figures is None else figures
    totals = table[table["breakdown"].astype(str) == "total"]
    cells = {
        (str(row.indicator), str(row.category)): (int(row.count), int(row.base), float(row.percent))
        for row in totals.itertuples(index=False)
    }
    bases: dict[str, int] = {}
    for (indicator_id, _category), (_count, base, _percent) in cells.items():
        bases.setdefault(indicator_id, base)
    # A population's size: the largest total base among its indicators (a question asked of everyone).
    sizes: dict[str, int] = {}
    for indicator in pub.indicators:
        if indicator.id in bases:
            sizes[indicator.population] = max(sizes.get(indicator.population, 0), bases[indicator.id])
    rows = [_reconcile_figure(pub, figure, cells, bases, sizes) for figure in figures]
    return pd.DataFrame(rows, columns=reconciliation_columns(pub.languages))


def reconciliation_columns(languages: tuple[str, ...]) -> list[str]:
    """RECONCILIATION_COLUMNS, then `reason_<tag>` for each language after the primary (`reason` is the primary's)."""
    return [*RECONCILIATION_COLUMNS, *(f"reason_{i18n.column_suffix(tag)}" for tag in languages[1:])]


def _reasons(pub: Publication, figure: Figure, explain) -> dict[str, str]:
    """The reason in every declared language: the hand-written note in that language, else the engine's wording."""
    reasons = {}
    for index, tag in enumerate(pub.languages):
        column = "reason" if index == 0 else f"reason_{i18n.column_suffix(tag)}"
        with i18n.language(tag):
            reasons[column] = figure.note_in(tag, pub.primary) or explain()
    return reasons


def _reconcile_figure(
    pub: Publication,
    figure: Figure,
    cells: dict[tuple[str, str], tuple[int, int, float]],
    bases: dict[str, int],
    sizes: dict[str, int],
) -> dict[str, object]:
    row: dict[str, object] = {
        "figure_id": figure.figure_id,
        "section": figure.section,
        "population": figure.population,
        "measure": figure.measure,
        "printed": figure.printed,
        "published": str(figure.value),
        "recomputed": "",
        "count": "",
        "base": "",
        "difference": "",
        "status": "",
        "candidates": "",
        "candidate_count": 0,
        "reason": "",
    }
    recomputed = _recompute(pub, figure, cells, bases, row)
    places = max(2, figure.decimals) if figure.unit == "percent" else figure.decimals
    row["difference"] = str(round_half_up_signed(recomputed - Fraction(figure.value), places))
    _judge(pub, figure, recomputed, row, sizes)
    return row


def _recompute(
    pub: Publication,
    figure: Figure,
    cells: dict[tuple[str, str], tuple[int, int, float]],
    bases: dict[str, int],
    row: dict[str, object],
) -> Fraction:
    """The figure's value recomputed from the tables (a base, a count, or a percent as the table has it); the row
    gets the count, base and recomputed value it shows."""
    if figure.unit == "base":
        missing = [part for part in figure.indicators if part not in bases]
        if missing:
            raise _not_tabulated(pub, figure, missing[0])
        base = sum(bases[part] for part in figure.indicators)
        recomputed = Fraction(base)
        row.update(base=base, recomputed=str(base))
    else:
        key = (figure.indicators[0], figure.category)
        if key not in cells:
            raise _not_tabulated(pub, figure, figure.indicators[0])
        count, base, percent = cells[key]
        row.update(count=count, base=base)
        if figure.unit == "count":
            recomputed = Fraction(count)
            row["recomputed"] = str(count)
        elif weighted(pub, figure):
            # The published weighted share (two decimals, exactly as the table prints it).
            recomputed = Fraction(Decimal(repr(percent))) if percent == percent else Fraction(0)
            row["recomputed"] = str(round_half_up(recomputed, max(2, figure.decimals)))
        else:
            recomputed = Fraction(100 * count, base) if base else Fraction(0)
            row["recomputed"] = str(round_half_up(recomputed, max(2, figure.decimals)))
    return recomputed


def _judge(
    pub: Publication, figure: Figure, recomputed: Fraction, row: dict[str, object], sizes: dict[str, int]
) -> None:
    """Sets the row's status (reproduced, ambiguous_base, not_reproducible), the bases that fit, and the reasons."""
    if _matches(figure, recomputed):
        row["status"] = "reproduced"
        share = figure.unit == "percent" and weighted(pub, figure)
        row.update(_reasons(pub, figure, lambda: _explain_reproduced(figure, row, share)))
        return
    candidates: list[int] = []
    fitting = 0
    if figure.unit == "percent" and weighted(pub, figure):
        # No base to search for: a weighted share is no whole count over a base.
        row["status"] = "not_reproducible"
        row.update(_reasons(pub, figure, lambda: _explain_weighted_mismatch(figure, row)))
        return
    if figure.unit == "percent" and figure.comparison == "equal":
        candidates, fitting = fitting_bases_summary(
            figure.value, figure.decimals, sizes.get(figure.population, 0), SHOWN_CANDIDATES
        )
    if candidates:
        row["status"] = "ambiguous_base"
        row["candidates"] = ",".join(str(base) for base in candidates)
        row["candidate_count"] = fitting
    else:
        row["status"] = "not_reproducible"
    size = sizes.get(figure.population, 0)
    row.update(_reasons(pub, figure, lambda: _explain_mismatch(figure, row, candidates, fitting, size)))


def weighted(pub: Publication, figure: Figure) -> bool:
    """Whether the figure's indicator is estimated with weights (its population declares a design)."""
    population = pub.indicator(figure.indicators[0]).population
    return pub.codebook.populations[population].design is not None


def round_half_up_signed(value: Fraction, decimals: int) -> Decimal:
    magnitude = round_half_up(abs(value), decimals)
    return -magnitude if value < 0 else magnitude


def _matches(figure: Figure, recomputed: Fraction) -> bool:
    if figure.comparison == "at_least":
        return recomputed >= Fraction(figure.value)
    if figure.comparison == "about":
        return abs(recomputed - Fraction(figure.value)) <= ABOUT_TOLERANCE
    if figure.unit == "percent":
        return round_half_up(recomputed, figure.decimals) == figure.value
    return recomputed == Fraction(figure.value)


def _not_tabulated(pub: Publication, figure: Figure, indicator_id: str) -> InputError:
    return InputError(
        pub.published_figures,
        "an indicator and category that the indicator table holds",
        row=figure.row,
        column="indicator",
        value=f"{indicator_id} {figure.category}".strip(),
    )


def _explain_reproduced(figure: Figure, row: dict[str, object], is_weighted: bool = False) -> str:
    if figure.unit == "base" and len(figure.indicators) > 1:
        return _("The bases of {indicators} add up to {base}, as in the report.").format(
            indicators=_(", ").join(figure.indicators), base=row["base"]
        )
    if figure.unit == "base":
        return _("The recomputed base is {base}, as in the report.").format(base=row["base"])
    if figure.unit == "count":
        return _("The recomputed count is {count}, as in the report.").format(count=row["count"])
    if figure.comparison == "at_least":
        return _("Recomputed: {recomputed}%; no less than the report's {value}%.").format(
            recomputed=row["recomputed"], value=figure.value
        )
    if figure.comparison == "about":
        return _(
            "Recomputed: {recomputed}%; within {tolerance} percentage points of the report's about {value}%."
        ).format(recomputed=row["recomputed"], value=figure.value, tolerance=ABOUT_TOLERANCE)
    if is_weighted:
        return _(
            "The weighted share is {recomputed}% (unweighted n = {base}), which rounds to the report's figure at the "
            "report's decimal places."
        ).format(base=row["base"], recomputed=row["recomputed"])
    return _(
        "{count}/{base} = {recomputed}%, which rounds to the report's figure at the report's decimal places."
    ).format(count=row["count"], base=row["base"], recomputed=row["recomputed"])


def _explain_weighted_mismatch(figure: Figure, row: dict[str, object]) -> str:
    return _(
        "The weighted share is {recomputed}% (unweighted n = {base}), which does not match the report's "
        '"{printed}". A weighted percentage is no whole count over a base, so no other base is looked for: the '
        "report may have used other weights or another population."
    ).format(recomputed=row["recomputed"], base=row["base"], printed=figure.printed)


def _explain_mismatch(figure: Figure, row: dict[str, object], candidates: list[int], fitting: int, size: int) -> str:
    if figure.unit != "percent" or figure.comparison != "equal":
        return _('The recomputed value is {recomputed}, which does not match the report\'s "{printed}".').format(
            recomputed=row["recomputed"], printed=figure.printed
        )
    if candidates:
        return _(
            "The report's {printed} does not fit the base {base} in the data; only the bases {bases} give this "
            "figure, so the report may have used a different base."
        ).format(
            printed=figure.printed,
            base=row["base"],
            # Only the smallest bases are named; candidate_count holds how many fit.
            bases=_(", ").join([*(str(base) for base in candidates), *(["…"] if fitting > len(candidates) else [])]),
        )
    return _(
        "No whole count over any base from 1 to {size} rounds to {printed}: the figure cannot come from a whole "
        "number of respondents, and may be a misprint or computed another way."
    ).format(size=size, printed=figure.printed)
