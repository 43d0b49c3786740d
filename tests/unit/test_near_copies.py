"""The near-copy test: exact permutation variance, calibrated under the random split even
when synthetic rows crowd a few real rows, and it finds a few percent of near-copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support import make_people

from privacy.leakage import check_leakage
from privacy.leakage.metrics import dcr_share
from privacy.leakage.near_copies import near_copy_share, permutation_variance
from synth.schema.model import GateThresholds


def test_permutation_variance_is_the_variance_under_random_splits():
    rng = np.random.default_rng(0)
    n_tr, n_ho = 30, 10
    clusters = rng.integers(0, 8, 200)  # 200 synthetic rows next to 8 of the 40 real rows
    weights = np.ones(200)
    sums = []
    for _ in range(20_000):
        labels = np.zeros(n_tr + n_ho)
        labels[rng.choice(n_tr + n_ho, n_tr, replace=False)] = 1
        sums.append(labels[clusters].sum())
    formula = permutation_variance(clusters, weights, n_tr, n_ho)
    assert abs(np.var(sums) / formula - 1) < 0.05


def _split_scores(rng, n_tr, n_ho, nearest_pooled):
    """The DCR scores and nearest indices of synthetic rows whose nearest pooled real row
    is ``nearest_pooled``, under one random train/holdout split of the pooled rows."""
    n = n_tr + n_ho
    is_train = np.zeros(n, dtype=bool)
    is_train[rng.choice(n, n_tr, replace=False)] = True
    position = np.empty(n, dtype=np.int64)
    position[is_train] = np.arange(n_tr)
    position[~is_train] = np.arange(n_ho)
    to_train = is_train[nearest_pooled]
    sq_tr = np.where(to_train, 0.1, 0.2)
    sq_ho = np.where(to_train, 0.2, 0.1)
    idx = position[nearest_pooled]
    return sq_tr, sq_ho, to_train.astype(float), idx, idx


def test_crowded_honest_output_is_not_blocked_where_a_binomial_interval_would_be():
    # an honest generator that favours common records: 4,000 synthetic rows whose nearest
    # real rows are 40 of 5,000, independent of the split
    rng = np.random.default_rng(1)
    n_tr, n_ho = 4000, 1000
    popular = rng.choice(n_tr + n_ho, 40, replace=False)
    gate = GateThresholds()
    blocked = binomial_blocked = 0
    for _ in range(200):
        nearest = popular[rng.integers(0, 40, 4000)]
        pooled = rng.random(4000)  # the distance to the nearest real row, label-free
        sq_tr, sq_ho, scores, i_tr, i_ho = _split_scores(rng, n_tr, n_ho, nearest)
        sq_tr, sq_ho = sq_tr * pooled, sq_ho * pooled
        metric, _ = near_copy_share(sq_tr, sq_ho, scores, i_tr, i_ho, n_tr, n_ho, gate)
        blocked += metric.verdict == "block"
        wilson = dcr_share(sq_tr, sq_ho, n_tr / (n_tr + n_ho), gate)
        binomial_blocked += wilson.interval[0] > n_tr / (n_tr + n_ho)
    assert blocked == 0
    assert binomial_blocked > 20  # what ignoring the shared labels would do


def test_a_few_percent_of_near_copies_are_blocked_and_honest_output_passes():
    people = make_people(6000, seed=1)
    train, holdout = people.iloc[:4500].reset_index(drop=True), people.iloc[4500:]
    honest = make_people(3000, seed=99)
    gate = GateThresholds()
    clean = check_leakage(train, holdout.reset_index(drop=True), honest, thresholds=gate, seed=5)
    near = next(m for m in clean.metrics if m.name == "near_copy_share")
    assert near.verdict == "pass", near.explanation
    rng = np.random.default_rng(2)
    k = 150  # 5 % of the rows: training rows with every number jittered by 1 %
    copies = train.iloc[rng.choice(len(train), k, replace=False)].reset_index(drop=True)
    for col in ("income", "bmi"):
        copies[col] = copies[col] * (1 + rng.choice([-0.01, 0.01], k))
    leaky = pd.concat([honest.iloc[k:], copies], ignore_index=True)
    result = check_leakage(train, holdout.reset_index(drop=True), leaky, thresholds=gate, seed=5)
    near = next(m for m in result.metrics if m.name == "near_copy_share")
    assert near.verdict == "block", near.explanation
    assert not result.passed
    assert near.value is not None and 0.02 < near.value < 0.08
    power = result.near_copies["power"]
    assert power["copies_nearest"] is not None and power["copies_nearest"] < 0.05
