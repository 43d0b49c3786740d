"""Singling-out, after Anonymeter: predicates read off the synthetic rows that match
exactly one real person.

An attacker looks for a predicate that isolates one individual ("the only 97-year-old
widower in region R07"). Predicates come from the synthetic table only:

* **univariate**: a value held by exactly one synthetic row (``col == v``), a missing
  value held by one row, and the synthetic minimum and maximum (``col <= min``,
  ``col >= max``) — every one of them (they are counted by sorting each column once);
* **multivariate**: a random synthetic row and ``WIDTH`` random columns of it, each a
  condition (``==`` for categories; for numbers ``>=`` the value when it is at least the
  column's synthetic median, else ``<=``; missing stays missing), kept when it isolates
  that row among the synthetic rows (up to ``TRIES`` candidates per query).

Each predicate is evaluated on the pooled real rows (training ∪ holdout; above
``MAX_ROWS`` a uniform sample of the same fraction of each). A predicate that matches
exactly one real row singles that person out. Under a random train/holdout split the
people singled out by predicates read off an honest generator's rows are training rows
with probability ``p0 = n_train / (n_train + n_holdout)``; a generator that copies
rows or rare values singles out its training people more often. So the attack's outcome
is the share of training rows among the distinct people singled out, and its risk
``(share − p0) / (1 − p0)``: 0 for an honest generator, 1 when everybody singled out is
singled out *because* they were trained on. Counting distinct people keeps a row that
many predicates isolate from counting many times. (Anonymeter compares success rates on
training and control sets of different sizes, where a predicate isolates a row more
easily in the smaller set; comparing labels in one pooled set needs no size correction.)

With a privacy unit (:mod:`privacy.leakage.units`) the people are persons: a predicate
singles out a person when every real row it matches is that person's (one row or
several), the share is of training persons among the distinct persons singled out, and
``p0`` is the persons' training share. Above ``MAX_ROWS`` the sample keeps whole persons
(the same fraction of each side's persons).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from privacy.leakage.distance import HOLDOUT, SYNTHETIC, TRAIN, Prepared
from privacy.leakage.metrics import wilson
from privacy.leakage.units import Units, rows_of

#: columns in a multivariate predicate (Anonymeter's default)
WIDTH = 3
#: candidate multivariate predicates drawn per query wanted, at most
TRIES = 10
#: pooled real rows the predicates are evaluated on (above it, the same fraction of each side)
MAX_ROWS = 200_000
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
    return matches(preds, data)[0]


def _batches(preds: Predicates, data: Sequence[np.ndarray]) -> Iterator[tuple[slice, np.ndarray]]:
    """Per batch of predicates, its slice and its (batch, rows) mask of matched rows."""
    for start in range(0, len(preds), BATCH):
        batch = preds.take(np.arange(start, min(start + BATCH, len(preds))))
        mask = np.ones((len(batch), len(data[0])), dtype=bool)
        for slot in range(batch.columns.shape[1]):
            for c in np.unique(batch.columns[:, slot]):
                sel = np.flatnonzero(batch.columns[:, slot] == c)
                mask[sel] &= _condition(data[c], batch.ops[sel, slot], batch.values[sel, slot])
        yield slice(start, start + len(batch)), mask


def matches(preds: Predicates, data: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match_counts` and, per predicate, the first row it matches (−1: none)."""
    out = np.zeros(len(preds), dtype=np.int64)
    first = np.full(len(preds), -1, dtype=np.int64)
    for at, mask in _batches(preds, data):
        hits = mask.sum(axis=1)
        out[at] = np.minimum(hits, 2)
        first[at] = np.where(hits > 0, mask.argmax(axis=1), -1)
    return out, first


def person_matches(
    preds: Predicates, data: Sequence[np.ndarray], person: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per predicate, whether it matches rows of exactly one person, and the first row it
    matches (−1: none); ``person`` (one per row of ``data``) must not decrease, so a
    person's rows are contiguous and the first and last matched rows tell."""
    one = np.zeros(len(preds), dtype=bool)
    first = np.full(len(preds), -1, dtype=np.int64)
    for at, mask in _batches(preds, data):
        hit = mask.any(axis=1)
        lo = mask.argmax(axis=1)
        hi = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
        one[at] = hit & (person[lo] == person[hi])
        first[at] = np.where(hit, lo, -1)
    return one, first


@dataclass(frozen=True)
class _Ranges:
    """One column's rows sorted (stable, missing last) and, for some one-condition
    predicates on it, the range ``[start, start + count)`` of sorted rows each matches."""

    sel: np.ndarray  # the predicates
    order: np.ndarray  # rows in sorted order
    finite: int  # rows with a value (the rest, missing, sort last)
    ops: np.ndarray
    start: np.ndarray
    count: np.ndarray


def _ranges(preds: Predicates, data: Sequence[np.ndarray]) -> Iterator[_Ranges]:
    for j in np.unique(preds.columns[:, 0]):
        sel = np.flatnonzero(preds.columns[:, 0] == j)
        x = data[j]
        order = np.argsort(x, kind="stable")  # NaN last
        xs = x[order]
        finite = int((~np.isnan(xs)).sum())
        xs_f = xs[:finite]
        ops, vals = preds.ops[sel, 0], preds.values[sel, 0]
        lo = np.searchsorted(xs_f, vals, side="left")
        hi = np.searchsorted(xs_f, vals, side="right")
        n_le, n_ge = hi, finite - lo
        c = np.select(
            [ops == NAN, ops == LE, ops == GE],
            [np.full(len(sel), len(x) - finite), n_le, n_ge],
            hi - lo,
        )
        at = np.select(
            [ops == NAN, ops == LE, ops == GE],
            [np.full(len(sel), finite), np.zeros(len(sel), dtype=np.int64), lo],
            lo,
        )
        yield _Ranges(sel, order, finite, ops, at, c)


def univariate_matches(
    preds: Predicates, data: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`matches` for one-condition predicates, by sorting each column once instead
    of comparing every predicate with every row (so every candidate can be tried)."""
    count = np.zeros(len(preds), dtype=np.int64)
    first = np.full(len(preds), -1, dtype=np.int64)
    for r in _ranges(preds, data):
        count[r.sel] = np.minimum(r.count, 2)
        ok = r.count > 0
        first[r.sel[ok]] = r.order[np.minimum(r.start[ok], len(r.order) - 1)]
    return count, first


def univariate_person_matches(
    preds: Predicates, data: Sequence[np.ndarray], person: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`person_matches` for one-condition predicates, from the sorted columns.

    ``person`` does not decrease along the rows, so the stable sort keeps each value's
    rows (and the missing ones) in person order: an equality or missing-value range holds
    one person when its first and last rows do; a ``<=`` range is a prefix of the sorted
    values and a ``>=`` range a suffix, read off running minima and maxima."""
    one = np.zeros(len(preds), dtype=bool)
    first = np.full(len(preds), -1, dtype=np.int64)
    for r in _ranges(preds, data):
        ok = r.count > 0
        s, e = r.start, r.start + np.maximum(r.count, 1) - 1  # first and last sorted row
        s, e = np.minimum(s, len(r.order) - 1), np.minimum(e, len(r.order) - 1)
        p = person[r.order]
        same = p[s] == p[e]  # EQ and NAN ranges: persons sorted within the range
        if r.finite:
            values = p[: r.finite]
            low, high = np.minimum.accumulate(values), np.maximum.accumulate(values)
            le = np.flatnonzero(ok & (r.ops == LE))
            same[le] = low[e[le]] == high[e[le]]
            low = np.minimum.accumulate(values[::-1])[::-1]
            high = np.maximum.accumulate(values[::-1])[::-1]
            ge = np.flatnonzero(ok & (r.ops == GE))
            same[ge] = low[s[ge]] == high[s[ge]]
        one[r.sel] = ok & same
        first[r.sel[ok]] = r.order[s[ok]]
    return one, first


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
    table = np.asarray(syn)  # columns × rows, built once for every batch of candidates
    kept: list[Predicates] = []
    have = 0
    for _ in range(TRIES):
        m = min(BATCH * 4, max(wanted - have, 1) * 2)
        rows = rng.integers(0, n, m)
        cols = np.argsort(rng.random((m, k)), axis=1)[:, :width]
        vals = np.stack([table[cols[:, s], rows] for s in range(width)], axis=1)
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


@dataclass(frozen=True)
class SinglingOut:
    """Distinct training and holdout rows singled out by one kind of predicate."""

    name: str
    predicates: int
    singled_train: int
    singled_holdout: int
    p0: float

    @property
    def singled(self) -> int:
        return self.singled_train + self.singled_holdout

    @property
    def share(self) -> float:
        return self.singled_train / self.singled if self.singled else float("nan")

    def risk(self, confidence: float) -> tuple[float, tuple[float, float]]:
        """``(share − p0) / (1 − p0)`` and its Wilson interval (hypergeometric labels have
        at most the binomial variance, so the interval is conservative)."""
        lo, hi = wilson(self.share, self.singled, confidence)
        scale = 1.0 - self.p0

        def risk(x: float) -> float:  # in [−1, 1], as Anonymeter's
            return min(1.0, max(-1.0, (x - self.p0) / scale)) if scale > 0 else 0.0

        return risk(self.share), (risk(lo), risk(hi))

    def to_dict(self, confidence: float) -> dict[str, object]:
        value, (lo, hi) = self.risk(confidence)
        return {
            "name": self.name,
            "predicates": self.predicates,
            "share_train_of_singled_out": _round(self.share),
            "expected_share": _round(self.p0),
            "risk": _round(value),
            "risk_interval": [_round(lo), _round(hi)],
        }


def _round(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 4)


def singling_out(
    columns: Sequence[Prepared],
    queries: int,
    rng: np.random.Generator,
    units: Units | None = None,
) -> list[SinglingOut]:
    """Univariate and multivariate singling-out of the pooled real rows, or with
    ``units`` of the persons (module doc)."""
    n_tr, n_ho, n_syn = (len(columns[0].parts[p]) for p in (TRAIN, HOLDOUT, SYNTHETIC))
    if n_tr + n_ho < 2 or n_syn == 0:
        return []
    keep = min(1.0, MAX_ROWS / (n_tr + n_ho))  # the same fraction of each side
    person, train_persons = None, 0
    if units is None:
        tr = np.sort(rng.choice(n_tr, max(1, round(keep * n_tr)), replace=False))
        ho = np.sort(rng.choice(n_ho, max(1, round(keep * n_ho)), replace=False))
        p0 = len(tr) / (len(tr) + len(ho))
    else:  # whole persons; their rows ordered by person (holdout persons after)
        chosen = [
            rng.choice(n, max(1, round(keep * n)), replace=False)
            for n in (units.n_train, units.n_holdout)
        ]
        tr = rows_of(units.train, chosen[0], units.n_train)
        ho = rows_of(units.holdout, chosen[1], units.n_holdout)
        person = np.concatenate([units.train[tr], units.holdout[ho] + units.n_train])
        train_persons = units.n_train  # codes below it are training persons
        p0 = len(chosen[0]) / (len(chosen[0]) + len(chosen[1]))
    syn_rows = rng.choice(n_syn, min(n_syn, MAX_SYNTHETIC), replace=False)
    numeric = [c.numeric for c in columns]
    syn_all = [_floats(c, SYNTHETIC) for c in columns]
    syn_view = [x[syn_rows] for x in syn_all]
    real = [np.concatenate([_floats(c, TRAIN, tr), _floats(c, HOLDOUT, ho)]) for c in columns]
    uni = univariate(syn_all, numeric)  # every candidate: counted by sorting, cheap
    multi = multivariate(syn_view, numeric, queries, rng)
    out = []
    for name, preds in (("singling_out:univariate", uni), ("singling_out:multivariate", multi)):
        if len(preds) == 0:
            continue
        single = preds.columns.shape[1] == 1
        if person is None:
            count, first = (univariate_matches if single else matches)(preds, real)
            people = np.unique(first[count == 1])
            k_tr = int((people < len(tr)).sum())
        else:
            find = univariate_person_matches if single else person_matches
            one, first = find(preds, real, person)
            people = np.unique(person[first[one]])
            k_tr = int((people < train_persons).sum())
        out.append(SinglingOut(name, len(preds), k_tr, len(people) - k_tr, p0))
    return out
