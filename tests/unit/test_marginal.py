"""The marginal engine's target-aware structure and its saved form."""

from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pytest

import synth.engines.factors as factors
from synth.engines import create_engine
from synth.ledger import PrivacyLedger
from synth.randomness import Randomness


def _table(n: int = 6000, seed: int = 0) -> np.ndarray:
    """t = a XOR b: no pair of columns shows it, only the 3-way (t, a, b) does."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 2, n)
    c = (a + rng.integers(0, 2, n) * (rng.random(n) < 0.1)) % 3
    t = a ^ b
    return np.column_stack([a, b, c, t])


EPSILON = 20.0


def _fit(target: int | None) -> tuple[Any, PrivacyLedger]:
    ledger = PrivacyLedger(EPSILON, 1e-6)
    eng = create_engine("mst", [2, 2, 3, 2], target=target)
    eng.fit(_table(), ledger, Randomness.secret())
    return eng, ledger


@pytest.fixture(scope="module")
def aware() -> tuple[Any, PrivacyLedger]:
    return _fit(3)


@pytest.fixture(scope="module")
def plain() -> tuple[Any, PrivacyLedger]:
    return _fit(None)


def test_factors_doctests() -> None:
    assert doctest.testmod(factors).failed == 0


def test_target_is_a_parent_of_every_factor(aware) -> None:
    eng = aware[0]
    assert eng.root == 3
    assert all(cols[0] == 3 for cols in eng.factor_cols)
    assert sorted(cols[-1] for cols in eng.factor_cols) == [0, 1, 2]


def test_target_aware_fit_stays_within_budget(aware) -> None:
    ledger = aware[1]
    spent_eps, _ = ledger.spent()
    assert 0.99 * EPSILON < spent_eps <= EPSILON + 1e-9
    purposes = " ".join(e.purpose for e in ledger.charges)
    assert "with the target" in purposes and "(target, a, b)" in purposes


def test_target_aware_model_keeps_a_three_way_dependency(aware, plain) -> None:

    def xor_share(eng: Any) -> float:
        s = eng.sample(20_000, np.random.default_rng(3))
        return float(np.mean(s[:, 3] == (s[:, 0] ^ s[:, 1])))

    # a tree of pairs cannot hold t = a XOR b (every pair is independent); the
    # target-aware model measures (t, a, b) and reproduces it at this ε
    assert xor_share(aware[0]) > 0.95
    assert xor_share(plain[0]) < 0.75


def test_state_dict_round_trip_and_shape_check(aware) -> None:
    eng = aware[0]
    config, arrays = eng.state_dict()
    again = create_engine("mst", [2, 2, 3, 2], **config["options"])
    again.load_state_dict(config, arrays)
    a = eng.sample(500, np.random.default_rng(7))
    b = again.sample(500, np.random.default_rng(7))
    assert np.array_equal(a, b)
    broken = dict(arrays)
    broken["edge_0001"] = np.ones((5, 5))
    with pytest.raises(ValueError, match="wrong shape"):
        create_engine("mst", [2, 2, 3, 2], **config["options"]).load_state_dict(config, broken)


def test_code_column_of_a_few_dozen_values_is_not_paired() -> None:
    """Ordered tokens are grouped for density only beyond twice the group budget: a 19-value
    code on 32k rows keeps every value (pairing neighbours broke Adult's education-num tie
    to education), a 75-value age is still grouped."""
    from synth.engines.marginal import MSTEngine

    y19 = np.full(20, 32_000 / 20)
    assert (MSTEngine._mapping(y19, 5.0, 19) == np.arange(20)).all()
    y76 = np.full(77, 32_000 / 77)
    assert MSTEngine._mapping(y76, 5.0, 76).max() + 1 < 30


def test_group_members_share_rows_by_shrunken_noisy_counts() -> None:
    """Inside a group of neighbouring ordered tokens the rows are shared by noisy counts
    shrunk towards the group mean by how much of their spread is noise: equal-mass bins
    under heavy noise come out near equal, a heavy value among light ones keeps its
    weight; an unordered bucket still draws by the count above σ."""
    from synth.engines.marginal import MSTEngine

    rng = np.random.default_rng(0)
    sigma = 40.0
    y = 30.0 + rng.normal(0, sigma, 64)  # 64 equal-mass bins of 30 rows under σ = 40
    mapping = np.arange(64) // 16
    w = MSTEngine._member_weights(y, mapping, sigma, 64)
    for g in range(4):
        part = w[mapping == g]
        assert part.max() - part.min() < 0.5 * (y[mapping == g].max() - y[mapping == g].min())
    heavy = np.array([10.0, 15000.0, 40.0, 5.0])
    wh = MSTEngine._member_weights(heavy, np.zeros(4, dtype=np.int64), sigma, 4)
    assert wh[1] / wh.sum() > 0.99
    bucket = np.array([100.0, 2.0, -5.0, 300.0])
    wb = MSTEngine._member_weights(bucket, np.array([0, 0, 0, 1]), sigma, 0)
    assert wb.tolist() == [60.0, 0.0, 0.0, 0.0]


def test_a_group_of_cells_carries_their_summed_noise() -> None:
    """After compression a group's 1-way count sums the noisy counts of its members, so
    its σ is σ·√(members); the estimator then trusts a direct measurement of the same
    cells more than the sum (inverse-variance weighting of the two)."""
    from synth.engines.graphical import estimate
    from synth.engines.marginal import MSTEngine

    eng = MSTEngine([16, 2], ordinal=[16, 0])
    y = np.full(16, 10.0)  # 160 rows under σ = 10: groups of 3 expect 3σ
    tokens = np.zeros((10, 2), dtype=np.int64)
    _t, measured = eng._compress(tokens, [((0,), y, 10.0), ((1,), np.array([800.0, 800.0]), 10.0)])
    (_c, y0, s0), (_c1, _y1, s1) = measured
    assert np.ndim(s1) == 0 and np.ndim(s0) == 1 and len(s0) == len(y0) < 16
    sizes = np.bincount(eng.mappings[0])
    assert np.allclose(s0, 10.0 * np.sqrt(sizes))
    # per-cell σ in the estimator: two 1-ways of 400 rows, the first with its second cell
    # at σ = 20; the least-squares cell 0 under the total is 3.1 / 0.0325 (100 if that
    # cell's σ were 10 like the others)
    m = estimate(
        [2],
        [
            ((0,), np.array([120.0, 280.0]), np.array([10.0, 20.0])),
            ((0,), np.array([80.0, 320.0]), 10.0),
        ],
        iters=3000,
    )
    assert abs(float(m.project((0,))[0]) - 3.1 / 0.0325) < 0.5
