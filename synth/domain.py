"""DP estimation of the facts a schema did not declare public.

* Category sets: Gaussian partition selection. Each row adds 1 to one count; a
  category is kept when its noisy count clears ``τ = 1 + σ·Φ⁻¹(1 − δ_c)``, so a
  category held by one person appears with probability at most ``δ_c``.
* Numeric bounds: a noisy histogram over a fixed, data-independent grid of
  signed log-spaced bins (as in Google's ApproxBounds); the bounds are the
  outermost bins (or windows of adjacent bins, on small tables) whose noisy counts
  clear a threshold set for the whole grid.
* Datetime bounds: the same over a fixed monthly grid from 1900 to 2100.
* Numeric precision (decimals kept on output): a noisy histogram of the decimals each
  value needs; the largest count of decimals that clears the threshold.

Every measurement is charged to the :class:`~synth.ledger.PrivacyLedger`. With several
rows per person, each takes person counts instead of row counts (``contribution``:
:mod:`synth.contributions`): a person weighs at most 1 in a count, charged per person.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from synth.contributions import Contribution
from synth.ledger import PrivacyLedger

MAX_CANDIDATE_CATEGORIES = 1_000_000

#: fixed numeric grid: 0 plus ±2^(k/4) for k covering 1e-6 … 1e15
_EXP = np.arange(-80, 200) / 4.0
_POS_EDGES = 2.0**_EXP
NUMERIC_EDGES = np.concatenate([-_POS_EDGES[::-1], [0.0], _POS_EDGES])

#: fixed datetime grid: months from 1900-01 to 2100-01, as days since 1970-01-01
DATETIME_EDGES = (
    pd.date_range("1900-01-01", "2100-01-01", freq="MS")
    .values.astype("datetime64[D]")
    .astype(np.int64)
    .astype(float)
)


#: draws a measurement's noise when its noisy counts are reused as the model's
#: (``Randomness.gaussian_counts``: whole counts plus OpenDP's exact discrete Gaussian).
#: The discrete Gaussian's chance of reaching a whole t is at most the continuous one's of
#: reaching t − 1 (its mass at x is at most the continuous density over [x − 1, x], and
#: its normaliser at least the continuous one), so a threshold taken with it is one higher
Noise = Callable[[np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class DPCategories:
    """A column's categories kept under DP (sorted), the threshold a new value cleared, the
    noise s.d., how many values were seen, and ``noisy``: each kept category's noisy count,
    a released output of the same Gaussian mechanism (reusable as a measurement)."""

    categories: list[str]
    threshold: float
    sigma: float
    candidates: int
    noisy: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DPBounds:
    low: float
    high: float
    sigma: float
    #: the noisy grid histogram the bounds were read from (DP; reused for quantiles)
    noisy: np.ndarray | None = None


@dataclass(frozen=True)
class DPValues:
    """Values of a numeric column selected under DP, with their noisy counts."""

    values: np.ndarray
    noisy: np.ndarray
    threshold: float
    sigma: float


def threshold_for(sigma: float, delta: float, k: int = 1) -> float:
    """Partition-selection threshold on row counts of noise ``sigma`` when one person holds
    at most ``k`` rows: ``k + σ·Φ⁻¹(1 − δ/k)``.

    A person alone in up to k candidates adds v_i ≥ 0 rows to each (Σ v_i ≤ k); the chance
    that one of them clears τ, Σ Φ̄((τ − v_i)/σ), is convex in v, so it is largest at a
    corner: one candidate with all k rows (chance δ/k) and k − 1 barely touched (each
    below δ/k), δ in all.

    >>> round(threshold_for(1.0, 1e-6), 2), round(threshold_for(2.0, 1e-6, k=2), 2)
    (5.75, 11.78)
    """
    return Contribution.rows(k).threshold(sigma, delta)


def _counted(contribution: Contribution | None, ledger: PrivacyLedger) -> Contribution:
    """How one person moves the counts: as given (person counts), else row counts of the
    ledger's k rows per person."""
    return contribution or Contribution.rows(ledger.rows_per_unit)


def category_counts(values: pd.Series) -> pd.Series:
    """Counts of the distinct non-missing values, as text (sums exactly over partitions)."""
    return values.dropna().astype(str).value_counts(sort=False)


def grid_bins(x: np.ndarray, *, datetime: bool = False) -> np.ndarray:
    """The fixed-grid bin of each value of ``x`` (-1 for a missing or infinite one)."""
    edges = DATETIME_EDGES if datetime else NUMERIC_EDGES
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    return np.where(np.isfinite(x), idx, -1)


def grid_size(*, datetime: bool = False) -> int:
    return len(DATETIME_EDGES if datetime else NUMERIC_EDGES) - 1


def bound_histogram(x: np.ndarray, *, datetime: bool = False) -> np.ndarray:
    """Counts of the finite values of ``x`` over the fixed grid (sums exactly over partitions)."""
    idx = grid_bins(x, datetime=datetime)
    return np.bincount(idx[idx >= 0], minlength=grid_size(datetime=datetime)).astype(np.int64)


def select_categories(
    values: pd.Series | None = None,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    delta: float,
    rng: np.random.Generator,
    column: str,
    counts: pd.Series | None = None,
    contribution: Contribution | None = None,
    noise: Noise | None = None,
) -> DPCategories:
    """Gaussian partition selection over the distinct non-missing values.

    Pass the column's ``values``, or its ``counts`` (:func:`category_counts`, summed over
    partitions; or :func:`person_counts` with their ``contribution``): both give the same
    draw. ``noise``: draws the counts' noise (:data:`Noise`) when they are to be reused.
    """
    if counts is None:
        if values is None:
            raise ValueError("select_categories needs values or counts")
        counts = category_counts(values)
    index, noisy, tau = _partition_selection(
        counts,
        "category set (partition selection)",
        ledger,
        sigma,
        delta,
        rng,
        column,
        contribution,
        noise,
    )
    kept = {str(c): float(n) for c, n in zip(index, noisy, strict=True) if n >= tau}
    return DPCategories(sorted(kept), tau, sigma, len(counts), kept)


#: a public candidate is kept when its noisy count clears this many noise s.d.: an empty
#: one is kept with probability 16 % at 1.0, and then the marginal engines' compression
#: (values below 3σ of their own 1-way noise share a group, drawn in proportion to their
#: noisy count above σ) seldom emits it, while a candidate holding a few dozen rows stays
CANDIDATE_Z = 1.0


def select_with_candidates(
    counts: pd.Series,
    candidates: list[str],
    *,
    ledger: PrivacyLedger,
    sigma: float,
    delta: float,
    rng: np.random.Generator,
    column: str,
    contribution: Contribution | None = None,
    noise: Noise | None = None,
) -> DPCategories:
    """Categories from a public candidate list plus DP partition selection of the rest.

    One Gaussian mechanism over the counts of every candidate (present or not: the list
    is public, so an absent candidate is counted too) and of every other value seen (each
    row adds 1 to one count). A candidate needs no partition selection (whether it is kept
    is post-processing of a public list's noisy counts): it is kept when its noisy count
    clears ``CANDIDATE_Z·σ``; a value outside the list must clear the partition-selection
    threshold ``τ`` (δ-calibrated, as :func:`select_categories`).
    """
    public = list(dict.fromkeys(str(c) for c in candidates))
    counts = counts.copy()
    counts.index = counts.index.astype(str)
    others = counts[~counts.index.isin(public)]
    contribution = _counted(contribution, ledger)
    tau = contribution.threshold(sigma, delta) + (1.0 if noise else 0.0)
    contribution.charge(
        ledger,
        "category set (public candidates and partition selection)",
        column,
        sigma=sigma,
        delta=delta,
        details={"threshold": round(tau, 3), "candidates": len(public), **_reused(noise)},
    )
    listed = counts.reindex(public, fill_value=0).sort_index()
    tau_c = CANDIDATE_Z * sigma
    others = others.sort_index()
    noisy_c = _noisy(listed.to_numpy(dtype=float), sigma, rng, noise)
    noisy_o = _noisy(others.to_numpy(dtype=float), sigma, rng, noise)
    kept = {str(c): float(n) for c, n in zip(listed.index, noisy_c, strict=True) if n >= tau_c}
    kept |= {str(c): float(n) for c, n in zip(others.index, noisy_o, strict=True) if n >= tau}
    return DPCategories(sorted(kept), tau, sigma, len(counts), kept)


def _partition_selection(
    counts: pd.Series,
    purpose: str,
    ledger: PrivacyLedger,
    sigma: float,
    delta: float,
    rng: np.random.Generator,
    column: str,
    contribution: Contribution | None = None,
    noise: Noise | None = None,
) -> tuple[pd.Index, np.ndarray, float]:
    """Gaussian partition selection, charged: the candidates (sorted), their noisy counts
    and the threshold ``τ = k + σ·Φ⁻¹(1 − δ/k)`` a kept candidate's noisy count clears (k:
    the rows one person may hold; the ledger charges the k-fold sensitivity), or for person
    counts ``τ = 1 + σ·Φ⁻¹(1 − δ/k)`` (:class:`Contribution`); one more with ``noise``
    (:data:`Noise`)."""
    contribution = _counted(contribution, ledger)
    tau = contribution.threshold(sigma, delta) + (1.0 if noise else 0.0)
    contribution.charge(
        ledger,
        purpose,
        column,
        sigma=sigma,
        delta=delta,
        details={"threshold": round(tau, 3), **_reused(noise)},
    )
    # sort candidates so the noise draw does not depend on pandas' hash order
    counts = counts.sort_index()
    return counts.index, _noisy(counts.to_numpy(dtype=float), sigma, rng, noise), tau


def _reused(noise: Noise | None) -> dict[str, str]:
    """What the ledger says of a selection whose noisy counts are released for reuse."""
    return {"counts": "also the engine's 1-way measurement of the column"} if noise else {}


def _noisy(
    exact: np.ndarray, sigma: float, rng: np.random.Generator, noise: Noise | None
) -> np.ndarray:
    return noise(exact, sigma) if noise else exact + rng.normal(0.0, sigma, size=len(exact))


#: window widths (in grid bins) at which the one noisy histogram is read, finest first:
#: numbers up to a factor 256 (32 bins of 2^(1/4): a tail spread thinly over many octaves,
#: such as the positive part of a zero-inflated income, is hot only in wide windows),
#: dates up to two years of months
BOUND_WINDOWS = {False: (1, 2, 4, 8, 16, 32), True: (1, 3, 6, 12, 24)}
#: wider windows read only when none of ``BOUND_WINDOWS`` is hot: dates up to eight years
#: (a four-year visit table of 15,000 rows at ε = 1 with four rows per person: its months
#: hold ~250 rows against a noise s.d. of ~270 per month, and no two-year window clears
#: it). The false-hot chance covers them too
BOUND_FALLBACK_WINDOWS = {False: (), True: (48, 96)}
#: chance, over every window of every width, that noise alone makes an empty window "hot"
BOUND_FALSE_HOT = 1e-4
#: a reading's range must hold this share of the largest noisy mass any reading found
BOUND_MASS_SHARE = 0.95


def estimate_bounds(
    x: np.ndarray | None = None,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    rng: np.random.Generator,
    column: str,
    datetime: bool = False,
    histogram: np.ndarray | None = None,
    contribution: Contribution | None = None,
) -> DPBounds | None:
    """DP bounds of a numeric (or day-count datetime) column; ``None`` if too sparse.

    The whole histogram is one Gaussian mechanism over a fixed grid (no δ term). It is then
    read, as post-processing, at several resolutions: windows of adjacent bins
    (``BOUND_WINDOWS``, half-overlapping), each window's noisy sum against ``1 + σ√w·z``
    with z set so that noise alone
    makes *any* window of any width hot with probability ``BOUND_FALSE_HOT`` (a per-bin
    threshold over 2,400 monthly bins put a spurious hot month decades away in about one
    fit in five). The bounds are the outermost hot windows of the finest width whose
    range holds ``BOUND_MASS_SHARE`` of the largest noisy mass any width's range holds:
    tight on large tables, still found (windows coarser) on small ones, where months
    clear the threshold only now and then. Pass the values ``x`` or their ``histogram``
    (:func:`bound_histogram`, summed over partitions).
    """
    edges = DATETIME_EDGES if datetime else NUMERIC_EDGES
    _counted(contribution, ledger).charge(
        ledger,
        "bounds (noisy histogram)",
        column,
        sigma=sigma,
        details={"grid": "monthly 1900-2100" if datetime else "signed 2^(k/4)"},
    )
    if histogram is None:
        if x is None:
            raise ValueError("estimate_bounds needs values or a histogram")
        histogram = bound_histogram(x, datetime=datetime)
    noisy = histogram.astype(float) + rng.normal(0.0, sigma, size=len(histogram))
    bins = len(noisy)
    # windows of w bins every w/2 bins (half-overlapping, so that no fixed boundary can
    # split the data between two windows at every width)
    widths = BOUND_WINDOWS[datetime]
    fallback = BOUND_FALLBACK_WINDOWS[datetime]
    strides = {w: max(1, w // 2) for w in (*widths, *fallback)}
    windows = sum(-(-bins // strides[w]) for w in (*widths, *fallback))
    z = float(norm.isf(BOUND_FALSE_HOT / windows))
    total = np.r_[0.0, np.cumsum(noisy)]
    # per width: (first bin, end bin, noisy mass inside, first and end bin of every window
    # hot at this width or a finer one)
    found: list[tuple[int, int, float, int, int]] = []
    covered = np.zeros(bins, dtype=bool)
    for w in (*widths, *fallback):
        if found and w in fallback:
            break
        starts = np.arange(0, bins, strides[w])
        ends = np.minimum(starts + w, bins)
        sums = total[ends] - total[starts]
        hot = np.flatnonzero(sums >= 1.0 + sigma * np.sqrt(ends - starts) * z)
        for a, b in zip(starts[hot], ends[hot], strict=True):
            covered[a:b] = True
        if len(hot):
            lo, hi = int(starts[hot[0]]), int(ends[hot[-1]])
            inside = np.flatnonzero(covered)
            found.append(
                (lo, hi, float(total[hi] - total[lo]), int(inside[0]), int(inside[-1]) + 1)
            )
    if not found:
        return None
    # the finest reading whose range holds most of the mass any reading found: a fine
    # width that catches only a few dense windows would cut the column short
    # the share is of the mass outside the heaviest grid bin: a point mass (the zeros of a
    # zero-inflated income, 92 % of Adult's capital-gain) would otherwise let a reading
    # drop 5 % of all rows, i.e. most of the non-zero part (capital-gain came out clipped
    # at 8,192 in some draws, its top values moved into lower bins)
    # (noise can leave every reading lighter than the heaviest bin alone, e.g. negative
    # noise between two hot bins: the base is then the heaviest reading, which always
    # qualifies, so a reading is always chosen)
    most = max(f[2] for f in found)
    base = min(float(noisy.max()), most)
    lo, hi, _, first, end = next(
        f for f in found if f[2] - base >= BOUND_MASS_SHARE * (most - base)
    )
    # the chosen reading also holds every window hot at its width or a finer one: a point
    # mass hot alone (the zeros of a charge column on a small table) stays inside when the
    # chosen coarser width finds the thin positive part but not the point
    lo, hi = min(lo, first), max(hi, end)
    return DPBounds(float(edges[lo]), float(edges[hi]), sigma, noisy)


def noisy_histogram(
    histogram: np.ndarray,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    rng: np.random.Generator,
    column: str,
    contribution: Contribution | None = None,
) -> np.ndarray:
    """The fixed-grid histogram of a column with public bounds, with Gaussian noise: where
    its mass lies inside the bounds (for quantile bins). Charged to the ledger."""
    _counted(contribution, ledger).charge(
        ledger,
        "shape (noisy histogram)",
        column,
        sigma=sigma,
        details={"grid": "signed 2^(k/4)"},
    )
    return histogram.astype(float) + rng.normal(0.0, sigma, size=len(histogram))


def value_counts(x: np.ndarray) -> pd.Series:
    """Counts of the distinct finite values of ``x`` (sums exactly over partitions)."""
    x = x[np.isfinite(x)]
    return pd.Series(x).value_counts(sort=False)


def select_values(
    counts: pd.Series,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    delta: float,
    rng: np.random.Generator,
    column: str,
    contribution: Contribution | None = None,
) -> DPValues:
    """Gaussian partition selection over the distinct values of a numeric column: the
    values that hold many rows (zeros, top codes, round numbers, the few values of a
    discrete column), with their noisy counts. Same mechanism and threshold as
    :func:`select_categories` (a value held by one person survives with probability ≤ δ)."""
    index, noisy, tau = _partition_selection(
        counts,
        "heavy values (partition selection)",
        ledger,
        sigma,
        delta,
        rng,
        column,
        contribution,
    )
    keep = noisy >= tau
    return DPValues(index.to_numpy(dtype=float)[keep], noisy[keep], tau, sigma)


#: a numeric column whose DP range holds at most this many values at its DP precision has
#: them all as public candidates (:func:`select_range_values`); the marginal engines code
#: such a range value by value (``synth.numeric_shape.EXACT_VALUES``)
RANGE_CANDIDATE_VALUES = 256
#: a value of such a range is kept when its noisy count clears this many noise s.d.: an
#: empty value is kept with probability 0.13 % (a 0-10 score with gaps must not come out
#: with values no row holds), a value of 3σ rows half the time. Partition selection's
#: δ-calibrated threshold (≈ 7σ) lost values of a few hundred rows at ε = 1
RANGE_CANDIDATE_Z = 3.0


def range_values(low: float, high: float, precision: int | None) -> np.ndarray | None:
    """Every number with ``precision`` decimals in [low, high] (on the decimal grid, not
    from ``low``), or None when unrounded or more than ``RANGE_CANDIDATE_VALUES``.

    >>> range_values(2.83, 6.1, 0).tolist()
    [3.0, 4.0, 5.0, 6.0]
    >>> range_values(0, 1e6, 0) is None, range_values(0, 1, None) is None
    (True, True)
    """
    if precision is None or not high >= low:
        return None
    step = 10.0 ** (-precision)
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    if last < first or last - first + 1 > RANGE_CANDIDATE_VALUES:
        return None
    return np.round(np.arange(first, last + 1) * step, precision)


def select_range_values(
    counts: pd.Series,
    candidates: np.ndarray,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    delta: float,
    rng: np.random.Generator,
    column: str,
    contribution: Contribution | None = None,
) -> DPValues:
    """The values of a numeric column among ``candidates``, every number its DP bounds
    and DP precision allow (:func:`range_values`), with their noisy counts.

    The candidates are a function of DP outputs only, so they are public: one Gaussian
    mechanism over the count of every candidate, present or not (each row adds 1 to at
    most one count; a value off the grid or outside the range adds to none), and keeping
    a candidate whose noisy count clears ``RANGE_CANDIDATE_Z·σ`` is post-processing and
    needs no δ (``delta`` is charged anyway, see below). Partition selection's
    δ-calibrated threshold (:func:`select_values`, ≈ 7σ at δ = 1e-11) lost values of a few
    hundred rows at ε = 1 (Adult's education-num 3, 8 or 16, each tied one-to-one to an
    education level: a discrete column never emits an unselected value, and that level
    then all but vanished from the output).
    """
    # charged as the partition selection it stands in for (same σ, its δ too, though a
    # public candidate list needs none): whether a column's DP range is small enough is a
    # DP output, and the ledger's plan must not change with it
    _counted(contribution, ledger).charge(
        ledger,
        "heavy values (partition selection)",
        column,
        sigma=sigma,
        delta=delta,
        details={
            "candidates": f"every value of the DP range ({len(candidates)})",
            "threshold": round(RANGE_CANDIDATE_Z * sigma, 3),
        },
    )
    x = counts.index.to_numpy(dtype=float)
    step = float(candidates[1] - candidates[0]) if len(candidates) > 1 else 1.0
    pos = np.rint((x - candidates[0]) / step).astype(np.int64)
    on_grid = (
        (pos >= 0)
        & (pos < len(candidates))
        & np.isclose(x, candidates[np.clip(pos, 0, len(candidates) - 1)], rtol=0, atol=step * 1e-6)
    )
    exact = np.bincount(
        pos[on_grid], weights=counts.to_numpy(dtype=float)[on_grid], minlength=len(candidates)
    )
    noisy = exact + rng.normal(0.0, sigma, size=len(candidates))
    keep = noisy >= RANGE_CANDIDATE_Z * sigma
    return DPValues(candidates[keep], noisy[keep], RANGE_CANDIDATE_Z * sigma, sigma)


#: decimals a number may need before it counts as "more" (the last bin)
MAX_DECIMALS = 6


def decimals_histogram(x: np.ndarray) -> np.ndarray:
    """Rows by the decimals their value needs: bins 0…MAX_DECIMALS, then 'more' (finite
    values only; sums exactly over partitions).

    >>> decimals_histogram(np.array([1.0, 2.5, 2.25, np.nan, 1 / 3])).tolist()
    [1, 1, 1, 0, 0, 0, 0, 1]
    """
    need = decimals_needed(x)
    return np.bincount(need[need >= 0], minlength=MAX_DECIMALS + 2).astype(np.int64)


def decimals_needed(x: np.ndarray) -> np.ndarray:
    """Decimals each value of ``x`` needs (MAX_DECIMALS + 1: more; -1: missing)."""
    need = np.full(len(x), MAX_DECIMALS + 1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        for d in range(MAX_DECIMALS, -1, -1):
            exact = np.abs(np.round(x, d) - x) <= 1e-9 * np.maximum(1.0, np.abs(x))
            need[exact] = d
    need[~np.isfinite(x)] = -1
    return need


@dataclass(frozen=True)
class DPPrecision:
    precision: int | None
    sigma: float


#: chance that noise alone makes some bin of the decimals histogram hot
PRECISION_FALSE_HOT = 1e-4


def estimate_precision(
    histogram: np.ndarray,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    rng: np.random.Generator,
    column: str,
    contribution: Contribution | None = None,
) -> DPPrecision:
    """DP number of decimals: the most any bin of the noisy decimals histogram holds.

    One Gaussian mechanism (each row adds 1 to one bin: sensitivity 1), charged to the
    ledger; the precision is the largest decimal count whose noisy number of rows clears
    the same threshold as the bounds, ``None`` (values kept unrounded) when values need
    more than ``MAX_DECIMALS`` or when no bin clears it (too few rows to tell). Noise alone
    makes *any* bin hot with chance :data:`PRECISION_FALSE_HOT` (split over the bins: the
    largest hot bin wins, so 1e-4 per bin gave a whole-number column 2–6 decimals in
    about 0.6 % of diabetes130 fits, decoded unrounded).
    """
    tau = 1.0 + sigma * float(norm.isf(PRECISION_FALSE_HOT / len(histogram)))
    _counted(contribution, ledger).charge(
        ledger,
        "precision (noisy decimals histogram)",
        column,
        sigma=sigma,
        details={"bins": f"0-{MAX_DECIMALS} decimals, more"},
    )
    noisy = histogram.astype(float) + rng.normal(0.0, sigma, size=len(histogram))
    hot = np.flatnonzero(noisy >= tau)
    if len(hot) == 0 or hot[-1] > MAX_DECIMALS:
        return DPPrecision(None, sigma)
    return DPPrecision(int(hot[-1]), sigma)
