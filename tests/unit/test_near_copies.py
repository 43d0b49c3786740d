"""The near-copy test: exact permutation variance, calibrated under the random split even
when synthetic rows crowd a few real rows, and it finds a few percent of near-copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support import make_people

from privacy.leakage import check_leakage
from privacy.leakage.metrics import dcr_share
from privacy.leakage.near_copies import K, near_copy_share, stand_out
from synth.schema.model import GateThresholds


def _crowded(rng, n_tr, n_ho, n_syn, popular):
    """K-nearest lists of synthetic rows that crowd a few real rows, independent of the
    split: every row's list is the same ``K`` popular real rows at random distances."""
    n = n_tr + n_ho
    is_train = np.zeros(n, dtype=bool)
    is_train[rng.choice(n, n_tr, replace=False)] = True
    pos = np.cumsum(is_train) - 1, np.cumsum(~is_train) - 1
    chosen = np.stack([rng.choice(popular, K, replace=False) for _ in range(n_syn)])
    sq = np.sort(rng.random((n_syn, K)), axis=1)
    tr_mask = is_train[chosen]
    lists = []
    for want, index in ((True, pos[0]), (False, pos[1])):
        d = np.where(tr_mask == want, sq, np.inf)
        i = np.where(tr_mask == want, index[chosen], -1)
        o = np.argsort(d, axis=1, kind="stable")
        lists.append((np.take_along_axis(d, o, 1), np.take_along_axis(i, o, 1)))
    return lists


def test_crowded_honest_output_is_not_blocked_where_a_binomial_interval_would_be():
    # an honest generator that favours common records: 1,000 synthetic rows whose nearest
    # real rows are 40 of 5,000, independent of the split; the share nearest a training
    # row swings with the labels of those 40, which a binomial interval would ignore
    rng = np.random.default_rng(1)
    n_tr, n_ho = 4000, 1000
    popular = rng.choice(n_tr + n_ho, 40, replace=False)
    gate = GateThresholds()
    blocked = binomial_blocked = 0
    for _ in range(30):
        knn_tr, knn_ho = _crowded(rng, n_tr, n_ho, 1000, popular)
        metric, _ = near_copy_share(knn_tr, knn_ho, n_tr, n_ho, gate, rng, np.zeros(n_tr + n_ho))
        blocked += metric.verdict == "block"
        share = dcr_share(knn_tr[0][:, 0], knn_ho[0][:, 0], n_tr / (n_tr + n_ho), gate)
        binomial_blocked += share.interval[0] > n_tr / (n_tr + n_ho)
    assert blocked == 0
    assert binomial_blocked >= 3  # what ignoring the shared labels would do


def test_stand_out_reads_the_first_training_and_holdout_rows_of_the_list():
    dist = np.array([[0.1, 0.5, 0.9], [0.2, 0.3, np.inf], [0.0, 0.0, 1.0]])
    is_train = np.array([[True, True, False], [True, True, False], [True, False, True]])
    got = stand_out(dist, is_train, (1.0, 4.0, 10.0))
    # row 0: a = 0.1, b = 0.9; row 1: no holdout in the list, b = the last distance 0.3;
    # row 2: a training and a holdout row at distance 0 — nobody stands out
    assert got.tolist() == [[True, True, False], [True, False, False], [False, False, False]]


def test_ten_percent_of_near_copies_are_blocked_and_honest_output_passes():
    people = make_people(6000, seed=1)
    train, holdout = people.iloc[:4500].reset_index(drop=True), people.iloc[4500:]
    honest = make_people(3000, seed=99)
    gate = GateThresholds()
    clean = check_leakage(train, holdout.reset_index(drop=True), honest, thresholds=gate, seed=5)
    near = next(m for m in clean.metrics if m.name == "near_copy_share")
    assert near.verdict == "pass", near.explanation
    rng = np.random.default_rng(2)
    k = 300  # 10 % of the rows: training rows with every number jittered by 1 %
    copies = train.iloc[rng.choice(len(train), k, replace=False)].reset_index(drop=True)
    for col in ("income", "bmi"):
        copies[col] = copies[col] * (1 + rng.choice([-0.01, 0.01], k))
    leaky = pd.concat([honest.iloc[k:], copies], ignore_index=True)
    result = check_leakage(train, holdout.reset_index(drop=True), leaky, thresholds=gate, seed=5)
    near = next(m for m in result.metrics if m.name == "near_copy_share")
    assert near.verdict == "block", near.explanation
    assert not result.passed
    assert near.value is not None and 0.05 < near.value < 0.15  # the share is estimated
    power = result.near_copies["power"]
    assert power["copies_nearest"] is not None and power["copies_nearest"] < 0.1


def test_packed_counts_equal_the_per_entry_reading():
    """The permutation loop's packed reading of the first training and holdout entries
    gives the counts of :meth:`Lists.stand_out` (ties, short lists, no entry of a side)."""
    from privacy.leakage.near_copies import FACTORS, Lists, PackedLists

    rng = np.random.default_rng(0)
    for _ in range(100):
        n, k = int(rng.integers(1, 200)), int(rng.integers(1, 17))
        dist = np.sort(rng.integers(0, 4, (n, k)).astype(float), axis=1)
        short = rng.integers(0, k + 1, n)
        dist[np.arange(k)[None, :] >= (k - short)[:, None]] = np.inf
        lists = Lists.of(dist)
        packed = PackedLists(lists)
        assert packed.usable
        for _ in range(4):
            is_train = (rng.random((n, k)) < rng.random()) & lists.present
            want = lists.stand_out(is_train, FACTORS).sum(axis=0)
            assert np.array_equal(packed.counts(is_train, np.asarray(FACTORS)), want)
    gap = np.array([[0.0, np.inf, 1.0]])
    assert not PackedLists(Lists.of(gap)).usable
