"""Marginal counts of token tables, and their Gaussian measurement (shared by the engines)."""

from __future__ import annotations

import math

import numpy as np

from synth.ledger import PrivacyLedger


def marginal(tokens: np.ndarray, cols: tuple[int, ...], cards: list[int]) -> np.ndarray:
    """Exact counts of the joint of ``cols`` (one axis per column)."""
    shape = tuple(cards[c] for c in cols)
    flat = np.ravel_multi_index(tuple(tokens[:, c] for c in cols), shape)
    return np.bincount(flat, minlength=int(np.prod(shape))).astype(float).reshape(shape)


def noisy_one_way(
    tokens: np.ndarray,
    cards: list[int],
    ledger: PrivacyLedger,
    rng: np.random.Generator,
    *,
    rho: float,
    purpose: str,
) -> tuple[list[np.ndarray], float]:
    """Every column's counts plus Gaussian noise, as one ρ-zCDP mechanism on the ledger.

    Each row adds 1 to one cell per column, so the L2 sensitivity is √(columns).
    Returns the noisy counts (column order) and the noise scale σ.
    """
    d = tokens.shape[1]
    sigma = math.sqrt(d / (2.0 * rho))
    ledger.charge_gaussian(
        purpose,
        "all modelled columns",
        sigma=sigma,
        sensitivity=math.sqrt(d),
        details={"columns": d},
    )
    noisy = [marginal(tokens, (i,), cards) + rng.normal(0.0, sigma, k) for i, k in enumerate(cards)]
    return noisy, sigma
