"""Near-copies: a holdout-calibrated test that a small share of synthetic rows copies
training rows closely (a cell changed, numbers jittered).

The null hypothesis is the one the holdout makes testable: the generator's output does
not depend on *which* real rows were drawn for training. Then, given the pooled real rows
(train ∪ holdout) and the synthetic rows, the train/holdout labels are a uniformly random
split, and a synthetic row's nearest real row is a training row with probability
``p0 = n_train / (n_train + n_holdout)`` whatever the generator's distribution is — so
the test needs no margin fitted to a particular generator. Copies break it: a copied row
sits next to its training row.

A few copies among many honest rows move the share of the whole table little (5 % of
copies lift it by 5 % × (1 − p0)), but they are *near*: so the test looks at nested sets
of the synthetic rows nearest to any real row (``LEVELS``: the nearest 2 %, 5 %, 10 %,
25 % and all of them, cut on the pooled distance, which does not depend on the labels).
For each set ``C`` it estimates the share of *all* synthetic rows that are copies,

    f = (S − p0·|C|) / ((1 − p0)·n_synthetic),    S = Σ_{i∈C} score_i

(``score_i`` = 1 when row i's nearest real row is a training row, 0 when a holdout row,
``k/(k+m)`` for a tie between k training and m holdout rows): if a fraction f of the rows
were copies and the rest honest, ``E[S] = f·n + p0·(|C| − f·n)``.

The variance is the exact permutation variance of ``S`` under the random split,
``n_tr·n_ho / (N(N−1)) · Σ_j (c_j − c̄)²``, where ``c_j`` counts the rows of ``C`` whose
nearest real row is row j of the N pooled rows: many synthetic rows next to the *same*
real row share one label, which a binomial interval would ignore (it would block honest
generators that favour common records). A tied row is counted at its nearest training
row (conservative: its score averages several labels, its variance is smaller).

The gate blocks when, at any level, the lower bound of ``f`` (one-sided, Bonferroni over
the levels at the gate's confidence) exceeds ``GateThresholds.near_copy_min``. The power
statement gives, per table, the smallest share of copies the test finds with 80 %
probability: copies nearer their training row than the honest rows are found at the
lowest level they fill, copies anywhere at the level of all rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from privacy.leakage.metrics import Metric
from synth.schema.model import GateThresholds

#: nested close sets: the nearest q of the synthetic rows (by pooled distance)
LEVELS = (0.02, 0.05, 0.1, 0.25, 1.0)
#: the detection probability the power statement is for
POWER = 0.8


@dataclass(frozen=True)
class Level:
    """The test on the synthetic rows nearest to a real row (the nearest ``q``)."""

    q: float
    rows: int
    share: float
    copies: float
    copies_lo: float
    se: float

    def detectable(self, z: float, minimum: float) -> float:
        """Smallest copy share found with probability :data:`POWER` at this level."""
        return minimum + (z + NormalDist().inv_cdf(POWER)) * self.se


def permutation_variance(clusters: np.ndarray, weights: np.ndarray, n_tr: int, n_ho: int) -> float:
    """Var(Σ c_j L_j) when ``n_tr`` of the ``N = n_tr + n_ho`` labels L_j are 1 at random;
    ``c_j`` is the sum of ``weights`` of the rows in cluster ``j`` (``clusters``: 0…N−1)."""
    n = n_tr + n_ho
    if n < 2 or len(clusters) == 0:
        return 0.0
    c = np.bincount(clusters, weights=weights)
    total = float(c.sum())
    sum_sq = float(np.square(c).sum()) - total * total / n
    return n_tr * n_ho / (n * (n - 1.0)) * max(sum_sq, 0.0)


def levels(
    pooled: np.ndarray,
    scores: np.ndarray,
    clusters: np.ndarray,
    n_tr: int,
    n_ho: int,
    z: float,
) -> list[Level]:
    """The test at each of :data:`LEVELS` (see the module doc)."""
    n = len(pooled)
    p0 = n_tr / (n_tr + n_ho)
    order = np.argsort(pooled, kind="stable")
    out = []
    for q in LEVELS:
        if q >= 1.0:
            take = order
        else:
            cut = pooled[order[max(0, math.ceil(q * n) - 1)]]
            take = order[pooled[order] <= cut]  # rows tied at the cut go in together
        m = len(take)
        s = float(scores[take].sum())
        var = permutation_variance(clusters[take], np.ones(m), n_tr, n_ho)
        se = math.sqrt(var) / ((1.0 - p0) * n)
        f = (s - p0 * m) / ((1.0 - p0) * n)
        out.append(Level(q, m, s / m if m else math.nan, f, f - z * se, se))
    return out


def near_copy_share(
    sq_tr: np.ndarray,
    sq_ho: np.ndarray,
    scores: np.ndarray,
    nearest_tr: np.ndarray,
    nearest_ho: np.ndarray,
    n_tr: int,
    n_ho: int,
    gate: GateThresholds,
) -> tuple[Metric, dict[str, object]]:
    """The gating metric and its evidence (levels, power) for the report and JSON.

    ``sq_*`` are each synthetic row's squared distances to its nearest training / holdout
    row, ``nearest_*`` those rows' indices, ``scores`` the DCR scores (ties k/(k+m))."""
    alpha = (1.0 - gate.confidence) / 2.0 / len(LEVELS)
    z = NormalDist().inv_cdf(1.0 - alpha)
    to_train = sq_tr <= sq_ho  # a tie is counted at its training row (conservative)
    clusters = np.where(to_train, nearest_tr, n_tr + nearest_ho).astype(np.int64)
    tests = levels(np.minimum(sq_tr, sq_ho), scores, clusters, n_tr, n_ho, z)
    worst = max(tests, key=lambda t: t.copies_lo)
    block = worst.copies_lo > gate.near_copy_min
    fillable = [t for t in tests if t.detectable(z, gate.near_copy_min) <= t.rows / len(sq_tr)]
    nearest_power = min((t.detectable(z, gate.near_copy_min) for t in fillable), default=None)
    anywhere_power = tests[-1].detectable(z, gate.near_copy_min)
    power = {
        "copies_nearest": _share(nearest_power),
        "copies_anywhere": _share(anywhere_power),
        "probability": POWER,
    }
    evidence: dict[str, object] = {
        "method": "share of synthetic rows whose nearest real row is a training row, in the "
        "nested sets nearest to a real row, against the random train/holdout split "
        "(permutation variance, Bonferroni over the levels)",
        "levels": [
            {
                "nearest": t.q,
                "share_to_train": round(t.share, 4),
                "copies": round(t.copies, 4),
                "copies_lower": round(t.copies_lo, 4),
            }
            for t in tests
        ],
        "power": power,
    }
    p0 = n_tr / (n_tr + n_ho)
    where = "all synthetic rows" if worst.q >= 1.0 else f"the {worst.q:.0%} nearest a real row"
    found = (
        f"copies that sit nearer their training row than honest output are found from "
        f"{_pct(nearest_power)} of the rows, copies anywhere from {_pct(anywhere_power)} "
        f"(with {POWER:.0%} probability at this table size)"
    )
    metric = Metric(
        name="near_copy_share",
        value=worst.copies,
        baseline=0.0,
        interval=(worst.copies_lo, worst.copies + (worst.copies - worst.copies_lo)),
        threshold=gate.near_copy_min,
        verdict="block" if block else "pass",
        explanation=(
            f"Estimated share of synthetic rows that copy a training row closely: "
            f"{worst.copies:.1%} (from {where}, where {worst.share:.1%} are nearest a training "
            f"row against {p0:.1%} for output that does not depend on the training rows). Its "
            f"lower bound {worst.copies_lo:.1%} ({1 - alpha * len(LEVELS):.0%} one-sided over "
            f"{len(LEVELS)} levels) "
            + ("exceeds" if block else "does not exceed")
            + f" {gate.near_copy_min:.1%}. Power: {found}."
        ),
    )
    return metric, evidence


def _share(x: float | None) -> float | None:
    return None if x is None or x > 1.0 else round(x, 4)


def _pct(x: float | None) -> str:
    return "— (too few rows)" if x is None or x > 1.0 else f"{x:.1%}"
