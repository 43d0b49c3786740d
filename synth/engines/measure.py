"""Marginal counts of token tables, and their Gaussian measurement (shared by the engines).

Tokens are a numpy matrix or :class:`~synth.statistics.PartitionedTokens` (partitions on a
cluster); counts are exact either way, so the engines behave identically.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from synth.errors import BudgetError
from synth.ledger import PrivacyLedger
from synth.randomness import Randomness
from synth.statistics import PartitionedTokens

#: a token matrix in memory, or one spread over a cluster's workers
Tokens = np.ndarray | PartitionedTokens


def marginal(tokens: np.ndarray, cols: tuple[int, ...], cards: list[int]) -> np.ndarray:
    """Exact counts of the joint of ``cols`` (one axis per column; tokens lie in
    ``0 … cards[c] − 1``, as every codec's do): the row-major cell index built column by
    column, then one ``bincount``."""
    shape = tuple(int(cards[c]) for c in cols)
    flat = np.array(tokens[:, cols[0]], dtype=np.int64)
    for c in cols[1:]:
        flat *= int(cards[c])
        flat += tokens[:, c]
    return np.bincount(flat, minlength=int(np.prod(shape))).astype(float).reshape(shape)


def marginals(tokens: Tokens, cliques: list[tuple[int, ...]], cards: list[int]) -> list[np.ndarray]:
    """:func:`marginal` of each clique, in one pass when the tokens are partitioned."""
    if isinstance(tokens, np.ndarray):
        # column-major once: every clique reads whole columns (on diabetes130's 48 columns
        # AIM's 1,224 candidate marginals took 4× the CPU reading strided rows)
        cols = np.asfortranarray(tokens) if len(cliques) > 1 else tokens
        return [marginal(cols, c, cards) for c in cliques]
    return tokens.marginals(cliques, cards)


#: cells of marginal tables computed in one pass (bounds the memory of a batch)
BATCH_CELLS = 16_000_000


def batched_marginals(
    tokens: Tokens, cliques: list[tuple[int, ...]], cards: list[int]
) -> Iterator[np.ndarray]:
    """:func:`marginals` of many cliques, computed in batches of at most BATCH_CELLS cells."""
    batch: list[tuple[int, ...]] = []
    cells = 0
    for c in cliques:
        size = int(np.prod([cards[i] for i in c]))
        if batch and cells + size > BATCH_CELLS:
            yield from marginals(tokens, batch, cards)
            batch, cells = [], 0
        batch.append(c)
        cells += size
    if batch:
        yield from marginals(tokens, batch, cards)


def remap(tokens: Tokens, mappings: list[np.ndarray]) -> Tokens:
    """Tokens with column i replaced by ``mappings[i][tokens[:, i]]`` (domain compression)."""
    if isinstance(tokens, np.ndarray):
        out = np.empty_like(tokens)
        for i, m in enumerate(mappings):
            out[:, i] = m[tokens[:, i]]
        return out
    return tokens.remap(mappings)


def noisy_one_way(
    tokens: Tokens,
    cards: list[int],
    ledger: PrivacyLedger,
    rand: Randomness,
    *,
    rho: float,
    purpose: str,
    columns: list[int] | None = None,
) -> tuple[list[np.ndarray], float]:
    """Every column's counts (or those of ``columns``) plus Gaussian noise, as one ρ-zCDP
    mechanism on the ledger.

    Each row adds 1 to one cell per column, so the L2 sensitivity is √(columns).
    Returns the noisy counts (in the order of ``columns``) and the noise scale σ.
    """
    d = tokens.shape[1]
    cols = list(range(d)) if columns is None else list(columns)
    m = len(cols)
    sigma = math.sqrt(m / (2.0 * rho))
    counts = marginals(tokens, [(i,) for i in cols], cards)
    ledger.charge_gaussian(
        purpose,
        "all modelled columns" if m == d else f"{m} of the {d} modelled columns",
        sigma=sigma,
        sensitivity=math.sqrt(m),
        details={"columns": m},
    )
    noisy = rand.gaussian_counts(np.concatenate(counts), sigma)
    return list(np.split(noisy, np.cumsum([cards[i] for i in cols])[:-1])), sigma


def rows_estimate(noisy_one_way: list[np.ndarray]) -> float:
    """DP estimate of the number of rows from noisy 1-way marginals (post-processing).

    Every column's counts sum to the number of rows; a column of k cells sums k draws of
    the same noise, so the sums are weighted by 1/k (inverse variance): the estimate's
    noise is σ/√(Σ 1/k), dominated by the columns with few values. It stands in for the
    exact number, which never leaves the fit.

    >>> rows_estimate([np.array([60.0, 40.0]), np.array([10.0, 20.0, 30.0, 40.0])])
    100.0
    """
    weights = np.array([1.0 / max(1, y.size) for y in noisy_one_way])
    sums = np.array([float(y.sum()) for y in noisy_one_way])
    return float(np.dot(weights, sums) / weights.sum())


def require_rows(n_est: float, minimum: int, engine: str) -> None:
    """Refuse a fit whose DP row estimate is below ``minimum`` (a decision on DP output)."""
    if n_est < minimum:
        raise BudgetError(
            f"about {max(0, round(n_est))} training rows (DP estimate) are too few for the "
            f"{engine} engine (need {minimum}): at this size the noise would be most of "
            "the output; use a larger extract of the table (or raise ε if the estimate is "
            "near the limit)"
        )
