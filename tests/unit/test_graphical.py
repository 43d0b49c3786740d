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
from synth.engines.grouping import coarsen


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


def test_a_grouped_measurement_alone_is_fitted_exactly():
    """A measurement of grouped tokens (a coarse view of column 1, given in reverse column
    order) is matched exactly, and the model spreads each group evenly over its members
    (nothing else is known about them)."""
    rng = np.random.default_rng(4)
    groups = (np.array([0, 0, 1, 1, 1, 2]), None)  # column 1's 6 tokens in 3 groups; column 0
    y = rng.uniform(50, 500, (3, 4))  # axes: column 1's groups, column 0
    model = estimate([4, 6], [((1, 0), y, 1.0, groups)], iters=3000)
    fitted = model.project((0, 1))  # axes: column 0, column 1
    np.testing.assert_allclose(coarsen(fitted.T, groups), y, rtol=0, atol=0.05)
    for g, members in enumerate([[0, 1], [2, 3, 4], [5]]):
        np.testing.assert_allclose(
            fitted[:, members], (y[g][:, None] / len(members)).repeat(len(members), 1), atol=0.05
        )


def test_grouped_measurements_agree_with_mbi_mirror_descent():
    """Fine and grouped measurements together: the same estimate as ``mbi``'s mirror descent
    given the grouped ones as linear queries."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    from mbi import Domain, LinearMeasurement
    from mbi.estimation import MirrorDescent

    rng = np.random.default_rng(5)
    cards = [6, 5, 3, 4]
    joint = rng.dirichlet(np.ones(np.prod(cards)) * 0.5).reshape(cards) * 20_000
    g0 = np.array([0, 0, 1, 1, 2, 2])
    g1 = np.array([0, 0, 0, 1, 1])
    meas = [((i,), _brute(joint, (i,)), 20.0, None) for i in range(4)]
    meas += [
        ((0, 1), coarsen(_brute(joint, (0, 1)), (g0, g1)), 20.0, (g0, g1)),
        ((0, 2), coarsen(_brute(joint, (0, 2)), (g0, None)), 20.0, (g0, None)),
        ((2, 3), _brute(joint, (2, 3)), 20.0, None),
    ]
    meas = [(c, y + rng.normal(0, 20, y.shape), s, g) for c, y, s, g in meas]
    ours = estimate(cards, meas, iters=3000)

    def query(groups):
        mats = [None if g is None else jnp.asarray(np.eye(int(g.max()) + 1)[:, g]) for g in groups]

        def q(factor):
            x = factor.datavector(flatten=False)
            for ax, m in enumerate(mats):
                if m is not None:
                    x = jnp.moveaxis(jnp.tensordot(m, x, axes=([1], [ax])), 0, ax)
            return x.ravel()

        return q

    names = [f"c{i}" for i in range(len(cards))]
    ms = [
        LinearMeasurement(y.ravel(), tuple(names[i] for i in c), stddev=s)
        if g is None
        else LinearMeasurement(y.ravel(), tuple(names[i] for i in c), stddev=s, query=query(g))
        for c, y, s, g in meas
    ]
    theirs = MirrorDescent().estimate(Domain(names, tuple(cards)), ms, iters=3000)
    for c in [(0, 1), (0, 2), (2, 3), (1, 3)]:
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
