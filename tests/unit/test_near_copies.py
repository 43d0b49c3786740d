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


def _small_domain(rng, n=1200, noise=1.0, copies=0):
    """A 4-column categorical table of 480 cells (a handful of persons each), split 80/20,
    and output drawn from the training cells' counts plus Gaussian noise: a generator that
    follows its training rows closely, as DP at a moderate ε on so few cells does. With
    ``copies``, that many synthetic rows are replaced by training rows whose record is
    held by no other real row. Returns the gate's K-nearest lists (Hamming distance)."""
    cards = (2, 2, 60, 2)
    real = np.stack([rng.integers(0, c, n) for c in cards], axis=1)
    train = rng.random(n) < 0.8
    tr, ho = real[train], real[~train]
    cells = np.ravel_multi_index(tr.T, cards)
    weight = np.bincount(cells, minlength=int(np.prod(cards))) + rng.normal(0, noise, 480)
    weight = np.clip(weight, 0, None) / np.clip(weight, 0, None).sum()
    syn = np.stack(np.unravel_index(rng.choice(480, n, p=weight), cards), axis=1)
    if copies:
        held = np.bincount(np.ravel_multi_index(real.T, cards), minlength=480)
        unique = np.flatnonzero(held[cells] == 1)
        syn[:copies] = tr[rng.choice(unique, copies, replace=len(unique) < copies)]
    offsets = rng.random(n) * 1e-6
    lists = []
    for ref, off in ((tr, offsets[: len(tr)]), (ho, offsets[len(tr) :])):
        d = (syn[:, None, :] != ref[None, :, :]).sum(axis=2).astype(float)
        order = np.argsort(d + off[None, :], axis=1, kind="stable")[:, :K]
        lists.append((np.take_along_axis(d, order, axis=1), order))
    return lists, len(tr), len(ho), offsets


def test_a_generator_that_follows_training_cells_on_a_small_domain_is_not_blocked():
    # every synthetic row sits on a real record; where that record is held by two or more
    # persons it points at no one, so it is no copy: before such rows were left out, 16 of
    # 20 draws like these were blocked (the cells whose persons all fell in training stand
    # out, and the output follows training counts)
    rng = np.random.default_rng(7)
    for _ in range(5):
        (knn_tr, knn_ho), n_tr, n_ho, offsets = _small_domain(rng)
        metric, _ = near_copy_share(knn_tr, knn_ho, n_tr, n_ho, GateThresholds(), rng, offsets)
        assert metric.verdict == "pass", metric.explanation


def test_copies_of_records_no_one_else_holds_are_still_blocked_on_a_small_domain():
    # copies are identical rows, and so are most honest rows here: the allowance for
    # identical rows (exact_match_margin, as the exact-match metric) covers a generator
    # that follows 480 cells' training counts at σ = 1 (about ε = 4 per person), so
    # copies are found from about a quarter of the rows on this 1,200-row table, not 10 %
    # (with fixed margins 10 % was blocked in 17 of 20 draws at σ = 1 but 5 of 20 at
    # σ = 3: the generator's own learning carried most of it; BENCHMARKS, gate section)
    rng = np.random.default_rng(8)
    (knn_tr, knn_ho), n_tr, n_ho, offsets = _small_domain(rng, copies=360)
    metric, evidence = near_copy_share(knn_tr, knn_ho, n_tr, n_ho, GateThresholds(), rng, offsets)
    assert metric.verdict == "block", metric.explanation
    assert evidence["factors"][0]["margin_learning"] > evidence["factors"][0]["margin_fixed"]
