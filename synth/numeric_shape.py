"""A numeric column's shape from its DP measurements: point values and quantile bins.

A real numeric column is a mixture: point masses (0 in an income, a top code, round
values, every value of a low-cardinality integer column) plus a continuous part. Cutting
[low, high] into equal-width bins and decoding uniformly inside a bin smears a point mass
over a whole bin (Adult's ``capital-gain``: 92 % zeros in, under 1 % out). Here, as
post-processing of two charged measurements,

* the **heavy values** (:func:`synth.domain.select_values`, partition selection) become
  point tokens that decode to exactly that value (the heaviest ``MAX_POINTS``); the
  other selected values are the column's *support*;
* the **continuous part** is cut at quantiles of the noisy fixed-grid histogram (the one
  the bounds were read from, or a shape measurement when the bounds are public) minus
  the points' noisy counts, interpolated linearly inside a grid bin; with a known
  precision the edges sit half a step between representable values, so every bin holds
  whole values and decodes to them;
* a column whose selected values hold all its mass (up to noise) is **discrete**: a bin
  decodes to one of the support values inside it, and a column coded value by value
  never emits a value that was not selected.

>>> import pandas as pd
>>> edges = np.array([-1.0, 0.0, 1.0, 2.0, 4.0])
>>> noisy = np.array([0.0, 900.0, 50.0, 50.0])      # 900 zeros, 100 values in [1, 4)
>>> sel = DPValues(np.array([0.0]), np.array([900.0]), 10.0, 1.0)
>>> s = numeric_shape(0.0, 4.0, 0, edges, noisy, sel, sigma=1.0)
>>> s.points, s.discrete
((0.0,), False)
>>> c = s.codec("x", bins=4)
>>> c.encode(pd.Series([0, 3])).tolist()  # 0 is its own token after the bins
[3, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth.domain import DPValues
from synth.encoding import NumericCodec, value_count

#: a column whose range holds at most this many values at its precision is coded exactly
#: by the marginal engines (one token per value), so it needs no shape measurement
EXACT_VALUES = 256
#: point tokens per column at most (the heaviest selected values)
MAX_POINTS = 32
#: selected values kept as the support of a discrete column at most
MAX_SUPPORT = 1000
#: a column is discrete when what its selected values leave unexplained is at most this
#: share of their mass (plus two noise standard deviations)
DISCRETE_SLACK = 0.02


@dataclass(frozen=True)
class NumericShape:
    """Everything a numeric codec needs, at any number of bins (no raw value inside)."""

    low: float
    high: float
    precision: int | None
    points: tuple[float, ...]
    support: tuple[float, ...]
    support_weights: tuple[float, ...]
    grid: np.ndarray  # edges of the grid bins inside [low, high] (clipped to it)
    mass: np.ndarray  # noisy mass of the continuous part per grid bin, ≥ 0
    discrete: bool

    def n_values(self) -> int | None:
        """How many values the range holds at the precision (None when unrounded)."""
        if self.precision is None:
            return None
        return value_count(self.low, self.high, self.precision)

    def codec(self, name: str, bins: int, codes: list[str] | None = None) -> NumericCodec:
        """The codec with at most ``bins`` ordered bins: exact values when the range holds
        that few, else quantile bins plus point tokens."""
        n = self.n_values()
        if (n is not None and n <= bins) or self.high <= self.low:
            allowed = [*self.points, *self.support] if self.discrete else None
            return NumericCodec(
                name,
                self.low,
                self.high,
                self.precision,
                max_bins=bins,
                codes=codes,
                allowed=allowed,
            )
        edges = quantile_edges(self.grid, self.mass, bins, self.low, self.high, self.precision)
        return NumericCodec(
            name,
            self.low,
            self.high,
            self.precision,
            max_bins=bins,
            edges=edges.tolist(),
            points=list(self.points),
            codes=codes,
            support=list(self.support) if self.discrete else None,
            support_weights=list(self.support_weights) if self.discrete else None,
        )


def numeric_shape(
    low: float,
    high: float,
    precision: int | None,
    grid_edges: np.ndarray,
    noisy: np.ndarray,
    selected: DPValues | None,
    *,
    sigma: float,
) -> NumericShape:
    """The shape of a column with bounds [low, high] from its noisy grid histogram
    ``noisy`` (over ``grid_edges``, noise s.d. ``sigma``) and its selected heavy values."""
    inside = np.flatnonzero((grid_edges[1:] > low) & (grid_edges[:-1] < high))
    if high <= low or len(inside) == 0:
        return NumericShape(
            low, high, precision, (), (), (), np.array([low, high]), np.zeros(1), False
        )
    grid = np.clip(np.r_[grid_edges[inside], grid_edges[inside[-1] + 1]], low, high)
    hist = noisy[inside].astype(float)
    possible = _holds_values(grid, precision)
    hist[~possible] = 0.0  # no value of this precision lies there: only noise
    values = np.zeros(0) if selected is None else selected.values
    weights = np.zeros(0) if selected is None else selected.noisy
    ok = (values >= low) & (values <= high)
    values, weights = values[ok], weights[ok]
    order = np.argsort(-weights, kind="stable")
    top, rest = order[:MAX_POINTS], order[MAX_POINTS : MAX_POINTS + MAX_SUPPORT]
    where = np.clip(np.searchsorted(grid, values, side="right") - 1, 0, len(hist) - 1)
    in_points = np.bincount(where[top], weights=weights[top], minlength=len(hist))
    in_selected = np.bincount(where, weights=weights, minlength=len(hist))
    unexplained = float((hist - in_selected).sum())
    noise = 2.0 * sigma * np.sqrt(max(1, int(possible.sum())))
    discrete = len(values) > 0 and unexplained <= DISCRETE_SLACK * weights.sum() + noise
    keep = rest[np.argsort(values[rest])]
    return NumericShape(
        low=float(low),
        high=float(high),
        precision=precision,
        points=tuple(float(v) for v in np.sort(values[top])),
        support=tuple(float(v) for v in values[keep]),
        support_weights=tuple(float(w) for w in weights[keep]),
        grid=grid,
        mass=np.clip(hist - in_points, 0.0, None),
        discrete=bool(discrete),
    )


def _holds_values(grid: np.ndarray, precision: int | None) -> np.ndarray:
    """Which grid bins [a, b) (the last one closed) can hold a value at the precision.

    >>> _holds_values(np.array([0.0, 0.25, 0.5, 1.0, 2.0]), 0).tolist()
    [True, False, False, True]
    """
    if precision is None:
        return np.ones(len(grid) - 1, dtype=bool)
    step = 10.0 ** (-precision)
    first = np.ceil(grid[:-1] / step - 1e-9) * step
    ok = first < grid[1:] - 1e-12 * np.maximum(1.0, np.abs(grid[1:]))
    ok[-1] |= first[-1] <= grid[-1]
    return ok


def quantile_edges(
    grid: np.ndarray,
    mass: np.ndarray,
    bins: int,
    low: float,
    high: float,
    precision: int | None,
) -> np.ndarray:
    """At most ``bins`` bins of equal noisy mass over [low, high] (see the module doc).

    >>> e = quantile_edges(np.array([0.0, 10.0, 20.0]), np.array([3.0, 1.0]), 4, 0.0, 20.0, None)
    >>> np.round(e, 2).tolist()
    [0.0, 3.33, 6.67, 10.0, 20.0]
    >>> quantile_edges(np.array([0.0, 10.0, 20.0]), np.array([3.0, 1.0]), 4, 0.0, 20.0, 0).tolist()
    [-0.5, 3.5, 6.5, 10.5, 20.5]
    """
    total = float(mass.sum())
    floor = max(total, 1.0) * 1e-6  # every grid bin keeps some width (strictly rising CDF)
    cum = np.r_[0.0, np.cumsum(mass + floor)]
    edges = np.interp(np.linspace(0.0, cum[-1], bins + 1), cum, grid)
    edges[0], edges[-1] = low, high
    if precision is not None:
        step = 10.0 ** (-precision)
        first = (np.ceil(low / step - 1e-9) - 0.5) * step
        last = (np.floor(high / step + 1e-9) + 0.5) * step
        if last > first:
            inner = (np.round(edges[1:-1] / step - 0.5) + 0.5) * step
            inner = inner[(inner > first) & (inner < last)]
            edges = np.r_[first, inner, last]
    edges = np.unique(edges)
    if len(edges) < 2:
        edges = np.array([low, high if high > low else low + 1.0])
    return edges
