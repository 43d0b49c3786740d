"""DP audit, part 1: the noise actually added has the scale the ledger is charged for.

The accountant's arithmetic is tested in ``test_ledger.py``; here we check the other half
of the claim: that the mechanisms really add Gaussian noise of that scale.

* The shared 1-way measurement (``synth.engines.measure.noisy_one_way``, used by both
  engines): residuals of many runs on a fixed table against N(0, σ) with σ = √(d / 2ρ),
  the σ that makes the recorded charge ρ-zCDP for L2 sensitivity √d.
* DP-SGD: the engine's own network, loss and Opacus set-up (Poisson loader, ghost
  clipping). Two copies take one step on the same batch, one with noise multiplier 0 and
  one with the calibrated value; the difference of their gradients is the noise alone and
  must be N(0, noise_multiplier × max_grad_norm / expected batch size) per coordinate.

Each is a Kolmogorov–Smirnov test (p > 1e-3 at the claimed scale) that must also reject
half and double the scale (p < 1e-6), so the test has the power to catch a wrong σ.
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synth.engines.measure import marginal, noisy_one_way
from synth.ledger import PrivacyLedger
from synth.randomness import Randomness

ACCEPT = 1e-3
REJECT = 1e-6


def _ks(residuals: np.ndarray, sigma: float) -> float:
    return float(stats.kstest(residuals / sigma, "norm").pvalue)


def _assert_scale(residuals: np.ndarray, sigma: float) -> None:
    assert abs(residuals.mean()) < 5 * sigma / math.sqrt(len(residuals))  # unbiased
    assert _ks(residuals, sigma) > ACCEPT
    assert _ks(residuals, 0.5 * sigma) < REJECT
    assert _ks(residuals, 2.0 * sigma) < REJECT


def test_one_way_measurement_noise_has_the_charged_scale() -> None:
    """The secret path: OpenDP's discrete Gaussian, integer noise of the charged scale.

    Integer residuals plus uniform jitter on (−½, ½) are continuous with variance
    σ² + 1/12 (a discrete Gaussian of scale 20 is within 1e-4 of the sampled normal), so the
    same scale test applies; rounding alone must already leave whole numbers.
    """
    rng = np.random.default_rng(0)
    cards = [2, 5, 12, 7]
    tokens = np.column_stack([rng.integers(0, k, 400) for k in cards])
    exact = [marginal(tokens, (i,), cards) for i in range(len(cards))]
    rho = 0.005
    sigma_claimed = math.sqrt(len(cards) / (2 * rho))
    residuals = []
    secret = Randomness.secret()
    for _trial in range(150):
        ledger = PrivacyLedger(epsilon=50.0, delta=1e-6)
        noisy, sigma = noisy_one_way(tokens, cards, ledger, secret, rho=rho, purpose="audit")
        assert sigma == pytest.approx(sigma_claimed)
        (charge,) = ledger.charges
        assert charge.rho == pytest.approx(rho)  # what the ledger is told it cost
        residuals.extend(np.concatenate([y - e for y, e in zip(noisy, exact, strict=True)]))
    r = np.asarray(residuals)
    assert np.array_equal(r, np.round(r))  # integer noise on integer counts
    jittered = r + rng.uniform(-0.5, 0.5, len(r))
    _assert_scale(jittered, math.sqrt(sigma_claimed**2 + 1 / 12))


def test_reused_category_counts_have_the_charged_scale() -> None:
    """The category selection's counts the engine reuses as its 1-way measurement (and the
    blank cell's count drawn with them): OpenDP's discrete Gaussian at the σ the selection
    is charged for."""
    from synth.prepare import modelled_columns
    from synth.private_domains import build_codecs
    from synth.schema import parse_schema
    from synth.statistics import needs_shape, partition_counts

    exact = {"a": 900, "b": 500, None: 300}
    frame = pd.DataFrame(
        {
            "c": [v for v, n in exact.items() for _ in range(n)],
            "x": np.arange(sum(exact.values())) % 7,
        }
    )
    schema = parse_schema(
        {
            "dataset": {"name": "t", "delta": 1e-6},
            "columns": [
                {"name": "c", "type": "categorical"},
                {"name": "x", "type": "numerical", "domain": {"min": 0, "max": 6}},
            ],
        }
    )
    cols = modelled_columns(schema)
    counts = partition_counts(frame, schema, "t", cols, shaped=[c for c in cols if needs_shape(c)])
    secret = Randomness.secret()
    residuals, sigmas = [], set()
    for _trial in range(400):
        ledger = PrivacyLedger(epsilon=20.0, delta=1e-6)
        dom = build_codecs(
            schema, cols, counts, ledger, secret.rng, one_way=0.02, noise=secret.gaussian_counts
        )
        y, sigma = dom.one_way["c"]
        (charge,) = [c for c in ledger.charges if c.purpose.startswith("category set")]
        assert sigma == pytest.approx(math.sqrt(1.0 / (2.0 * charge.rho)))
        sigmas.add(round(sigma, 9))
        codec = dom.codecs[0]
        residuals += [y[0] - exact["a"], y[1] - exact["b"], y[codec.missing] - exact[None]]
    (sigma,) = sigmas
    r = np.asarray(residuals)
    assert np.array_equal(r, np.round(r))
    jittered = r + np.random.default_rng(0).uniform(-0.5, 0.5, len(r))
    _assert_scale(jittered, math.sqrt(sigma**2 + 1 / 12))


def _one_dpsgd_step(noise_multiplier: float, seed: int, secure: bool = False) -> tuple[list, float]:
    """One DP-SGD step of the engine's network under Opacus; returns p.grad and E[batch]."""
    import torch
    from opacus import PrivacyEngine
    from opacus.data_loader import DPDataLoader
    from torch.utils.data import TensorDataset

    from synth.engines.dpsgd import _ARLoss, _ARNet

    torch.manual_seed(0)  # same initial weights in every call
    cards = [3, 4, 6]
    net = _ARNet(cards, emb=4, hidden=16)
    rng = np.random.default_rng(1)
    tokens = np.column_stack([rng.integers(0, k, 512) for k in cards])
    gen = torch.Generator().manual_seed(seed)  # same Poisson batch in both calls
    loader = DPDataLoader(
        TensorDataset(torch.as_tensor(tokens, dtype=torch.long)), sample_rate=0.25, generator=gen
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.0)
    noise_gen = torch.Generator().manual_seed(seed + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module, opt, criterion, loader = PrivacyEngine(accountant="rdp").make_private(
            module=net,
            optimizer=opt,
            criterion=_ARLoss(),
            data_loader=loader,
            noise_multiplier=noise_multiplier,
            max_grad_norm=1.0,
            poisson_sampling=False,
            noise_generator=noise_gen,
            grad_sample_mode="ghost",
        )
    opt.secure_mode = secure  # the engine's default: Opacus' sum-of-four noise
    (batch,) = next(iter(loader))
    opt.zero_grad(set_to_none=True)
    loss = criterion(module(batch), batch)
    loss.backward()
    opt.step()
    grads = [copy.deepcopy(p.grad.detach().numpy()) for p in module.parameters()]
    return grads, float(opt.expected_batch_size)


@pytest.mark.parametrize("secure", [False, True])
def test_dpsgd_noise_has_the_calibrated_scale(secure: bool) -> None:
    noise_multiplier, max_grad_norm = 0.8, 1.0
    residuals = []
    expected_batch = 0.0
    for seed in range(3):
        clean, expected_batch = _one_dpsgd_step(0.0, seed)
        noisy, _ = _one_dpsgd_step(noise_multiplier, seed, secure)
        residuals.extend(
            np.concatenate([(n - c).ravel() for n, c in zip(noisy, clean, strict=True)])
        )
    assert expected_batch == 128  # 512 rows × q = 0.25
    sigma = noise_multiplier * max_grad_norm / expected_batch
    _assert_scale(np.asarray(residuals, dtype=float), sigma)
