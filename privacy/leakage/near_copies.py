"""Near-copies: a test, calibrated by the random train/holdout split, that a few percent
of synthetic rows copy training rows closely (a cell changed, numbers jittered).

The null hypothesis is the one the holdout makes testable: the generator's output does
not depend on *which* real rows were drawn for training. Then, given the pooled real rows
(train ∪ holdout) and the synthetic rows, the train/holdout labels are a uniformly random
split of the pooled rows — whatever the generator's distribution is. So any statistic of
the labels can be compared with its distribution over random relabellings of the same
pooled rows (a permutation test): no margin fitted to one generator, and synthetic rows
that crowd the same real rows (which share one label) are accounted for exactly.

The statistic. For every synthetic row take its ``K`` nearest pooled real rows (exact,
ties broken by random tie-breakers fixed per real row, the same in every search and block,
so that the cut at ``K`` keeps a random subset of equally near rows; a cut that kept the
lowest row numbers of each part would favour a label). Let ``a`` be the distance to the first
*training* row in that list and ``b`` to the first *holdout* row (the K-th distance when
there is none). A near-copy sits next to its training row and far from everything else,
so ``b > c·a`` for a large factor ``c``; an honest row in a dense region has ``b ≈ a``
whatever the labels, and adds no noise. For each factor ``c`` in ``FACTORS`` the test
counts the rows with ``b > c·a`` (``c = 1``: the row is nearer a training row than any
holdout row, the classic DCR share), and compares the count with its mean and spread
over ``PERMUTATIONS`` random relabellings. A copy's own training row is its nearest real
row, which a relabelling makes a training row with probability ``p0 = n_train / (n_train
+ n_holdout)`` anyway, so each copy lifts the count by ``1 − p0`` on average: the excess
over the mean divided by ``(1 − p0)·n_synthetic`` estimates the share of near-copies (a
lower estimate: a copy that does not stand out counts as honest). The factors do not
raise that per-copy signal; they remove the noise of honest rows in dense regions.

Persons. When the schema declares a privacy unit (a person may have several rows, all on
one side of the split), the null is that the output does not depend on which *persons*
were drawn for training, and the relabellings are of persons: every row of a person gets
the same label, with the observed number of training persons (:mod:`privacy.leakage.units`).
A relabelling of single rows would split a person's rows between the labels, so the
nearest rows of a synthetic row close to one person (all that person's, all one label in
truth) would rarely stand out together, and an honest generator would look like a copier.
Each copy then lifts the count by ``1 − q`` on average, ``q`` the persons' training share.

The gate blocks when, for some factor, the count is rare among the relabellings (Monte
Carlo p-value at most the gate's one-sided level, Bonferroni over the factors: the
permutation distribution is lumpy when synthetic rows crowd a few real rows, so its tail is
not read off a normal curve) *and* the lower bound of the excess (normal approximation,
same level) exceeds ``GateThresholds.near_copy_min``. The margin matters: any generator
that learnt from the training rows, DP or not, follows their sampling noise a little, so
its rows sit a little nearer training rows than a random split predicts (measured on
genuine DP output: BENCHMARKS.md, "Gate power"). The power statement gives, per
table, the smallest share of copies found with 80 % probability.

A row whose training row sits at distance 0 and holdout row at 1 stands out by any
factor; a row whose training and holdout rows are equally near does not:

>>> dist = np.array([[0.0, 1.0], [1.0, 1.0]])
>>> is_train = np.array([[True, False], [False, True]])
>>> stand_out(dist, is_train, (1.0, 2.0)).tolist()
[[True, True], [False, False]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from privacy.leakage.knn import top_sorted
from privacy.leakage.metrics import Metric
from privacy.leakage.units import Units
from synth.schema.model import GateThresholds

#: nearest pooled real rows kept per synthetic row
K = 16
#: how much nearer the training row must be than any holdout row
FACTORS = (1.0, 2.0, 4.0, 8.0)
#: random relabellings that give the statistic's null distribution
PERMUTATIONS = 1000
#: scale of the random tie-breakers added to squared distances (they only order ties)
TIE_BREAK = 1e-6
#: the detection probability the power statement is for
POWER = 0.8


def tie_offsets(n_tr: int, n_ho: int, rng: np.random.Generator) -> np.ndarray:
    """One random tie-breaker per pooled real row (training rows first), far below any
    distance gap that matters: the searches order by distance + offset, so a list cut at
    ``K`` holds a random subset of equally near rows, whatever their labels."""
    return rng.random(n_tr + n_ho) * TIE_BREAK


def pooled(
    sq_tr: np.ndarray,
    idx_tr: np.ndarray,
    sq_ho: np.ndarray,
    idx_ho: np.ndarray,
    n_tr: int,
    offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each synthetic row's ``K`` nearest pooled real rows: distances (not squared) and
    pooled ids (training rows ``0…n_tr−1``, holdout rows after), from the two searches
    made with ``offsets`` (:func:`tie_offsets`)."""
    ids = np.concatenate([idx_tr, np.where(idx_ho >= 0, idx_ho + n_tr, -1)], axis=1)
    sq, ids = top_sorted(np.concatenate([sq_tr, sq_ho], axis=1), ids, K, offsets)
    return np.sqrt(sq), ids


def stand_out(dist: np.ndarray, is_train: np.ndarray, factors: tuple[float, ...]) -> np.ndarray:
    """(rows, factors): the first training row of the list is nearer than the first
    holdout row by more than the factor (``b > c·a``)."""
    return Lists.of(dist).stand_out(is_train, factors)


@dataclass(frozen=True)
class Lists:
    """Sorted nearest-row distances, with what every relabelling reuses: which entries
    exist (a part with fewer than ``K`` rows leaves +inf) and each row's last distance."""

    dist: np.ndarray
    present: np.ndarray
    last: np.ndarray

    @classmethod
    def of(cls, dist: np.ndarray) -> Lists:
        present = np.isfinite(dist)
        return cls(dist, present, np.where(present, dist, -np.inf).max(axis=1))

    def stand_out(self, is_train: np.ndarray, factors: tuple[float, ...]) -> np.ndarray:
        """:func:`stand_out` for one labelling."""
        rows = np.arange(len(self.dist))
        has_tr, has_ho = is_train.any(axis=1), (~is_train & self.present).any(axis=1)
        a = np.where(has_tr, self.dist[rows, is_train.argmax(axis=1)], self.last)
        b = np.where(has_ho, self.dist[rows, (~is_train).argmax(axis=1)], self.last)
        return b[:, None] > np.asarray(factors)[None, :] * a[:, None]


class PackedLists:
    """:meth:`Lists.stand_out` counts for many labellings, the lists' labels packed in one
    integer per row: the first training (holdout) entry is the lowest set bit of the
    training (present non-training) bits, read from a table. Exact: the same entries are
    compared as by :meth:`Lists.stand_out`, for labellings that mark only present entries
    and lists whose present entries come first (sorted lists, +inf last); ``usable`` is
    False otherwise (more than 16 entries, or a gap), and :meth:`Lists.stand_out` is used."""

    def __init__(self, lists: Lists) -> None:
        n, k = lists.dist.shape
        prefix = bool((lists.present[:, 1:] <= lists.present[:, :-1]).all()) if k > 1 else True
        self.usable = 0 < k <= 16 and prefix
        if not self.usable:
            return
        self.k = k
        self.rows = np.arange(n)
        # column k holds each row's last distance: what a side with no entry reads
        self.ext = np.hstack([lists.dist, lists.last[:, None]])
        self.present = self.pack(lists.present)
        x = np.arange(1 << k)
        self.lowest = np.full(1 << k, k, dtype=np.intp)
        for j in reversed(range(k)):
            self.lowest[(x >> j) & 1 == 1] = j

    def pack(self, marks: np.ndarray) -> np.ndarray:
        b = np.packbits(marks, axis=1, bitorder="little")
        bits = b[:, 0].astype(np.uint16)
        if b.shape[1] > 1:
            bits |= b[:, 1].astype(np.uint16) << 8
        return bits

    def counts(self, is_train: np.ndarray, factors: np.ndarray) -> np.ndarray:
        """``Lists.stand_out(is_train, factors).sum(axis=0)``."""
        tr = self.pack(is_train)
        a = self.ext[self.rows, self.lowest[tr]]
        b = self.ext[self.rows, self.lowest[~tr & self.present]]
        return (b[:, None] > factors[None, :] * a[:, None]).sum(axis=0)


@dataclass(frozen=True)
class FactorTest:
    """The count of rows that stand out by ``factor``, against the relabellings."""

    factor: float
    share: float
    expected: float
    excess: float
    excess_lo: float
    se: float
    #: Monte Carlo p-value: (1 + relabellings with a count at least as high) / (1 + all)
    p_value: float

    def detectable(self, z: float, minimum: float) -> float:
        """Smallest share of copies (each standing out) found with probability POWER."""
        return minimum + (z + NormalDist().inv_cdf(POWER)) * self.se


def permutation_tests(
    dist: np.ndarray,
    ids: np.ndarray,
    n_tr: int,
    n_ho: int,
    z: float,
    rng: np.random.Generator,
    units: Units | None = None,
) -> list[FactorTest]:
    """The observed counts against ``PERMUTATIONS`` random train/holdout relabellings: of
    the rows, or with ``units`` of the persons (every row of a person one label)."""
    n = len(dist)
    valid = ids >= 0
    safe = np.where(valid, ids, 0)
    if units is None:
        groups, g_tr, g_ho = safe, n_tr, n_ho
    else:
        groups, g_tr, g_ho = units.pooled()[safe], units.n_train, units.n_holdout
    # a copy stands out when its training row is its nearest real row: under a random
    # split that row is a training row with probability q (the training share of the rows,
    # or of the persons) anyway, so each copy lifts the count by 1 − q on average;
    # dividing by it turns the excess into a share of copies
    gain = n * g_ho / (g_tr + g_ho)
    lists = Lists.of(dist)  # computed once, reused by every relabelling
    packed, factors = PackedLists(lists), np.asarray(FACTORS)

    def count(is_train: np.ndarray) -> np.ndarray:
        if packed.usable:
            return packed.counts(is_train, factors)
        return lists.stand_out(is_train, FACTORS).sum(axis=0)

    seen = count(valid & (ids < n_tr))
    null = np.empty((PERMUTATIONS, len(FACTORS)))
    for p in range(PERMUTATIONS):
        labels = rng.permutation(g_tr + g_ho) < g_tr
        null[p] = count(labels[groups] & valid)
    out = []
    for f, c in enumerate(FACTORS):
        mu, sd = float(null[:, f].mean()), float(null[:, f].std(ddof=1))
        excess = (seen[f] - mu) / gain
        se = sd / gain
        p = (1 + int((null[:, f] >= seen[f]).sum())) / (1 + PERMUTATIONS)
        out.append(FactorTest(c, seen[f] / n, mu / n, excess, excess - z * se, se, p))
    return out


def near_copy_share(
    knn_tr: tuple[np.ndarray, np.ndarray],
    knn_ho: tuple[np.ndarray, np.ndarray],
    n_tr: int,
    n_ho: int,
    gate: GateThresholds,
    rng: np.random.Generator,
    offsets: np.ndarray,
    units: Units | None = None,
) -> tuple[Metric, dict[str, object]]:
    """The gating metric and its evidence (factors, power) for the report and JSON.

    ``knn_*`` are each synthetic row's ``K`` nearest training / holdout rows (squared
    distances, indices) from :meth:`~privacy.leakage.partitioned.BlockSearch.nearest_k`
    with the tie-breakers ``offsets`` (:func:`tie_offsets`). With ``units`` the
    relabellings are of persons (module doc)."""
    alpha = (1.0 - gate.confidence) / 2.0 / len(FACTORS)
    z = NormalDist().inv_cdf(1.0 - alpha)
    dist, ids = pooled(*knn_tr, *knn_ho, n_tr, offsets)
    tests = permutation_tests(dist, ids, n_tr, n_ho, z, rng, units)
    # block on a factor whose count is rare among the relabellings (the Monte Carlo
    # p-value is exact; the permutation distribution can be lumpy when synthetic rows crowd
    # a few real rows, so its tail is not read off a normal curve) and whose normal lower
    # bound clears the minimum share (every generator that learnt from the training rows,
    # DP or not, sits a little nearer them: the margin is for copies, not for learning)
    blocking = [t for t in tests if t.p_value <= alpha and t.excess_lo > gate.near_copy_min]
    # the headline: the strongest blocking factor, else the most surprising one (a factor
    # no row reaches under any relabelling, p = 1, is never the headline)
    worst = (
        max(blocking, key=lambda t: t.excess_lo)
        if blocking
        else min(tests, key=lambda t: (t.p_value, t.factor))
    )
    block = bool(blocking)
    nearest = min(t.detectable(z, gate.near_copy_min) for t in tests if t.factor > 1.0)
    anywhere = tests[0].detectable(z, gate.near_copy_min)
    power = {
        "copies_nearest": _share(nearest),
        "copies_anywhere": _share(anywhere),
        "probability": POWER,
    }
    relabel = (
        "random train/holdout relabellings"
        if units is None
        else "random train/holdout relabellings of the persons (all rows of a person one label)"
    )
    evidence: dict[str, object] = {
        "method": f"rows whose nearest training row is nearer than any holdout row by a "
        f"factor, among each synthetic row's {K} nearest real rows, against "
        f"{PERMUTATIONS} {relabel} (Bonferroni over the factors)",
        "factors": [
            {
                "factor": t.factor,
                "share": round(t.share, 4),
                "expected": round(t.expected, 4),
                "excess": round(t.excess, 4),
                "excess_lower": round(t.excess_lo, 4),
                "p_value": round(t.p_value, 4),
            }
            for t in tests
        ],
        "power": power,
    }
    by = "nearer a training row than any holdout row" + (
        "" if worst.factor == 1.0 else f" by a factor {worst.factor:g}"
    )
    metric = Metric(
        name="near_copy_share",
        value=worst.excess,
        baseline=0.0,
        interval=(worst.excess_lo, worst.excess + (worst.excess - worst.excess_lo)),
        threshold=gate.near_copy_min,
        verdict="block" if block else "pass",
        explanation=(
            f"{worst.share:.1%} of synthetic rows sit {by}; random train/holdout splits "
            + ("" if units is None else "of the persons ")
            + f"give {worst.expected:.1%}. The excess estimates that {worst.excess:.1%} of the "
            f"rows copy a training row closely; its lower bound "
            f"{worst.excess_lo:.1%} ({1 - alpha * len(FACTORS):.0%} one-sided over "
            f"{len(FACTORS)} factors) "
            + ("exceeds" if block else "does not exceed")
            + f" {gate.near_copy_min:.1%}"
            + f" (permutation p = {worst.p_value:.3g}, needed ≤ {alpha:.3g})"
            + f". Power ({POWER:.0%}): copies that stand out are "
            f"found from {_pct(nearest)} of the rows, copies anywhere from {_pct(anywhere)}."
        ),
    )
    return metric, evidence


def _share(x: float) -> float | None:
    return None if not math.isfinite(x) or x > 1.0 else round(x, 4)


def _pct(x: float) -> str:
    return "— (too few rows)" if not math.isfinite(x) or x > 1.0 else f"{x:.1%}"
