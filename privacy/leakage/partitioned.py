"""Nearest-neighbour searches partitioned over blocks of real rows, merged exactly.

The leakage check's searches (synthetic → train, synthetic → holdout, holdout → train,
the tie counts, the quasi-identifier view) all have real rows as the reference set,
which may be far larger than the query. They are cut into **fixed blocks of real rows**
(``ref_rows`` rows each, a multiple of ``block_rows``; the cut never depends on the
runner) and the queries into blocks of the same size:

* one task per (query block, reference block) computes the block's exact top-2
  (:func:`privacy.leakage.distance.nearest_two`) with global row indices, or its tie
  counts (:func:`privacy.leakage.distance.count_within`);
* the driver merges the per-block results in reference-block order: the nearer wins and,
  at equal exact distance, the lower global index (the earlier block) wins; counts add.

The in-process runner runs the very same tasks one after another, so the in-process and
the Dask results are identical by construction.

Every row is encoded with one :class:`Layout` per comparison, decided on the driver from
the whole parts (rank tables of the pooled real values, one-hot slots of the categories
seen on both sides), so a row's coordinates, and hence every exact distance, do not depend
on which block it sits in. A block's GEMM only *selects* candidates; distances are exact
sums of squares recomputed in float64 (see :mod:`privacy.leakage.distance`). Two real rows
whose exact distances differ by less than the GEMM's rounding (~1e-14 relative) may be
selected differently by a different BLAS build; rows at exactly equal distance give the
same distance whichever is picked.

Memory per task: one query block and one reference block encoded
(``ref_rows`` × encoded width × 8 B each) plus the GEMM buffer (``block_rows² × 8`` B).
On the driver: the merged top-2 (32 B per query row), one encoded query block, and while
one query block is merged, the per-block top-2 of every reference block (32 B per
reference row). On Dask the real rows' blocks live on the workers (8 B per cell, spread).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from privacy.leakage import distance
from privacy.leakage.distance import (
    HOLDOUT,
    ONE_HOT,
    TRAIN,
    Encoded,
    Neighbours,
    Prepared,
    _merge,
    count_within,
    nearest_two,
)
from privacy.leakage.knn import merge_k, nearest_k
from synth.cluster import InProcess, Runner

#: reference (and query) rows per task, in units of ``block_rows``
REF_BLOCKS = 16

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowBlock:
    """Rows ``[start, start + rows)`` of one part: one array per prepared column."""

    start: int
    arrays: tuple[np.ndarray, ...]

    @property
    def rows(self) -> int:
        return len(self.arrays[0]) if self.arrays else 0

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays)


def row_blocks(columns: Sequence[Prepared], part: int, ref_rows: int) -> list[RowBlock]:
    """Fixed blocks of ``ref_rows`` rows of ``part`` (views, no copy)."""
    n = len(columns[0].parts[part])
    return [
        RowBlock(s, tuple(c.parts[part][s : s + ref_rows] for c in columns))
        for s in range(0, n, ref_rows)
    ]


@dataclass(frozen=True)
class RankTable:
    """Distinct non-missing real values and, before each, how many real values are smaller."""

    values: np.ndarray
    below: np.ndarray  # below[i] = count of real values < values[i]; below[-1] = total

    @classmethod
    def of(cls, col: Prepared) -> RankTable:
        real = np.concatenate([col.parts[TRAIN], col.parts[HOLDOUT]])
        values, counts = np.unique(real[~np.isnan(real)], return_counts=True)
        below = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(counts, out=below[1:])
        return cls(values, below)

    def ranks(self, x: np.ndarray) -> np.ndarray:
        """``(#real < x + #real ≤ x) / 2n``: the empirical-CDF rank of the distance module."""
        n = int(self.below[-1])
        if n == 0:
            return np.zeros(len(x))
        lo = self.below[np.searchsorted(self.values, x, side="left")]
        hi = self.below[np.searchsorted(self.values, x, side="right")]
        return (lo + hi) / (2.0 * n)


@dataclass(frozen=True)
class ColumnCode:
    """How one prepared column becomes coordinates in one comparison."""

    index: int  # position among the prepared columns
    ranks: RankTable | None  # numeric columns
    missing: bool  # numeric: a missing-flag coordinate
    slot: np.ndarray | None  # categorical: one-hot slot per code (None: compared by code)
    width: int

    @property
    def nbytes(self) -> int:
        r = self.ranks
        return (r.values.nbytes + r.below.nbytes if r else 0) + (
            self.slot.nbytes if self.slot is not None else 0
        )


@dataclass(frozen=True)
class Layout:
    """Row encoding for one comparison, the same for every block (see the module doc)."""

    columns: tuple[ColumnCode, ...]

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.columns)

    def encode(self, arrays: Sequence[np.ndarray]) -> Encoded:
        """Coordinates of the rows whose per-column arrays are ``arrays`` (all columns),
        written straight into one array (no per-column blocks joined afterwards)."""
        n = len(arrays[self.columns[0].index]) if self.columns else 0
        widths = [
            (1 + c.missing) if c.ranks is not None else (0 if c.slot is None else c.width)
            for c in self.columns
        ]
        d = np.zeros((n, sum(widths)))
        codes: list[np.ndarray] = []
        at = 0
        for c, w in zip(self.columns, widths, strict=True):
            x = arrays[c.index]
            if c.ranks is not None:
                miss = np.isnan(x)
                rank = c.ranks.ranks(x)
                rank[miss] = 0.0
                d[:, at] = rank
                if c.missing:
                    d[:, at + 1] = miss
            elif c.slot is None:
                codes.append(x.astype(np.int64))
            else:
                d[np.arange(n), at + c.slot[x]] = ONE_HOT
            at += w
        k = np.column_stack(codes) if codes else np.zeros((n, 0), dtype=np.int64)
        return Encoded(d, np.ascontiguousarray(k))


def _slots(query: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray | None, int]:
    """One-hot slots as in :func:`privacy.leakage.distance.encode` (None: too wide)."""
    size = int(max(query.max(initial=-1), ref.max(initial=-1))) + 1
    in_q = np.zeros(size, dtype=bool)
    in_q[query] = True
    in_r = np.zeros(size, dtype=bool)
    in_r[ref] = True
    shared = in_q & in_r
    n_shared = int(shared.sum())
    if n_shared > distance.ONE_HOT_MAX:  # read at call time (tests patch it)
        return None, 0
    slot = np.full(size, -1, dtype=np.int64)
    slot[shared] = np.arange(n_shared)
    width = n_shared
    for only in (in_q & ~shared, in_r & ~shared):
        if only.any():
            slot[only] = width
            width += 1
    return slot, width


# -- tasks (module level: imported by name on Dask workers) ------------------------------


def _nearest_task(
    ref: RowBlock, query: Encoded, layout: Layout, two: bool, block_rows: int
) -> Neighbours:
    nb = nearest_two(query, layout.encode(ref.arrays), block_rows=block_rows, two=two)
    return Neighbours(nb.sq1, nb.idx1 + ref.start, nb.sq2, nb.idx2 + ref.start)


def _knn_task(
    ref: RowBlock,
    query: Encoded,
    layout: Layout,
    k: int,
    block_rows: int,
    offset: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    off = None if offset is None else offset[ref.start : ref.start + ref.rows]
    sq, idx = nearest_k(query, layout.encode(ref.arrays), k, block_rows=block_rows, offset=off)
    return sq, np.where(idx >= 0, idx + ref.start, -1)


def _count_task(
    ref: RowBlock, query: Encoded, layout: Layout, radius: np.ndarray, rtol: float, block_rows: int
) -> np.ndarray:
    r = layout.encode(ref.arrays)
    return count_within(query, r, radius, rtol=rtol, block_rows=block_rows)


def merge_neighbours(parts: Sequence[Neighbours]) -> Neighbours:
    """Exact top-2 over reference blocks given in block order (lower index wins ties)."""
    acc = parts[0]
    for nb in parts[1:]:
        acc = Neighbours(
            *_merge(acc.sq1, acc.idx1, acc.sq2, acc.idx2, nb.sq1, nb.idx1, nb.sq2, nb.idx2)
        )
    return acc


# -- the driver ---------------------------------------------------------------------------


class BlockSearch:
    """Partitioned searches of query rows among the train or holdout rows of ``columns``.

    ``columns`` are the prepared columns (the synthetic part possibly a sample). The real
    parts are cut once into blocks of ``ref_rows`` rows and placed on the runner (shipped
    to the Dask workers once, views in-process).
    """

    def __init__(
        self,
        columns: Sequence[Prepared],
        runner: Runner | None = None,
        *,
        block_rows: int = 4096,
        ref_rows: int | None = None,
        ranks: dict[int, RankTable] | None = None,
    ) -> None:
        self.columns = list(columns)
        self.runner = runner if runner is not None else InProcess()
        self.block_rows = block_rows
        self.ref_rows = ref_rows if ref_rows is not None else REF_BLOCKS * block_rows
        if self.ref_rows < 1:
            raise ValueError("ref_rows must be positive")
        #: rank tables of the numeric columns, by position (``ranks``: given, e.g. those of
        #: a search over more rows, which :meth:`distinct` keeps)
        self._ranks: dict[int, RankTable] = dict(ranks or {})
        self._blocks = {
            part: self.runner.place(row_blocks(self.columns, part, self.ref_rows))
            for part in (TRAIN, HOLDOUT)
        }

    def distinct(self, cols: Sequence[int]) -> tuple[BlockSearch, list[np.ndarray]]:
        """A search over the columns ``cols`` only, each part's rows that are identical on
        them kept once, and per part the position of every row among the kept ones.

        Nearest *distances* are unchanged (an identical row is at the same distance, and
        the numeric ranks still come from every real row: the rank tables are this
        search's); indices refer to the kept rows. Few columns (the quasi-identifier view)
        leave few distinct rows, so the search shrinks by orders of magnitude."""
        parts, inverse = [], []
        for p in range(3):
            codes = np.column_stack(
                [pd.factorize(self.columns[i].parts[p], use_na_sentinel=True)[0] for i in cols]
            )
            _, first, inv = np.unique(codes, axis=0, return_index=True, return_inverse=True)
            parts.append(first)
            inverse.append(inv.reshape(-1))
        sub = [
            Prepared(c.name, c.numeric, tuple(c.parts[p][parts[p]] for p in range(3)))
            for c in (self.columns[i] for i in cols)
        ]
        ranks = {j: self._rank_table(i) for j, i in enumerate(cols) if sub[j].numeric}
        search = BlockSearch(
            sub, self.runner, block_rows=self.block_rows, ref_rows=self.ref_rows, ranks=ranks
        )
        return search, inverse

    def _rank_table(self, i: int) -> RankTable:
        if i not in self._ranks:
            self._ranks[i] = RankTable.of(self.columns[i])
        return self._ranks[i]

    def layout(self, cols: Sequence[int], query: Sequence[np.ndarray], ref: int) -> Layout:
        out = []
        for i in cols:
            col = self.columns[i]
            q, r = query[i], col.parts[ref]
            if col.numeric:
                missing = bool(np.isnan(q).any() or np.isnan(r).any())
                out.append(ColumnCode(i, self._rank_table(i), missing, None, 0))
            else:
                slot, width = _slots(q, r)
                out.append(ColumnCode(i, None, False, slot, width))
        return Layout(tuple(out))

    def _query(self, part: int, rows: np.ndarray | None) -> list[np.ndarray]:
        return [c.parts[part] if rows is None else c.parts[part][rows] for c in self.columns]

    def _scatter(
        self,
        query: int,
        ref: int,
        cols: Sequence[int],
        rows: np.ndarray | None,
        task: Callable[..., Any],
        args: tuple[Any, ...],
        merge: Callable[[list[Any]], Any],
        progress: Progress | None,
        stage: str,
    ) -> list[Any]:
        """Run ``task(block, encoded query chunk, layout, *args)`` over every reference
        block, per chunk of ``ref_rows`` query rows, and ``merge`` each chunk's per-block
        results before the next chunk (only merged results are held)."""
        q_arrays = self._query(query, rows)
        local = self.layout(cols, q_arrays, ref)
        layout = self.runner.place([local])[0]
        blocks = self._blocks[ref]
        starts = range(0, len(q_arrays[0]), self.ref_rows)
        total = len(starts) * len(blocks)
        out = []
        for n, s in enumerate(starts):
            enc = local.encode([a[s : s + self.ref_rows] for a in q_arrays])
            report = _offset(progress, stage, n * len(blocks), total)
            parts = self.runner.map(task, blocks, enc, layout, *args, progress=report, stage=stage)
            out.append(merge(parts))
        return out

    def nearest(
        self,
        query: int,
        ref: int,
        *,
        cols: Sequence[int] | None = None,
        two: bool = True,
        progress: Progress | None = None,
        stage: str = "",
        rows: np.ndarray | None = None,
    ) -> Neighbours:
        """Exact top-2 (squared, un-normalised) of every row of part ``query`` (or of its
        ``rows``) in ``ref``."""
        cols = list(range(len(self.columns))) if cols is None else list(cols)
        pieces = self._scatter(
            query,
            ref,
            cols,
            rows,
            _nearest_task,
            (two, self.block_rows),
            merge_neighbours,
            progress,
            stage,
        )
        return Neighbours(*(np.concatenate(x) for x in zip(*_fields(pieces), strict=True)))

    def nearest_k(
        self,
        query: int,
        ref: int,
        k: int,
        *,
        progress: Progress | None = None,
        stage: str = "",
        offset: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact k nearest ``ref`` rows (squared, un-normalised distances; indices) of every
        row of part ``query``, sorted by (distance + ``offset`` of the row, index)."""

        def merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
            d, i = parts[0]
            for e, j in parts[1:]:
                d, i = merge_k(d, i, e, j, k, offset)
            return d, i

        cols = list(range(len(self.columns)))
        pieces = self._scatter(
            query, ref, cols, None, _knn_task, (k, self.block_rows, offset), merge, progress, stage
        )
        return np.concatenate([d for d, _ in pieces]), np.concatenate([i for _, i in pieces])

    def count_within(
        self, rows: np.ndarray, ref: int, radius: np.ndarray, *, rtol: float, query: int
    ) -> np.ndarray:
        """Per selected query row, how many ``ref`` rows lie within ``radius`` (exact)."""
        cols = list(range(len(self.columns)))
        q_arrays = self._query(query, rows)
        lay = self.layout(cols, q_arrays, ref)
        layout = self.runner.place([lay])[0]
        out = np.zeros(len(rows), dtype=np.int64)
        for s in range(0, len(rows), self.ref_rows):
            enc = lay.encode([a[s : s + self.ref_rows] for a in q_arrays])
            counts = self.runner.map(
                _count_task,
                self._blocks[ref],
                enc,
                layout,
                radius[s : s + self.ref_rows],
                rtol,
                self.block_rows,
            )
            for c in counts:
                out[s : s + len(c)] += c
        return out


def _fields(pieces: Sequence[Neighbours]) -> list[tuple[np.ndarray, ...]]:
    return [(p.sq1, p.idx1, p.sq2, p.idx2) for p in pieces]


def _offset(progress: Progress | None, stage: str, done: int, total: int) -> Progress | None:
    if progress is None:
        return None

    def report(_stage: str, k: int, _n: int) -> None:
        progress(stage, done + k, total)

    return report
