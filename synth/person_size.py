"""A person's size as a modelled column, so the bound on rows per person biases nothing.

Bounding each person to k rows (:func:`synth.persons.bound_mask`) keeps every row of a
person with at most k rows and k random rows of a person with more. Persons with many
rows are then under-represented in what the engine learns, and they are rarely like the
rest: on diabetes130 (k = 2) the kept rows hold 72.5 % encounters with no earlier
inpatient stay against 66.5 % of all rows, and 'readmitted' moves by 6 points; patients
with many encounters are the sick ones.

The fix models the size. Each kept row carries its person's *size group* (1, 2, …, k
rows, then k+1 … 2k, 2k+1 … 4k, … up to the histogram's top and "more") as one more
token column, learnt by the engine jointly with the others. Within a group the kept rows
are a random sample of the group's rows, so the model's rows given the group are not
biased by the bound. At sampling every synthetic person gets a size from the DP
histogram (not cut at k) and rows drawn given its size group, so each group comes back
with its share of all rows (:func:`row_shares` for rows drawn one by one).

Privacy: a row's group is a function of its own person's rows (adding or removing a
person changes only that person's ≤ k kept rows, so the per-row mechanisms' sensitivity
is unchanged) and the groups are fixed by k and the histogram's top (public or DP); the
sizes come from the histogram already measured. Nothing new is measured.

>>> size_groups(2, 10)
(1, 2, 3, 5, 9)
>>> group_of(np.array([1, 2, 3, 4, 5, 11]), size_groups(2, 10)).tolist()
[0, 1, 2, 2, 3, 4]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: how reports name the engine's size-group column (after the modelled columns)
SIZE_COLUMN = "(person's size group)"
#: the size is modelled when the size groups above the bound k that clear :data:`BIN_Z`
#: hold at least this share of all persons (a table whose persons all fit within k then
#: gets no phantom large persons from the noise of its empty bins: each group above k
#: clears 3 σ·√bins by noise alone with chance 0.13 %)
MIN_ABOVE_BOUND = 0.01
#: a size group above k whose noisy total is below this many times its noise is read as
#: empty: clipping at 0 alone leaves 0.4 σ phantom persons in every empty bin, and bins
#: kept at 2 σ each drew, in one fit in six of a 1,200-patient table (σ ≈ 31 persons, 8
#: bins above k), a phantom bin of large persons (rows +35 %). Per group, not per bin:
#: diabetes130's 209 patients of 9 or more encounters clear it, no bin of theirs does
BIN_Z = 3.0


def size_groups(k: int, top: int) -> tuple[int, ...]:
    """The first size of each group: 1 … k one size each, then doubling ranges
    (k+1 … 2k, 2k+1 … 4k, …); the last group takes everything up to ``top`` and "more".

    >>> size_groups(1, 10), size_groups(4, 10), size_groups(3, 5)
    ((1, 2, 3, 5, 9), (1, 2, 3, 4, 5, 9), (1, 2, 3, 4))
    """
    starts = list(range(1, k + 1))
    width = max(k, 1)
    nxt = k + 1
    while nxt <= top:
        starts.append(nxt)
        nxt += width
        width *= 2
    return tuple(starts)


def group_of(sizes: np.ndarray, groups: tuple[int, ...]) -> np.ndarray:
    """Each size's group token (0 … len(groups) − 1)."""
    return np.searchsorted(np.asarray(groups), np.asarray(sizes), side="right") - 1


def worth_modelling(shares: tuple[float, ...], k: int) -> bool:
    """Whether the size shares (:func:`size_shares`) put at least
    :data:`MIN_ABOVE_BOUND` of the persons above ``k``.

    >>> worth_modelling((0.7, 0.2, 0.0, 0.1), 2), worth_modelling((0.7, 0.295, 0.0, 0.005), 2)
    (True, False)
    """
    return float(sum(shares[k:])) >= MIN_ABOVE_BOUND


def size_shares(
    noisy: np.ndarray, k: int, sigma: float, groups: tuple[int, ...]
) -> tuple[float, ...]:
    """Shares of persons with 1 … top rows and "more" (read as top + 1 rows) from the
    noisy histogram's bins (noise s.d. ``sigma``): clipped at 0, and a size group above
    ``k`` whose noisy total is below :data:`BIN_Z` times its noise read as empty (else its
    total is spread over its sizes as their clipped counts say).

    >>> g = (1, 2, 3, 5)
    >>> size_shares(np.array([5.0, 3.0, 2.0, -1.0, 1.0]), 2, 0.1, g)
    (0.5, 0.3, 0.1, 0.0, 0.1)
    >>> size_shares(np.array([6.0, 3.0, 2.5, 1.0, 3.0]), 2, 1.0, g)
    (0.5, 0.25, 0.0, 0.0, 0.25)
    """
    noisy = np.asarray(noisy, dtype=float)
    bins = np.clip(noisy, 0.0, None)
    sizes = np.arange(1, len(bins) + 1)
    member = group_of(sizes, groups)
    for g, first in enumerate(groups):
        if first <= k:
            continue
        at = member == g
        total = float(noisy[at].sum())
        if total < BIN_Z * sigma * math.sqrt(int(at.sum())):
            bins[at] = 0.0
        elif bins[at].sum() > 0:
            bins[at] *= total / bins[at].sum()
        else:
            bins[at] = total / int(at.sum())
    if bins.sum() <= 0:
        bins = np.eye(1, len(bins)).ravel()
    return tuple(float(s) for s in bins / bins.sum())


def row_shares(shares: tuple[float, ...], groups: tuple[int, ...]) -> np.ndarray:
    """Each group's share of all rows (persons of size m hold m rows each).

    >>> row_shares((0.5, 0.5), (1, 2)).round(3).tolist()
    [0.333, 0.667]
    """
    sizes = np.arange(1, len(shares) + 1)
    rows = np.asarray(shares) * sizes
    out = np.bincount(group_of(sizes, groups), weights=rows, minlength=len(groups))
    return out / max(float(out.sum()), 1e-300)


def row_groups(units: pd.Series, groups: tuple[int, ...]) -> np.ndarray:
    """Each row's size group: its person's number of rows, before the bound (exact: it
    stays inside the fit as a token column)."""
    keys = units.astype(str)
    return group_of(keys.map(keys.value_counts()).to_numpy(dtype=np.int64), groups)


__all__ = [
    "BIN_Z",
    "MIN_ABOVE_BOUND",
    "SIZE_COLUMN",
    "group_of",
    "row_groups",
    "row_shares",
    "size_groups",
    "size_shares",
    "worth_modelling",
]
