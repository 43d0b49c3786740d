"""The near-copy test's views of a row: numbers snapped to real values, rare cells matched.

The near-copy test (:mod:`privacy.leakage.near_copies`) asks whether synthetic rows sit
next to training rows more than a random train/holdout split predicts. What "next to"
means decides which copies it can see. Two measured holes on Adult (BENCHMARKS.md, "Gate
power") and the view that closes each:

* **Numbers jittered by a few percent.** The gate's distance ranks numbers by the pooled
  real rows' empirical CDF. Next to a point mass that rank jumps: ``hours-per-week`` = 40
  holds 47 % of Adult's rows, so 40 → 40.4 moves the rank by 0.23 and a jittered copy sits
  farther from its own source than honest rows sit from some real row. :func:`snap`
  compares a synthetic number within ``SNAP_RTOL`` (relative) of a pooled real value as
  that value (the nearest one), before the ranks are taken: a jittered copy then sits
  next to its source again. The pooled real values (train ∪ holdout) carry no label, so
  the permutation null is unchanged; honest output, whose numbers are mostly real values
  already, barely moves.

* **One categorical cell changed.** A changed cell costs a whole category mismatch, and an
  honest row often matches some real row on every cell but one (few columns, most of
  them categorical). What betrays the copy is *which* cells it still matches: its source's
  rare values (an exact ``fnlwgt`` only one person has). :func:`rare_match_lists` scores a
  synthetic row against a real row by the information of the cells it does *not* match,
  ``D = Σ_c w_c(s_c)·[s_c ≠ r_c]`` with ``w_c(v) = ln(N / count of v in the N pooled real
  rows)`` (a common value explains little, a value one row has explains a lot). Every real
  row sharing none of the synthetic row's rare values (at most ``RARE_MAX`` pooled rows
  hold it) mismatches all of them, so its ``D`` is at least ``R`` = the rare values'
  weight; the view's distance is ``min(D, R)``, exact for every real row, computed only
  for the rows an inverted index of the rare values returns. A one-cell copy sits at the
  changed cell's weight from its source (a few nats) and at ``R`` (ten or more) from
  everything else; an honest row that drew a real ``fnlwgt`` shares it with a row that
  matches little else, so it stays at ``R``.

Both views feed the same label-permutation test (the lists of nearest pooled real rows,
their ids, :func:`privacy.leakage.near_copies.permutation_tests`); the gate applies the
Bonferroni correction over every (view, factor) pair.

>>> real = np.array([0.0, 37.0, 40.0, 41.0])
>>> snap_values(np.array([40.4, 37.37, 55.0, 0.3]), real, 0.05).tolist()
[40.0, 37.0, 55.0, 0.3]
"""

from __future__ import annotations

import numpy as np

from privacy.leakage.distance import HOLDOUT, SYNTHETIC, TRAIN, Prepared
from privacy.leakage.knn import top_sorted

#: a synthetic number within this relative distance of a pooled real value is compared as
#: that value (the nearest); 5 %: well above the 1 % jitter measured, well below the gaps
#: between the point masses it protects (hours 40 vs 41 is 2.5 %: 40.4 snaps to 40)
SNAP_RTOL = 0.05
#: a value held by at most this many pooled real rows is "rare": its rows are looked up
#: in an inverted index (the pairs scored are at most this many per rare cell)
RARE_MAX = 32
#: rows kept per synthetic row in the rare-match view (the last slot holds the floor R)
K_RARE = 8


def snap_values(x: np.ndarray, real_sorted: np.ndarray, rtol: float = SNAP_RTOL) -> np.ndarray:
    """Each finite ``x`` replaced by the nearest of ``real_sorted`` (finite, ascending) when
    it lies within ``rtol`` of it (relative to the real value), else kept."""
    out = np.array(x, dtype=float, copy=True)
    ok = np.flatnonzero(np.isfinite(out))
    if len(real_sorted) == 0 or len(ok) == 0:
        return out
    v = out[ok]
    hi = np.clip(np.searchsorted(real_sorted, v), 0, len(real_sorted) - 1)
    lo = np.clip(hi - 1, 0, len(real_sorted) - 1)
    cand = np.where(
        np.abs(real_sorted[lo] - v) <= np.abs(real_sorted[hi] - v), real_sorted[lo], real_sorted[hi]
    )
    near = np.abs(cand - v) <= rtol * np.abs(cand)
    out[ok[near]] = cand[near]
    return out


def snap(columns: list[Prepared], rtol: float = SNAP_RTOL) -> list[Prepared]:
    """The columns with every synthetic number snapped to the pooled real values
    (:func:`snap_values`); training and holdout parts are untouched."""
    out = []
    for col in columns:
        if not col.numeric:
            out.append(col)
            continue
        tr, ho, syn = col.parts
        real = np.concatenate([tr, ho])
        base = np.unique(real[np.isfinite(real)])
        out.append(Prepared(col.name, True, (tr, ho, snap_values(syn, base, rtol))))
    return out


def _tokens(columns: list[Prepared]) -> tuple[np.ndarray, np.ndarray]:
    """(pooled real rows, columns) and (synthetic rows, columns) integer tokens: one per
    distinct normalised value of each column (numbers exact, missing a value of its own),
    −1 in the synthetic table for a value no real row has."""
    real_cols, syn_cols = [], []
    for col in columns:
        tr, ho, syn = col.parts
        real = np.concatenate([tr, ho])
        if col.numeric:
            real = np.where(np.isnan(real), np.inf, real)  # missing: one value of its own
            syn = np.where(np.isnan(syn), np.inf, syn)
        uniq, r_tok = np.unique(real, return_inverse=True)
        pos = np.clip(np.searchsorted(uniq, syn), 0, max(len(uniq) - 1, 0))
        s_tok = np.where((len(uniq) > 0) & (uniq[pos] == syn), pos, -1)
        real_cols.append(r_tok.reshape(-1))
        syn_cols.append(s_tok)
    return np.column_stack(real_cols), np.column_stack(syn_cols)


def rare_match_lists(
    columns: list[Prepared], offsets: np.ndarray, k: int = K_RARE, rare_max: int = RARE_MAX
) -> tuple[np.ndarray, np.ndarray]:
    """Each synthetic row's ``k`` nearest pooled real rows under the rare-match distance
    ``min(D, R)`` (module doc), sorted, as (distances, pooled ids): at most ``k − 1`` rows
    that share a rare value, then one entry at ``R`` with id −1 standing for every other
    real row (no label: it is never a training row, so a side without a listed row reads
    ``R``); +inf/−1 pad. ``offsets`` (one per pooled real row, tiny) break ties at random.
    """
    real, syn = _tokens(columns)
    n_real, n_cols = real.shape
    n_syn = len(syn)
    weights, rare = [], []
    for c in range(n_cols):
        counts = np.bincount(real[:, c], minlength=1)
        weights.append(np.log(n_real / np.maximum(counts, 1)))
        rare.append((counts > 0) & (counts <= rare_max))
    # w[s, c]: the information of the synthetic cell (0 for a value no real row has: it
    # mismatches every real row alike and says nothing about which one was copied)
    w = np.zeros(syn.shape)
    is_rare = np.zeros(syn.shape, dtype=bool)
    for c in range(n_cols):
        ok = syn[:, c] >= 0
        w[ok, c] = weights[c][syn[ok, c]]
        is_rare[ok, c] = rare[c][syn[ok, c]]
    floor = (w * is_rare).sum(axis=1)
    total = w.sum(axis=1)
    s_idx, r_idx = _pairs(real, syn, is_rare)
    if len(s_idx):
        match = (real[r_idx] == syn[s_idx]).astype(float)
        d = total[s_idx] - (match * w[s_idx]).sum(axis=1)
        d = np.minimum(np.maximum(d, 0.0), floor[s_idx])
    else:
        d = np.zeros(0)
    sq = np.full((n_syn, k - 1), np.inf)
    ids = np.full((n_syn, k - 1), -1, dtype=np.int64)
    if len(s_idx):
        order = np.lexsort((d + offsets[r_idx], s_idx))
        s_o, r_o, d_o = s_idx[order], r_idx[order], d[order]
        rank = np.arange(len(s_o)) - np.searchsorted(s_o, s_o, side="left")
        keep = rank < k - 1
        sq[s_o[keep], rank[keep]] = d_o[keep]
        ids[s_o[keep], rank[keep]] = r_o[keep]
    # the floor entry, after the listed rows (it is at least as far as each of them)
    dist = np.column_stack([sq, floor])
    ids = np.column_stack([ids, np.full(n_syn, -1, dtype=np.int64)])
    dist, ids = top_sorted(dist, ids, k, None)
    return dist, ids


def _pairs(real: np.ndarray, syn: np.ndarray, is_rare: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (synthetic row, pooled real row) pairs that share at least one rare value,
    through an inverted index per column (real rows sorted by token)."""
    s_all, r_all = [], []
    for c in range(real.shape[1]):
        rows = np.flatnonzero(is_rare[:, c])
        if len(rows) == 0:
            continue
        order = np.argsort(real[:, c], kind="stable")
        sorted_tok = real[order, c]
        t = syn[rows, c]
        lo = np.searchsorted(sorted_tok, t, side="left")
        hi = np.searchsorted(sorted_tok, t, side="right")
        n = hi - lo
        s_rep = np.repeat(rows, n)
        start = np.repeat(lo, n)
        within = np.arange(len(s_rep)) - np.repeat(np.cumsum(n) - n, n)
        s_all.append(s_rep)
        r_all.append(order[start + within])
    if not s_all:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    s = np.concatenate(s_all)
    r = np.concatenate(r_all)
    key = np.unique(s.astype(np.int64) * real.shape[0] + r)
    return key // real.shape[0], key % real.shape[0]


__all__ = ["HOLDOUT", "SYNTHETIC", "TRAIN", "rare_match_lists", "snap", "snap_values"]
