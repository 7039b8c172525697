"""Numeric questions: the rules for their raw values, their bands, and the mean and median with intervals.

Each rule lives here once and every stage applies it: load checks raw values against `NUMBER_TEXT`, `in_range` and
`scaled` and words its errors with `expected` and `problem_hint` (the DuckDB checks of Parquet files say the same);
the engines count bands through `band_array` (numpy) or `band_sql` (DuckDB); tabulate turns a histogram of raw values
into the summary table with `summarise`.

Raw values are handled as whole numbers: a value times `10 ** decimals` (the codebook declares `decimals`, and a
value with more is refused). Sums, sums of squares and order statistics are then exact integers, so the pandas and
DuckDB paths give the same summary to the last digit.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np
import pandas as pd

from surveypress.content import Codebook, Numeric, Question

# Raw values as text: optional minus, digits, optional decimals, no thousands separator; an exponent only because
# Parquet doubles read as text may come out that way (1e-07).
NUMBER_TEXT = r"^-?[0-9]{1,15}(\.[0-9]+)?([eE][-+]?[0-9]{1,3})?$"
# The band code a value gets when it is in no band (out of range, malformed): 0 is never an option code.
NO_BAND = 0
CONFIDENCE = Decimal("0.95")
MEAN_INTERVAL = "t"
MEDIAN_INTERVAL = "binomial order statistics"


def expected(question: Question, no_answer: int) -> str:
    """What a cell of a numeric question must hold, as every error message says it."""
    numeric = question.numeric
    kind = "a whole number" if numeric.decimals == 0 else f"a number with at most {numeric.decimals} decimals"
    return f"{kind} from {numeric.minimum} to {numeric.maximum} for question {question.id}, or {no_answer} (no answer)"


def problem_hint(numeric: Numeric, value: float) -> str:
    """Why a parsed value is refused: out of range, or more decimals than the codebook declares."""
    if not float(numeric.minimum) <= value <= float(numeric.maximum):
        return "Out of the range the codebook declares"
    return f"The value has more decimals than the codebook declares ({numeric.decimals})"


def scaled(values: np.ndarray, numeric: Numeric) -> tuple[np.ndarray, np.ndarray]:
    """(whole numbers value × 10^decimals, mask of values that are exactly such a whole number)."""
    product = np.asarray(values, dtype=np.float64) * numeric.scale
    rounded = np.round(product)
    # A value with at most `decimals` decimals lands within rounding noise of a whole number.
    exact = np.abs(product - rounded) <= 1e-6 * np.maximum(1.0, np.abs(product))
    return rounded.astype(np.int64), exact


def in_range(values: np.ndarray, numeric: Numeric) -> np.ndarray:
    """Mask of scaled values inside [minimum, maximum]."""
    return (values >= numeric.scaled(numeric.minimum)) & (values <= numeric.scaled(numeric.maximum))


def band_codes(values: np.ndarray, numeric: Numeric) -> np.ndarray:
    """The band code of each scaled value (`NO_BAND` outside the range)."""
    starts = np.array([numeric.scaled(band.low) for band in numeric.bands[1:]], dtype=np.int64)
    codes = np.array([band.code for band in numeric.bands], dtype=np.int64)
    result = codes[np.searchsorted(starts, values, side="right")]
    result[~in_range(values, numeric)] = NO_BAND
    return result


def band_array(raw: np.ndarray, empty: np.ndarray, numeric: Numeric, no_answer: int) -> np.ndarray:
    """Band codes of raw values as the engines count them: the no-answer code kept, empty cells 0 (masked apart)."""
    values = np.where(empty, 0.0, np.asarray(raw, dtype=np.float64))
    whole, exact = scaled(values, numeric)
    codes = band_codes(whole, numeric)
    codes[~exact] = NO_BAND
    codes[values == no_answer] = no_answer
    codes[empty] = 0
    return codes.astype(np.int16 if max(abs(no_answer), *numeric_codes(numeric)) < 2**15 else np.int64)


def numeric_codes(numeric: Numeric) -> list[int]:
    return [band.code for band in numeric.bands]


def band_sql(value: str, numeric: Numeric, no_answer: int) -> str:
    """SQL giving the band code of a raw value (NULL stays NULL, the no-answer code stays, else `NO_BAND`)."""
    whole = f"round(({value}) * {numeric.scale})"
    exact = f"abs(({value}) * {numeric.scale} - {whole}) <= 1e-6 * greatest(1.0, abs(({value}) * {numeric.scale}))"
    cases = [f"WHEN ({value}) IS NULL THEN NULL", f"WHEN ({value}) = {no_answer} THEN {no_answer}"]
    cases.append(f"WHEN NOT ({exact}) THEN {NO_BAND}")
    for band in numeric.bands:
        low = numeric.scaled(band.low)
        high = (
            f"{whole} < {numeric.scaled(band.below)}"
            if band.below is not None
            else (f"{whole} <= {numeric.scaled(numeric.maximum)}")
        )
        cases.append(f"WHEN {whole} >= {low} AND {high} THEN {band.code}")
    return f"(CASE {' '.join(cases)} ELSE {NO_BAND} END)"


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _order_statistic(histogram: list[tuple[int, int]], rank: int) -> int:
    """The rank-th smallest value (1-based) of a sorted histogram [(value, count), ...]."""
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    raise ValueError(f"rank {rank} beyond {seen} values")


# Above this many values the exact sum of binomial coefficients gets slow; scipy's binomial CDF is used instead.
EXACT_RANKS_UP_TO = 20_000


def median_ranks(n: int) -> tuple[int, int] | None:
    """Ranks (r, n + 1 - r) of the order statistics bounding the median with at least 95% confidence.

    The number of values below the median is Binomial(n, 1/2), so [x(r), x(n+1-r)] covers it with probability
    1 - 2·P(B <= r - 1); r is the largest rank keeping that at or above 95%. Computed with whole numbers
    (P(B <= r - 1) <= 0.025 is 40·sum C(n, i) <= 2^n), so it is exact. None when n is too small (n < 6).
    """
    if n > EXACT_RANKS_UP_TO:
        from scipy import stats  # here, not at the top: scipy.stats takes most of a no-change build's start-up

        rank = int(stats.binom.ppf(0.025, n, 0.5))
        rank += 1 if stats.binom.cdf(rank, n, 0.5) <= 0.025 else 0
        return rank, n + 1 - rank
    limit = 2**n
    cumulative, term, rank = 0, 1, 0
    for i in range(n + 1):
        if 40 * (cumulative + term) > limit:
            break
        cumulative += term
        rank = i + 1
        term = term * (n - i) // (i + 1)
    if rank < 1:
        return None
    return rank, n + 1 - rank


def summarise(histogram: Mapping[int, int], numeric: Numeric) -> dict[str, dict[str, object]]:
    """Mean (t-interval) and median (order-statistic interval) of answered raw values given as a histogram of
    scaled values; each as {value, ci_low, ci_high, n}, values as Decimal rounded to decimals + 2, None if undefined.
    """
    pairs = sorted((int(value), int(count)) for value, count in histogram.items() if count)
    n = sum(count for _, count in pairs)
    places = numeric.decimals + 2
    scale = Decimal(numeric.scale)
    empty = {"value": None, "ci_low": None, "ci_high": None, "n": n}
    if n == 0:
        return {"mean": dict(empty), "median": dict(empty)}
    with localcontext() as context:
        context.prec = 40
        total = sum(Decimal(value) * count for value, count in pairs)
        squares = sum(Decimal(value) * value * count for value, count in pairs)
        mean = total / n
        result = {"mean": {**empty, "value": _round(mean / scale, places)}}
        if n > 1:
            variance = (squares - total * total / n) / (n - 1)
            error = (max(variance, Decimal(0)).sqrt() / Decimal(n).sqrt()) / scale
            # scipy's t quantile (a float, 15+ significant digits) is the one inexact input; the same for both engines.
            from scipy import stats

            t = Decimal(repr(float(stats.t.ppf(float(1 - (1 - CONFIDENCE) / 2), n - 1))))
            result["mean"]["ci_low"] = _round(mean / scale - t * error, places)
            result["mean"]["ci_high"] = _round(mean / scale + t * error, places)
        middle = (_order_statistic(pairs, (n + 1) // 2) + _order_statistic(pairs, n // 2 + 1)) / Decimal(2)
        result["median"] = {**empty, "value": _round(middle / scale, places)}
        ranks = median_ranks(n)
        if ranks is not None:
            result["median"]["ci_low"] = _round(Decimal(_order_statistic(pairs, ranks[0])) / scale, places)
            result["median"]["ci_high"] = _round(Decimal(_order_statistic(pairs, ranks[1])) / scale, places)
    return result


def banded(codebook: Codebook, microdata: Mapping[str, object]) -> dict[str, object]:
    """Frames with each numeric question's raw values replaced by band codes, so the engines count bands as options.
    Parquet paths are passed on: the engines band them while they read (`numeric.band_sql`, `numeric.band_array`)."""
    result: dict[str, object] = {}
    for population, source in microdata.items():
        rules = [q for q in codebook.questions_of(population) if q.numeric is not None]
        if rules and isinstance(source, pd.DataFrame):
            source = source.copy(deep=False)
            for question in rules:
                column = source[question.id].array
                raw, empty = column.to_numpy(dtype="float64", na_value=0.0), column.isna()
                codes = band_array(raw, empty, question.numeric, codebook.no_answer)
                source[question.id] = pd.arrays.IntegerArray(codes, empty.copy())
        result[population] = source
    return result
