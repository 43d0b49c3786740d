"""Exact mixed-type nearest-neighbour distances and exact row matching.

The distance
------------
Every used column is encoded into a few coordinates, then the distance between
two rows is the Euclidean distance of their encodings divided by ``sqrt(k)``
(``k`` = number of original columns), so it lies in ``[0, 1]``-ish:

* numbers, and dates as day counts, become empirical-CDF ranks of the pooled
  *real* rows (train ∪ holdout): ``(searchsorted_left + searchsorted_right) / 2n``
  on the sorted real values, so every numeric column has a comparable [0, 1]
  scale whatever its unit. A missing number gets rank 0 plus a missing-indicator
  coordinate of weight 1 (the indicator exists only when some row is missing).
* categories are one-hot coordinates scaled by ``1/sqrt(2)``, so a mismatch adds
  exactly 1 to the squared distance. Missing is a category of its own. Only
  categories seen on both sides of a comparison need a coordinate of their own;
  all query-only categories share one, all reference-only ones share another
  (this is exact: such a category mismatches every row on the other side).
  A column with more than ``ONE_HOT_MAX`` shared categories is not one-hot
  encoded but compared by code inside each block (``+1`` per mismatch): the same
  distance, without hundreds of coordinates.

So each column adds at most ``1`` (categories) or ``2`` (rank gap plus
missingness) to the squared distance.

Nearest neighbours
------------------
Exact 1-NN and 2-NN of every query row in a reference set, in blocks of
``block_rows`` × ``block_rows`` (memory ≈ ``block_rows² × 8`` bytes): one float64
GEMM per block gives ``|q|² + |r|² − 2 q·r`` directly (the norms ride along as
two extra coordinates), a running top-2 is kept with ``argmin``, and the two
winners are then recomputed directly as ``Σ (q − r)²`` in float64. Reported
distances are therefore exact sums of squares; the GEMM only *selects*, with a
rounding error of ~1e-14 on the squared distance, far below the tie tolerance
the metrics use. The leakage check runs this per block of real rows and merges
the blocks exactly (:mod:`privacy.leakage.partitioned`).

Exact matches
-------------
Identity is decided on normalised values, not on distance: each column's
normalised values are factorised over all three frames, each row's code tuple is
hashed (:func:`pandas.util.hash_pandas_object`), and hash hits are confirmed by
comparing the code tuples, so a hash collision can never create a match.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from privacy.leakage import kernels

TRAIN, HOLDOUT, SYNTHETIC = 0, 1, 2
ONE_HOT = 1.0 / math.sqrt(2.0)
#: categorical columns with more shared categories than this are compared by code
ONE_HOT_MAX = 64
#: rows per chunk of the exact recomputation (:func:`exact_sq`): the gathered rows stay in
#: cache (1,024 rows of diabetes130's 225 coordinates: half the time of 16,384); every
#: row's sum is computed on its own, so the chunk size changes no value
_RECOMPUTE_ROWS = 1_024
#: threads for the row-wise top-2 scans (the GEMM itself is threaded by BLAS)
_WORKERS = max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Prepared:
    """One used column, normalised, as arrays for (train, holdout, synthetic).

    ``numeric``: float64 values (dates as day counts), NaN = missing.
    Otherwise int64 category codes shared by the three arrays; missing has a code.
    """

    name: str
    numeric: bool
    parts: tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Neighbours:
    """Exact squared (un-normalised) distances and indices of the two nearest rows."""

    sq1: np.ndarray
    idx1: np.ndarray
    sq2: np.ndarray
    idx2: np.ndarray


# -- encoding ---------------------------------------------------------------------------


def _numeric_block(col: Prepared, parts: list[np.ndarray]) -> list[np.ndarray]:
    """Rank (and missing-flag) blocks for (query, *refs); ranks use the pooled real rows."""
    real = np.concatenate([col.parts[TRAIN], col.parts[HOLDOUT]])
    base = np.sort(real[~np.isnan(real)])
    any_missing = any(bool(np.isnan(x).any()) for x in parts)
    out = []
    for x in parts:
        miss = np.isnan(x)
        if len(base):
            lo = np.searchsorted(base, x, side="left")
            hi = np.searchsorted(base, x, side="right")
            rank = (lo + hi) / (2.0 * len(base))
        else:
            rank = np.zeros(len(x))
        rank[miss] = 0.0
        cols = [rank, miss.astype(float)] if any_missing else [rank]
        out.append(np.column_stack(cols))
    return out


def _categorical_block(parts: list[np.ndarray]) -> list[np.ndarray] | None:
    """One-hot blocks for (query, *refs), or None when the column is too wide for one-hot."""
    size = int(max(p.max(initial=-1) for p in parts)) + 1
    in_q = np.zeros(size, dtype=bool)
    in_q[parts[0]] = True
    in_r = np.zeros(size, dtype=bool)
    for r in parts[1:]:
        in_r[r] = True
    shared = in_q & in_r
    n_shared = int(shared.sum())
    if n_shared > ONE_HOT_MAX:
        return None
    slot = np.full(size, -1, dtype=np.int64)
    slot[shared] = np.arange(n_shared)
    width = n_shared
    for only in (in_q & ~shared, in_r & ~shared):  # query-only, then reference-only
        if only.any():
            slot[only] = width
            width += 1
    out = []
    for codes in parts:
        block = np.zeros((len(codes), width))
        block[np.arange(len(codes)), slot[codes]] = ONE_HOT
        out.append(block)
    return out


@dataclass(frozen=True)
class Encoded:
    """Rows as coordinates (ranks, missing flags, one-hot) plus wide category codes.

    A categorical column with more than ``ONE_HOT_MAX`` shared categories is kept as
    codes: it adds ``code_q != code_r`` (0 or 1) to the squared distance directly,
    which is exact and far cheaper than hundreds of one-hot coordinates.
    """

    dense: np.ndarray
    codes: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.dense.nbytes + self.codes.nbytes)

    @classmethod
    def of(cls, x: np.ndarray | Encoded) -> Encoded:
        return x if isinstance(x, Encoded) else cls(x, np.zeros((len(x), 0), dtype=np.int64))


def encode(
    columns: Sequence[Prepared], query: int, refs: Sequence[int]
) -> tuple[Encoded, list[Encoded]]:
    """Encode part ``query`` and the reference parts for distances between them."""
    n = 1 + len(refs)
    dense: list[list[np.ndarray]] = [[] for _ in range(n)]
    codes: list[list[np.ndarray]] = [[] for _ in range(n)]
    for col in columns:
        parts = [col.parts[query], *(col.parts[r] for r in refs)]
        blocks = _numeric_block(col, parts) if col.numeric else _categorical_block(parts)
        for i in range(n):
            if blocks is None:
                codes[i].append(parts[i].astype(np.int64))
            else:
                dense[i].append(blocks[i])
    out = []
    for i in range(n):
        rows = len(parts[i])
        d = np.hstack(dense[i]) if dense[i] else np.zeros((rows, 0))
        c = np.column_stack(codes[i]) if codes[i] else np.zeros((rows, 0), dtype=np.int64)
        out.append(Encoded(np.ascontiguousarray(d), np.ascontiguousarray(c)))
    return out[0], out[1:]


# -- nearest neighbours -----------------------------------------------------------------


def _merge(
    b1: np.ndarray,
    i1: np.ndarray,
    b2: np.ndarray,
    i2: np.ndarray,
    v1: np.ndarray,
    j1: np.ndarray,
    v2: np.ndarray,
    j2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge two sorted top-2 lists row-wise (b1 <= b2, v1 <= v2); the ``b`` list holds
    the lower indices, so it wins every tie."""
    keep = b1 <= v1
    n1 = np.where(keep, b1, v1)
    m1 = np.where(keep, i1, j1)
    x, xi = np.where(keep, b2, v2), np.where(keep, i2, j2)
    y, yi = np.where(keep, v1, b1), np.where(keep, j1, i1)
    take_x = np.where(keep, x <= y, x < y)  # x is b2 (wins a tie) or v2 (loses it to b1)
    return n1, m1, np.where(take_x, x, y), np.where(take_x, xi, yi)


def exact_sq(q: Encoded, r: Encoded, idx: np.ndarray) -> np.ndarray:
    """``Σ (q_i − r_idx[i])²`` computed directly, in chunks (codes add 1 per mismatch)."""
    out = np.empty(len(q.dense))
    for s in range(0, len(out), _RECOMPUTE_ROWS):
        sl, ri = slice(s, s + _RECOMPUTE_ROWS), idx[s : s + _RECOMPUTE_ROWS]
        diff = q.dense[sl] - r.dense[ri]
        out[sl] = np.einsum("ij,ij->i", diff, diff) + (q.codes[sl] != r.codes[ri]).sum(axis=1)
    return out


def exact_sq_lists(q: Encoded, r: Encoded, idx: np.ndarray) -> np.ndarray:
    """:func:`exact_sq` of every column of ``idx`` (query rows × k; −1: no row, +inf),
    chunk by chunk so that a chunk of query rows is read once for all k columns, the
    chunks shared by ``_WORKERS`` threads (numpy releases the GIL in the gathers and sums).
    Each value is the one :func:`exact_sq` gives for that row and column."""
    out = np.full(idx.shape, np.inf)
    starts = range(0, len(idx), _RECOMPUTE_ROWS)
    if _WORKERS < 2 or len(starts) < 2:
        for s in starts:
            _exact_sq_chunk(q, r, idx, s, out)
        return out
    with ThreadPoolExecutor(_WORKERS) as pool:
        list(pool.map(lambda s: _exact_sq_chunk(q, r, idx, s, out), starts))
    return out


def _exact_sq_chunk(q: Encoded, r: Encoded, idx: np.ndarray, s: int, out: np.ndarray) -> None:
    """Rows ``s : s + _RECOMPUTE_ROWS`` of :func:`exact_sq_lists` into ``out``."""
    sl = slice(s, s + _RECOMPUTE_ROWS)
    qd, qc = q.dense[sl], q.codes[sl]
    for c in range(idx.shape[1]):
        ri = idx[sl, c]
        have = ri >= 0
        if have.all():  # the usual case: no copy of the query rows
            diff = qd - r.dense[ri]
            out[sl, c] = np.einsum("ij,ij->i", diff, diff) + (qc != r.codes[ri]).sum(axis=1)
        elif have.any():
            rows, ri = np.flatnonzero(have), ri[have]
            diff = qd[rows] - r.dense[ri]
            out[s + rows, c] = np.einsum("ij,ij->i", diff, diff) + (qc[rows] != r.codes[ri]).sum(
                axis=1
            )


def add_mismatches(g: np.ndarray, q_codes: np.ndarray, r_codes: np.ndarray) -> None:
    """Add 1 to ``g`` (query × reference) per wide category code that differs; the codes
    are column-major (``c × rows``).

    The mismatches are counted in one small-integer block first and added to ``g`` once:
    one pass over the float64 block instead of one per wide column (2–3× faster with a
    few wide columns). Integer counts are exact, so ``g`` gets the same whole number."""
    if len(q_codes) == 0:
        return
    if len(q_codes) == 1:
        g += np.not_equal(q_codes[0][:, None], r_codes[0][None, :])
        return
    acc = np.empty(g.shape, dtype=np.uint8 if len(q_codes) < 256 else np.uint16)
    step = np.empty(g.shape, dtype=bool)
    np.not_equal(q_codes[0][:, None], r_codes[0][None, :], out=step)
    acc[...] = step
    for qc, rc in zip(q_codes[1:], r_codes[1:], strict=True):
        np.not_equal(qc[:, None], rc[None, :], out=step)
        acc += step
    g += acc


def search_setup(
    q: np.ndarray | Encoded, r: np.ndarray | Encoded, block_rows: int
) -> tuple[Encoded, Encoded, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What a blocked GEMM search needs: both sides as :class:`Encoded`, the augmented
    coordinates (:func:`_augmented`), the wide codes column-major, and the block buffer."""
    q, r = Encoded.of(q), Encoded.of(r)
    nq, nr = len(q.dense), len(r.dense)
    if nr == 0:
        raise ValueError("reference set is empty")
    qa, ra = _augmented(q.dense, r.dense)
    q_codes, r_codes = np.ascontiguousarray(q.codes.T), np.ascontiguousarray(r.codes.T)
    buf = np.empty(min(block_rows, nq) * min(block_rows, nr))
    return q, r, qa, ra, q_codes, r_codes, buf


def _block_top2(
    g: np.ndarray, two: bool, q_codes: np.ndarray, r_codes: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Row-wise smallest two entries of ``g`` (column index and value); ``g`` is clobbered.

    ``q_codes`` (c × m) and ``r_codes`` (c × n) are wide category codes, column-major.
    """
    add_mismatches(g, q_codes, r_codes)
    rows = np.arange(len(g))
    j1 = g.argmin(axis=1)
    v1 = g[rows, j1]
    if not two:
        return j1, v1, j1, np.full(len(g), np.inf)
    g[rows, j1] = np.inf
    j2 = g.argmin(axis=1)
    return j1, v1, j2, g[rows, j2]


def _top2(
    g: np.ndarray,
    two: bool,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    pool: ThreadPoolExecutor,
) -> tuple[np.ndarray, ...]:
    """:func:`_block_top2` over row slices in parallel (numpy releases the GIL here)."""
    if _WORKERS < 2 or len(g) < 512:
        return _block_top2(g, two, q_codes, r_codes)
    cuts = np.linspace(0, len(g), _WORKERS + 1).astype(int)
    parts = list(
        pool.map(
            lambda a, b: _block_top2(g[a:b], two, q_codes[:, a:b], r_codes),
            cuts[:-1],
            cuts[1:],
        )
    )
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))


def _augmented(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``qa·ra = |q − r|²``: q ↦ [q, |q|², 1], r ↦ [−2r, 1, |r|²], both centred first."""
    centre = r.mean(axis=0) if len(r) else np.zeros(q.shape[1])
    dim = q.shape[1]
    qa = np.empty((len(q), dim + 2))
    qa[:, :dim] = q - centre  # shifting both sides changes no distance, improves rounding
    qa[:, dim] = np.einsum("ij,ij->i", qa[:, :dim], qa[:, :dim])
    qa[:, dim + 1] = 1.0
    ra = np.empty((len(r), dim + 2))
    ra[:, :dim] = r - centre
    ra[:, dim + 1] = np.einsum("ij,ij->i", ra[:, :dim], ra[:, :dim])
    ra[:, :dim] *= -2.0
    ra[:, dim] = 1.0
    return qa, ra


def nearest_two(
    q: np.ndarray | Encoded,
    r: np.ndarray | Encoded,
    *,
    block_rows: int = 4096,
    progress: Progress | None = None,
    stage: str = "nearest neighbours",
    two: bool = True,
) -> Neighbours:
    """Exact two nearest rows of ``r`` for every row of ``q`` (squared distances).

    With ``two=False`` only the nearest row is searched (``sq2`` is then +inf).
    """
    q, r, qa, ra, q_codes, r_codes, buf = search_setup(q, r, block_rows)
    nq, nr = len(q.dense), len(r.dense)
    idx1 = np.zeros(nq, dtype=np.int64)
    idx2 = np.zeros(nq, dtype=np.int64)
    n_blocks = -(-nq // block_rows)
    with ThreadPoolExecutor(_WORKERS) as pool:
        for k, qs in enumerate(range(0, nq, block_rows)):
            qb = qa[qs : qs + block_rows]
            m = len(qb)
            b1, b2 = np.full(m, np.inf), np.full(m, np.inf)
            i1, i2 = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
            if kernels.COMPILED:  # the (value, index)-sorted top 1 or 2 in one pass
                best_d = np.full((m, 2 if two else 1), np.inf)
                best_i = np.full((m, 2 if two else 1), -1, dtype=np.int64)
            for rs in range(0, nr, block_rows):
                rb = ra[rs : rs + block_rows]
                g = buf[: m * len(rb)].reshape(m, len(rb))
                np.matmul(qb, rb.T, out=g)
                if kernels.COMPILED:
                    qc, rc = q.codes[qs : qs + m], r.codes[rs : rs + len(rb)]
                    kernels.scan_rows(pool, _WORKERS, g, qc, rc, None, rs, best_d, best_i)
                    continue
                qc, rc = q_codes[:, qs : qs + m], r_codes[:, rs : rs + len(rb)]
                j1, v1, j2, v2 = _top2(g, two, qc, rc, pool)
                b1, i1, b2, i2 = _merge(b1, i1, b2, i2, v1, j1 + rs, v2, j2 + rs)
            if kernels.COMPILED:
                i1 = best_i[:, 0]
                i2 = best_i[:, 1] if two and nr > 1 else i1
            idx1[qs : qs + m] = i1
            idx2[qs : qs + m] = i2
            if progress is not None:
                progress(stage, k + 1, n_blocks)

    sq1 = exact_sq(q, r, idx1)
    if nr < 2 or not two:
        return Neighbours(sq1, idx1, np.full(nq, np.inf), idx1.copy())
    sq2 = exact_sq(q, r, idx2)
    swap = sq2 < sq1
    return Neighbours(
        np.where(swap, sq2, sq1),
        np.where(swap, idx2, idx1),
        np.where(swap, sq1, sq2),
        np.where(swap, idx1, idx2),
    )


# -- exact matches ----------------------------------------------------------------------


def row_codes(columns: Sequence[Prepared]) -> list[np.ndarray]:
    """Per part, an (n × k) int64 matrix of value codes shared across the three parts."""
    per_part: list[list[np.ndarray]] = [[], [], []]
    for col in columns:
        if col.numeric:
            pooled = np.concatenate(col.parts)
            codes, _ = pd.factorize(pooled, use_na_sentinel=False)  # NaN gets a code
            cuts = np.cumsum([len(p) for p in col.parts])[:-1]
            split = np.split(codes.astype(np.int64), cuts)
        else:
            split = [p.astype(np.int64) for p in col.parts]
        for i in range(3):
            per_part[i].append(split[i])
    return [np.column_stack(p) for p in per_part]


def row_hashes(codes: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame(codes, copy=False)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


def identical_to(
    q_codes: np.ndarray, q_hash: np.ndarray, r_codes: np.ndarray, r_hash: np.ndarray
) -> np.ndarray:
    """Mask of query rows identical to at least one reference row."""
    ref = pd.Index(r_hash)
    dup = ref.duplicated(keep="first")
    rep_of_hash = np.flatnonzero(~dup)  # first reference row holding each hash
    pos = ref[~dup].get_indexer(q_hash)
    hit = pos >= 0
    found = np.zeros(len(q_hash), dtype=bool)
    if hit.any():
        rep = rep_of_hash[pos[hit]]
        found[hit] = (q_codes[hit] == r_codes[rep]).all(axis=1)
    return found


def count_within(
    q: np.ndarray | Encoded,
    r: np.ndarray | Encoded,
    radius: np.ndarray,
    *,
    rtol: float = 1e-12,
    block_rows: int = 4096,
) -> np.ndarray:
    """Per query row, how many reference rows lie at squared distance ``≤ radius`` (+ rtol).

    Used to count ties exactly: the GEMM pre-selects candidates with a generous margin
    (1e-9), then each candidate pair's squared distance is recomputed directly and
    compared with ``radius · (1 + rtol)`` (floored at ``rtol``), the tie rule of the metrics.
    """
    q, r = Encoded.of(q), Encoded.of(r)
    nq, nr = len(q.dense), len(r.dense)
    out = np.zeros(nq, dtype=np.int64)
    if nq == 0 or nr == 0:
        return out
    qa, ra = _augmented(q.dense, r.dense)
    limit = radius + rtol * np.maximum(1.0, radius)
    for qs in range(0, nq, block_rows):
        qb = qa[qs : qs + block_rows]
        lim = limit[qs : qs + block_rows]
        for rs in range(0, nr, block_rows):
            g = qb @ ra[rs : rs + block_rows].T
            add_mismatches(
                g,
                np.ascontiguousarray(q.codes[qs : qs + block_rows].T),
                np.ascontiguousarray(r.codes[rs : rs + block_rows].T),
            )
            qi, ri = np.nonzero(g <= lim[:, None] + 1e-9)
            if len(qi) == 0:
                continue
            diff = q.dense[qs + qi] - r.dense[rs + ri]
            sq = np.einsum("ij,ij->i", diff, diff)
            sq += (q.codes[qs + qi] != r.codes[rs + ri]).sum(axis=1)
            out[qs : qs + len(qb)] += np.bincount(qi[sq <= lim[qi]], minlength=len(qb))
    return out


def identical_counts(
    q_codes: np.ndarray, q_hash: np.ndarray, r_codes: np.ndarray, r_hash: np.ndarray
) -> np.ndarray:
    """Per query row, how many reference rows are identical to it (0 when none)."""
    counts = pd.Series(r_hash).value_counts()
    found = identical_to(q_codes, q_hash, r_codes, r_hash)
    out = np.zeros(len(q_hash), dtype=np.int64)
    if found.any():
        out[found] = counts.reindex(q_hash[found]).to_numpy(dtype=np.int64)
    return out
