"""DP estimation of the facts a schema did not declare public.

* Category sets: Gaussian partition selection. Each row adds 1 to one count; a
  category is kept when its noisy count clears ``τ = 1 + σ·Φ⁻¹(1 − δ_c)``, so a
  category held by one person appears with probability at most ``δ_c``.
* Numeric bounds: a noisy histogram over a fixed, data-independent grid of
  signed log-spaced bins (as in Google's ApproxBounds); the bounds are the
  outermost bins whose noisy counts clear the same kind of threshold.
* Datetime bounds: the same over a fixed monthly grid from 1900 to 2100.
* Numeric precision (decimals kept on output): a noisy histogram of the decimals each
  value needs; the largest count of decimals that clears the threshold.

Every measurement is charged to the :class:`~synth.ledger.PrivacyLedger`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

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


@dataclass(frozen=True)
class DPCategories:
    categories: list[str]
    threshold: float
    sigma: float
    candidates: int


@dataclass(frozen=True)
class DPBounds:
    low: float
    high: float
    sigma: float


def threshold_for(sigma: float, delta: float) -> float:
    return 1.0 + sigma * float(norm.isf(delta))


def category_counts(values: pd.Series) -> pd.Series:
    """Counts of the distinct non-missing values, as text (sums exactly over partitions)."""
    return values.dropna().astype(str).value_counts(sort=False)


def bound_histogram(x: np.ndarray, *, datetime: bool = False) -> np.ndarray:
    """Counts of the finite values of ``x`` over the fixed grid (sums exactly over partitions)."""
    edges = DATETIME_EDGES if datetime else NUMERIC_EDGES
    x = x[np.isfinite(x)]
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    return np.bincount(idx, minlength=len(edges) - 1).astype(np.int64)


def select_categories(
    values: pd.Series | None = None,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    delta: float,
    rng: np.random.Generator,
    column: str,
    counts: pd.Series | None = None,
) -> DPCategories:
    """Gaussian partition selection over the distinct non-missing values.

    Pass the column's ``values``, or its ``counts`` (:func:`category_counts`, summed over
    partitions): both give the same draw.
    """
    if counts is None:
        if values is None:
            raise ValueError("select_categories needs values or counts")
        counts = category_counts(values)
    tau = threshold_for(sigma, delta)
    ledger.charge_gaussian(
        "category set (partition selection)",
        column,
        sigma=sigma,
        delta=delta,
        details={"threshold": round(tau, 3)},
    )
    # sort candidates so the noise draw does not depend on pandas' hash order
    counts = counts.sort_index()
    noisy = counts.to_numpy(dtype=float) + rng.normal(0.0, sigma, size=len(counts))
    keep = [str(c) for c, n in zip(counts.index, noisy, strict=True) if n >= tau]
    return DPCategories(sorted(keep), tau, sigma, len(counts))


def estimate_bounds(
    x: np.ndarray | None = None,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    rng: np.random.Generator,
    column: str,
    datetime: bool = False,
    histogram: np.ndarray | None = None,
) -> DPBounds | None:
    """DP bounds of a numeric (or day-count datetime) column; ``None`` if too sparse.

    The whole histogram is a Gaussian mechanism over a fixed grid (no δ term); the
    threshold only keeps noise in empty bins from widening the bounds. Pass the values
    ``x`` or their ``histogram`` (:func:`bound_histogram`, summed over partitions).
    """
    edges = DATETIME_EDGES if datetime else NUMERIC_EDGES
    tau = 1.0 + sigma * float(norm.isf(1e-4))
    ledger.charge_gaussian(
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
    hot = np.flatnonzero(noisy >= tau)
    if len(hot) == 0:
        return None
    return DPBounds(float(edges[hot[0]]), float(edges[hot[-1] + 1]), sigma)


#: decimals a number may need before it counts as "more" (the last bin)
MAX_DECIMALS = 6


def decimals_histogram(x: np.ndarray) -> np.ndarray:
    """Rows by the decimals their value needs: bins 0…MAX_DECIMALS, then 'more' (finite
    values only; sums exactly over partitions).

    >>> decimals_histogram(np.array([1.0, 2.5, 2.25, np.nan, 1 / 3])).tolist()
    [1, 1, 1, 0, 0, 0, 0, 1]
    """
    x = x[np.isfinite(x)]
    need = np.full(len(x), MAX_DECIMALS + 1, dtype=np.int64)
    for d in range(MAX_DECIMALS, -1, -1):
        exact = np.abs(np.round(x, d) - x) <= 1e-9 * np.maximum(1.0, np.abs(x))
        need[exact] = d
    return np.bincount(need, minlength=MAX_DECIMALS + 2).astype(np.int64)


@dataclass(frozen=True)
class DPPrecision:
    precision: int | None
    sigma: float


def estimate_precision(
    histogram: np.ndarray,
    *,
    ledger: PrivacyLedger,
    sigma: float,
    rng: np.random.Generator,
    column: str,
) -> DPPrecision:
    """DP number of decimals: the most any bin of the noisy decimals histogram holds.

    One Gaussian mechanism (each row adds 1 to one bin: sensitivity 1), charged to the
    ledger; the precision is the largest decimal count whose noisy number of rows clears
    the same threshold as the bounds, ``None`` (values kept unrounded) when values need
    more than ``MAX_DECIMALS`` or when no bin clears it (too few rows to tell).
    """
    tau = 1.0 + sigma * float(norm.isf(1e-4))
    ledger.charge_gaussian(
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
