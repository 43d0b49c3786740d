"""DP-SGD's Poisson sampler: the law of its batches, and the refusal of any other sampling.

The accountant charges Poisson subsampling at rate q (every row in every batch
independently with probability q). The sampler draws a Binomial(n, q) size and then a
uniform subset; these tests check, with fixed seeds, that the result has the Poisson law
(batch sizes, the probability of every subset of a small table, per-row inclusion
rates), and each check is shown to reject a sampler with the wrong law, so it can fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from scipy import stats
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

from synth.engines.dpsgd import DPSGDEngine
from synth.engines.poisson import (
    ArrayRows,
    PoissonLoader,
    PoissonSampler,
    poisson_batch,
    validate_loader,
    validate_optimizer,
)
from synth.ledger import PrivacyLedger
from synth.randomness import Randomness

Draw = Callable[[int, float, np.random.Generator], np.ndarray]
#: reject the law at this p-value (a correct sampler fails one check in 10^4 seeds)
ALPHA = 1e-4


def _chi_square_p(observed: np.ndarray, expected: np.ndarray) -> float:
    """Chi-square goodness of fit, cells with expected count < 5 pooled into one."""
    small = expected < 5
    obs = np.append(observed[~small], observed[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return float(stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


def _size_p(draw: Draw, n: int, q: float, trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    sizes = np.array([len(draw(n, q, rng)) for _ in range(trials)])
    observed = np.bincount(sizes, minlength=n + 1)[: n + 1].astype(float)
    return _chi_square_p(observed, trials * stats.binom.pmf(np.arange(n + 1), n, q))


def _subset_p(draw: Draw, n: int, q: float, trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    masks = np.zeros(trials, dtype=np.int64)
    for t in range(trials):
        masks[t] = int(np.sum(2 ** draw(n, q, rng)))
    observed = np.bincount(masks, minlength=2**n).astype(float)
    sizes = np.array([bin(m).count("1") for m in range(2**n)])
    expected = trials * q**sizes * (1 - q) ** (n - sizes)
    return _chi_square_p(observed, expected)


def _fixed_size(n: int, q: float, rng: np.random.Generator) -> np.ndarray:
    """The pitfall: a fixed batch of round(q·n) rows (sampling without replacement)."""
    return np.sort(rng.choice(n, size=round(q * n), replace=False))


def _biased_subset(n: int, q: float, rng: np.random.Generator) -> np.ndarray:
    """Right batch sizes, but low row numbers favoured (a weighted sampler)."""
    size = int(rng.binomial(n, q))
    weights = np.linspace(2.0, 1.0, n)
    return np.sort(rng.choice(n, size=size, replace=False, p=weights / weights.sum()))


def test_batch_size_is_binomial() -> None:
    assert _size_p(poisson_batch, 60, 0.15, 20_000, seed=0) > ALPHA
    assert _size_p(poisson_batch, 1, 0.5, 4_000, seed=1) > ALPHA
    # the check has power: fixed-size batches are rejected
    assert _size_p(_fixed_size, 60, 0.15, 20_000, seed=0) < ALPHA


def test_every_subset_has_the_poisson_probability() -> None:
    """P(S = s) = q^|s| (1-q)^(n-|s|) for each of the 2^5 subsets of a 5-row table."""
    assert _subset_p(poisson_batch, 5, 0.3, 20_000, seed=2) > ALPHA
    assert _subset_p(poisson_batch, 5, 0.8, 20_000, seed=3) > ALPHA
    # the check has power: correct sizes with a non-uniform subset are rejected
    assert _subset_p(_biased_subset, 5, 0.3, 20_000, seed=2) < ALPHA
    assert _subset_p(_fixed_size, 5, 0.4, 20_000, seed=2) < ALPHA


def test_every_row_is_included_at_rate_q() -> None:
    """On a table large enough for numpy's O(batch) subset algorithm (n > 10 000)."""
    n, q, steps = 20_000, 1 / 400, 4_000
    rng = np.random.default_rng(4)
    hits = np.zeros(n, dtype=np.int64)
    m = 2_000
    in_first = np.zeros(steps, dtype=np.int64)
    for t in range(steps):
        batch = poisson_batch(n, q, rng)
        hits[batch] += 1
        in_first[t] = np.searchsorted(batch, m)
    # each row's count is Binomial(steps, q): compare their histogram with that law
    k = np.arange(hits.max() + 1)
    observed = np.bincount(hits).astype(float)
    assert _chi_square_p(observed, n * stats.binom.pmf(k, steps, q)) > ALPHA
    # independent coins: the batch's rows among the first m are Binomial(m, q) too
    k = np.arange(m + 1)
    observed = np.bincount(in_first, minlength=m + 1).astype(float)
    assert _chi_square_p(observed, steps * stats.binom.pmf(k, m, q)) > ALPHA
    # front and back halves of the table are sampled alike
    front, back = hits[: n // 2].sum(), hits[n // 2 :].sum()
    assert abs(front - back) < 5 * math.sqrt(hits.sum())


def test_batches_are_sorted_distinct_and_reproducible() -> None:
    first = [poisson_batch(1000, 0.05, np.random.default_rng(7)) for _ in range(3)]
    assert all(np.array_equal(first[0], b) for b in first)
    rng = np.random.default_rng(8)
    for _ in range(200):
        b = poisson_batch(1000, 0.05, rng)
        assert b.dtype == np.int64 and np.all(np.diff(b) > 0)
        assert len(b) == 0 or (b[0] >= 0 and b[-1] < 1000)
    assert len(poisson_batch(10, 0.0, rng)) == 0
    assert np.array_equal(poisson_batch(10, 1.0, rng), np.arange(10))
    with pytest.raises(ValueError):
        poisson_batch(10, 1.5, rng)


def _loader(tokens: np.ndarray, q: float, seed: int, fetch_rows: int) -> PoissonLoader:
    sampler = PoissonSampler(len(tokens), q, np.random.default_rng(seed))
    return PoissonLoader(ArrayRows(tokens), sampler, fetch_rows=fetch_rows)


def test_loader_yields_the_sampled_rows_whatever_the_fetch_grouping() -> None:
    tokens = np.random.default_rng(0).integers(0, 50, size=(1000, 3))
    q = 1 / 20
    one_by_one = _loader(tokens, q, seed=9, fetch_rows=1)
    whole_epoch = _loader(tokens, q, seed=9, fetch_rows=10**9)
    assert one_by_one.steps_per_fetch() == 1 and whole_epoch.steps_per_fetch() == 20
    expected_rng = np.random.default_rng(9)
    batches_a = [b for _ in range(2) for b in one_by_one]
    batches_b = [b for _ in range(2) for b in whole_epoch]
    assert len(batches_a) == len(batches_b) == 40
    for a, b in zip(batches_a, batches_b, strict=True):
        index = poisson_batch(1000, q, expected_rng)
        assert a.dtype == torch.long and a.shape == (len(index), 3)
        assert torch.equal(a, b)
        assert np.array_equal(a.numpy(), tokens[index])


def test_empty_batches_are_yielded_as_empty_rows() -> None:
    tokens = np.arange(600).reshape(200, 3)
    loader = _loader(tokens, 1 / 200, seed=0, fetch_rows=10**9)
    sizes = [len(b) for b in loader]
    assert len(sizes) == 200 and 0 in sizes  # P(empty) = (1 - 1/200)^200 ≈ 0.37
    empty = next(b for b in loader if len(b) == 0)
    assert empty.shape == (0, 3)


def test_validation_accepts_the_accounted_poisson_loader() -> None:
    tokens = np.zeros((640, 2), dtype=np.int64)
    validate_loader(_loader(tokens, 1 / 8, seed=0, fetch_rows=100), 1 / 8, 640)


def test_validation_refuses_other_samplers_and_rates() -> None:
    tokens = np.zeros((640, 2), dtype=np.int64)
    data = TensorDataset(torch.as_tensor(tokens))
    with pytest.raises(RuntimeError, match="fixed-size batches"):
        validate_loader(DataLoader(data, batch_size=80, shuffle=True), 1 / 8, 640)
    weighted = WeightedRandomSampler(np.linspace(1, 2, 640), num_samples=80)
    with pytest.raises(RuntimeError, match="weighted samplers"):
        validate_loader(DataLoader(data, sampler=weighted, batch_size=80), 1 / 8, 640)
    with pytest.raises(RuntimeError, match="differs from accounted rate"):
        validate_loader(_loader(tokens, 1 / 10, seed=0, fetch_rows=100), 1 / 8, 640)
    # a rate Opacus cannot see as 1/len(loader): its own accountant would charge 1/3
    with pytest.raises(RuntimeError, match="Opacus would account"):
        validate_loader(_loader(tokens, 0.3, seed=0, fetch_rows=100), 0.3, 640)
    with pytest.raises(RuntimeError, match="draws from 640 rows"):
        validate_loader(_loader(tokens, 1 / 8, seed=0, fetch_rows=100), 1 / 8, 641)

    class FixedBatches(PoissonSampler):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for _ in range(len(self)):
                yield np.arange(round(self.expected_batch_size))

    fixed = PoissonLoader(ArrayRows(tokens), FixedBatches(640, 1 / 8, np.random.default_rng(0)))
    with pytest.raises(RuntimeError, match="needs a PoissonSampler"):
        validate_loader(fixed, 1 / 8, 640)


def test_optimizer_must_average_over_the_expected_batch() -> None:
    class Opt:
        loss_reduction = "mean"
        expected_batch_size = 80.0

    validate_optimizer(Opt(), 80.0)
    Opt.expected_batch_size = 79.0
    with pytest.raises(RuntimeError, match="expected batch"):
        validate_optimizer(Opt(), 80.0)
    Opt.expected_batch_size, Opt.loss_reduction = 80.0, "sum"
    with pytest.raises(RuntimeError, match="loss_reduction"):
        validate_optimizer(Opt(), 80.0)


@pytest.mark.parametrize(
    "options",
    [
        {"epochs": 1, "batches_per_epoch": 8, "max_steps": 12},
        # an expected batch of about one row: many steps are empty (noise only)
        {"epochs": 1, "batches_per_epoch": 600, "max_steps": 30},
    ],
)
def test_engine_accounts_every_step_at_the_sampled_rate(options: dict[str, int]) -> None:
    """Opacus' accountant, the ledger and the report agree on (q, σ, steps), which come
    from the options alone; the optimizer averages over q·n̂ (n̂ the DP row estimate, not
    n and not Opacus' floor)."""
    rng = np.random.default_rng(0)
    # without a warm start n̂ is a noisy count at 1 % of ρ (s.d. ≈ 40 rows here): 600 rows
    # keep it far above DP-SGD's 200-row minimum on every draw
    n = 600
    tokens = np.column_stack([rng.integers(0, k, n) for k in (3, 4, 5)])
    engine = DPSGDEngine([3, 4, 5], warm_start_share=0.0, **options)
    ledger = PrivacyLedger(1.0, 1e-5)
    engine.fit(tokens, ledger, Randomness.secret())
    report = engine.training_report
    q, steps = engine._plan()
    assert q == 1 / options["batches_per_epoch"]
    (charge,) = [c for c in ledger.charges if c.purpose == "DP-SGD training"]
    assert report["sample_rate"] == charge.sample_rate == q
    assert report["steps"] == charge.steps == steps
    assert engine.rows_estimate is not None
    assert report["expected_batch_size_dp"] == pytest.approx(q * engine.rows_estimate, abs=0.1)
    assert report["noise_multiplier"] == charge.noise_multiplier
    assert "empty_steps" not in report and "final_loss" not in report  # real-row facts
    assert [c.purpose for c in ledger.charges] == ["row count (DP-SGD plan)", "DP-SGD training"]
    assert ledger.spent()[0] <= 1.0 + 1e-9
