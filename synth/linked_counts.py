"""How many rows of a linked table each parent row has: the count columns (issue 17).

Every parent row's view carries, per table linking to it, the number of that table's
rows the parent row has, in public bins (:data:`COUNT_EDGES`): the person table's view
``encounters#rows`` (encounters of the patient), the encounter table's view
``conditions#rows`` (conditions of the encounter). The parent's model learns the count
jointly with the parent's columns, so a synthetic parent row's number of children is
drawn from a DP-measured distribution **given that parent row**, at every level.

Privacy: the count is a function of the person's own rows, on a row the person
contributes to the parent's fit, so the parent fit's per-person bound covers it (the
person table: one row per person; a deeper parent: at most its k rows per person, each
carrying its own count); nothing is read from real rows beyond what that fit charges.

Why counts uncut (bins beyond the child's bound k): the bound k limits how many of a
person's rows a fit sees, not how many rows a synthetic person may have. A patient of
Synthea has 38 encounters on average (6–186) and 0.33 conditions per encounter; the
encounter fit keeps at most k = 10 of them. Cut at k, a synthetic patient could not hold
both the right number of conditions (12.6 on average) and the right number of conditions
per encounter (10 × 0.33 ≈ 3.3 conditions, or ≈ 1 per encounter): the count in public
bins up to :data:`COUNT_MAX` keeps both. A person holding more rows than ``COUNT_MAX``
counts in the top bin; a synthetic one draws at most ``COUNT_MAX``.

**Bins within the noise are not drawn** (:func:`kept_bins`). A wide bin that no real row
falls in still gets some mass from the parent model's DP noise, and a draw from
"101-200" adds a hundred rows: on a small table (400 persons, ε = 4) one synthetic
parent row held 167 rows where real ones hold at most 6. After the fit, the bins drawn
are the run of neighbouring bins around the modal one whose modelled count of parent rows
each clears :data:`KEEP_SIGMAS` times the noise of one count of the parent model's 1-way
measurement (its ledger's σ; counts over its DP row estimate); a parent row drawn in
another bin takes the nearest kept one (post-processing of the DP model: no ε). A count
distribution's support is a run of values, so noise far from it is never reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synth.ledger import PrivacyLedger
from synth.persons import AUTO_MAX, noisy_rows_histogram
from synth.schema.model import Column, ColumnType, Domain

#: lower edges of the public count bins: 0..10 each, then wider (the last: COUNT_MAX+)
COUNT_EDGES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 21, 31, 51, 101, 201, 500)
#: the most rows a synthetic parent row draws (the top bin's lower edge)
COUNT_MAX = COUNT_EDGES[-1]
#: a bin next to the kept run is kept when its modelled count exceeds this many σ
KEEP_SIGMAS = 1.0
#: model rows drawn to read a count column's modelled shares
SHARE_DRAWS = 20_000
#: share of each linked table's part of the budget (zCDP ρ) spent on its histogram of
#: rows per person, 0 included (:func:`measure_person_rows`)
ROWS_PART = 0.10


def count_name(child: str) -> str:
    """The parent view's column counting ``child`` rows per parent row."""
    return f"{child}#rows"


def is_count(name: str) -> bool:
    """Whether a view column is a count column (not a column of the data)."""
    return name.endswith("#rows")


def labels() -> list[str]:
    """The bins as text: '0' … '10', '11-15', …, '201-499', '500+'.

    >>> labels()[9:13], labels()[-1]
    (['9', '10', '11-15', '16-20'], '500+')
    """
    out = []
    for lo, hi in zip(COUNT_EDGES, (*COUNT_EDGES[1:], None), strict=True):
        if hi is None:
            out.append(f"{lo}+")
        elif hi - lo == 1:
            out.append(str(lo))
        else:
            out.append(f"{lo}-{hi - 1}")
    return out


def binned(n: np.ndarray) -> np.ndarray:
    """Each count's bin label.

    >>> binned(np.array([0, 3, 12, 186, 10_000])).tolist()
    ['0', '3', '11-15', '101-200', '500+']
    """
    idx = np.searchsorted(np.asarray(COUNT_EDGES), np.asarray(n, dtype=np.int64), side="right")
    return np.asarray(labels(), dtype=object)[idx - 1]


def child_counts(keys: pd.Series, links: pd.Series) -> np.ndarray:
    """Per key of ``keys``: how many values of ``links`` name it, binned (the parent
    view's count column).

    >>> child_counts(pd.Series(["a", "b", "c"]), pd.Series(["a", "a", "c"])).tolist()
    ['2', '0', '1']
    """
    n = links.astype(str).value_counts().reindex(keys.astype(str).to_numpy(), fill_value=0)
    return binned(n.to_numpy())


def count_column(child: str) -> Column:
    """The parent view's count of ``child`` rows: categorical, public bins."""
    return Column(
        name=count_name(child),
        type=ColumnType.CATEGORICAL,
        domain=Domain(categories=labels()),
        nullable=False,
    )


def kept_bins(shares: np.ndarray, rows: float, sigma: float | None) -> list[str]:
    """The bins drawn: the modal bin and its neighbours, outwards, while each one's share
    of ``rows`` parent rows (the model's DP row estimate) is at least
    :data:`KEEP_SIGMAS` × ``sigma`` (one count's noise in the parent model's 1-way
    measurement); all when the noise is unknown. ``shares``: the modelled share of each
    bin, in :func:`labels` order.

    >>> noisy = np.array([0.5, 0.3, 0.15] + [0.0] * 10 + [0.05] + [0.0] * 5)
    >>> kept_bins(noisy, 1000, 10.0)  # '16-20' is far from the rest: noise
    ['0', '1', '2']
    >>> kept_bins(noisy, 1000, None)[-1]
    '500+'
    """
    names = labels()
    if sigma is None or not np.isfinite(sigma):
        return names
    counts = np.asarray(shares, dtype=float) * rows
    clear = counts >= KEEP_SIGMAS * sigma
    lo = hi = int(np.argmax(counts))
    while lo > 0 and clear[lo - 1]:
        lo -= 1
    while hi + 1 < len(names) and clear[hi + 1]:
        hi += 1
    return names[lo : hi + 1]


def model_shares(model: Any, column: str, rng: np.random.Generator) -> np.ndarray:
    """The fitted parent model's share of each bin of ``column`` (from
    :data:`SHARE_DRAWS` model rows: post-processing, no ε)."""
    drawn = model._draw(SHARE_DRAWS, rng)[column].astype(str)
    return drawn.value_counts(normalize=True).reindex(labels(), fill_value=0.0).to_numpy()


def nearest_kept(values: pd.Series | np.ndarray, kept: list[str]) -> np.ndarray:
    """Each bin label moved to the nearest kept bin (by bin order, the lower one on a
    tie); unknown labels unchanged.

    >>> nearest_kept(np.array(["0", "4", "101-200", "x"], dtype=object), ["1", "5"]).tolist()
    ['1', '5', '5', 'x']
    """
    names = labels()
    at = np.array([names.index(k) for k in kept])
    move = {
        n: names[int(at[np.argmin(np.abs(at - i) * 2 + (at > i))])] for i, n in enumerate(names)
    }
    out = pd.Series(np.asarray(values, dtype=object))
    return out.map(lambda v: move.get(v, v)).to_numpy(dtype=object)


def allocate(total: int, counts: np.ndarray, rng: np.random.Generator, floor: float) -> np.ndarray:
    """A person's ``total`` rows over their parent rows, each parent row as near its
    modelled ``counts`` as the total allows: all of them and the rest drawn in proportion
    to count + ``floor``; or, when they hold more, that many of their rows left out at
    random (a parent row with more rows loses more).

    >>> allocate(5, np.array([2, 0, 3]), np.random.default_rng(0), 0.1).tolist()
    [2, 0, 3]
    >>> out = allocate(3, np.array([2, 0, 3]), np.random.default_rng(0), 0.1)
    >>> int(out.sum()), bool(out[1] == 0 and (out <= [2, 0, 3]).all())
    (3, True)
    >>> int(allocate(9, np.array([2, 0, 3]), np.random.default_rng(0), 0.1).sum())
    9
    """
    counts = np.asarray(counts, dtype=np.int64)
    have = int(counts.sum())
    if total >= have:
        w = counts + floor
        more = rng.choice(len(counts), size=total - have, p=w / w.sum())
        return counts + np.bincount(more, minlength=len(counts))
    slots = np.repeat(np.arange(len(counts)), counts)
    gone = rng.choice(len(slots), size=have - total, replace=False)
    return counts - np.bincount(slots[gone], minlength=len(counts))


def draw_counts(values: pd.Series | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A count from each bin label: the bin's value, or uniform over a wider bin's
    values (the top bin: :data:`COUNT_MAX`); an unknown or missing label counts 0.

    >>> draw_counts(np.array(["0", "7", "500+", None], dtype=object),
    ...             np.random.default_rng(0)).tolist()
    [0, 7, 500, 0]
    >>> bool(11 <= draw_counts(np.array(["11-15"]), np.random.default_rng(1))[0] <= 15)
    True
    """
    where = {label: i for i, label in enumerate(labels())}
    idx = pd.Series(np.asarray(values, dtype=object)).map(where)
    known = idx.notna().to_numpy()
    i = idx.fillna(0).to_numpy(dtype=np.int64)
    lo = np.asarray(COUNT_EDGES)[i]
    hi = np.asarray((*COUNT_EDGES[1:], COUNT_MAX + 1))[i]  # exclusive
    out = lo + np.floor(rng.random(len(i)) * (hi - lo)).astype(np.int64)
    return np.where(known, out, 0)


@dataclass(frozen=True)
class PersonRows:
    """A linked table's DP histogram of rows per person over every person of the person
    table (0 included): shares of 0, 1, …, ``top`` rows and of more (the last), after
    projection onto the simplex; the noise σ of each bin, in persons."""

    table: str
    shares: tuple[float, ...]
    sigma: float
    #: the persons counted (the noisy bins' sum: a DP estimate)
    persons: float = 0.0

    @property
    def top(self) -> int:
        return len(self.shares) - 2

    def within(self, k: int) -> np.ndarray:
        """Shares of 0, 1, …, k rows, a person with more counted at k.

        >>> PersonRows("t", (0.1, 0.2, 0.3, 0.4), 1.0).within(1).tolist()
        [0.1, 0.9]
        """
        s = np.asarray(self.shares, dtype=float)
        k = max(0, min(int(k), len(s) - 1))
        return np.concatenate([s[:k], [s[k:].sum()]])

    def draw(self, m: int, k: int, rng: np.random.Generator) -> np.ndarray:
        """Rows of ``m`` synthetic persons within the bound k (0 … k)."""
        p = self.within(k)
        return rng.choice(len(p), size=m, p=p / p.sum())

    def describe(self) -> dict[str, Any]:
        return {
            "bins": f"0-{self.top} rows, more",
            "sigma_persons": round(self.sigma, 3),
            "shares": [round(x, 4) for x in self.shares],
        }


def simplex(noisy: np.ndarray) -> np.ndarray:
    """The shares nearest (least squares) to a noisy histogram: the noisy counts over
    their sum, projected onto {shares ≥ 0, sum 1}. Unlike clipping each bin at 0, the
    projection lowers every bin by one amount before clipping, so empty bins do not
    collect phantom mass (≈ 0.4 σ each when clipped).

    >>> simplex(np.array([50.0, -10.0, 30.0, 30.0])).round(3).tolist()
    [0.467, 0.0, 0.267, 0.267]
    """
    v = np.asarray(noisy, dtype=float)
    total = float(v.sum())
    if total < 1.0:
        return np.eye(1, len(v)).ravel()
    v = v / total
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    idx = np.arange(1, len(v) + 1)
    ok = u - css / idx > 0
    tau = css[ok][-1] / idx[ok][-1]
    out = np.maximum(v - tau, 0.0)
    return out / out.sum()


def measure_person_rows(
    per_person: np.ndarray,
    *,
    table: str,
    ledger: PrivacyLedger,
    rho: float,
    rng: np.random.Generator,
    top: int = AUTO_MAX,
) -> PersonRows:
    """One Gaussian measurement of a linked table's rows per person, over every person of
    the person table (``per_person``: exact counts, 0 included; they stay here): bins
    0 … ``top`` and more. A person adds 1 to one bin (L2 sensitivity 1, charged per
    person to ``ledger`` at ``rho``).

    Why its own histogram: the linked table's fit measures rows per person too (to choose
    its bound k), with 3 % of its ρ and without the persons holding no row: at ε = 1 on
    2,300 persons each bin's noise is ≈ 59 persons, 2.6 % of them, and a TVD within k of
    0.10–0.11 on average from that noise alone (simulation: 0.14 in one fit of ten). The
    person model's count column did not carry the shape either (at ε = 1 its kept bins
    were '1' and '2' for a table of 0 … 10+ rows per person)."""
    noisy, sigma = noisy_rows_histogram(
        np.asarray(per_person, dtype=np.int64),
        top,
        first=0,
        ledger=ledger,
        rho=rho,
        rng=rng,
        purpose="rows per person, 0 included (histogram)",
        target=table,
    )
    shares = tuple(float(s) for s in simplex(noisy))
    return PersonRows(table, shares, sigma, max(0.0, float(noisy.sum())))


__all__ = [
    "COUNT_EDGES",
    "COUNT_MAX",
    "ROWS_PART",
    "PersonRows",
    "allocate",
    "binned",
    "child_counts",
    "count_column",
    "count_name",
    "draw_counts",
    "is_count",
    "kept_bins",
    "labels",
    "measure_person_rows",
    "model_shares",
    "nearest_kept",
    "simplex",
]
