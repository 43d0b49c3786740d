"""Compiled row scans of a GEMM block for the gate's exact nearest-neighbour searches.

Why compiled. A block's GEMM gives the dense part of every squared distance; the wide
category codes (``+1`` per mismatch) and the tie-breaking offsets come on top. In numpy
each of those is a pass over the whole float64 block (the code compares, their sum, the
offsets, the comparison with each row's bound, the gather of the few winners): about
twice the GEMM's own time on diabetes130. Here one pass reads each entry once, and since
codes and offsets only *add*, an entry whose dense part is already not below the row's
current k-th best is skipped without comparing its codes (most entries, once the row's
list has filled). numpy cannot skip per entry; numba compiles this loop.

Exactness. The value of an entry is ``(g + mismatches) + offset`` in float64, the same
operations in the same order as the numpy path (:func:`privacy.leakage.distance.add_mismatches`
then ``+= offset``), so the same numbers are compared. Each row keeps its ``k`` smallest
``(value, index)`` pairs, sorted: entries are read in increasing reference index, so an
entry equal to the current k-th best has a higher index and stays out, and an inserted
entry goes after the equal ones already held. The tests compare with brute force.

numba is a dependency; where it cannot be imported :data:`COMPILED` is False and the
callers use their numpy path, which gives the same lists.
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - which branch runs depends on the environment
    import numba
except ImportError:  # pragma: no cover
    numba = None

#: whether the compiled scan is available (tests set it False to run the numpy path)
COMPILED = numba is not None
_jit = numba.njit(nogil=True, cache=True, fastmath=False, error_model="numpy") if numba else None


def _compiled(f):
    """``f`` compiled when numba is there, else ``f`` itself (the same operations)."""
    return _jit(f) if _jit is not None else f


@_compiled
def _mismatches(q_codes: np.ndarray, r_codes: np.ndarray, i: int, j: int) -> int:
    """How many wide codes of query row ``i`` and reference row ``j`` differ."""
    miss = 0
    for u in range(q_codes.shape[1]):
        miss += q_codes[i, u] != r_codes[j, u]
    return miss


@_compiled
def _below(row: np.ndarray, reach: float, out: np.ndarray) -> int:
    """The indices of ``row``'s entries below ``reach`` into ``out`` (in index order),
    gathered without a branch; returns how many."""
    count = 0
    for j in range(row.shape[0]):
        out[count] = j
        count += row[j] < reach
    return count


@_compiled
def _insert(best_d: np.ndarray, best_i: np.ndarray, i: int, v: float, index: int) -> float:
    """Insert ``(v, index)`` into row ``i``'s sorted list after the equal values it holds
    (the caller checked ``v`` is below the k-th best); returns the new k-th best."""
    p = best_d.shape[1] - 1
    while p > 0 and best_d[i, p - 1] > v:
        best_d[i, p] = best_d[i, p - 1]
        best_i[i, p] = best_i[i, p - 1]
        p -= 1
    best_d[i, p] = v
    best_i[i, p] = index
    return best_d[i, best_d.shape[1] - 1]


def _scan_k(
    g: np.ndarray,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    offset: np.ndarray,
    use_offset: bool,
    base: int,
    best_d: np.ndarray,
    best_i: np.ndarray,
) -> None:
    """Merge block ``g`` (rows × reference rows, the GEMM's dense squared distances) into
    each row's sorted k-best lists ``best_d``/``best_i`` (in place; +inf / −1 = empty).

    ``q_codes`` (rows × c) and ``r_codes`` (reference rows × c) are the wide codes, row
    major; ``base`` is the global index of the block's first reference row, which must
    exceed every index already in the lists (blocks are scanned in index order)."""
    m, n = g.shape
    k = best_d.shape[1]
    below = np.empty(n, dtype=np.int64)
    for i in range(m):
        bound = best_d[i, k - 1]
        # the entries whose dense part is below the bound (codes and offsets only add:
        # no other entry can enter)
        count = _below(g[i], bound, below)
        for t in range(count):
            j = below[t]
            v = g[i, j] + np.float64(_mismatches(q_codes, r_codes, i, j))
            if use_offset:
                v = v + offset[j]
            if v < bound:
                bound = _insert(best_d, best_i, i, v, base + j)


@_compiled
def _seed(
    row: np.ndarray,
    margin: float,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    offset: np.ndarray,
    use_offset: bool,
    i: int,
    kth: np.ndarray,
) -> float:
    """An upper bound on the k-th smallest exact value ``Σ (q − r)² + mismatches (+ offset)``
    of query row ``i`` over the float32 block ``row`` (``k = len(kth)``, a scratch array;
    +inf when the block has fewer than ``k`` entries): the k-th smallest
    ``row + mismatches (+ offset)`` plus ``margin`` (each dense part is within it of the
    float32 value, :func:`float32_margin`), raised by 1e-12 relative for the float64
    roundings of the sums. Strictly above the k-th smallest exact value, so an entry at
    that value still passes ``v < bound``."""
    k = kth.shape[0]
    kth[:] = np.inf
    for j in range(row.shape[0]):
        a = np.float64(row[j]) + np.float64(_mismatches(q_codes, r_codes, i, j))
        if use_offset:
            a = a + offset[j]
        if a < kth[k - 1]:
            p = k - 1
            while p > 0 and kth[p - 1] > a:
                kth[p] = kth[p - 1]
                p -= 1
            kth[p] = a
    u = kth[k - 1] + margin
    return u + 1e-12 * max(1.0, abs(u))


def _scan_k32(
    g: np.ndarray,
    margin: np.ndarray,
    q_dense: np.ndarray,
    r_dense: np.ndarray,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    offset: np.ndarray,
    use_offset: bool,
    base: int,
    best_d: np.ndarray,
    best_i: np.ndarray,
) -> None:
    """:func:`_scan_k` on a float32 GEMM block, keyed by exact distances.

    ``g`` holds the dense squared distances from a float32 GEMM, each within
    ``margin[i]`` of the true one (:func:`float32_margin`). An entry is skipped only when
    even ``g − margin`` is not below the row's k-th best; the others have their wide codes
    compared, and those still within the margin get their dense part summed directly in
    float64, ``Σ (q − r)²`` (the value :func:`~privacy.leakage.distance.exact_sq`
    reports), which is what the lists hold and order by. So the float32 block only
    *selects*, with a rigorous bound, and the lists are the k smallest exact
    ``(distance + offset, index)`` pairs.

    A row whose list is not full yet (the first block of a search) would take every
    entry of the block as a candidate and sum each one's dense part in float64 (0.12
    against 0.02 CPU-s for a later 4096² block on diabetes130's release). Its bound
    starts instead at :func:`_seed`, an upper bound on the block's k-th smallest exact
    value read off the float32 values: at least ``k`` entries lie below it, so no entry
    above it can be among the k smallest, and the entries below it go through the very
    same inserts as before: the same lists."""
    m, n = g.shape
    k = best_d.shape[1]
    w = q_dense.shape[1]
    below = np.empty(n, dtype=np.int64)
    kth = np.empty(k)
    for i in range(m):
        seed = np.inf
        if best_d[i, k - 1] == np.inf:
            seed = _seed(g[i], margin[i], q_codes, r_codes, offset, use_offset, i, kth)
        bound = min(best_d[i, k - 1], seed)
        reach = bound + margin[i]
        count = _below(g[i], reach, below)
        for t in range(count):
            j = below[t]
            miss = _mismatches(q_codes, r_codes, i, j)
            extra = np.float64(miss)
            if use_offset:
                extra = extra + offset[j]
            if not np.float64(g[i, j]) + extra < reach:
                continue
            d = 0.0
            for u in range(w):
                x = q_dense[i, u] - r_dense[j, u]
                d += x * x
            v = d + np.float64(miss)
            if use_offset:
                v = v + offset[j]
            if v < bound:
                bound = min(_insert(best_d, best_i, i, v, base + j), seed)
                reach = bound + margin[i]


def float32_margin(qa: np.ndarray, ra: np.ndarray) -> np.ndarray:
    """Per query row, a bound on ``|fl32(qa·ra) − qa·ra|`` over the reference rows ``ra``.

    The inputs rounded to float32 and any float32 summation order of ``K`` products err
    by at most ``γ_{K+2} Σ |qa_t||ra_t| ≤ γ_{K+2} ‖qa‖ ‖ra‖`` with ``γ_n = nu/(1 − nu)``,
    ``u = 2⁻²⁴`` (Higham, *Accuracy and Stability*, §3.1); twice that, plus 1e-9 for the
    float64 sums, is the margin."""
    n = qa.shape[1] + 2
    u = 2.0**-24
    gamma = n * u / (1.0 - n * u)
    r_max = float(np.sqrt(np.einsum("ij,ij->i", ra, ra).max())) if len(ra) else 0.0
    return 2.0 * gamma * np.sqrt(np.einsum("ij,ij->i", qa, qa)) * r_max + 1e-9


scan_k = _compiled(_scan_k)
scan_k32 = _compiled(_scan_k32)


def _in_slices(pool, workers: int, rows: int, run) -> None:
    """``run(a, b)`` over row slices in parallel (the compiled scans release the GIL), or
    once over all rows when the block is small or there is no pool."""
    if workers < 2 or rows < 512 or pool is None:
        run(0, rows)
        return
    cuts = np.linspace(0, rows, workers + 1).astype(int)
    list(pool.map(run, cuts[:-1], cuts[1:]))


def scan_rows(
    pool,
    workers: int,
    g: np.ndarray,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    offset: np.ndarray | None,
    base: int,
    best_d: np.ndarray,
    best_i: np.ndarray,
) -> None:
    """:func:`scan_k` over row slices in parallel (the compiled scan releases the GIL)."""
    off = offset if offset is not None else np.zeros(1)
    use = offset is not None

    def run(a: int, b: int) -> None:
        scan_k(g[a:b], q_codes[a:b], r_codes, off, use, base, best_d[a:b], best_i[a:b])

    _in_slices(pool, workers, len(g), run)


def _scan_leave_out(
    g: np.ndarray,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    numeric: np.ndarray,
    tq_cat: np.ndarray,
    tr_cat: np.ndarray,
    tq_num: np.ndarray,
    tr_num: np.ndarray,
    inv_tie: float,
    base: int,
    best: np.ndarray,
    index: np.ndarray,
    tr_low: np.ndarray,
    tr_high: np.ndarray,
) -> None:
    """The strong attacker's block (:mod:`privacy.leakage.leave_one_out`): per secret
    ``s``, each row's nearest reference row over all columns but ``s``, on the tie grid.

    ``g`` is the GEMM block (dense part), the wide codes add their mismatches, and secret
    ``s``'s own term is taken off: a code mismatch (``tq_cat[s]``/``tr_cat[s]``) or a
    squared rank gap over two coordinates (``tq_num[s]``/``tr_num[s]``, rows × 2; a
    one-coordinate column has zeros in the second). The numbers are those of the numpy
    path: ``rint(((g + mismatches) − term) · inv_tie)``, the term summed from 0 in
    coordinate order. ``best``/``index`` (secrets × rows) are updated in place; a strictly
    smaller value wins, so among equal ones the lowest index (blocks in index order).

    Most entries change no secret's best: a term is at most ``top`` (1 for a code; for a
    number, its rank gaps at their widest over ``tr_low``/``tr_high``, the reference
    rows' least and greatest coordinates, secrets × 2), and every operation above is
    monotone, so ``rint((full − top) · inv_tie)`` is a lower bound on every secret's
    value; an entry where that is not below the largest of the row's bests is skipped
    (it could not be strictly smaller than any). The same updates, in the same order."""
    m, n = g.shape
    n_secrets = numeric.shape[0]
    if n_secrets == 0:  # nothing to search (and no best to read)
        return
    for i in range(m):
        top = 0.0  # no term of row i exceeds it (the widths at their widest)
        for s in range(n_secrets):
            if numeric[s]:
                a0 = max(abs(tq_num[s, i, 0] - tr_low[s, 0]), abs(tq_num[s, i, 0] - tr_high[s, 0]))
                a1 = max(abs(tq_num[s, i, 1] - tr_low[s, 1]), abs(tq_num[s, i, 1] - tr_high[s, 1]))
                t = (0.0 + a0 * a0) + a1 * a1
            else:
                t = 1.0
            top = max(top, t)
        worst = best[0, i]
        for s in range(1, n_secrets):
            worst = max(worst, best[s, i])
        for j in range(n):
            full = g[i, j] + np.float64(_mismatches(q_codes, r_codes, i, j))
            if np.rint((full - top) * inv_tie) >= worst:
                continue
            changed = False
            for s in range(n_secrets):
                if numeric[s]:
                    d0 = tq_num[s, i, 0] - tr_num[s, j, 0]
                    d1 = tq_num[s, i, 1] - tr_num[s, j, 1]
                    term = (0.0 + d0 * d0) + d1 * d1
                else:
                    term = 1.0 if tq_cat[s, i] != tr_cat[s, j] else 0.0
                v = np.rint((full - term) * inv_tie)
                if v < best[s, i]:
                    best[s, i] = v
                    index[s, i] = base + j
                    changed = True
            if changed:
                worst = best[0, i]
                for s in range(1, n_secrets):
                    worst = max(worst, best[s, i])


scan_leave_out = _compiled(_scan_leave_out)


def scan_rows32(
    pool,
    workers: int,
    g: np.ndarray,
    margin: np.ndarray,
    q_dense: np.ndarray,
    r_dense: np.ndarray,
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    offset: np.ndarray | None,
    base: int,
    best_d: np.ndarray,
    best_i: np.ndarray,
) -> None:
    """:func:`scan_k32` over row slices in parallel (the compiled scan releases the GIL)."""
    off = offset if offset is not None else np.zeros(1)
    use = offset is not None

    def run(a: int, b: int) -> None:
        scan_k32(
            g[a:b], margin[a:b], q_dense[a:b], r_dense, q_codes[a:b], r_codes, off, use,
            base, best_d[a:b], best_i[a:b],
        )  # fmt: skip

    _in_slices(pool, workers, len(g), run)
