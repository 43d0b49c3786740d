"""Singling-out, after Anonymeter: predicates read off the synthetic rows that match
exactly one real person.

An attacker looks for a predicate that isolates one individual ("the only 97-year-old
widower in region R07"). Predicates come from the synthetic table only:

* **univariate**: a value held by exactly one synthetic row (``col == v``), a missing
  value held by one row, and the synthetic minimum and maximum (``col <= min``,
  ``col >= max``);
* **multivariate**: a random synthetic row and ``WIDTH`` random columns of it, each a
  condition (``==`` for categories; for numbers ``>=`` the value when it is at least the
  column's synthetic median, else ``<=``; missing stays missing), kept when it isolates
  that row among the synthetic rows (up to ``TRIES`` candidates per query).

Each predicate is evaluated on an equal-size sample of training rows and of holdout
rows (the control): a predicate isolates a row more easily in a smaller set, so equal
sizes make the two rates comparable, and under a random train/holdout split the two
samples are exchangeable. The risk is Anonymeter's (:mod:`privacy.leakage.risk`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from privacy.leakage.distance import HOLDOUT, SYNTHETIC, TRAIN, Prepared
from privacy.leakage.risk import AttackOutcome

#: columns in a multivariate predicate (Anonymeter's default)
WIDTH = 3
#: candidate multivariate predicates drawn per query wanted, at most
TRIES = 10
#: real rows per side evaluated (an equal-size sample of train and of holdout)
MAX_ROWS = 20_000
#: synthetic rows the multivariate predicates are drawn from and checked against
MAX_SYNTHETIC = 20_000
#: predicates evaluated per batch (a batch × rows boolean matrix)
BATCH = 256

EQ, LE, GE, NAN = 0, 1, 2, 3


@dataclass(frozen=True)
class Predicates:
    """``n`` conjunctions of ``width`` conditions: column index, operator, value."""

    columns: np.ndarray  # (n, width) int
    ops: np.ndarray  # (n, width) int
    values: np.ndarray  # (n, width) float (category codes as floats)

    def __len__(self) -> int:
        return len(self.columns)

    def take(self, rows: np.ndarray) -> Predicates:
        return Predicates(self.columns[rows], self.ops[rows], self.values[rows])


def _condition(x: np.ndarray, op: np.ndarray, value: np.ndarray) -> np.ndarray:
    """(batch, rows) mask of one condition per predicate over one column's values."""
    x = x[None, :]
    v = value[:, None]
    o = op[:, None]
    with np.errstate(invalid="ignore"):
        return np.where(
            o == NAN,
            np.isnan(x),
            np.where(o == LE, x <= v, np.where(o == GE, x >= v, x == v)),
        )


def match_counts(preds: Predicates, data: Sequence[np.ndarray]) -> np.ndarray:
    """How many rows of ``data`` (one float array per column) each predicate matches,
    capped at 2 (only "exactly one" matters)."""
    out = np.zeros(len(preds), dtype=np.int64)
    for start in range(0, len(preds), BATCH):
        batch = preds.take(np.arange(start, min(start + BATCH, len(preds))))
        mask = np.ones((len(batch), len(data[0])), dtype=bool)
        for slot in range(batch.columns.shape[1]):
            for c in np.unique(batch.columns[:, slot]):
                sel = np.flatnonzero(batch.columns[:, slot] == c)
                mask[sel] &= _condition(data[c], batch.ops[sel, slot], batch.values[sel, slot])
        out[start : start + len(batch)] = np.minimum(mask.sum(axis=1), 2)
    return out


def _floats(col: Prepared, part: int, rows: np.ndarray | None = None) -> np.ndarray:
    x = col.parts[part] if rows is None else col.parts[part][rows]
    return x.astype(float)


def univariate(syn: Sequence[np.ndarray], numeric: Sequence[bool]) -> Predicates:
    """Every univariate predicate the synthetic table offers (see the module doc)."""
    cols, ops, vals = [], [], []
    for j, (x, is_num) in enumerate(zip(syn, numeric, strict=True)):
        missing = np.isnan(x)
        if int(missing.sum()) == 1:
            cols.append(j), ops.append(NAN), vals.append(np.nan)
        present = x[~missing]
        if len(present) == 0:
            continue
        u, counts = np.unique(present, return_counts=True)
        for v in u[counts == 1]:
            cols.append(j), ops.append(EQ), vals.append(float(v))
        if is_num:
            cols += [j, j]
            ops += [LE, GE]
            vals += [float(u[0]), float(u[-1])]
    return Predicates(
        np.array(cols, dtype=np.int64).reshape(-1, 1),
        np.array(ops, dtype=np.int64).reshape(-1, 1),
        np.array(vals, dtype=float).reshape(-1, 1),
    )


def multivariate(
    syn: Sequence[np.ndarray], numeric: Sequence[bool], wanted: int, rng: np.random.Generator
) -> Predicates:
    """Up to ``wanted`` multivariate predicates that isolate one synthetic row."""
    k, n = len(syn), len(syn[0])
    width = min(WIDTH, k)
    if n == 0 or width == 0:
        return Predicates(*(np.zeros((0, max(width, 1))) for _ in range(3)))
    medians = [
        float(np.nanmedian(x)) if is_num and np.isfinite(x).any() else np.nan
        for x, is_num in zip(syn, numeric, strict=True)
    ]
    kept: list[Predicates] = []
    have = 0
    for _ in range(TRIES):
        m = min(BATCH * 4, max(wanted - have, 1) * 2)
        rows = rng.integers(0, n, m)
        cols = np.argsort(rng.random((m, k)), axis=1)[:, :width]
        vals = np.stack([np.asarray(syn)[cols[:, s], rows] for s in range(width)], axis=1)
        ops = np.full((m, width), EQ, dtype=np.int64)
        for s in range(width):
            num = np.array([numeric[c] for c in cols[:, s]])
            med = np.array([medians[c] for c in cols[:, s]])
            ops[num & (vals[:, s] >= med), s] = GE
            ops[num & (vals[:, s] < med), s] = LE
            ops[np.isnan(vals[:, s]), s] = NAN
        cand = Predicates(cols, ops, vals)
        good = np.flatnonzero(match_counts(cand, syn) == 1)
        kept.append(cand.take(good))
        have += len(good)
        if have >= wanted:
            break
    allp = Predicates(
        *(np.concatenate([getattr(p, f) for p in kept]) for f in ("columns", "ops", "values"))
    )
    return allp.take(np.arange(min(wanted, len(allp))))


def singling_out(
    columns: Sequence[Prepared], queries: int, rng: np.random.Generator
) -> list[AttackOutcome]:
    """Univariate and multivariate singling-out on equal-size train and control samples."""
    n_tr, n_ho, n_syn = (len(columns[0].parts[p]) for p in (TRAIN, HOLDOUT, SYNTHETIC))
    m = min(n_tr, n_ho, MAX_ROWS)
    if m < 2 or n_syn == 0:
        return []
    tr = rng.choice(n_tr, m, replace=False)
    ho = rng.choice(n_ho, m, replace=False)
    syn_rows = rng.choice(n_syn, min(n_syn, MAX_SYNTHETIC), replace=False)
    numeric = [c.numeric for c in columns]
    syn_all = [_floats(c, SYNTHETIC) for c in columns]
    syn_view = [x[syn_rows] for x in syn_all]
    train = [_floats(c, TRAIN, tr) for c in columns]
    control = [_floats(c, HOLDOUT, ho) for c in columns]
    out = []
    uni = univariate(syn_all, numeric)
    uni = uni.take(rng.permutation(len(uni))[:queries])
    multi = multivariate(syn_view, numeric, queries, rng)
    for name, preds in (("singling_out:univariate", uni), ("singling_out:multivariate", multi)):
        if len(preds) == 0:
            continue
        hit_tr = int((match_counts(preds, train) == 1).sum())
        hit_ho = int((match_counts(preds, control) == 1).sum())
        out.append(AttackOutcome(name, hit_tr, len(preds), hit_ho, len(preds)))
    return out
