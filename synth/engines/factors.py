"""Ancestral sampling from a chain of conditional tables (the saved form of the MST model).

A model is a root column with its marginal plus an ordered list of factors
``(parents..., child)``, each a table of joint counts with one axis per column in that
order. Every parent of a factor is the root or the child of an earlier factor, so
drawing the root and then each child from its table's row for the parents' drawn
values samples the model exactly. Plain MST has one parent per factor (the tree edge);
the target-aware variant adds the target as a parent of every factor.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> root = np.array([0.0, 1.0])                         # column 0 is always token 1
>>> table = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # column 1 copies 2 × column 0
>>> sample_factors(4, 2, 0, root, [((0, 1), table)], [[], []], rng)[:, 1].tolist()
[2, 2, 2, 2]
"""

from __future__ import annotations

import numpy as np

Factor = tuple[tuple[int, ...], np.ndarray]
#: rows drawn per block, so the cumulative tables stay small for million-row samples
BLOCK = 1 << 16


def sample_factors(
    n: int,
    d: int,
    root: int,
    root_marginal: np.ndarray,
    factors: list[Factor],
    blocked: list[list[int]],
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` rows of ``d`` tokens; ``blocked[i]`` tokens are never drawn for column i."""
    out = np.zeros((n, d), dtype=np.int64)
    p0 = np.clip(root_marginal, 0, None) + 1e-12
    p0[blocked[root]] = 0
    out[:, root] = rng.choice(len(p0), size=n, p=p0 / p0.sum())
    for cols, table in factors:
        *parents, child = cols
        k = table.shape[-1]
        cond = table.reshape(-1, k) + 1e-12
        cond[:, blocked[child]] = 0
        cum = np.cumsum(cond / cond.sum(axis=1, keepdims=True), axis=1)
        idx = np.ravel_multi_index(tuple(out[:, p] for p in parents), table.shape[:-1])
        u = rng.random(n)
        for lo in range(0, n, BLOCK):
            hi = min(n, lo + BLOCK)
            drawn = (u[lo:hi, None] > cum[idx[lo:hi]]).sum(axis=1)
            out[lo:hi, child] = np.minimum(drawn, k - 1)
    return out


def chain_order(d: int, root: int, edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Breadth-first (parent, child) order of a forest's edges from ``root``; columns not
    reached get ``(root, v)``, i.e. hang off the root.

    >>> chain_order(4, 0, [(2, 1), (0, 2)])
    [(0, 2), (2, 1), (0, 3)]
    """
    adj: dict[int, list[int]] = {i: [] for i in range(d)}
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    order: list[tuple[int, int]] = []
    seen = {root}
    queue = [root]
    while queue:
        u = queue.pop(0)
        for v in sorted(adj[u]):
            if v not in seen:
                seen.add(v)
                order.append((u, v))
                queue.append(v)
    order.extend((root, v) for v in range(d) if v not in seen)
    return order
