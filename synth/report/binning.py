"""Bins for comparing a numeric column, real against synthetic, that see point masses.

Quantile edges alone are blind to a value that holds much of the mass: when 92 % of a
column is 0, every decile edge is 0, ``np.unique`` collapses them, and a right-closed
search puts 0 and every positive value into one bin — a synthetic column whose zeros were
smeared over [0, 1560] then scores as faithful. Here every value holding at least
1/``bins`` of the real (finite) rows is a bin of its own, matched exactly; the other
values are cut at quantiles of what is left. The fidelity section of the report and the
benchmarks use this one function.

Those edges and points are values of the real rows that no DP measurement paid for, so
their bins are labelled by quantile rank ("p10–p20" of the values outside the frequent
values, "frequent value 1"), never by value. Bins whose edges are public or DP — the
fitted model's codec (:func:`codec_bins`: DP or declared bounds, DP quantile edges, DP
heavy values) or the schema's declared bounds (:func:`bounds_bins`) — are labelled by
their edges.

>>> x = np.r_[np.zeros(90), np.arange(1.0, 11.0)]
>>> b = numeric_bins(x, bins=10)
>>> b.points.tolist(), len(b.labels("numeric"))
([0.0], 11)
>>> b.labels("numeric")[:3], b.labels("numeric")[-2:]
(['frequent value 1', 'p0–p11', 'p11–p22'], ['p89–p100', '(missing)'])
>>> smeared = np.r_[np.full(90, 0.5), np.arange(1.0, 11.0)]
>>> float(np.mean(b.codes(x) == 0)), float(np.mean(b.codes(smeared) == 0))
(0.9, 0.0)
>>> bounds_bins(0, 100, bins=4, precision=0).labels("numeric")
['< 25', '25 – 50', '50 – 75', '≥ 75', '(missing)']
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

MISSING = "(missing)"


@dataclass(frozen=True)
class NumericBins:
    """Point bins (exact values), then the quantile bins of the rest, then 'missing'."""

    points: np.ndarray
    edges: np.ndarray
    #: the quantile ranks (in %) of the continuous bins' bounds, when ``points`` and
    #: ``edges`` are the real rows' own values (unpaid): labels then show ranks, not values
    ranks: tuple[float, ...] | None = None

    @property
    def by_rank(self) -> bool:
        return self.ranks is not None

    @property
    def size(self) -> int:
        """Number of codes: points, the continuous bins, and missing."""
        return len(self.points) + len(self.edges) + 2

    def codes(self, x: np.ndarray) -> np.ndarray:
        arr = np.asarray(x, dtype=float)
        finite = np.isfinite(arr)
        codes = len(self.points) + np.searchsorted(self.edges, arr, side="right")
        codes = codes.astype(np.int64)
        if len(self.points):
            pos = np.searchsorted(self.points, arr)
            pos = np.clip(pos, 0, len(self.points) - 1)
            hit = finite & (self.points[pos] == arr)
            codes[hit] = pos[hit]
        codes[~finite] = self.size - 1
        return codes

    def labels(self, kind: str) -> list[str]:
        if self.ranks is not None:
            return self._rank_labels()
        pts = [f"= {_text(v, kind)}" for v in self.points]
        if len(self.edges) == 0:
            rest = ["other values" if len(self.points) else "all"]
        else:
            e = [_text(v, kind) for v in self.edges]
            rest = [f"< {e[0]}", *(f"{a} – {b}" for a, b in itertools.pairwise(e)), f"≥ {e[-1]}"]
        return [*pts, *rest, MISSING]

    def _rank_labels(self) -> list[str]:
        """Labels that show no value: frequent values by number, the other bins by the
        quantile ranks of their bounds among the values that are not frequent."""
        pts = [f"frequent value {i + 1}" for i in range(len(self.points))]
        if len(self.edges) == 0:
            rest = ["other values" if len(self.points) else "all"]
        else:
            r = [f"p{v:.0f}" for v in self.ranks or ()]
            rest = [f"{a}–{b}" for a, b in itertools.pairwise(r)]
        return [*pts, *rest, MISSING]


def numeric_bins(x: np.ndarray, bins: int = 10) -> NumericBins:
    """Bins of the finite values of the real column ``x`` (see the module doc)."""
    arr = np.asarray(x, dtype=float)
    arr = arr[np.isfinite(arr)]
    if len(arr) == 0:
        return NumericBins(np.zeros(0), np.zeros(0), ranks=())
    values, counts = np.unique(arr, return_counts=True)
    points = values[counts >= len(arr) / bins]
    rest = arr[~np.isin(arr, points)]
    k = max(2, bins - len(points))
    if len(rest) == 0:
        return NumericBins(points, np.zeros(0), ranks=())
    levels = np.linspace(0, 1, k + 1)[1:-1]
    # an edge shared by several levels bounds the bins from its lowest level on
    edges, first = np.unique(np.quantile(rest, levels), return_index=True)
    ranks = (0.0, *(float(100 * levels[i]) for i in first), 100.0)
    return NumericBins(points, edges, ranks=ranks)


def _thin(cuts: np.ndarray, n_bins: int) -> np.ndarray:
    """At most ``n_bins`` bins from the ordered ``cuts``: every k-th cut, evenly by bin
    index (the data is not looked at; DP quantile cuts stay about equal in DP mass)."""
    if len(cuts) + 1 <= n_bins:
        return cuts
    pos = np.rint(np.arange(1, n_bins) * (len(cuts) + 1) / n_bins).astype(int) - 1
    return cuts[np.unique(np.clip(pos, 0, len(cuts) - 1))]


def _on_grid(cuts: np.ndarray, low: float, precision: int | None) -> np.ndarray:
    """Cuts moved up to the next value representable at ``precision`` (the same split of
    representable values, and labels like '38 – 46' instead of '37.5 – 45.5')."""
    if precision is None:
        return cuts
    step = 10.0 ** (-precision)
    return np.unique(np.round(low + np.ceil((cuts - low) / step - 1e-9) * step, precision))


def bounds_bins(
    low: float, high: float, bins: int = 10, precision: int | None = None
) -> NumericBins:
    """Equal-width bins over public bounds [low, high] (the schema's declared domain)."""
    if not high > low:
        return NumericBins(np.zeros(0), np.zeros(0))
    cuts = low + (high - low) * np.arange(1, bins) / bins
    return NumericBins(np.zeros(0), _on_grid(cuts, low, precision))


def codec_bins(state: dict[str, Any], bins: int = 10) -> NumericBins | None:
    """Bins from a fitted model's numeric codec (:meth:`NumericCodec.state_dict`): its DP
    heavy values as points, and about ``bins`` bins of its continuous part cut at its own
    bin edges (DP quantiles, or equal widths over DP or declared bounds). Every edge is
    public or paid for; the real rows are not looked at."""
    if state.get("kind") not in ("numerical", "datetime"):
        return None
    low, high = float(state["low"]), float(state["high"])
    precision = 0 if state["kind"] == "datetime" else state.get("precision")
    points = np.asarray(sorted(float(v) for v in state.get("points") or []), dtype=float)
    max_bins = int(state.get("max_bins") or bins)
    if state.get("edges") is not None:
        cuts = np.asarray(state["edges"], dtype=float)[1:-1]
    elif high <= low:
        cuts = np.zeros(0)
    elif precision is not None and round((high - low) * 10**precision) + 1 <= max_bins:
        step = 10.0 ** (-precision)  # one codec bin per representable value
        cuts = low + step * (np.arange(round((high - low) / step)) + 0.5)
    else:
        cuts = low + (high - low) * np.arange(1, max_bins) / max_bins
    cuts = _on_grid(_thin(cuts, max(2, bins - len(points))), low, precision)
    return NumericBins(points, cuts)


def _text(v: float, kind: str) -> str:
    if kind == "datetime":
        return str(np.datetime64("1970-01-01") + np.timedelta64(round(v), "D"))
    return f"{v:.4g}"
