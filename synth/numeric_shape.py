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
* a column whose selected values hold all its mass (up to noise) is **discrete**. A
  discrete column whose selected values are three or more codes with gaps between them
  (area codes, a per-area value, doses) is **code-like**: it emits its selected values
  only (every one a point token; rows holding an unselected value fall into one bin the
  sampler never emits, so their share goes to the selected values, as an unselected
  category's does). One whose selected values run in steps of its precision (counts:
  0, 1, 2, 3 visits) is **count-like**: coded value by value, it also emits the values
  of grid bins beyond or between its selected values where the noisy histogram holds
  mass that they do not explain (a tail above the largest selected value; ages 80-89
  between 79 and a top code 90), so rare counts are not piled onto a selected one. Any
  other discrete column decodes a bin to one of the support values inside it.

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

import math
from dataclasses import dataclass
from statistics import NormalDist

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
#: a discrete column with at least this many selected values, spaced wider than its
#: precision, is code-like (one or two selected values, e.g. a zero-inflated column that
#: noise calls discrete, keep their continuous part)
CODE_LIKE_VALUES = 3
#: a code-like column emits its selected values only when what they leave unexplained is
#: within DISCRETE_SLACK of their mass plus this many noise s.d. of that residual (a
#: stricter test than ``discrete``'s: a heaped column with a continuous remainder, e.g.
#: travel minutes heaped at 5-minute values, must keep the remainder when its DP upper
#: bound happens to cut part of it off)
CODE_Z = 1.0
#: a grid bin's (or a whole tail's) unexplained noisy mass opens its values in a
#: count-like column when it is at least this many of its noise standard deviations
OPEN_Z = 3.0
#: a count-like column's grid bins beyond or between its selected values open one by one
#: at a threshold that keeps the chance that noise alone opens any of them below this
#: (Bonferroni over the bins tested, never below ``OPEN_Z``)
OPEN_ALPHA = 0.001


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
    #: "code" (discrete, sparse selected codes), "count" (discrete, selected values in
    #: steps of the precision) or "" (neither)
    kind: str = ""
    #: grid intervals [a, b) whose unselected values a count-like column may emit
    open_bins: tuple[tuple[float, float], ...] = ()

    def selected(self) -> list[float]:
        return sorted([*self.points, *self.support])

    def _open_values(self) -> list[float]:
        """The values at the precision inside the open grid intervals (count-like)."""
        if self.precision is None or not self.open_bins:
            return []
        step = 10.0 ** (-self.precision)
        n = value_count(self.low, self.high, self.precision)
        grid = np.round(self.low + np.arange(n) * step, self.precision)
        inside = np.zeros(n, dtype=bool)
        for a, b in self.open_bins:
            inside |= (grid >= a - 1e-9) & ((grid < b - 1e-9) | (b >= self.high))
        return grid[inside].tolist()

    def n_values(self) -> int | None:
        """How many values the range holds at the precision (None when unrounded)."""
        if self.precision is None:
            return None
        return value_count(self.low, self.high, self.precision)

    def _value_codec(self, name: str, bins: int, codes: list[str] | None) -> NumericCodec:
        """A discrete column coded value by value: one ordered bin per value it may emit
        (its selected values and a count-like column's open values), one bin per run of
        the other values of the DP range between them (never emitted: blocked, their rows'
        share goes to the emitted values, as before).

        Coding every value of the range instead gave the engines as many ordered tokens
        as the DP range holds values, and they group neighbouring ordered tokens when
        there are many: Adult's education-num (values 1-16) read in a wide DP range
        (1.68-53.8, a few draws in a hundred at δ = 1e-9) was grouped four values to a
        token, so HS-grad (9) came out spread over 6-9 and its tie to education broke
        (pair TVD 0.10-0.18). Here the range's empty runs cost one token each.

        >>> import pandas as pd
        >>> s = NumericShape(0.0, 40.0, 0, (1.0, 2.0, 3.0), (), (), np.array([0.0, 40.0]),
        ...                  np.zeros(1), True, "count")
        >>> c = s.codec("n", bins=64)
        >>> c.n_bins, c.blocked_tokens(), c.encode(pd.Series([1, 3, 0, 17])).tolist()
        (5, [0, 4], [1, 3, 0, 4])
        >>> c.decode(np.array([1, 2, 3]), np.random.default_rng(0)).tolist()
        [1, 2, 3]
        """
        step = 10.0 ** (-self.precision)  # type: ignore[operator]
        first = math.ceil(self.low / step - 1e-9)
        last = math.floor(self.high / step + 1e-9)
        emit = np.unique(np.rint(np.asarray([*self.selected(), *self._open_values()]) / step))
        emit = emit[(emit >= first) & (emit <= last)].astype(np.int64)
        if len(emit) == 0 or last < first:
            return NumericCodec(
                name, self.low, self.high, self.precision, max_bins=bins, codes=codes
            )
        # bins [a - ½, b + ½] on the value grid (in steps): each emitted value alone, each
        # run of other values between (or beyond) them one bin
        cuts = np.unique(np.r_[first, emit, emit + 1, last + 1])
        cuts = cuts[(cuts >= first) & (cuts <= last + 1)]
        edges = np.round((cuts - 0.5) * step, self.precision + 1)
        values = np.round(emit * step, self.precision)
        return NumericCodec(
            name,
            self.low,
            self.high,
            self.precision,
            max_bins=bins,
            edges=edges.tolist(),
            codes=codes,
            support=values.tolist(),
            support_weights=[1.0] * len(values),
            allowed=values.tolist(),
        )

    def codec(self, name: str, bins: int, codes: list[str] | None = None) -> NumericCodec:
        """The codec with at most ``bins`` ordered bins: exact values when the range holds
        that few, else quantile bins plus point tokens."""
        n = self.n_values()
        if (n is not None and n <= bins) or self.high <= self.low:
            if self.discrete and self.high > self.low:
                return self._value_codec(name, bins, codes)
            return NumericCodec(
                name, self.low, self.high, self.precision, max_bins=bins, codes=codes
            )
        if self.kind == "code" and len(self.selected()) <= bins:
            # every selected value a point; one bin for the rest, never emitted
            return NumericCodec(
                name,
                self.low,
                self.high,
                self.precision,
                max_bins=bins,
                edges=[self.low, self.high],
                points=self.selected(),
                codes=codes,
                points_only=True,
            )
        edges = quantile_edges(self.grid, self.mass, bins, self.low, self.high, self.precision)
        support, weights = self._support()
        return NumericCodec(
            name,
            self.low,
            self.high,
            self.precision,
            max_bins=bins,
            edges=edges.tolist(),
            points=list(self.points),
            codes=codes,
            support=support if self.discrete else None,
            support_weights=weights if self.discrete else None,
        )

    def _support(self) -> tuple[list[float], list[float]]:
        """The support values a bin decodes to, with their weights: the selected ones and
        a count-like column's open values, which share their grid bin's mass that the
        selected values leave unexplained (equally; at least a trace, so an opened value
        can come out).

        >>> s = NumericShape(0.0, 400.0, 0, (), (1.0, 3.0), (50.0, 30.0),
        ...                  np.array([0.0, 4.0, 400.0]), np.array([100.0, 0.0]), True,
        ...                  "count", ((1.5, 3.0),))
        >>> s._support()
        ([1.0, 2.0, 3.0], [50.0, 20.0, 30.0])
        """
        values = np.asarray(self.support, dtype=float)
        weights = np.asarray(self.support_weights, dtype=float)
        opened = np.setdiff1d(self._open_values(), [*self.points, *self.support])
        if len(opened):
            n = len(self.mass)
            at = np.clip(np.searchsorted(self.grid, values, side="right") - 1, 0, n - 1)
            left = self.mass - np.bincount(at, weights=weights, minlength=n)
            where = np.clip(np.searchsorted(self.grid, opened, side="right") - 1, 0, n - 1)
            per = np.bincount(where, minlength=n)
            share = np.maximum(left[where] / per[where], 1e-3)
            order = np.argsort(np.r_[values, opened], kind="stable")
            values = np.r_[values, opened][order]
            weights = np.r_[weights, share][order]
        return values.tolist(), weights.tolist()


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
    kind, open_bins = "", ()
    if discrete:
        kept = np.sort(values[np.r_[top, keep]])
        kind = _kind(kept, precision)
        residual_sd = np.sqrt(possible.sum() * sigma**2 + len(values) * selected.sigma**2)  # type: ignore[union-attr]
        if kind == "code" and unexplained > DISCRETE_SLACK * weights.sum() + CODE_Z * residual_sd:
            kind = ""
        if kind == "count":
            sd = np.sqrt(sigma**2 + np.bincount(where, minlength=len(hist)) * selected.sigma**2)  # type: ignore[union-attr]
            step = 10.0 ** (-precision)  # type: ignore[operator]
            open_bins = _open_bins(grid, hist - in_selected, sd, kept, possible, step)
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
        kind=kind,
        open_bins=open_bins,
    )


def _kind(values: np.ndarray, precision: int | None) -> str:
    """'count' when the sorted selected ``values`` mostly run in steps of the precision,
    'code' when they are three or more with wider gaps, else ''.

    >>> _kind(np.array([0.0, 1, 2, 3]), 0), _kind(np.array([101.0, 250, 377]), 0)
    ('count', 'code')
    >>> _kind(np.array([0.0]), 0), _kind(np.array([0.0, 7.0]), 0)
    ('', '')
    """
    if len(values) >= 2 and precision is not None:
        step = 10.0 ** (-precision)
        if float(np.median(np.diff(values))) <= 1.5 * step:
            return "count"
    return "code" if len(values) >= CODE_LIKE_VALUES else ""


def _open_bins(
    grid: np.ndarray,
    unexplained: np.ndarray,
    sd: np.ndarray,
    selected: np.ndarray,
    possible: np.ndarray,
    step: float,
) -> tuple[tuple[float, float], ...]:
    """Intervals whose unselected values a count-like column may emit.

    Each grid bin that holds such a value is tested on its own: its unexplained noisy
    mass must be above 0 by the Bonferroni threshold for ``OPEN_ALPHA`` over all the bins
    tested (at least ``OPEN_Z`` s.d.). At ``OPEN_Z`` per bin, noise opened a bin in 2 % of
    the fits of a {0, 1, 2, 3, 5, 8, 10} column (400 fits at ε = 1), and in Adult's
    education-num (1-16) read in a DP range up to 54 or 64 (a few fits in a hundred at
    δ = 1e-9) it opened up to 45 values no row holds, about one fit in 100 of those.

    **Tails** (beyond the selected values) are also tested as a whole at ``OPEN_Z`` (a
    thin tail spread over many bins is found by its sum). The grid bin that holds the
    outermost selected value and values beyond it is tested too (only those values
    open): Adult's age with 65 selected sits in the bin [64, 76.1), and testing only the
    bins wholly past 65 kept ages 66-76 (3 % of rows) closed.

    **Gaps** (unselected values between selected ones): a census age column selects 0-79
    and the top code 90 while ages 80-89 (3 % of rows) each fall under the selection's
    threshold; their grid bin [76.1, 90.5] holds them all, and left closed they came out
    as 90 (its share off by up to 0.05). Only the unselected values strictly between the
    selected ones open. Post-processing of the noisy histogram and the selected values'
    noisy counts.

    >>> g = np.array([0.0, 4.0, 8.0, 12.0])
    >>> _open_bins(g, np.array([0.0, 90.0, 0.0]), np.ones(3), np.array([0.0, 1, 2, 3, 4, 5]),
    ...            np.ones(3, dtype=bool), 1.0)
    ((5.5, 8.0),)
    >>> _open_bins(np.array([0.0, 20.0]), np.array([90.0]), np.ones(1), np.array([5.0, 6, 7]),
    ...            np.ones(1, dtype=bool), 1.0)
    ((0.0, 4.5), (7.5, 20.0))
    >>> _open_bins(g, np.array([0.0, 0.0, 90.0]), np.ones(3), np.array([0.0, 1, 2, 3, 10]),
    ...            np.ones(3, dtype=bool), 1.0)    # the gap 8-9 and the tail 11 open, 4-7 not
    ((8.0, 10.0), (10.5, 12.0))
    """
    ok = np.zeros(len(unexplained), dtype=bool)
    top, bottom = selected[-1] + step, selected[0] - step
    # bins holding a value past the outermost selected one; those wholly past it
    reach = (grid[1:] > top - 0.5 * step, grid[:-1] < bottom + 0.5 * step)
    past = (grid[:-1] > selected[-1], grid[1:] <= selected[0])
    gaps = _gap_bins(grid, selected, step) & possible
    tested = ((reach[0] | reach[1]) & possible) | gaps
    z = max(OPEN_Z, NormalDist().inv_cdf(1.0 - OPEN_ALPHA / max(1, int(tested.sum()))))
    hot = unexplained >= z * sd
    gaps &= hot
    for some, tail in zip(reach, past, strict=True):
        some, tail = some & possible, tail & possible
        ok |= some & hot
        if tail.any() and unexplained[tail].sum() >= OPEN_Z * np.sqrt((sd[tail] ** 2).sum()):
            ok |= tail
    out = []
    for i in np.flatnonzero(ok | gaps):
        a, b = float(grid[i]), float(grid[i + 1])
        if gaps[i]:  # the unselected values strictly between the selected ones
            out.append((max(a, float(selected[0]) + 0.5 * step), min(b, float(selected[-1]))))
        if not ok[i]:
            continue
        # the bin of the smallest / largest selected value opens below / above it only
        low_part = (a, float(bottom) + 0.5 * step) if a <= selected[0] < b else None
        high_part = (float(top) - 0.5 * step, b) if a <= selected[-1] < b else None
        if low_part is None and high_part is None and not gaps[i]:
            out.append((a, b))
        out += [p for p in (low_part, high_part) if p is not None and p[1] > p[0]]
    return tuple(out)


def _gap_bins(grid: np.ndarray, selected: np.ndarray, step: float) -> np.ndarray:
    """Which grid bins [a, b) hold a value at ``step`` strictly between the smallest and the
    largest of the sorted ``selected`` values that is not itself selected.

    >>> _gap_bins(np.array([0.0, 4.0, 8.0, 12.0]), np.array([0.0, 1, 2, 3, 4, 6, 7, 11]), 1.0)
    array([False,  True,  True])
    >>> _gap_bins(np.array([0.0, 4.0, 8.0, 12.0]), np.array([0.0, 1, 2, 3, 4, 5, 6, 7]), 1.0)
    array([False, False, False])
    """
    idx = np.rint(selected / step).astype(np.int64)
    first = np.maximum(np.ceil(grid[:-1] / step - 1e-9), idx[0] + 1)
    last = np.minimum(np.ceil(grid[1:] / step - 1e-9) - 1, idx[-1] - 1)
    n_vals = np.maximum(last - first + 1, 0)
    n_sel = np.searchsorted(idx, last, side="right") - np.searchsorted(idx, first)
    return n_vals > np.maximum(n_sel, 0)


#: at most this many grid bins (a factor 2^8) a DP bound is widened by
WIDEN_MAX_BINS = 32


def widen_bounds(
    low: float,
    high: float,
    grid_edges: np.ndarray,
    noisy: np.ndarray,
    sigma: float,
    precision: int | None,
) -> tuple[float, float]:
    """DP bounds widened over the tail their own noisy histogram still shows beyond them.

    ``synth.domain.estimate_bounds`` reads the finest window width whose range holds 95 %
    of the mass, so up to 5 % of the rows may lie beyond a bound and be clipped onto it
    (diabetes130's ``number_inpatient``: its upper bound at 3.4, every count from 4 to
    21 came out as 3). Here, on each side, ``W`` is the widest run of adjacent grid bins
    beyond the bound (at most ``WIDEN_MAX_BINS``) whose noisy sum is ``OPEN_Z`` s.d. above
    0, and the bound moves to the first edge past which no window of that run is (a
    run whose mass sits in its first bins stops there). Grid bins that hold no value
    at ``precision`` count as empty. Post-processing of the same noisy histogram (no new
    look at the rows, nothing charged); for DP bounds only (a declared bound stays).

    >>> edges = np.arange(0.0, 21.0)
    >>> noisy = np.r_[np.full(10, 500.0), 300.0, 200.0, np.zeros(8)]
    >>> widen_bounds(0.0, 10.0, edges, noisy, 10.0, 0)
    (0.0, 12.0)
    """
    if not high > low:
        return low, high
    lo = int(np.searchsorted(grid_edges, low))
    hi = int(np.searchsorted(grid_edges, high))
    if hi >= len(grid_edges) or grid_edges[lo] != low or grid_edges[hi] != high:
        return low, high  # not bounds on this grid
    possible = _holds_values(np.asarray(grid_edges, dtype=float), precision)
    counts = np.where(possible, np.asarray(noisy, dtype=float), 0.0)
    up = slice(hi, hi + WIDEN_MAX_BINS)
    down = slice(max(0, lo - WIDEN_MAX_BINS), lo)
    n_up = _tail_bins(counts[up], possible[up], sigma)
    n_down = _tail_bins(counts[down][::-1], possible[down][::-1], sigma)
    return float(grid_edges[lo - n_down]), float(grid_edges[hi + n_up])


def _tail_bins(beyond: np.ndarray, possible: np.ndarray, sigma: float) -> int:
    """How many of the bins ``beyond`` a bound (nearest first) its tail covers; a window's
    noise s.d. counts only its ``possible`` bins (the others were set to 0, noise and all)."""
    if len(beyond) == 0:
        return 0
    cum = np.cumsum(beyond)
    held = np.cumsum(possible)
    hot = np.flatnonzero((held > 0) & (cum >= OPEN_Z * sigma * np.sqrt(held)))
    if len(hot) == 0:
        return 0
    run = int(hot[-1]) + 1
    start, held0 = np.r_[0.0, cum[: run - 1]], np.r_[0, held[: run - 1]]
    for k in range(1, run):  # the first bin past which no window of the run is hot
        ends = np.arange(k, run)
        n = held[ends] - held0[k]
        if not ((n > 0) & (cum[ends] - start[k] >= OPEN_Z * sigma * np.sqrt(n))).any():
            return k
    return run


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
