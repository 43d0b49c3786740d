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

Shared records. A synthetic row whose nearest real record is held by two or more persons
at the same distance points at no one: it copies nobody's record, whichever side of the
split its owners fell on. Such rows are left out of every count (:func:`shared_nearest`;
which rows they are depends on the pooled rows only, not on the labels, so the permutation
test stays exact). Without this, a good generator on a small domain (a few low-cardinality
columns, every cell held by a handful of persons) follows the training rows' cell counts
closely, the cells whose persons all fell in training stand out, and honest output was
blocked: in a simulation of a 480-cell table, a noisy histogram of the training cells was
blocked in 30 of 60 draws before and 0 of 60 after, and a linked release of a small test
table in about 1 of 20 runs before.

Views. Which rows are "near" a synthetic row depends on the distance. The distance view
is the gate's distance with every synthetic number within 5 % of a real value compared as
that value (a copy jittered next to a point mass sits next to its source again), tested
at ``FACTORS``; the rare-value view scores a real row by the information of the synthetic
row's cells it does not match, so a copy with one cell changed still sits next to the
source whose rare values it kept (:mod:`privacy.leakage.near_copy_view`), tested at
``RARE_FACTORS``. Both views use the same relabellings.

The gate blocks when, for some (view, factor) test, the count is rare among the
relabellings (Monte Carlo p-value at most the gate's one-sided level, Bonferroni over every
test: the permutation distribution is lumpy when synthetic rows crowd a few real rows, so
its tail is not read off a normal curve) *and* the lower bound of the excess (normal
approximation, same level) exceeds the test's margin. The margin is
``GateThresholds.near_copy_min`` where honest output stands out a little: any generator
that learnt from the training rows, DP or not, follows their sampling noise, so in dense
regions its rows sit a little nearer training rows than a random split predicts (genuine
DP output on Adult: up to 4–9 % at factors 1–4 of the distance view, which is why factor 1
does not gate). In the strict tests
(the distance view from ``STRICT_FACTOR``, the rare-value view) a row stands
out only when one real row explains it far better than any other, which learning a
distribution does not do; there the margin is ``STRICT_MARGIN`` of it (genuine output:
≈ 0 %, measured on 12 outputs: BENCHMARKS.md, "Gate power"). The power statement gives,
per table, the smallest share of copies found with 80 % probability.

Identical rows. A synthetic row identical to a real record that one person holds (distance
0 in the view; a record two persons hold is left out, above) stands out at every factor
exactly when that person trained: under a random split it counts with probability ``q``.
That is the exact-match metric's case (``exact_match_share``), which lets learning raise
the training share of identical rows by ``exact_match_margin`` before it blocks. A
generator that follows its training rows' counts on a coarse table (few columns, a handful
of persons per record, every synthetic row on some real record) does that, DP at a
moderate ε permits it, and there the fixed margins are small next to the test's standard
error: the joined-persons view of a small linked release (1,200 persons, ε = 4, about half
its rows identical to a one-person record) was blocked about once in 50 genuine releases.
The near-copy tests give identical rows the exact-match metric's allowance: each may add
``rate = exact_match_margin / (1 − q)`` to the estimated share of copies, so a test's
margin is the larger of its fixed margin and ``rate × identical rows / n``. Which rows
are identical depends on the pooled rows only, so the test stays exact. On Adult genuine
rows are almost never identical to a real one (the fixed margins decide, as before); an
exact copy is an identical row and raises the allowance by ``rate``, which the power
statement accounts for.

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
from privacy.leakage.near_copy_view import SNAP_RTOL
from privacy.leakage.units import Units
from synth.schema.model import GateThresholds

#: nearest pooled real rows kept per synthetic row
K = 16
#: how much nearer the training row must be than any holdout row (distance view); factor
#: 1 (the classic DCR share, ``dcr_share`` in the metrics) does not gate: genuine DP output
#: of Adult reached an estimated 8.6 % there (lower bound 2.9 %), learning, not copying
FACTORS = (2.0, 4.0, 8.0, 32.0)
#: the same for the rare-value view (its distances are information in nats)
RARE_FACTORS = (2.0, 4.0, 8.0)
#: the rare-value view's name in the evidence
RARE_VIEW = "rare values"
#: distance-view factors from this one up are "strict": a row that stands out by them
#: matches one real row far better than any other, which learning does not produce
STRICT_FACTOR = 16.0
#: the margin of the strict tests, as a fraction of ``near_copy_min`` (module doc)
STRICT_MARGIN = 1.0 / 3.0
#: random relabellings that give the statistic's null distribution
PERMUTATIONS = 1000
#: scale of the random tie-breakers added to squared distances (they only order ties)
TIE_BREAK = 1e-6
#: the detection probability the power statement is for
POWER = 0.8


def margins(
    factors: tuple[float, ...], gate: GateThresholds, rare: bool = False
) -> tuple[float, ...]:
    """The share each test's lower bound must exceed: ``near_copy_min`` where honest output
    stands out a little (the distance view's low factors), ``STRICT_MARGIN`` of it where
    it does not (the distance view from ``STRICT_FACTOR``, the rare-value view).
    Measured on 12 genuine DP outputs of Adult: BENCHMARKS.md, "Gate power"."""
    strict = gate.near_copy_min * STRICT_MARGIN
    if rare:
        return tuple(strict for _ in factors)
    return tuple(gate.near_copy_min if f < STRICT_FACTOR else strict for f in factors)


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
class View:
    """One notion of "near": each synthetic row's nearest pooled real rows, sorted (pooled
    ids, training rows first; −1 for an entry that stands for unlabelled rows, which is
    never a training row), tested at ``factors``; ``margins[i]`` is the share of rows the
    lower bound must exceed at ``factors[i]`` (module doc)."""

    name: str
    dist: np.ndarray
    ids: np.ndarray
    factors: tuple[float, ...]
    margins: tuple[float, ...]


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
    view: str = "distance"
    #: the margin the lower bound must exceed: the larger of ``fixed`` and ``learning``
    margin: float = 0.0
    #: the test's fixed margin (``near_copy_min`` or its strict part)
    fixed: float = 0.0
    #: the allowance for identical rows (module doc, "Identical rows"): ``rate`` × the
    #: share of synthetic rows identical to a real record one person holds
    learning: float = 0.0
    #: the allowance's rate: ``exact_match_margin / (1 − q)``, what one identical row may
    #: add to the estimated share of copies
    rate: float = 0.0

    def detectable(self, z: float, minimum: float | None = None) -> float:
        """Smallest share of copies (each standing out) found with probability POWER.
        An exact copy is an identical row and raises the allowance by ``rate``: ``d − w·se``
        must exceed ``fixed`` and ``learning + rate·d`` (copies that are not identical need
        less; the statement is for the harder case)."""
        w = (z + NormalDist().inv_cdf(POWER)) * self.se
        if minimum is not None:
            return minimum + w
        if self.rate >= 1.0:
            return math.inf
        return max(self.fixed + w, (self.learning + w) / (1.0 - self.rate))


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
    the rows, or with ``units`` of the persons (every row of a person one label); one
    view at factor 1 and ``FACTORS``."""
    factors = (1.0, *FACTORS)
    view = View("distance", dist, ids, factors, tuple(0.0 for _ in factors))
    return view_tests([view], len(dist), n_tr, n_ho, z, rng, units)


def shared_nearest(dist: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Rows whose nearest real record is held by two or more persons (rows without a
    person column) at the same distance: such a row points at no one, so it is no copy of
    anyone, and it is left out of every count (module doc, "Shared records"). ``owners``:
    each list entry's person (−1: an entry standing for unlabelled rows, nobody's).

    >>> dist = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> owners = np.array([[3, 5, 7], [3, 3, 7], [3, 5, 7]])
    >>> shared_nearest(dist, owners).tolist()
    [True, False, False]
    """
    if dist.size == 0:
        return np.zeros(len(dist), dtype=bool)
    other = (owners != owners[:, :1]) & np.isfinite(dist)
    j = other.argmax(axis=1)
    second = np.where(other.any(axis=1), dist[np.arange(len(dist)), j], np.inf)
    return second <= dist[:, 0]


def view_tests(
    views: list[View],
    n: int,
    n_tr: int,
    n_ho: int,
    z: float,
    rng: np.random.Generator,
    units: Units | None = None,
    lift: float = 0.0,
) -> list[FactorTest]:
    """:func:`permutation_tests` for several views of the same ``n`` synthetic rows, under
    the same relabellings. Rows that stand out under no labelling (every listed distance
    equal, or none) are left out of the loop: they add nothing to any count. ``lift``: how
    far learning may raise the training share of the rows identical to a one-person record
    (module doc, "Identical rows"; the gate passes ``exact_match_margin``; 0: the fixed
    margins alone)."""
    g_tr, g_ho = (n_tr, n_ho) if units is None else (units.n_train, units.n_holdout)
    pooled_units = None if units is None else units.pooled()
    # a copy stands out when its training row is its nearest real row: under a random
    # split that row is a training row with probability q (the training share of the rows,
    # or of the persons) anyway, so each copy lifts the count by 1 − q on average;
    # dividing by it turns the excess into a share of copies
    gain = n * g_ho / (g_tr + g_ho)
    prepared = []
    for v in views:
        lists = Lists.of(v.dist)
        low = min(v.factors)
        first = np.where(lists.present[:, 0], v.dist[:, 0], np.inf)
        valid = v.ids >= 0
        safe = np.where(valid, v.ids, 0)
        groups = safe if pooled_units is None else pooled_units[safe]
        can = lists.last > low * first  # stands out under some labelling
        keep = np.flatnonzero(can & ~shared_nearest(v.dist, np.where(valid, groups, -1)))
        # rows identical to a real record that one person holds (module doc, "Identical
        # rows"): the pooled rows decide which, never the labels
        identical = int(((first[keep] == 0) & valid[keep, 0]).sum())
        lists = Lists(lists.dist[keep], lists.present[keep], lists.last[keep])
        ids, valid, groups = v.ids[keep], valid[keep], groups[keep]
        packed, factors = PackedLists(lists), np.asarray(v.factors)

        def count(is_train, lists=lists, packed=packed, factors=factors, v=v):
            if len(lists.dist) == 0:
                return np.zeros(len(factors), dtype=int)
            if packed.usable:
                return packed.counts(is_train, factors)
            return lists.stand_out(is_train, v.factors).sum(axis=0)

        seen = count(valid & (ids < n_tr))
        null = np.empty((PERMUTATIONS, len(v.factors)))
        prepared.append((v, valid, groups, count, seen, null, identical))
    for p in range(PERMUTATIONS):
        labels = rng.permutation(g_tr + g_ho) < g_tr
        for _v, valid, groups, count, _seen, null, _ident in prepared:
            null[p] = count(labels[groups] & valid)
    q = g_tr / (g_tr + g_ho)
    rate = learning_rate(lift, q)
    out = []
    for v, _valid, _groups, _count, seen, null, identical in prepared:
        for f, c in enumerate(v.factors):
            mu, sd = float(null[:, f].mean()), float(null[:, f].std(ddof=1))
            excess = (seen[f] - mu) / gain
            se = sd / gain
            p = (1 + int((null[:, f] >= seen[f]).sum())) / (1 + PERMUTATIONS)
            learning = rate * identical / n if n else 0.0
            fixed = v.margins[f]
            out.append(
                FactorTest(
                    c,
                    seen[f] / n,
                    mu / n,
                    excess,
                    excess - z * se,
                    se,
                    p,
                    v.name,
                    max(fixed, learning),
                    fixed,
                    learning,
                    rate,
                )
            )
    return out


def learning_rate(lift: float, q: float) -> float:
    """What one identical row may add to the estimated share of copies when learning
    raises its person's training probability from ``q`` to ``q + lift`` (at most 1): a
    copy adds ``1 − q``, so the rate is ``lift / (1 − q)``, at most 1.

    >>> round(learning_rate(0.05, 0.8), 6)
    0.25
    """
    if q >= 1.0:
        return 1.0
    return min(max(lift, 0.0), 1.0 - q) / (1.0 - q)


def near_copy_share(
    knn_tr: tuple[np.ndarray, np.ndarray],
    knn_ho: tuple[np.ndarray, np.ndarray],
    n_tr: int,
    n_ho: int,
    gate: GateThresholds,
    rng: np.random.Generator,
    offsets: np.ndarray,
    units: Units | None = None,
    rare: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Metric, dict[str, object]]:
    """The gating metric and its evidence (views, factors, power) for the report and JSON.

    ``knn_*`` are each synthetic row's ``K`` nearest training / holdout rows (squared
    distances, indices) from :meth:`~privacy.leakage.partitioned.BlockSearch.nearest_k`
    with the tie-breakers ``offsets`` (:func:`tie_offsets`). ``rare``: the rare-value view's
    lists (:func:`privacy.leakage.near_copy_view.rare_match_lists`), tested beside the
    distance view. With ``units`` the relabellings are of persons (module doc)."""
    dist, ids = pooled(*knn_tr, *knn_ho, n_tr, offsets)
    views = [View("distance", dist, ids, FACTORS, margins(FACTORS, gate))]
    if rare is not None:
        views.append(View(RARE_VIEW, *rare, RARE_FACTORS, margins(RARE_FACTORS, gate, rare=True)))
    n_tests = sum(len(v.factors) for v in views)
    alpha = (1.0 - gate.confidence) / 2.0 / n_tests
    z = NormalDist().inv_cdf(1.0 - alpha)
    tests = view_tests(views, len(dist), n_tr, n_ho, z, rng, units, gate.exact_match_margin)
    # block on a test whose count is rare among the relabellings (the Monte Carlo
    # p-value is exact; the permutation distribution can be lumpy when synthetic rows crowd
    # a few real rows, so its tail is not read off a normal curve) and whose normal lower
    # bound clears its margin (every generator that learnt from the training rows, DP or
    # not, sits a little nearer them in dense regions: the margin is for copies, not for
    # learning)
    blocking = [t for t in tests if t.p_value <= alpha and t.excess_lo > t.margin]
    # the headline: the strongest blocking test, else the most surprising one (a test no
    # row passes under any relabelling, p = 1, is never the headline)
    worst = (
        max(blocking, key=lambda t: t.excess_lo - t.margin)
        if blocking
        else min(tests, key=lambda t: (t.p_value, t.factor))
    )
    block = bool(blocking)
    nearest = min(t.detectable(z) for t in tests)
    anywhere = tests[0].detectable(z)  # the distance view's lowest factor
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
        f"factor, among each synthetic row's {K} nearest real rows (numbers within "
        f"{SNAP_RTOL:.0%} of a real value compared as that value)"
        + (
            ""
            if rare is None
            else ", and by the information of the cells a real row does not match (rare "
            "values looked up)"
        )
        + f", against {PERMUTATIONS} {relabel} (Bonferroni over {n_tests} tests)",
        "factors": [
            {
                "view": t.view,
                "factor": t.factor,
                "share": round(t.share, 4),
                "expected": round(t.expected, 4),
                "excess": round(t.excess, 4),
                "excess_lower": round(t.excess_lo, 4),
                "margin": round(t.margin, 4),
                "margin_fixed": round(t.fixed, 4),
                "margin_learning": round(t.learning, 4),
                "p_value": round(t.p_value, 4),
            }
            for t in tests
        ],
        "power": power,
    }
    by = (
        "nearer a training row than any holdout row"
        if worst.view == "distance"
        else "nearer a training row than any holdout row on the information of their "
        "unmatched cells"
    ) + ("" if worst.factor == 1.0 else f" by a factor {worst.factor:g}")
    metric = Metric(
        name="near_copy_share",
        value=worst.excess,
        baseline=0.0,
        interval=(worst.excess_lo, worst.excess + (worst.excess - worst.excess_lo)),
        threshold=worst.margin,
        verdict="block" if block else "pass",
        explanation=(
            f"{worst.share:.1%} of synthetic rows sit {by}; random train/holdout splits "
            + ("" if units is None else "of the persons ")
            + f"give {worst.expected:.1%}. The excess estimates that {worst.excess:.1%} of the "
            f"rows copy a training row closely; its lower bound "
            f"{worst.excess_lo:.1%} ({1 - alpha * n_tests:.0%} one-sided over "
            f"{n_tests} tests) "
            + ("exceeds" if block else "does not exceed")
            + f" {worst.margin:.1%}"
            + (
                f" (the allowance for rows identical to a one-person record, "
                f"{worst.rate:.2f} per such row, above the fixed {worst.fixed:.1%})"
                if worst.learning > worst.fixed
                else ""
            )
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
