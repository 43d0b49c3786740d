"""Sampling a fitted :class:`~synth.linked.LinkedSynthesizer`: synthetic persons, then
each linked table, parents before children (post-processing of the DP models, no ε).

Every parent row's number of child rows is its modelled count (:mod:`synth.linked_counts`:
the parent model's ``child#rows`` column, a DP-measured distribution given the parent
row, drawn within its bin), at every level:

* **Children of the person table**: a synthetic person has as many rows as its
  ``encounters#rows`` says, and at least one per value indicated for it there (the
  presence model, :mod:`synth.linked_presence`) and one when it holds an indicated value
  of a deeper table under this child (that value needs a parent row). The rows are drawn
  given the person's values.
* **Deeper tables** (conditions → encounters → patients): each synthetic parent row has
  as many rows as its ``conditions#rows`` says; a value indicated for the person takes
  one of those rows (a row of a parent row with more rows more likely; when the person's
  parent rows hold fewer rows than indicated values, one more row on a parent row chosen
  in proportion to its count plus :data:`SPREAD_FLOOR`). Each row is drawn given its
  person's values and its parent row's given columns. A person without parent rows
  holds no deeper rows (counted as ``no_parent`` in ``sample_stats``).

Conditions per patient are then the sum of the counts of the patient's encounters, and
conditions per encounter follow the encounter model: both as real, since a synthetic
patient has as many encounters as its count says (not cut at the encounter fit's bound k;
the bound limits what the fit sees of a person, not the output).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synth.linked_counts import PersonRows, allocate, count_name, draw_counts, nearest_kept
from synth.linked_presence import PRESENT, draw_children
from synth.persons import RowsPerPerson

if TYPE_CHECKING:
    from synth.linked import LinkedSynthesizer

#: weight of a parent row whose modelled count is 0 when it takes an indicated value
#: beyond the person's modelled rows
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
    counts = {  # rows of each person in each linked table, at any depth
        x.child: person_totals(
            draw_counts(_kept(model, x.child, "per_person", full[count_name(x.child)]), rng),
            model.models[x.child].persons,
            rng,
            _indicated(present.get(x.child), len(full)),
            model.person_rows.get(x.child),
        )
        for x in model.links
        if count_name(x.child) in full
    }
    people = full.drop(columns=[*flags, *(count_name(t) for t in counts)])
    given = people[[c.name for c, _ in model._given()]]
    given = given.set_axis([f"{model.root}.{c}" for c in given.columns], axis=1)
    keys = people[model.key].to_numpy() if model.key else np.full(len(people), "")
    internal: dict[str, pd.DataFrame] = {}
    person_of: dict[str, np.ndarray] = {}
    model.sample_stats = {}
    holders = {  # who holds rows of a deeper table: they need a parent row
        x.child: counts[x.child] > 0
        for x in model.links
        if x.parent != model.root and x.child in counts
    }
    for link in model.links:
        t = link.child
        pres = model.presence.get(t)
        mask = present.get(t)
        need = _needed(model, t, holders, len(people))
        if link.parent == model.root:
            at_least = np.maximum(need, 0 if mask is None else mask.sum(axis=1))
            sizes = np.maximum(counts.get(t, np.zeros(len(people), np.int64)), at_least)
            if pres is None:
                has = np.flatnonzero(sizes > 0)
                frame, who = model.models[t].sample_given(
                    given.iloc[has],
                    sizes[has],
                    seed=int(rng.integers(2**31)),
                    person_rows=sizes[has],
                )
                who = has[who]
            else:
                frame, who, stats = draw_children(model.models[t], given, mask, pres, sizes, rng)
                model.sample_stats[t] = stats
            frame[link.column] = keys[who]
            person_of[t] = who
        else:
            total = counts.get(t, np.zeros(len(people), np.int64))
            frame, who, owner = _deeper(model, t, internal, person_of, given, mask, total, rng)
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


def _indicated(mask: np.ndarray | None, persons: int) -> np.ndarray:
    """Values indicated for each person (0 without a presence model)."""
    return np.zeros(persons, dtype=np.int64) if mask is None else mask.sum(axis=1)


def person_totals(
    modelled: np.ndarray,
    within: RowsPerPerson | None,
    rng: np.random.Generator,
    at_least: np.ndarray | None = None,
    rows: PersonRows | None = None,
) -> np.ndarray:
    """Each synthetic person's rows in a table, within the table's bound k from a DP
    histogram, beyond it from the person model's count column (``modelled``, given the
    person): the counts drawn go to the persons ranked by the number of values
    indicated for them (``at_least``: they need that many rows), then by their
    modelled count (then at random), the larger counts to the higher ranks; a person
    given k takes its modelled count when that is more (the histograms stop at k), and
    never fewer rows than values indicated.

    Why values indicated first: a person given fewer rows than its values indicated is
    raised to them, moving mass out of the histogram's low bins, and ranking by the
    indicated values raises the fewest. The modelled count is noise within k at ε = 1:
    on 2,300 persons every modelled count of conditions fell in '11-15' or '16-20' in
    one fit, in '6' … '16-20' in another, for a table of 0 … 10+ rows per person;
    ranked by it (or by the larger of it and the values indicated, before), the persons
    with many values indicated drew small counts at random and were raised (conditions
    per patient within k: TVD 0.043–0.052 for the histogram, 0.065–0.120 after).

    The histogram is ``rows`` (the table's own histogram over every person, 0 included,
    :func:`~synth.linked_counts.measure_person_rows`): its zeros go to the lowest ranks.
    Without it, ``within`` (the table's fit's histogram of 1..k, persons with rows only)
    and the persons whose modelled count is 0 have none.

    Why not the count column alone: at ε = 1 the person model learns it among many
    columns (Synthea ×30: σ ≈ 83 persons a cell against ≈ 49 for the fit's histogram,
    conditions per patient within k at TVD 0.13–0.28 from it alone; on 2,300 persons its
    kept bins were '1' and '2' for a table of 0 … 10+ rows per person); it says who has
    more rows and how many beyond k.

    >>> h = RowsPerPerson(3, "auto", (0.5, 0.25, 0.25), 4, 0.25, 1.0)
    >>> out = person_totals(np.array([0, 2, 9, 1, 5]), h, np.random.default_rng(0))
    >>> int(out[0]), bool(out[2] == 9 and out[1] <= out[4])
    (0, True)
    >>> zero = PersonRows("t", (0.2, 0.2, 0.2, 0.2, 0.2), 1.0)
    >>> out = person_totals(np.arange(10), h, np.random.default_rng(0), rows=zero)
    >>> bool((np.diff(out[:-1]) >= 0).all() and out[-1] == 9)
    True
    """
    modelled = np.asarray(modelled, dtype=np.int64)
    need = np.zeros(len(modelled), np.int64) if at_least is None else np.asarray(at_least)
    if within is None:
        return np.maximum(modelled, need)
    key = np.maximum(modelled, need)
    has = np.arange(len(key)) if rows is not None else np.flatnonzero(key > 0)
    order = has[np.lexsort((rng.random(len(has)), modelled[has], need[has]))]
    out = np.zeros(len(modelled), dtype=np.int64)
    drawn = within.draw(len(has), rng) if rows is None else rows.draw(len(has), within.k, rng)
    out[order] = np.sort(drawn)
    top = out >= within.k
    out[top] = np.maximum(within.k, modelled[top])
    return np.maximum(out, need)


def _kept(model: LinkedSynthesizer, table: str, side: str, labels: pd.Series) -> np.ndarray:
    """``table``'s modelled count bins (``side``: per person, per parent row), each moved
    to the nearest bin clear of noise."""
    kept = model.count_kept.get(table, {}).get(side)
    return labels.to_numpy(dtype=object) if kept is None else nearest_kept(labels, kept)


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
    totals: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A deeper table's rows: the persons' ``totals`` (given to the persons whose parent
    rows' modelled counts add up to more first), each over its parent rows as their
    counts say (:func:`~synth.linked_counts.allocate`), indicated values on them first.
    Returns the rows, each row's person and its parent row."""
    link = model.link_of(table)
    parent = internal[link.parent]
    owner_person = person_of[link.parent]
    cols = [c.name for c, _ in model.given_of_parent(table)]
    rows_given = given.iloc[owner_person].reset_index(drop=True)
    for c in cols:
        rows_given[f"{link.parent}.{c}"] = parent[c].to_numpy()
    counts = draw_counts(_kept(model, table, "per_parent_row", parent[count_name(table)]), rng)
    # the persons' totals go to those with more values indicated, then to those whose
    # parent rows hold more rows (ranks): the same totals, parent rows nearer their counts
    has = np.flatnonzero(totals > 0)
    expected = np.bincount(owner_person, weights=counts, minlength=len(totals))
    need = _indicated(mask, len(totals))
    order = has[np.lexsort((rng.random(len(has)), expected[has], need[has]))]
    totals = totals.copy()
    totals[order] = np.sort(totals[has])
    totals = np.maximum(totals, need)
    sizes = np.zeros(len(parent), dtype=np.int64)
    by_person = pd.Series(np.arange(len(parent))).groupby(owner_person).indices
    orphan = 0
    forced_rows: list[np.ndarray] = []
    forced_values: list[np.ndarray] = []
    for i in np.flatnonzero(totals > 0):
        mine = by_person.get(i)
        if mine is None or len(mine) == 0:
            orphan += int(totals[i])
            continue
        sizes[mine] = allocate(int(totals[i]), counts[mine], rng, SPREAD_FLOOR)
        if mask is not None and mask[i].any():
            vals = np.flatnonzero(mask[i])
            spots, extra = place(len(vals), sizes[mine], rng)
            sizes[mine] += extra
            forced_rows.append(mine[spots])
            forced_values.append(vals)
    child = model.models[table]
    pres = model.presence.get(table)
    if pres is None or mask is None:
        has = np.flatnonzero(sizes > 0)
        frame, owner = child.sample_given(
            rows_given.iloc[has],
            sizes[has],
            seed=int(rng.integers(2**31)),
            person_rows=totals[owner_person[has]],
        )
        owner = has[owner]
        stats: dict[str, int] = {}
    else:
        at = (
            np.concatenate([np.zeros(0, np.int64), *forced_rows]).astype(np.int64),
            np.concatenate([np.zeros(0, np.int64), *forced_values]).astype(np.int64),
        )
        frame, owner, stats = draw_children(
            child, rows_given, mask[owner_person], pres, sizes, rng, forced_at=at
        )
    model.sample_stats[table] = {**stats, "no_parent": orphan}
    return frame, owner_person[owner], owner


def place(
    values: int, counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Which of a person's parent rows (with ``counts`` modelled rows each) takes each of
    ``values`` indicated values: distinct rows of theirs at random (a parent row with
    more rows more likely); values beyond them go to parent rows drawn in proportion to
    count + :data:`SPREAD_FLOOR`, each adding a row. Returns each value's parent row and
    the rows added per parent row.

    >>> spots, extra = place(3, np.array([0, 2, 1]), np.random.default_rng(0))
    >>> sorted(spots.tolist()), extra.tolist()
    ([1, 1, 2], [0, 0, 0])
    >>> spots, extra = place(4, np.array([0, 1]), np.random.default_rng(0))
    >>> int(extra.sum()), int((spots == 1).sum()) >= 1
    (3, True)
    """
    counts = np.asarray(counts, dtype=np.int64)
    slots = np.repeat(np.arange(len(counts)), counts)
    if len(slots) >= values:
        return rng.choice(slots, size=values, replace=False), np.zeros(len(counts), np.int64)
    w = counts + SPREAD_FLOOR
    more = rng.choice(len(counts), size=values - len(slots), p=w / w.sum())
    return np.concatenate([slots, more]), np.bincount(more, minlength=len(counts))


__all__ = ["SPREAD_FLOOR", "person_totals", "place", "sample_linked"]
