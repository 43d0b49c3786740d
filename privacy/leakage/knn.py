"""Exact k nearest reference rows of every query row, over the gate's distance.

The same blocked GEMM as :func:`privacy.leakage.distance.nearest_two` selects the
candidates (``|q|² + |r|² − 2 q·r`` plus one per mismatching wide category code); a running
top-k per query row is kept with ``argpartition``, and the k winners' squared distances
are then recomputed directly (:func:`~privacy.leakage.distance.exact_sq`), so the
reported distances are exact sums of squares. Rows are sorted by (distance, index): a tie
goes to the lower reference index, as in the top-2 search, whatever the blocking. With an
``offset`` per reference row (tiny, e.g. random ×1e-6) the order is by distance + offset:
ties are broken by the offsets, the same way in every block, so a list cut at k holds
the offset-smallest of the tied rows (the near-copy test needs that cut to be random).

With numba installed (:data:`privacy.leakage.kernels.COMPILED`) the GEMM is float32 and
only *selects*: an entry is dropped only when it is out of reach by more than a rigorous
bound on the float32 error, the others are compared on their codes and, if still in
reach, on their exact float64 ``Σ (q − r)²``, so each row's list is the k smallest exact
``(distance + offset, index)`` pairs (:func:`privacy.leakage.kernels.scan_k32`), in half
the GEMM time and one pass over each block.

>>> q = np.array([[0.0], [10.0]])
>>> r = np.array([[1.0], [9.0], [0.5], [20.0]])
>>> sq, idx = nearest_k(q, r, 2)
>>> idx.tolist(), sq.tolist()
([[2, 0], [1, 0]], [[0.25, 1.0], [1.0, 81.0]])
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from privacy.leakage import kernels
from privacy.leakage.distance import (
    _WORKERS,
    Encoded,
    add_mismatches,
    exact_sq_lists,
    search_setup,
)


def _block_topk(
    g: np.ndarray,
    k: int,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    offset: np.ndarray | None = None,
    bound: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise k smallest entries of ``g`` (columns, values; −1/+inf pad a row with fewer);
    ``g`` is clobbered.

    ``bound`` (one per row): the row's current k-th best from earlier reference blocks.
    Only entries strictly below it can enter the row's list (a later block's equal entry
    has a higher index and loses the tie), so when every row has a finite bound the block
    is read through one comparison and the few candidates are gathered, instead of a
    partition of every row; rows with more than k candidates are partitioned as before.
    """
    add_mismatches(g, q_codes, r_codes)
    if offset is not None:
        g += offset[None, :]
    m, n = g.shape
    kk = min(k, n)
    if bound is None or not np.isfinite(bound).all():
        return _partition(g, kk)
    below = g < bound[:, None]
    count = np.count_nonzero(below, axis=1)
    cols = np.full((m, kk), -1, dtype=np.int64)
    vals = np.full((m, kk), np.inf)
    over = np.flatnonzero(count > kk)
    if len(over):
        below[over] = False
        cols[over], vals[over] = _partition(g[over], kk)
    r, c = np.nonzero(below)
    if len(r):
        pos = np.arange(len(r)) - np.searchsorted(r, r, side="left")  # r is sorted
        cols[r, pos] = c
        vals[r, pos] = g[r, c]
    return cols, vals


def _partition(g: np.ndarray, kk: int) -> tuple[np.ndarray, np.ndarray]:
    cols = (
        np.argpartition(g, kk - 1, axis=1)[:, :kk]
        if kk < g.shape[1]
        else np.tile(np.arange(g.shape[1]), (len(g), 1))
    )
    return cols, np.take_along_axis(g, cols, axis=1)


def _topk(g, k, q_codes, r_codes, pool, offset=None, bound=None):
    if _WORKERS < 2 or len(g) < 512:
        return _block_topk(g, k, q_codes, r_codes, offset, bound)
    cuts = np.linspace(0, len(g), _WORKERS + 1).astype(int)
    parts = list(
        pool.map(
            lambda a, b: _block_topk(
                g[a:b], k, q_codes[:, a:b], r_codes, offset, None if bound is None else bound[a:b]
            ),
            cuts[:-1],
            cuts[1:],
        )
    )
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def merge_k(
    d: np.ndarray, i: np.ndarray, e: np.ndarray, j: np.ndarray, k: int, offset=None
) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise k smallest of two (distance, index) lists, ties to the lower index."""
    dist = np.concatenate([d, e], axis=1)
    idx = np.concatenate([i, j], axis=1)
    return top_sorted(dist, idx, k, offset)


def top_sorted(
    dist: np.ndarray, idx: np.ndarray, k: int, offset: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k smallest (distance, index) pairs, sorted by distance (+ the index's
    ``offset``) then index (missing entries: distance +inf, index −1, last)."""
    key_idx = np.where(idx < 0, np.iinfo(np.int64).max, idx)
    key = dist if offset is None else dist + np.where(idx < 0, 0.0, offset[np.maximum(idx, 0)])
    order = np.lexsort((key_idx, key), axis=1)[:, :k]
    return np.take_along_axis(dist, order, axis=1), np.take_along_axis(idx, order, axis=1)


def nearest_k(
    q: np.ndarray | Encoded,
    r: np.ndarray | Encoded,
    k: int,
    *,
    block_rows: int = 4096,
    offset: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact squared distances and indices of the ``k`` nearest rows of ``r`` for every
    row of ``q``, sorted; when ``r`` has fewer than ``k`` rows the rest is (+inf, −1).
    ``offset`` (one small number per row of ``r``) breaks ties (module doc)."""
    q, r, qa, ra, q_codes, r_codes, buf = search_setup(q, r, block_rows)
    nq = len(q.dense)
    out_i = np.full((nq, k), -1, dtype=np.int64)
    if kernels.COMPILED:
        out_i = _compiled(q, r, qa, ra, k, block_rows, offset)
    else:
        _numpy(qa, ra, q_codes, r_codes, buf, k, block_rows, offset, out_i)
    # exact distances of the winners (exact_sq's values), then the final order
    return top_sorted(exact_sq_lists(q, r, out_i), out_i, k, offset)


def _compiled(
    q: Encoded,
    r: Encoded,
    qa: np.ndarray,
    ra: np.ndarray,
    k: int,
    block_rows: int,
    offset: np.ndarray | None,
) -> np.ndarray:
    """The k nearest by a float32 GEMM (half the time of float64) that only selects, with
    a rigorous error margin, and the compiled scan that keeps exact distances
    (:func:`privacy.leakage.kernels.scan_k32`)."""
    nq, nr = len(qa), len(ra)
    qa32, ra32 = qa.astype(np.float32), ra.astype(np.float32)
    margin = kernels.float32_margin(qa, ra)
    qd, rd = np.ascontiguousarray(q.dense), np.ascontiguousarray(r.dense)
    qc, rc = np.ascontiguousarray(q.codes), np.ascontiguousarray(r.codes)
    buf = np.empty(min(block_rows, nq) * min(block_rows, nr), dtype=np.float32)
    out_i = np.full((nq, k), -1, dtype=np.int64)
    with ThreadPoolExecutor(_WORKERS) as pool:
        for qs in range(0, nq, block_rows):
            qe = min(qs + block_rows, nq)
            best_d = np.full((qe - qs, k), np.inf)
            best_i = np.full((qe - qs, k), -1, dtype=np.int64)
            for rs in range(0, nr, block_rows):
                re = min(rs + block_rows, nr)
                g = buf[: (qe - qs) * (re - rs)].reshape(qe - qs, re - rs)
                np.matmul(qa32[qs:qe], ra32[rs:re].T, out=g)
                kernels.scan_rows32(
                    pool, _WORKERS, g, margin[qs:qe], qd[qs:qe], rd[rs:re], qc[qs:qe],
                    rc[rs:re], None if offset is None else offset[rs:re], rs, best_d, best_i,
                )  # fmt: skip
            out_i[qs:qe] = best_i
    return out_i


def _numpy(qa, ra, q_codes, r_codes, buf, k, block_rows, offset, out_i) -> None:
    """The k nearest by a float64 GEMM and numpy passes over each block (no numba)."""
    nq, nr = len(qa), len(ra)
    with ThreadPoolExecutor(_WORKERS) as pool:
        for qs in range(0, nq, block_rows):
            qb = qa[qs : qs + block_rows]
            m = len(qb)
            best_d = np.full((m, k), np.inf)
            best_i = np.full((m, k), -1, dtype=np.int64)
            for rs in range(0, nr, block_rows):
                rb = ra[rs : rs + block_rows]
                g = buf[: m * len(rb)].reshape(m, len(rb))
                np.matmul(qb, rb.T, out=g)
                off = None if offset is None else offset[rs : rs + len(rb)]
                qc, rc = q_codes[:, qs : qs + m], r_codes[:, rs : rs + len(rb)]
                cols, vals = _topk(g, k, qc, rc, pool, off, best_d[:, k - 1])
                best_d, best_i = merge_k(
                    best_d, best_i, vals, np.where(cols >= 0, cols + rs, -1), k
                )
            out_i[qs : qs + m] = best_i
