"""DP audit, part 2: an empirical membership-inference audit with a canary record.

Many trials of the real measurement path on a small table *without* and *with* one
inserted canary record (a combination of values no real row has). The mechanism audited is
``synth.engines.measure.noisy_one_way`` — the noisy 1-way marginals the engines release
into their models, drawn as a default fit draws them (OpenDP's discrete Gaussian from
fresh OS entropy) — with its noise calibrated by the ledger (``calibrate_rho``) to spend
the whole budget (ε, δ), and charged to a real :class:`~synth.ledger.PrivacyLedger`.

The attacker knows the rest of the table and sees the noisy counts; its statistic is the
sum, over columns, of the noisy count of the canary's value minus the known count without
it. A threshold is chosen on the first half of the trials and applied to the second half,
which gives a true-positive and a false-positive rate; one-sided Clopper–Pearson bounds
(95 % each) turn them into a lower bound on the ε any (ε, δ)-DP mechanism must have:

    ε_lb = max( log((TPR_lb − δ) / FPR_ub), log((1 − FPR_ub − δ) / (1 − TPR_lb)) )

The audit passes when ε_lb ≤ the ε the ledger reports, and it must *fail* for a
deliberately broken configuration: the noise source is replaced by one that adds nothing
(noise multiplier 0) or a tenth of the claimed noise, while the ledger is still charged
for the calibrated σ — the bug class the audit exists to catch. The default test is
bounded (a few seconds); ``-m slow`` runs the benchmark-grade version (more trials,
several budgets) and prints its figures as JSON (recorded in BENCHMARKS.md).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from synth.engines.measure import marginal, noisy_one_way
from synth.ledger import PrivacyLedger, calibrate_rho
from synth.randomness import Randomness

CARDS = [2, 3, 4, 5, 6]
DELTA = 1e-6
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Audit:
    trials: int
    tpr: float
    fpr: float
    epsilon_lb: float
    epsilon_claimed: float


@dataclass(frozen=True)
class ScaledNoise(Randomness):
    """The real (secret) randomness, except that measurement noise is ``scale`` × what
    was asked (a broken noise source)."""

    scale: float = 1.0

    def gaussian_counts(self, counts: np.ndarray, sigma: float) -> np.ndarray:
        if self.scale == 0:
            return np.asarray(counts, dtype=float).copy()
        return super().gaussian_counts(counts, sigma * self.scale)


def _table(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed table and a canary row whose value combination no row has."""
    rng = np.random.default_rng(seed)
    tokens = np.column_stack([rng.integers(0, k - 1, n) for k in CARDS])  # last value unused
    canary = np.array([k - 1 for k in CARDS])
    return tokens, canary


def _ledger(epsilon: float, bound: int) -> PrivacyLedger:
    """A ledger for persons of at most ``bound`` rows (a plain per-row ledger for 1)."""
    ledger = PrivacyLedger(epsilon=epsilon, delta=DELTA, unit="person" if bound > 1 else None)
    ledger.bound_rows(bound)
    return ledger


def _statistic(
    tokens: np.ndarray,
    canary: np.ndarray,
    with_canary: bool,
    rng,
    epsilon: float,
    rho: float,
    rows: int = 1,
    bound: int = 1,
) -> tuple[float, float]:
    """The attacker's statistic on one trial; the canary is a person of ``rows`` rows."""
    data = np.vstack([tokens, np.tile(canary, (rows, 1))]) if with_canary else tokens
    ledger = _ledger(epsilon, bound)
    noisy, _ = noisy_one_way(data, CARDS, ledger, rng, rho=rho, purpose="audit")
    known = [marginal(tokens, (i,), CARDS) for i in range(len(CARDS))]
    t = sum(float(y[c] - k[c]) for y, k, c in zip(noisy, known, canary, strict=True))
    return t, ledger.spent()[0]


def _cp_lower(k: int, n: int, conf: float = CONFIDENCE) -> float:
    return 0.0 if k == 0 else float(stats.beta.ppf(1 - conf, k, n - k + 1))


def _cp_upper(k: int, n: int, conf: float = CONFIDENCE) -> float:
    return 1.0 if k == n else float(stats.beta.ppf(conf, k + 1, n - k))


def epsilon_lower_bound(tp: int, fp: int, n: int, delta: float = DELTA) -> float:
    """One-sided Clopper–Pearson lower bound on ε from tp/n positives and fp/n negatives."""
    tpr_lb, fpr_ub = _cp_lower(tp, n), _cp_upper(fp, n)
    bounds = [0.0]
    if tpr_lb - delta > 0:
        bounds.append(math.log((tpr_lb - delta) / fpr_ub))
    if 1 - fpr_ub - delta > 0 and tpr_lb < 1:
        bounds.append(math.log((1 - fpr_ub - delta) / (1 - tpr_lb)))
    return max(bounds)


def run_audit(
    trials: int,
    epsilon: float,
    noise_scale: float = 1.0,
    rows: int = 1,
    bound: int | None = None,
) -> Audit:
    """Trials of the secret path (OpenDP's discrete Gaussian, fresh OS entropy). The
    canary is a person with ``rows`` identical rows (the worst case: every row in the same
    cells) and the ledger is told persons hold ``bound`` rows (default: ``rows``)."""
    bound = rows if bound is None else bound
    tokens, canary = _table()
    secret = Randomness.secret()
    noise = secret if noise_scale == 1.0 else ScaledNoise(secret.rng, True, noise_scale)
    rho = calibrate_rho(_ledger(epsilon, bound))  # the whole budget, per row
    claimed = 0.0
    out: dict[bool, np.ndarray] = {}
    for member in (False, True):
        ts = []
        for _ in range(2 * trials):
            t, spent = _statistic(tokens, canary, member, noise, epsilon, rho, rows, bound)
            ts.append(t)
            claimed = max(claimed, spent)
        out[member] = np.asarray(ts)
    # threshold chosen on the first half (best ε_lb there), applied to the second half
    cal_in, cal_out = out[True][:trials], out[False][:trials]
    grid = np.unique(np.concatenate([cal_in, cal_out]))
    best, threshold = -1.0, float(grid[-1])
    for th in grid[:: max(1, len(grid) // 400)]:
        e = epsilon_lower_bound(int((cal_in >= th).sum()), int((cal_out >= th).sum()), trials)
        if e > best:
            best, threshold = e, float(th)
    test_in, test_out = out[True][trials:], out[False][trials:]
    tp, fp = int((test_in >= threshold).sum()), int((test_out >= threshold).sum())
    return Audit(
        trials=trials,
        tpr=tp / trials,
        fpr=fp / trials,
        epsilon_lb=epsilon_lower_bound(tp, fp, trials),
        epsilon_claimed=claimed,
    )


def test_clopper_pearson_bound_is_sane() -> None:
    # perfect separation on 1000 trials bounds ε by log(0.997/0.003) ≈ 5.8, no more
    assert 5.0 < epsilon_lower_bound(1000, 0, 1000) < 6.5
    assert epsilon_lower_bound(500, 500, 1000) == 0.0


def test_real_configuration_stays_within_claimed_epsilon() -> None:
    audit = run_audit(trials=1000, epsilon=1.0)
    assert audit.epsilon_claimed <= 1.0 + 1e-9
    assert audit.epsilon_lb <= audit.epsilon_claimed, audit


@pytest.mark.parametrize("scale", [0.0, 0.1], ids=["no-noise", "tenth-of-the-noise"])
def test_broken_configuration_is_detected(scale: float) -> None:
    """The audit must catch a mechanism that adds a tenth of the charged noise, not only
    one that adds none."""
    audit = run_audit(trials=1000, epsilon=1.0, noise_scale=scale)
    assert audit.epsilon_claimed <= 1.0 + 1e-9  # the ledger still believes σ was added
    assert audit.epsilon_lb > audit.epsilon_claimed, audit


def test_person_level_configuration_stays_within_claimed_epsilon() -> None:
    """A canary *person* with 10 rows, the bound 10 and the claimed ε (issue 17)."""
    audit = run_audit(trials=1000, epsilon=1.0, rows=10)
    assert audit.epsilon_claimed <= 1.0 + 1e-9
    assert audit.epsilon_lb <= audit.epsilon_claimed, audit


def test_rows_per_person_left_out_of_the_calibration_is_detected() -> None:
    """The bug the k² in the ledger exists to prevent: persons of 10 rows, noise calibrated
    (and charged) as if each held one."""
    audit = run_audit(trials=1000, epsilon=1.0, rows=10, bound=1)
    assert audit.epsilon_claimed <= 1.0 + 1e-9
    assert audit.epsilon_lb > audit.epsilon_claimed, audit


@pytest.mark.slow
def test_audit_benchmark_grade() -> None:
    """More trials and several budgets; prints one JSON line per configuration."""
    rows = []
    for epsilon, scale in [(0.5, 1.0), (1.0, 1.0), (4.0, 1.0), (1.0, 0.1), (1.0, 0.0)]:
        a = run_audit(trials=5_000, epsilon=epsilon, noise_scale=scale)
        row = {"epsilon": epsilon, "noise_scale": scale, **a.__dict__}
        rows.append(row)
        print(json.dumps(row))
        if scale == 1.0:
            assert a.epsilon_lb <= a.epsilon_claimed, row
        else:
            assert a.epsilon_lb > a.epsilon_claimed, row
