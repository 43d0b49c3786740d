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
    method: str = "round",
) -> np.ndarray:
    """``n`` rows of ``d`` tokens; ``blocked[i]`` tokens are never drawn for column i.

    ``method="round"`` (default, as ``mbi``'s ``synthetic_data``): the root column gets
    ``n·p`` rows of each token by randomised rounding, and within every group of rows that
    share their parents' tokens each child token gets its conditional share of the group,
    again rounded at random; rows are then shuffled in each group. Every factor's marginal
    in the sample is then within one row per cell of the model's, instead of carrying the
    multinomial noise of i.i.d. draws (``method="sample"``); it is post-processing of the
    model, so the privacy guarantee is unchanged.
    """
    if method not in ("round", "sample"):
        raise ValueError(f"unknown sampling method '{method}'")
    out = np.zeros((n, d), dtype=np.int64)
    p0 = np.clip(root_marginal, 0, None) + 1e-12
    p0[blocked[root]] = 0
    p0 = p0 / p0.sum()
    if method == "round":
        out[:, root] = rounded(p0, n, rng)
    else:
        out[:, root] = rng.choice(len(p0), size=n, p=p0)
    for cols, table in factors:
        *parents, child = cols
        k = table.shape[-1]
        cond = table.reshape(-1, k) + 1e-12
        cond[:, blocked[child]] = 0
        cond = cond / cond.sum(axis=1, keepdims=True)
        idx = np.ravel_multi_index(tuple(out[:, p] for p in parents), table.shape[:-1])
        if method == "round":
            order = np.argsort(idx, kind="stable")
            starts = np.flatnonzero(np.r_[True, np.diff(idx[order]) != 0])
            for a, b in zip(starts, np.r_[starts[1:], n], strict=True):
                rows = order[a:b]
                out[rows, child] = rounded(cond[idx[rows[0]]], b - a, rng)
            continue
        cum = np.cumsum(cond, axis=1)
        u = rng.random(n)
        for lo in range(0, n, BLOCK):
            hi = min(n, lo + BLOCK)
            drawn = (u[lo:hi, None] > cum[idx[lo:hi]]).sum(axis=1)
            out[lo:hi, child] = np.minimum(drawn, k - 1)
    return out


def rounded(p: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` tokens, ``m·p[t]`` of token t rounded at random (unbiased), in random order.

    >>> rng = np.random.default_rng(0)
    >>> np.bincount(rounded(np.array([0.5, 0.25, 0.25]), 8, rng)).tolist()
    [4, 2, 2]
    """
    counts = m * p
    whole = np.floor(counts).astype(np.int64)
    extra = int(m - whole.sum())
    if extra > 0:
        frac = np.clip(counts - whole, 0, None)
        extra = min(extra, int(np.count_nonzero(frac)))
        whole[rng.choice(len(p), size=extra, replace=False, p=frac / frac.sum())] += 1
    vals = np.repeat(np.arange(len(p)), whole)
    if len(vals) < m:  # numerical shortfall: top up from p
        vals = np.r_[vals, rng.choice(len(p), size=m - len(vals), p=p)]
    rng.shuffle(vals)
    return vals[:m]


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
