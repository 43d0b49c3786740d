"""How a linked release splits one (ε, δ) per person into parts (one per table fit and
per presence choice) that compose back to it: zCDP ρ adds up across parts, so the whole
budget's ρ is shared out and each part's ledger is calibrated to the ε its ρ converts
to."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from synth.errors import BudgetError
from synth.ledger import ORDERS, _bisect, check_budget, rdp_to_dp


def budget_split(epsilon: float, delta: float, tables: int) -> tuple[float, float]:
    """(ε_t, δ_t) of each of ``tables`` fits so that their charges compose to (ε, δ): ρ of
    the whole budget split equally (zCDP composition is additive), δ split equally.

    >>> eps, dlt = budget_split(1.0, 1e-6, 2)
    >>> 0.5 < eps < 1.0, dlt
    (True, 5e-07)
    """
    eps, dlt, _ = budget_parts(epsilon, delta, [1.0 / tables] * tables)[0]
    return eps, dlt


def whole_rho(epsilon: float, delta: float) -> float:
    """The largest zCDP ρ whose curve converts to ≤ ε at the composed ledger's δ."""
    check_budget(epsilon, delta)
    conversion = 0.9 * delta  # PrivacyLedger.conversion_delta of the composed ledger
    with warnings.catch_warnings():  # tiny ρ: Opacus notes its best order is the largest
        warnings.simplefilter("ignore", UserWarning)
        return _bisect(
            lambda r: rdp_to_dp(r * np.asarray(ORDERS), conversion) <= epsilon,
            good=0.0,
            bad=epsilon,
            close=lambda good, bad: False,
            rounds=80,
        )


def budget_parts(
    epsilon: float, delta: float, shares: Sequence[float]
) -> list[tuple[float, float, float]]:
    """(ε_i, δ_i, ρ_i) of parts taking ``shares`` (summing to ≤ 1) of the whole budget's ρ
    and an equal share of δ: each part's own ledger (conversion at 0.9 δ_i, partition
    selection within 0.1 δ_i) calibrated to ε_i spends ρ_i, so the parts compose to
    (ε, δ).

    >>> parts = budget_parts(1.0, 1e-6, [0.5, 0.4, 0.1])
    >>> [round(r / parts[0][2], 3) for _, _, r in parts], parts[2][1]
    ([1.0, 0.8, 0.2], 3.333333333333333e-07)
    """
    if not shares or min(shares) <= 0 or sum(shares) > 1 + 1e-12:
        raise BudgetError("budget shares must be positive and add up to at most 1")
    rho = whole_rho(epsilon, delta)
    d_i = delta / len(shares)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for share in shares:
            r = rho * share
            out.append((rdp_to_dp(r * np.asarray(ORDERS), 0.9 * d_i), d_i, r))
    return out


__all__ = ["budget_parts", "budget_split", "whole_rho"]
