"""Design-based estimation of shares: the one place where weights, strata, clusters and the FPC become numbers.

Takes: weighted sums per domain (a breakdown group, or the whole base) and stratum that an engine computed
(`DomainSums`), and the design's shape (`DesignShape`: PSUs per stratum, finite population corrections).
Gives: for each category, the weighted share, its Taylor-linearised standard error, the design effect, the effective
sample size and the 95% interval (`Estimate`).

The share of a category in a domain is the ratio estimator p = Σ w·d·y / Σ w·d (d: in the domain and the base,
y: chose the category). Its linearised variance is the with-replacement variance of the PSU totals of
z = w·d·(y − p) / Σ w·d, stratum by stratum (Wolter 2007, ch. 6; what R's `survey`, Stata's `svy` and the `svy`
package compute):

    v(p) = Σ_h (1 − f_h) · n_h / (n_h − 1) · Σ_j (z_hj − z̄_h)²

with n_h the PSUs of stratum h in the whole sample (a PSU without domain members counts, with z = 0: domain
estimation keeps the full design) and f_h = n_h / N_h when a population size is declared. The engines hand over,
per domain and stratum, Σ A_j, Σ B_j, Σ A_j², Σ A_j·B_j and Σ B_j² over the PSUs, where A_j = Σ w·d and
B_j = Σ w·d·y in PSU j; then Σ_j z_hj² = (Σ B² − 2p Σ AB + p² Σ A²) / W² and Σ_j z_hj = (Σ B − p Σ A) / W.
Without clusters every respondent is its own PSU, so A² = w²·d and A·B = B² = w²·d·y, sums the engines form
directly. Both engines give the same sums, and the variance is computed here, once.

The interval is the logit interval on the linearised standard error with Student's t on the domain's degrees of
freedom (PSUs holding domain members − strata holding them): the default of Stata's `svy: proportion`, of R's
`svyciprop(method = "logit")` and of the `svy` package, so the published bounds can be checked against any of them.
It stays inside 0–100% and is asymmetric near the ends, where the Wald interval fails. At 0% or 100% the standard
error is 0 and the logit is undefined; there the interval is the Clopper–Pearson interval on the unweighted base,
which is what the Korn–Graubard interval reduces to when the variance is zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

# Two-sided 95%.
ALPHA = 0.05


@dataclass(frozen=True)
class DesignShape:
    """The sample's design as the variance needs it: PSUs per stratum and the FPC factor 1 − n_h/N_h per stratum."""

    psus: np.ndarray  # (H,) PSUs in each stratum, in the whole sample
    fpc: np.ndarray  # (H,) 1 − n_h / N_h; 1 without a population size
    clustered: bool

    @property
    def degrees_of_freedom(self) -> int:
        return int(self.psus.sum()) - len(self.psus)


@dataclass
class DomainSums:
    """Weighted sums of one domain, per stratum (rows) and category (columns)."""

    w: np.ndarray  # (H,) Σ_j A_j
    wy: np.ndarray  # (H, K) Σ_j B_j
    aa: np.ndarray  # (H,) Σ_j A_j²
    ab: np.ndarray  # (H, K) Σ_j A_j·B_j
    bb: np.ndarray  # (H, K) Σ_j B_j²
    members: np.ndarray  # (H,) PSUs of the stratum holding domain members (their degrees of freedom)

    @classmethod
    def zeros(cls, strata: int, categories: int) -> DomainSums:
        return cls(
            np.zeros(strata),
            np.zeros((strata, categories)),
            np.zeros(strata),
            np.zeros((strata, categories)),
            np.zeros((strata, categories)),
            np.zeros(strata),
        )

    @property
    def degrees_of_freedom(self) -> int:
        """PSUs holding domain members minus the strata holding them (as svy and Korn–Graubard count them);
        at least 1, so that a domain inside one PSU gets the widest t interval rather than none."""
        return max(int(self.members.sum()) - int((self.members > 0).sum()), 1)


@dataclass(frozen=True)
class Estimate:
    """One category's weighted share and its uncertainty, unrounded; proportions (0–1), not percents."""

    share: float
    se: float
    deff: float
    n_eff: float
    low: float
    high: float


def estimates(sums: DomainSums, shape: DesignShape, base: int, counts: tuple[int, ...]) -> list[Estimate]:
    """Estimates for every category of one domain; `base` and `counts` are the unweighted respondents."""
    total = float(sums.w.sum())
    if base <= 0 or total <= 0:
        nan = math.nan
        return [Estimate(nan, nan, nan, nan, nan, nan) for _ in counts]
    n_h = shape.psus.astype(float)
    # A stratum's n_h/(n_h − 1); load.py refuses a stratum with one PSU, so n_h ≥ 2 here, except for an
    # unstratified sample of one respondent, whose variance is rightly undefined (NaN).
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = shape.fpc * n_h / (n_h - 1)
    results = []
    for k, count in enumerate(counts):
        share = float(sums.wy[:, k].sum()) / total
        squares = (sums.bb[:, k] - 2 * share * sums.ab[:, k] + share * share * sums.aa) / (total * total)
        mean = (sums.wy[:, k] - share * sums.w) / total
        with np.errstate(invalid="ignore"):
            variance = float((factor * (squares - mean * mean / n_h)).sum())
        se = math.sqrt(max(variance, 0.0))
        # Design effect against simple random sampling with replacement of the same n respondents (deft², as R's
        # `survey` and `svy` give it): the SRS variance uses the n − 1 divisor, so a self-weighting SRS gives 1.
        srs = share * (1 - share) / (base - 1) if base > 1 else 0.0
        deff = variance / srs if srs > 0 else math.nan
        n_eff = base / deff if deff and deff > 0 and not math.isnan(deff) else math.nan
        low, high = interval(share, se, sums.degrees_of_freedom, base, count)
        results.append(Estimate(share, se, deff, n_eff, low, high))
    return results


def interval(share: float, se: float, df: int, base: int, count: int) -> tuple[float, float]:
    """95% logit interval with t on the domain's `df` degrees of freedom; Clopper–Pearson on `base` at 0 and 1."""
    if count == 0 or share <= 0:
        return 0.0, 1 - (ALPHA / 2) ** (1 / base)
    if count == base or share >= 1:
        return (ALPHA / 2) ** (1 / base), 1.0
    if se == 0:
        return share, share
    t = t_quantile(df)
    logit = math.log(share / (1 - share))
    spread = t * se / (share * (1 - share))
    return _expit(logit - spread), _expit(logit + spread)


def _expit(value: float) -> float:
    return 1 / (1 + math.exp(-value))


def t_quantile(df: int) -> float:
    """The 97.5% quantile of Student's t on `df` (≥ 1) degrees of freedom (scipy.special: a light import)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, 1 - ALPHA / 2))


def round_to(value: float, decimals: int) -> float:
    """Rounded half away from zero from the exact binary value, as tabulate rounds unweighted percents."""
    if math.isnan(value):
        return math.nan
    return float(Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def percent_of(wy: float, w: float) -> float:
    """100 · Σwy / Σw in 40-digit decimals, rounded to 2 decimals: with all weights 1, exactly today's percent."""
    from decimal import localcontext

    with localcontext() as context:
        context.prec = 40
        exact = Decimal(wy) * 100 / Decimal(w)
        return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Layout:
    """Where each respondent sits in the design: its stratum and PSU as indexes, and the design's shape."""

    shape: DesignShape
    weights: np.ndarray  # (N,) float (empty for a streamed file: its engine sums the weights itself)
    stratum: np.ndarray  # (N,) stratum index 0..H−1 (empty for a streamed file)
    unit: np.ndarray  # (N,) PSU index 0..U−1 (clustered designs), else the stratum index (empty when streamed)
    unit_stratum: np.ndarray  # (U,) stratum of each PSU
    strata_labels: tuple[str, ...]
    unit_keys: dict[tuple[str, str], int]  # (stratum label, PSU label) -> PSU index (clustered designs)


def layout(frame, design) -> Layout:
    """The design of one population's validated frame (load.py has checked every design column)."""
    import pandas as pd

    size = len(frame)
    weights = np.asarray(frame[design.weight], dtype=float)
    # Hash-based factorising: sorting a million text labels with numpy takes seconds.
    if design.strata:
        stratum, labels = pd.factorize(frame[design.strata], sort=True)
        labels = [str(label) for label in labels]
    else:
        stratum, labels = np.zeros(size, dtype=np.int64), [""]
    strata = len(labels)
    unit_keys: dict[tuple[str, str], int] = {}
    if design.cluster:
        cluster, cluster_labels = pd.factorize(frame[design.cluster], sort=True)
        # PSU codes are taken within their stratum: the pair (stratum, cluster) is the PSU.
        pairs, unit = np.unique(stratum.astype(np.int64) * len(cluster_labels) + cluster, return_inverse=True)
        unit_stratum = pairs // len(cluster_labels)
        unit_keys = {
            (labels[int(pair // len(cluster_labels))], str(cluster_labels[int(pair % len(cluster_labels))])): index
            for index, pair in enumerate(pairs)
        }
        psus = np.bincount(unit_stratum, minlength=strata)
    else:
        unit, unit_stratum = stratum, np.arange(strata)
        psus = np.bincount(stratum, minlength=strata)
    fpc = np.ones(strata)
    if design.fpc is not None:
        if isinstance(design.fpc, str):
            population = np.zeros(strata)
            population[stratum] = np.asarray(frame[design.fpc], dtype=float)
        else:
            population = np.full(strata, float(design.fpc))
        fpc = 1 - psus / population
    shape = DesignShape(psus=psus, fpc=fpc, clustered=bool(design.cluster))
    return Layout(shape, weights, np.asarray(stratum), np.asarray(unit), unit_stratum, tuple(labels), unit_keys)


def unit_layout(design, units: list[tuple[str, str, int, float | None]]) -> Layout:
    """The design from its PSUs alone, as a streamed file gives them (one aggregation, no respondent arrays):
    `units` holds (stratum label, PSU label, respondents, population size or None) per PSU of a clustered design,
    or per stratum (PSU label "") of an unclustered one. The same shape `layout` gives for the whole frame."""
    labels = sorted({stratum for stratum, *_ in units})
    position = {label: index for index, label in enumerate(labels)}
    strata = len(labels)
    population = np.full(strata, float(design.fpc) if isinstance(design.fpc, int | float) else np.nan)
    unit_keys: dict[tuple[str, str], int] = {}
    if design.cluster:
        ordered = sorted(units, key=lambda unit: (position[unit[0]], unit[1]))
        unit_stratum = np.array([position[stratum] for stratum, *_ in ordered], dtype=np.int64)
        unit_keys = {(stratum, cluster): index for index, (stratum, cluster, *_) in enumerate(ordered)}
        psus = np.bincount(unit_stratum, minlength=strata)
    else:
        unit_stratum = np.arange(strata)
        psus = np.zeros(strata, dtype=np.int64)
        for stratum, _, respondents, _ in units:
            psus[position[stratum]] = respondents
    for stratum, _, _, size in units:
        if isinstance(design.fpc, str):
            population[position[stratum]] = size
    fpc = 1 - psus / population if design.fpc is not None else np.ones(strata)
    shape = DesignShape(psus=psus, fpc=fpc, clustered=bool(design.cluster))
    empty = np.zeros(0)
    return Layout(shape, empty, empty.astype(np.int64), empty.astype(np.int64), unit_stratum, tuple(labels), unit_keys)


def cluster_sums(unit_stratum: np.ndarray, a: np.ndarray, b: np.ndarray, strata: int) -> DomainSums:
    """Per-stratum sums from PSU totals: `a` (U,) of Σ w·d, `b` (U, K) of Σ w·d·y."""
    width = b.shape[1]

    def per_stratum(values: np.ndarray) -> np.ndarray:
        return np.bincount(unit_stratum, weights=values, minlength=strata)

    def columns(values: np.ndarray) -> np.ndarray:
        return np.stack([per_stratum(values[:, k]) for k in range(width)], axis=1) if width else np.zeros((strata, 0))

    return DomainSums(
        w=per_stratum(a),
        wy=columns(b),
        aa=per_stratum(a * a),
        ab=columns(a[:, None] * b),
        bb=columns(b * b),
        members=per_stratum((a > 0).astype(float)),
    )


def respondent_sums(w: np.ndarray, wy: np.ndarray, w2: np.ndarray, w2y: np.ndarray, n: np.ndarray) -> DomainSums:
    """Per-stratum sums when every respondent is its own PSU: A² = w², A·B = B² = w²·y (y is 0 or 1);
    `n` the domain's respondents per stratum."""
    return DomainSums(w=w, wy=wy, aa=w2, ab=w2y, bb=w2y.copy(), members=n)
