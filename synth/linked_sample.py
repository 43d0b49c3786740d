"""Sampling a fitted :class:`~synth.linked.LinkedSynthesizer`: synthetic persons, then
each linked table, parents before children (post-processing of the DP models, no ε).

* **Children of the person table**: each synthetic person gets a number of rows from the
  child's DP rows-per-person model (none with the DP share of persons without rows; at
  least one per value indicated for the person, and at least one when the person holds
  rows of a deeper table under this child), drawn given the person's values.
* **Deeper tables** (conditions → encounters → patients): which persons hold rows is
  decided first (every person with an indicated value, others at random to keep the DP
  share of persons with rows), and each of them is given at least one parent row; the
  person's number of rows comes from the deeper table's own DP rows-per-person model
  (the person is its privacy unit), and the rows are spread over the person's
  synthetic parent rows in proportion (:func:`apportion`) to the count each parent
  row carries in the parent model (``conditions#rows``, learnt jointly with the
  encounter's class etc.) plus :data:`SPREAD_FLOOR`. Each row is drawn given its
  person's values and its parent row's given columns; a value indicated for the
  person goes to one of its parent rows (chosen likewise). A person without parent
  rows would hold no deeper rows (counted as ``no_parent`` in ``sample_stats``; the
  parent rows given above make it rare).

Why the total per person from the deeper table's own histogram (ranked so that persons whose
parent rows expect more rows get the larger totals) and not the sum of the
parent rows' counts: the parent keeps at most k rows per person, so a sum over ≤ k
synthetic encounters of per-encounter counts would undercount a person's conditions
(Synthea: 38 encounters and 12.6 conditions per patient on average, k = 10 encounters).
Conditions per patient stay right; conditions per encounter come out higher than real
(the same conditions on fewer encounters), which the bench measures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synth.linked_presence import PRESENT, draw_children

if TYPE_CHECKING:
    from synth.linked import LinkedSynthesizer

#: weight of a parent row whose modelled count is 0 when spreading a person's rows
SPREAD_FLOOR = 0.1


def sample_linked(
    model: LinkedSynthesizer, persons: int | None, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """Every table's synthetic rows; link columns hold the synthetic parents' keys."""
    root = model.models[model.root]
    rows = persons
    if rows is None and root.persons is not None:
        rows = root.persons.persons_estimate
    full = root.sample(rows, seed=int(rng.integers(2**31)))
    present = {t: full[list(p.names)].to_numpy() == PRESENT for t, p in model.presence.items()}
    flags = [n for p in model.presence.values() for n in p.names]
    people = full.drop(columns=flags)
    given = people[[c.name for c, _ in model._given()]]
    given = given.set_axis([f"{model.root}.{c}" for c in given.columns], axis=1)
    keys = people[model.key].to_numpy() if model.key else np.full(len(people), "")
    internal: dict[str, pd.DataFrame] = {}
    person_of: dict[str, np.ndarray] = {}
    model.sample_stats = {}
    holders = {  # who holds rows of a deeper table, decided first: they need a parent row
        x.child: _holders(model, x.child, present.get(x.child), len(people), rng)
        for x in model.links
        if x.parent != model.root
    }
    for link in model.links:
        t = link.child
        pres = model.presence.get(t)
        mask = present.get(t)
        need = _needed(model, t, holders, len(people))
        if link.parent == model.root:
            at_least = np.maximum(need, 0 if mask is None else mask.sum(axis=1))
            sizes = model.children_per_person(t, len(people), rng, at_least=at_least)
            if pres is None:
                has = np.flatnonzero(sizes > 0)
                frame, who = model.models[t].sample_given(
                    given.iloc[has], sizes[has], seed=int(rng.integers(2**31))
                )
                who = has[who]
            else:
                frame, who, stats = draw_children(model.models[t], given, mask, pres, sizes, rng)
                model.sample_stats[t] = stats
            frame[link.column] = keys[who]
            person_of[t] = who
        else:
            frame, who, owner = _deeper(model, t, internal, person_of, given, mask, holders[t], rng)
            parent = internal[link.parent]
            frame[link.column] = parent[link.key].to_numpy()[owner]
            if link.person_column is not None:
                frame[link.person_column] = keys[who]
            person_of[t] = who
        internal[t] = frame
    out = {model.root: people}
    for link in model.links:  # the table's own columns: no joined, flag or count column
        names = set(model.schemas[link.child].names)
        out[link.child] = internal[link.child][[c for c in internal[link.child] if c in names]]
    return out


def _holders(
    model: LinkedSynthesizer,
    table: str,
    mask: np.ndarray | None,
    persons: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Which synthetic persons hold rows of a deeper ``table``: every person with a value
    indicated there, and others at random so that the DP share of persons with rows
    (the table's persons estimate over the person table's) holds."""
    child, root = model.models[table], model.models[model.root]
    assert child.persons is not None and root.persons is not None
    with_rows = min(1.0, child.persons.persons_estimate / root.persons.persons_estimate)
    out = np.zeros(persons, dtype=bool) if mask is None else mask.any(axis=1)
    free = np.flatnonzero(~out)
    p_free = (with_rows * persons - out.sum()) / max(1, len(free))
    out = out.copy()
    out[free[rng.random(len(free)) < min(1.0, max(0.0, p_free))]] = True
    return out


def _needed(
    model: LinkedSynthesizer, table: str, holders: dict[str, np.ndarray], persons: int
) -> np.ndarray:
    """1 for a person holding rows of a table below ``table`` (they need a parent row
    here), else 0."""
    need = np.zeros(persons, dtype=np.int64)
    for other, held in holders.items():
        up = model.link_of(other).parent
        while up != model.root:
            if up == table:
                need = np.maximum(need, held.astype(np.int64))
            up = model.link_of(up).parent
    return need


def _deeper(
    model: LinkedSynthesizer,
    table: str,
    internal: dict[str, pd.DataFrame],
    person_of: dict[str, np.ndarray],
    given: pd.DataFrame,
    mask: np.ndarray | None,
    held: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A deeper table's rows: returns them, each row's person and its parent row."""
    from synth.linked import count_name

    link = model.link_of(table)
    parent = internal[link.parent]
    owner_person = person_of[link.parent]
    persons = len(given)
    cols = [c.name for c, _ in model.given_of_parent(table)]
    rows_given = given.iloc[owner_person].reset_index(drop=True)
    for c in cols:
        rows_given[f"{link.parent}.{c}"] = parent[c].to_numpy()
    at_least = np.zeros(persons, dtype=np.int64) if mask is None else mask.sum(axis=1)
    counts = pd.to_numeric(parent[count_name(table)], errors="coerce").fillna(0).to_numpy()
    expected = np.bincount(owner_person, weights=counts, minlength=persons)
    child_persons = model.models[table].persons
    assert child_persons is not None
    idx = np.flatnonzero(held)
    totals = np.zeros(persons, dtype=np.int64)
    totals[idx] = coupled(child_persons.draw(len(idx), rng), expected[idx], rng, at_least[idx])
    totals = np.maximum(totals, at_least)
    weight = counts.astype(float) + SPREAD_FLOOR
    sizes = np.zeros(len(parent), dtype=np.int64)
    by_person = pd.Series(np.arange(len(parent))).groupby(owner_person).indices
    orphan = 0
    forced_rows: list[int] = []
    forced_values: list[int] = []
    for i in range(persons):
        mine = by_person.get(i)
        if mine is None or len(mine) == 0:
            orphan += int(totals[i])
            continue
        w = weight[mine] / weight[mine].sum()
        vals = np.flatnonzero(mask[i]) if mask is not None else np.zeros(0, dtype=np.int64)
        # the indicated values' rows first, then the rest: the person's total stays theirs
        spots = rng.choice(mine, size=len(vals), p=w) if len(vals) else np.zeros(0, np.int64)
        free = apportion(max(0, int(totals[i]) - len(vals)), w, rng)
        sizes[mine] = free + np.bincount(np.searchsorted(mine, spots), minlength=len(mine))
        forced_rows += spots.tolist()
        forced_values += vals.tolist()
    child = model.models[table]
    pres = model.presence.get(table)
    if pres is None or mask is None:
        has = np.flatnonzero(sizes > 0)
        frame, owner = child.sample_given(
            rows_given.iloc[has], sizes[has], seed=int(rng.integers(2**31))
        )
        owner = has[owner]
        stats: dict[str, int] = {}
    else:
        at = (np.asarray(forced_rows, dtype=np.int64), np.asarray(forced_values, dtype=np.int64))
        frame, owner, stats = draw_children(
            child, rows_given, mask[owner_person], pres, sizes, rng, forced_at=at
        )
    model.sample_stats[table] = {**stats, "no_parent": orphan}
    return frame, owner_person[owner], owner


def apportion(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``total`` rows shared in proportion to ``weights`` (summing to 1): each share's
    whole part, the rest to shares drawn by their fractional parts (largest remainder,
    at random). Unlike a multinomial draw it keeps each parent row near its modelled
    count when the person's total matches them.

    >>> apportion(4, np.array([0.5, 0.25, 0.25]), np.random.default_rng(0)).tolist()
    [2, 1, 1]
    >>> int(apportion(5, np.array([0.5, 0.3, 0.2]), np.random.default_rng(0)).sum())
    5
    """
    exact = total * np.asarray(weights, dtype=float)
    out = np.floor(exact).astype(np.int64)
    rest = int(total - out.sum())
    if rest > 0:
        frac = exact - out
        pick = rng.choice(len(out), size=rest, replace=False, p=frac / frac.sum())
        out[pick] += 1
    return out


def coupled(
    totals: np.ndarray,
    expected: np.ndarray,
    rng: np.random.Generator,
    first: np.ndarray | None = None,
) -> np.ndarray:
    """The same totals, the larger ones given to the persons with more values indicated
    (``first``: they need at least that many rows), then to those whose parent rows
    expect more rows (ties at random): the DP rows-per-person histogram kept, and
    persons with more (or more row-bearing) parent rows holding more rows.

    >>> coupled(np.array([0, 5, 2]), np.array([3.0, 0.0, 9.0]), np.random.default_rng(0))
    array([2, 0, 5])
    >>> coupled(np.array([0, 5, 2]), np.array([3.0, 0.0, 9.0]), np.random.default_rng(0),
    ...         np.array([0, 4, 0]))
    array([0, 5, 2])
    """
    if first is None:
        first = np.zeros(len(expected), dtype=np.int64)
    order = np.lexsort((rng.random(len(expected)), expected, first))
    out = np.empty_like(totals)
    out[order] = np.sort(totals)
    return out


__all__ = ["SPREAD_FLOOR", "apportion", "coupled", "sample_linked"]
