"""The numpy graphical model: junction tree, calibration, projection, estimation.

Exactness is checked against brute force on small random models (the full joint table),
and the estimator against ``mbi`` 2.0's ``MirrorDescent`` on the same measurements.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from synth.engines.factors import rounded, sample_factors
from synth.engines.graphical import Model, estimate, junction_tree, maximal


def _random_model(seed: int, d: int = 6) -> tuple[list[int], list[tuple[int, ...]], Model]:
    rng = np.random.default_rng(seed)
    cards = [int(k) for k in rng.integers(2, 5, d)]
    cliques = maximal(
        [
            tuple(sorted(rng.choice(d, size=int(rng.integers(1, 4)), replace=False)))
            for _ in range(5)
        ]
        + [(i,) for i in range(d)]
    )
    tree = junction_tree(cards, cliques)
    pots = [rng.normal(0, 1.5, tree.shape(c)) for c in cliques]
    return cards, cliques, Model(tree, cliques, pots, 1000.0).calibrate()


def _joint(cards: list[int], model: Model) -> np.ndarray:
    """The full joint table (counts) of the model, by brute force."""
    log_p = np.zeros(cards)
    for c, th in zip(model.cliques, model.potentials, strict=True):
        shape = [cards[i] if i in c else 1 for i in range(len(cards))]
        log_p = log_p + th.reshape(shape)
    p = np.exp(log_p - log_p.max())
    return model.total * p / p.sum()


def _brute(joint: np.ndarray, cols: tuple[int, ...]) -> np.ndarray:
    other = tuple(i for i in range(joint.ndim) if i not in cols)
    return joint.sum(axis=other)


@pytest.mark.parametrize("seed", range(6))
def test_junction_tree_is_valid(seed):
    cards, cliques, model = _random_model(seed)
    tree = model.tree
    assert sorted({v for c in tree.nodes for v in c}) == list(range(len(cards)))
    for c in cliques:  # every measured clique has a home
        assert any(set(c) <= set(n) for n in tree.nodes)
    # running intersection: the tree cliques holding a column form a connected subtree
    for v in range(len(cards)):
        holding = {j for j, n in enumerate(tree.nodes) if v in n}
        tops = [j for j in holding if tree.parent[j] not in holding]
        assert len(tops) == 1
    assert len(tree.edges) == len(tree.nodes) - 1


@pytest.mark.parametrize("seed", range(6))
def test_calibrated_marginals_and_projections_are_exact(seed):
    cards, _cliques, model = _random_model(seed)
    joint = _joint(cards, model)
    for j, node in enumerate(model.tree.nodes):
        np.testing.assert_allclose(model.beliefs[j], _brute(joint, node), rtol=1e-9, atol=1e-9)
    for cols in itertools.combinations(range(len(cards)), 3):
        np.testing.assert_allclose(model.project(cols), _brute(joint, cols), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("seed", range(8))
def test_batched_projections_are_exact(seed):
    """projections() (one pass per column for pairs across tree cliques) gives the same
    numbers as brute force, for every single, pair and some triples at once."""
    cards, _cliques, model = _random_model(seed, d=7)
    joint = _joint(cards, model)
    d = len(cards)
    asked = [(i,) for i in range(d)] + list(itertools.combinations(range(d), 2))
    asked += [(0, 1, 2), (2, 4, 6)]
    for cols, got in zip(asked, model.projections(asked), strict=True):
        np.testing.assert_allclose(got, _brute(joint, cols), rtol=1e-8, atol=1e-8)


def test_estimate_recovers_consistent_measurements():
    rng = np.random.default_rng(1)
    cards = [3, 4, 2, 3]
    joint = rng.dirichlet(np.ones(np.prod(cards))).reshape(cards) * 5000
    cliques = [(0, 1), (1, 2), (2, 3)]
    meas = [(c, _brute(joint, c), 1.0) for c in cliques]
    model = estimate(cards, meas, iters=3000)
    for c, y, _s in meas:
        np.testing.assert_allclose(model.project(c), y, rtol=0, atol=0.5)


def test_measurement_axes_may_come_in_any_column_order():
    rng = np.random.default_rng(2)
    y = rng.uniform(10, 100, (3, 4))
    a = estimate([4, 3], [((1, 0), y, 1.0)], iters=2000)
    np.testing.assert_allclose(a.project((0, 1)), y.T, atol=0.5)


def test_estimate_agrees_with_mbi_mirror_descent():
    import jax
    import mbi  # noqa: F401  (a hard dependency: its absence fails, never skips)

    jax.config.update("jax_enable_x64", True)
    from mbi import Domain, LinearMeasurement
    from mbi.estimation import MirrorDescent

    rng = np.random.default_rng(3)
    cards = [4, 3, 5, 2, 3]
    joint = rng.dirichlet(np.ones(np.prod(cards)) * 0.5).reshape(cards) * 20_000
    cliques = [(0,), (1,), (2,), (3,), (4,), (0, 1), (1, 2), (2, 3, 4), (0, 4)]
    meas = [
        (c, _brute(joint, c) + rng.normal(0, 20, _brute(joint, c).shape), 20.0) for c in cliques
    ]
    ours = estimate(cards, meas, iters=3000)
    names = [f"c{i}" for i in range(len(cards))]
    ms = [LinearMeasurement(y.ravel(), tuple(names[i] for i in c), stddev=s) for c, y, s in meas]
    theirs = MirrorDescent().estimate(Domain(names, tuple(cards)), ms, iters=3000)
    for c in [*cliques, (0, 2), (1, 3, 4)]:
        ref = np.asarray(theirs.project(tuple(names[i] for i in c)).datavector(flatten=False))
        assert np.abs(ours.project(c) - ref).sum() / ref.sum() < 2e-3, c


def test_factors_sample_the_model():
    cards, _cliques, model = _random_model(4)
    root, root_marginal, factors = model.factors()
    rng = np.random.default_rng(0)
    n = 200_000
    rows = sample_factors(n, len(cards), root, root_marginal, factors, [[]] * len(cards), rng)
    joint = _joint(cards, model) / model.total
    for cols in [(0, 1), (2, 5), (1, 3, 4)]:
        got = np.zeros([cards[c] for c in cols])
        np.add.at(got, tuple(rows[:, c] for c in cols), 1)
        assert 0.5 * np.abs(got / n - _brute(joint, cols)).sum() < 0.01


def test_rounded_sampling_is_within_one_row_per_cell():
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(7))
    for m in (1, 13, 1000):
        got = np.bincount(rounded(p, m, rng), minlength=7)
        assert got.sum() == m
        assert np.all(np.abs(got - m * p) < 1.0)
