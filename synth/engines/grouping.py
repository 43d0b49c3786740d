"""Measurements of grouped tokens, for :mod:`synth.engines.graphical`'s estimator.

A measurement normally counts a marginal's cells. A grouped measurement counts groups of
a column's tokens (a coarse view of an ordered column: neighbouring numeric bins taken
together), i.e. the linear query ``Q·μ_c`` with ``Q`` the Kronecker product of per-column
group-sum matrices. The estimator's loss ``½‖(Qμ − y)/σ‖²`` has the gradient ``Qᵀ r``:
:func:`coarsen` applies ``Q``, :func:`spread` applies ``Qᵀ`` (each group's value repeated
on its members), and ``‖Q‖²`` is the cells of the largest group (:func:`largest_group`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Clique = tuple[int, ...]
#: per column of a measurement, in its order: ``None`` (the column's own tokens) or an
#: integer array mapping each token to its group (groups 0 … g − 1): the measurement
#: counts groups of tokens, a coarser view of an ordered column (AIM's coarse candidates)
Grouping = tuple[np.ndarray | None, ...]
#: (columns, noisy counts with one axis per column, noise σ: one for every cell, or one
#: per cell with the counts' shape, e.g. a 1-way whose cells sum different numbers of
#: measured cells after domain compression), optionally followed by a :data:`Grouping`:
#: the counts are then of the grouped tokens, a linear query ``Q·μ_c`` with ``Q`` the
#: Kronecker product of the per-column group-sum matrices
Measurement = (
    tuple[Clique, np.ndarray, float | np.ndarray]
    | tuple[Clique, np.ndarray, float | np.ndarray, Grouping | None]
)


def parts(m: Measurement) -> tuple[Clique, np.ndarray, float | np.ndarray, Grouping | None]:
    """A measurement's (columns, counts, σ, grouping or ``None``)."""
    if len(m) == 4:
        return m[0], m[1], m[2], m[3]  # type: ignore[misc]
    return m[0], m[1], m[2], None


def coarsen(table: np.ndarray, groups: Grouping | None) -> np.ndarray:
    """``table`` (one axis per column) summed within each axis's groups (``None``: kept).

    >>> coarsen(np.arange(6.0).reshape(2, 3), (None, np.array([0, 0, 1]))).tolist()
    [[1.0, 2.0], [7.0, 5.0]]
    """
    if groups is None:
        return table
    for ax, g in enumerate(groups):
        if g is None:
            continue
        k = int(g.max()) + 1
        moved = np.moveaxis(table, ax, -1)
        out = np.zeros((*moved.shape[:-1], k))
        for t in range(k):
            out[..., t] = moved[..., g == t].sum(axis=-1)
        table = np.moveaxis(out, -1, ax)
    return table


def spread(table: np.ndarray, groups: Grouping | None) -> np.ndarray:
    """Each group's value repeated on its members (the transpose of :func:`coarsen`)."""
    if groups is None:
        return table
    for ax, g in enumerate(groups):
        if g is not None:
            table = np.take(table, g, axis=ax)
    return table


def sorted_groups(groups: Grouping | None, c: Sequence[int]) -> Grouping | None:
    """``groups`` (in the order of ``c``) in the order of sorted ``c``."""
    if groups is None:
        return None
    return tuple(groups[i] for i in np.argsort(c))


def largest_group(groups: Grouping | None) -> int:
    """Cells of the largest group: ``‖Q‖²`` of the grouped query."""
    if groups is None:
        return 1
    return math.prod(int(np.bincount(g).max()) for g in groups if g is not None)


def sorted_axes(y: np.ndarray, c: Sequence[int]) -> np.ndarray:
    """``y`` (one axis per column of ``c``, in that order) with its axes by column index."""
    return np.transpose(y, np.argsort(c)) if len(c) > 1 else np.asarray(y)
