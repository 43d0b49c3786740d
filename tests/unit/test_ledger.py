"""The accountant must agree with Opacus and with closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from opacus.accountants import RDPAccountant

from synth.errors import BudgetError
from synth.ledger import ORDERS, PrivacyLedger, calibrate_noise, rdp_to_dp, zcdp_rho_for


def test_dpsgd_matches_opacus_accountant() -> None:
    q, sigma, steps, delta = 0.01, 1.1, 1000, 1e-5
    acc = RDPAccountant()
    for _ in range(steps):
        acc.step(noise_multiplier=sigma, sample_rate=q)
    led = PrivacyLedger(epsilon=50, delta=delta / 0.9)  # conversion δ = 0.9 δ_total
    led.charge_dpsgd("t", sample_rate=q, noise_multiplier=sigma, steps=steps)
    ours = led.spent()[0]
    theirs = acc.get_epsilon(delta=delta)
    assert ours == pytest.approx(theirs, rel=0.02)


def test_gaussian_rdp_is_rho_alpha() -> None:
    led = PrivacyLedger(epsilon=10, delta=1e-6)
    led.charge_gaussian("x", "c", sigma=2.0)
    rdp = led.charges[0].rdp(np.asarray(ORDERS))
    assert np.allclose(rdp, np.asarray(ORDERS) / (2 * 4.0))


def test_gaussian_composition_closed_form() -> None:
    # k Gaussian mechanisms of ρ each compose to ρ_total = kρ (zCDP); the RDP conversion
    # must never be looser than the classic zCDP bound ε = ρ + 2√(ρ ln 1/δ).
    led = PrivacyLedger(epsilon=10, delta=1e-6)
    for i in range(5):
        led.charge_gaussian("x", f"c{i}", sigma=5.0)
    rho = 5 * 1 / (2 * 25.0)
    classic = rho + 2 * math.sqrt(rho * math.log(1 / led.conversion_delta))
    assert led.spent()[0] <= classic + 1e-9
    assert led.spent()[0] >= rho  # and not absurdly tight


def test_zcdp_rho_inverts_conversion() -> None:
    rho = zcdp_rho_for(1.0, 1e-6)
    assert rho + 2 * math.sqrt(rho * math.log(1e6)) == pytest.approx(1.0)


def test_refuses_to_exceed_budget() -> None:
    led = PrivacyLedger(epsilon=0.5, delta=1e-6)
    with pytest.raises(BudgetError, match="beyond the budget"):
        led.charge_gaussian("x", "c", sigma=0.5)
    assert led.charges == []


def test_calibrated_noise_hits_budget() -> None:
    led = PrivacyLedger(epsilon=1.0, delta=1e-6)
    led.charge_gaussian("x", "c", sigma=20.0)
    sigma = calibrate_noise(led, sample_rate=0.05, steps=400)
    led.charge_dpsgd("g", sample_rate=0.05, noise_multiplier=sigma, steps=400)
    eps = led.spent()[0]
    assert 0.97 <= eps <= 1.0


@pytest.mark.parametrize(
    ("eps", "delta"), [(0, 1e-6), (-1, 1e-6), (float("nan"), 1e-6), (1, 0), (1, 0.5), (1000, 1e-6)]
)
def test_impossible_budgets(eps: float, delta: float) -> None:
    with pytest.raises(BudgetError):
        PrivacyLedger(eps, delta)


def test_partition_delta_is_added() -> None:
    led = PrivacyLedger(epsilon=5, delta=1e-6)
    led.charge_gaussian("sel", "c", sigma=3.0, delta=1e-8)
    assert led.spent()[1] == pytest.approx(led.conversion_delta + 1e-8)


def test_state_dict_round_trip() -> None:
    led = PrivacyLedger(epsilon=5, delta=1e-6)
    led.charge_gaussian("x", "c", sigma=3.0)
    led.charge_dpsgd("g", sample_rate=0.1, noise_multiplier=2.0, steps=50)
    again = PrivacyLedger.from_state_dict(led.state_dict())
    assert again.spent() == led.spent()


def test_rdp_to_dp_monotone_in_delta() -> None:
    rdp = np.asarray(ORDERS) * 0.01
    assert rdp_to_dp(rdp, 1e-9) > rdp_to_dp(rdp, 1e-5)
