"""The strong attacker's searches, one per secret, from one pass over the synthetic rows.

The attacker who knows every column but the secret ``s`` looks for the synthetic row
nearest each target over all columns except ``s``. Each column adds its own term to the
squared distance (:mod:`privacy.leakage.distance`), so that distance is the distance over
all columns minus ``s``'s term: one GEMM per block serves every secret, and each secret
costs only its own term (a code comparison, or a squared rank gap) and a row-wise argmin.

Ties. Distances are compared on a grid of ``TIE`` (1e-9, the metrics' tie scale): rows
whose squared distances agree to within it are equally near, and the lowest synthetic
index wins, as in :func:`~privacy.leakage.distance.nearest_two`. The attacks shuffle the
synthetic rows first, so that is a random choice among equally near rows (the grid keeps
the float rounding of "all minus one term" from deciding it instead).

>>> from privacy.leakage.distance import Prepared
>>> a = Prepared("a", False, (np.array([0, 1]), np.array([0]), np.array([1, 0, 0])))
>>> b = Prepared("b", False, (np.array([5, 5]), np.array([6]), np.array([6, 5, 6])))
>>> nearest_leaving_out([a, b], ["a", "b"], 0, block_rows=2)["b"].tolist()  # knows a only
[1, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import numpy as np

from privacy.leakage import kernels
from privacy.leakage.distance import (
    _WORKERS,
    SYNTHETIC,
    Prepared,
    _augmented,
    _numeric_block,
    add_mismatches,
    encode,
)

#: squared distances are compared on this grid (see the module doc)
TIE = 1e-9


def _term(col: Prepared, query: int) -> tuple[np.ndarray, np.ndarray]:
    """The column's own coordinates (numeric: rank and missing flag) or codes, per side."""
    parts = [col.parts[query], col.parts[SYNTHETIC]]
    if col.numeric:
        q, r = _numeric_block(col, parts)
        return q, r
    return parts[0], parts[1]


def nearest_leaving_out(
    columns: Sequence[Prepared], secrets: Sequence[str], query: int, *, block_rows: int = 4096
) -> dict[str, np.ndarray]:
    """Per secret, the index of the nearest synthetic row to every row of part ``query``
    over all ``columns`` but the secret."""
    q, (r,) = encode(columns, query, [SYNTHETIC])
    qa, ra = _augmented(q.dense, r.dense)
    q_codes, r_codes = np.ascontiguousarray(q.codes.T), np.ascontiguousarray(r.codes.T)
    by_name = {c.name: c for c in columns}
    terms = {s: (by_name[s].numeric, *_term(by_name[s], query)) for s in secrets}
    nq, nr = len(qa), len(ra)
    if kernels.COMPILED:
        return _compiled(q.codes, r.codes, qa, ra, terms, block_rows)
    best = {s: np.full(nq, np.inf) for s in secrets}
    index = {s: np.zeros(nq, dtype=np.int64) for s in secrets}
    for qs in range(0, nq, block_rows):
        qsl = slice(qs, qs + block_rows)
        rows = np.arange(len(qa[qsl]))
        for rs in range(0, nr, block_rows):
            rsl = slice(rs, rs + block_rows)
            g = qa[qsl] @ ra[rsl].T
            add_mismatches(g, q_codes[:, qsl], r_codes[:, rsl])
            for s, (numeric, tq, tr) in terms.items():
                if numeric:
                    term = np.zeros_like(g)
                    for j in range(tq.shape[1]):
                        term += np.subtract.outer(tq[qsl, j], tr[rsl, j]) ** 2
                    v = g - term
                else:
                    v = g - np.not_equal(tq[qsl][:, None], tr[rsl][None, :])
                np.multiply(v, 1.0 / TIE, out=v)
                np.rint(v, out=v)
                j = v.argmin(axis=1)
                val = v[rows, j]
                better = val < best[s][qsl]  # an equal later block has higher indices
                best[s][qsl] = np.where(better, val, best[s][qsl])
                index[s][qsl] = np.where(better, j + rs, index[s][qsl])
    return index


def _compiled(
    q_codes: np.ndarray,
    r_codes: np.ndarray,
    qa: np.ndarray,
    ra: np.ndarray,
    terms: dict[str, tuple[Any, np.ndarray, np.ndarray]],
    block_rows: int,
) -> dict[str, np.ndarray]:
    """The same search with each block read once for every secret
    (:func:`privacy.leakage.kernels.scan_leave_out`), query rows split over threads."""
    names = list(terms)
    nq, nr = len(qa), len(ra)
    numeric = np.array([bool(terms[s][0]) for s in names])
    tq_cat = np.zeros((len(names), nq), dtype=np.int64)
    tr_cat = np.zeros((len(names), nr), dtype=np.int64)
    tq_num, tr_num = np.zeros((len(names), nq, 2)), np.zeros((len(names), nr, 2))
    for k, s in enumerate(names):
        is_num, tq, tr = terms[s]
        if is_num:  # one or two coordinates (rank, missing flag); a missing second is 0
            tq_num[k, :, : tq.shape[1]], tr_num[k, :, : tr.shape[1]] = tq, tr
        else:
            tq_cat[k], tr_cat[k] = tq, tr
    best = np.full((len(names), nq), np.inf)
    index = np.zeros((len(names), nq), dtype=np.int64)
    inv = 1.0 / TIE
    # the reference rows' least and greatest term coordinates: bounds on every term
    # (kernels.scan_leave_out skips the entries that cannot beat any secret's best)
    low = tr_num.min(axis=1) if nr else np.zeros((len(names), 2))
    high = tr_num.max(axis=1) if nr else np.zeros((len(names), 2))

    def scan(g: np.ndarray, a: int, b: int, rs: int) -> None:
        """Query rows ``a:b`` (``g``: their rows of the block) against the block at ``rs``."""
        rsl = slice(rs, rs + g.shape[1])
        kernels.scan_leave_out(
            g, q_codes[a:b], r_codes[rsl], numeric, tq_cat[:, a:b], tr_cat[:, rsl],
            tq_num[:, a:b], tr_num[:, rsl], inv, rs, best[:, a:b], index[:, a:b], low, high,
        )  # fmt: skip

    with ThreadPoolExecutor(_WORKERS) as pool:
        for qs in range(0, nq, block_rows):
            qe = min(qs + block_rows, nq)
            cuts = np.linspace(qs, qe, _WORKERS + 1).astype(int)
            for rs in range(0, nr, block_rows):
                g = qa[qs:qe] @ ra[rs : rs + block_rows].T
                parts = [g[a - qs : b - qs] for a, b in pairwise(cuts)]
                list(pool.map(scan, parts, cuts[:-1], cuts[1:], [rs] * len(parts)))
    return {s: index[k] for k, s in enumerate(names)}
