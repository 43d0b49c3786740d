"""Which values of a child table go together in one person (issue 17).

A child row drawn given its person's columns makes a person's values (conditions of a
patient) independent draws: a condition nearly every patient has once comes back in
about half of the synthetic patients, however good the row marginal. This module models
**presence per person** instead:

1. **The column.** One categorical column per child (declared, or the first modelled
   categorical column of the highest role — sensitive, then quasi-identifier, then other —
   preferring a declared category list: only the schema decides, no row is read). A
   declared group of columns that name one thing together (a code and its description)
   is modelled as one column whose values are the group's value tuples.
2. **The values** (:func:`measure_presence`). The m values held by the most persons, under
   DP: each person adds 1 to the count of each distinct value they hold, at most
   ``bound`` values (a random ``bound`` of a person's values when they hold more), so the
   count vector has L2 sensitivity √bound; one Gaussian measurement charged per person.
   With a declared category list the candidates are that list (no δ; a value is kept
   when its noisy count clears ``σ·Φ⁻¹(1 − 0.05/candidates)``, so that noise alone
   picks any value with chance ≤ 5 %); otherwise the
   values seen, kept only when their noisy count clears the partition-selection
   threshold ``1 + σ·Φ⁻¹(1 − δ/bound)`` (a value held by one person survives with
   probability ≤ δ). Only the choice leaves the fit (values, in noisy-count order).
3. **Indicators** (:func:`indicators`). One 0/1 column per value on the person's row
   (``child.column#i``): the person model learns them jointly with the person's own
   columns. A person is one row there, so no mechanism's sensitivity changes.
4. **Repeats** (:func:`repeat_flags`). The child model learns one more 0/1 column on each
   row: whether it holds one of the m values its person already holds in an earlier
   row (a function of the person's own rows: the child fit's per-person bound covers it).
5. **Rows from indicators** (:func:`draw_children`). A synthetic person gets one row with
   each value indicated (drawn from the child model given the person, that value and
   "not a repeat"), then the rest of their rows given the person as before, redrawn
   (rejection) while they hold one of the m values as a first occurrence or one not
   indicated: so the other rows are other values, or repeats of indicated ones at the
   rate the model learnt. Rows still unmatched after :data:`FREE_ROUNDS` rounds become
   repeats of one of the person's values (none: dropped and counted).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from synth.ledger import PrivacyLedger
from synth.persons import RowsPerPerson
from synth.schema.model import Column, ColumnType, Domain, Role, Schema

#: values per child modelled as presence indicators (m): a report's top 20 and a margin of
#: 5 beyond it. A value left out is not held per person (on Synthea ×30 at ε = 1, three
#: conditions tied with two modelled ones at rank 19-23 came out at 0 % of patients against
#: 15.7 %): modelling past the top 20 keeps ties at its edge and noisy ranks in.
PRESENCE_VALUES = 25
#: distinct values of one person counted when choosing them (L2 sensitivity √bound) ...
PRESENCE_BOUND = 10
#: ... or more (:func:`presence_bound`), when the threshold stays under this share of
#: the persons: a person holding many values then counts for each of them
BOUND_LADDER = (10, 15, 20, 30, 40)
BOUND_THRESHOLD_SHARE = 0.05
#: share of a child's part of the budget (zCDP ρ) spent choosing the values
PRESENCE_SHARE = 0.15
#: with a declared list, the chance that noise alone lifts any value over the threshold
PUBLIC_FALSE_PICK = 0.05
#: rounds of redrawing a row whose value is one of the m not indicated for its person
FREE_ROUNDS = 20
#: indicator values (public)
ABSENT, PRESENT = "0", "1"
_ROLE_RANK = {Role.SENSITIVE: 0, Role.QUASI_IDENTIFIER: 1, Role.OTHER: 2}


@dataclass(frozen=True)
class Presence:
    """The presence model of one child: its column, the values chosen (most persons
    first, by the DP count), the person model's indicator columns and how they were
    chosen."""

    child: str
    columns: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]
    names: tuple[str, ...]
    chosen: str
    sigma: float
    bound: int
    threshold: float
    rho: float

    @property
    def repeat(self) -> str:
        """The child model's column: the row repeats a value its person holds already."""
        return f"{self.child}.{self.columns[0]}#repeat"

    @property
    def column(self) -> str:
        """The group's name: its columns joined by '+'."""
        return "+".join(self.columns)

    def labels(self) -> list[str]:
        """Each value as text (a tuple's parts joined by ' | ')."""
        return [" | ".join(v) for v in self.values]

    def describe(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "values": self.labels(),
            "indicator_columns": list(self.names),
            "chosen": self.chosen,
            "sigma": round(self.sigma, 3),
            "values_counted_per_person": self.bound,
            "sensitivity": f"L2 √{self.bound} (one count per value, ≤ {self.bound} values)",
            "threshold": round(self.threshold, 3),
            "rho": self.rho,
        }


def presence_column(schema: Schema, link_column: str) -> str | None:
    """The child's column modelled per person: the first modelled categorical column of the
    highest role (sensitive, quasi-identifier, other), one with a declared category list
    first; None when there is none. Reads the schema only.

    >>> from synth.schema import parse_schema
    >>> s = parse_schema({"columns": [
    ...     {"name": "kind", "type": "categorical"},
    ...     {"name": "code", "type": "categorical", "role": "sensitive"}]})
    >>> presence_column(s, "PATIENT")
    'code'
    """
    ranked = [
        (_ROLE_RANK[c.role], c.domain is None or c.domain.categories is None, i, c.name)
        for i, c in enumerate(schema.columns)
        if c.modelled
        and c.type == ColumnType.CATEGORICAL
        and c.name != link_column
        and c.role in _ROLE_RANK
    ]
    return min(ranked)[3] if ranked else None


def indicator_name(child: str, column: str, i: int) -> str:
    return f"{child}.{column}#{i + 1}"


#: joins the parts of a group's value into one key
_SEP = "\x1f"


def value_keys(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.Series:
    """One text key per row: its values in ``columns`` joined (missing when one is)."""
    parts = [frame[c].astype(object) for c in columns]
    missing = np.zeros(len(frame), dtype=bool)
    for part in parts:
        missing |= part.isna().to_numpy()
    keys = parts[0].astype(str)
    for part in parts[1:]:
        keys = keys + _SEP + part.astype(str)
    return keys.mask(missing)


def _key(value: tuple[str, ...]) -> str:
    return _SEP.join(value)


def _pairs(child: pd.DataFrame, link_column: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Distinct (person, value) pairs of the child's non-missing values, as text."""
    keys = value_keys(child, columns)
    ok = keys.notna().to_numpy()
    pairs = pd.DataFrame(
        {"person": child[link_column][ok].astype(str).to_numpy(), "value": keys[ok].to_numpy()}
    )
    return pairs.drop_duplicates(ignore_index=True)


def measure_presence(
    child: pd.DataFrame,
    *,
    table: str,
    link_column: str,
    columns: list[Column],
    ledger: PrivacyLedger,
    rho: float,
    rng: np.random.Generator,
    values: int = PRESENCE_VALUES,
    bound: int = PRESENCE_BOUND,
    persons: float | None = None,
) -> Presence:
    """Choose the ``values`` values held by the most persons under ρ-zCDP (δ: the ledger's
    partition share, spent only without a declared list); charged to ``ledger``.
    ``columns``: one column, or a group whose values are tuples (then always by partition
    selection: the tuples seen are the candidates). ``persons``: a DP estimate of the
    persons; with it the bound is :func:`presence_bound` (``bound`` at least)."""
    names = tuple(c.name for c in columns)
    one = columns[0]
    declared = one.domain.categories if one.domain is not None and len(columns) == 1 else None
    if persons is not None:
        listed = None if declared is None else len(set(map(str, declared)))
        bound = max(bound, presence_bound(rho, ledger.partition_delta, listed, persons))
    pairs = _pairs(child, link_column, names)
    order = rng.permutation(len(pairs))  # a random ≤ bound of each person's values
    shuffled = pairs.iloc[order]
    rank = shuffled.groupby("person", sort=False).cumcount().to_numpy()
    counts = shuffled["value"][rank < bound].value_counts(sort=False)
    sigma = math.sqrt(bound / (2.0 * rho))
    if declared is not None:
        counts = counts.reindex(sorted(set(map(str, declared))), fill_value=0)
        threshold = sigma * float(norm.isf(PUBLIC_FALSE_PICK / max(1, len(counts))))
        delta = 0.0
        chosen = "declared category list; persons per value counted under DP"
    else:
        delta = ledger.partition_delta
        threshold = 1.0 + sigma * float(norm.isf(delta / bound))
        chosen = "values seen, kept by DP partition selection on persons per value"
    ledger.charge_gaussian(
        "values held by most persons (presence, Gaussian)",
        f"{table}.{'+'.join(names)}",
        sigma=sigma,
        sensitivity=math.sqrt(bound),
        delta=delta,
        per_person=True,
        details={"values_counted_per_person": bound, "threshold": round(threshold, 3)},
    )
    counts = counts.sort_index()  # the noise draw does not depend on hash order
    noisy = counts.to_numpy(dtype=float) + rng.normal(0.0, sigma, size=len(counts))
    keep = np.flatnonzero(noisy >= threshold)
    top = keep[np.argsort(-noisy[keep], kind="stable")][:values]
    picked = tuple(tuple(str(v).split(_SEP)) for v in counts.index[top])
    return Presence(
        child=table,
        columns=names,
        values=picked,
        names=tuple(indicator_name(table, names[0], i) for i in range(len(picked))),
        chosen=chosen,
        sigma=sigma,
        bound=bound,
        threshold=threshold,
        rho=rho,
    )


def _threshold(bound: int, rho: float, delta: float, listed: int | None) -> float:
    """The noisy count a value must clear when each person counts ≤ ``bound`` values."""
    sigma = math.sqrt(bound / (2.0 * rho))
    if listed is not None:
        return sigma * float(norm.isf(PUBLIC_FALSE_PICK / max(1, listed)))
    return 1.0 + sigma * float(norm.isf(delta / bound))


def presence_bound(rho: float, delta: float, listed: int | None, persons: float) -> int:
    """How many distinct values of a person are counted: the largest of
    :data:`BOUND_LADDER` whose threshold stays under :data:`BOUND_THRESHOLD_SHARE` of the
    DP ``persons`` estimate (``listed``: the declared list's length; None: partition
    selection with ``delta``). From public figures and a DP estimate: post-processing.

    Why: counting at most 10 values of a person undercounts the values held by persons
    with many (Synthea ×30: three conditions held by 540 patients counted 308 each,
    below values held by fewer patients), so at ε = 10 they fell out of the 25 values
    modelled and out of a top 20 they belong to. A larger bound counts them fully but
    raises the noise (σ ∝ √bound), which only a budget whose threshold is already low
    relative to the persons affords.

    >>> presence_bound(0.0677, 5e-9, None, 3450), presence_bound(0.00087, 5e-9, None, 3450)
    (40, 10)
    """
    ok = [
        b
        for b in BOUND_LADDER
        if _threshold(b, rho, delta, listed) <= BOUND_THRESHOLD_SHARE * persons
    ]
    return max(ok) if ok else BOUND_LADDER[0]


def present_matrix(
    keys: pd.Series, child: pd.DataFrame, link_column: str, presence: Presence
) -> np.ndarray:
    """Persons × values: whether the person of ``keys[i]`` has a child row holding value j
    (exact)."""
    out = np.zeros((len(keys), len(presence.values)), dtype=bool)
    if not presence.values or len(child) == 0:
        return out
    pairs = _pairs(child, link_column, presence.columns)
    where = {_key(v): j for j, v in enumerate(presence.values)}
    pairs = pairs[pairs["value"].isin(where)]
    row = pd.Series(np.arange(len(keys)), index=keys.astype(str).to_numpy())
    hit = pairs["person"].map(row)
    ok = hit.notna().to_numpy()
    out[hit[ok].to_numpy(dtype=np.int64), pairs["value"][ok].map(where).to_numpy()] = True
    return out


def indicators(
    keys: pd.Series, child: pd.DataFrame, link_column: str, presence: Presence
) -> pd.DataFrame:
    """The indicator columns of the persons of ``keys`` ("1": holds the value)."""
    mat = present_matrix(keys, child, link_column, presence)
    return pd.DataFrame(
        {n: np.where(mat[:, j], PRESENT, ABSENT) for j, n in enumerate(presence.names)}
    )


def repeat_flags(child: pd.DataFrame, link_column: str, presence: Presence) -> np.ndarray:
    """Per row of ``child``: "1" when it holds one of the chosen values that its person
    holds in an earlier row, else "0"."""
    keys = value_keys(child, presence.columns)
    chosen = keys.isin({_key(v) for v in presence.values}).to_numpy()
    person = child[link_column].astype(str).to_numpy()
    again = pd.DataFrame({"p": person, "k": keys.to_numpy()}).duplicated().to_numpy()
    return np.where(chosen & again, PRESENT, ABSENT)


def repeat_column(presence: Presence, role: Role) -> Column:
    """The child model's repeat column: categorical, public domain {0, 1}."""
    return Column(
        name=presence.repeat,
        type=ColumnType.CATEGORICAL,
        role=role,
        domain=Domain(categories=[ABSENT, PRESENT]),
        nullable=False,
    )


def indicator_columns(presence: Presence, role: Role) -> list[Column]:
    """The person model's indicator columns: categorical, public domain {0, 1}."""
    return [
        Column(
            name=n,
            type=ColumnType.CATEGORICAL,
            role=role,
            domain=Domain(categories=[ABSENT, PRESENT]),
            nullable=False,
        )
        for n in presence.names
    ]


def sizes_given(
    with_rows: float, model: RowsPerPerson, at_least: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Child rows of each synthetic person holding ``at_least[i]`` indicated values.

    A person with an indicated value has rows; the others have rows with the probability
    that keeps the DP share ``with_rows`` of persons with rows. The persons with rows take
    counts drawn from the DP shares, the larger counts to the persons with more
    indicated values (ties at random: the coupling that keeps the drawn counts wherever
    they hold the values), and never fewer than the values indicated.

    >>> m = RowsPerPerson(3, "declared", (0.5, 0.3, 0.2), 10, 0.0, 1.0)
    >>> s = sizes_given(1.0, m, np.array([0, 2, 3, 5]), np.random.default_rng(0))
    >>> bool(s[0] >= 1 and s[1] >= 2 and s[2] == 3 and s[3] == 5)
    True
    """
    at_least = np.asarray(at_least, dtype=np.int64)
    n = len(at_least)
    forced = at_least > 0
    free = np.flatnonzero(~forced)
    p_free = (with_rows * n - forced.sum()) / max(1, len(free))
    has = np.concatenate(
        [np.flatnonzero(forced), free[rng.random(len(free)) < min(1.0, max(0.0, p_free))]]
    )
    sizes = np.zeros(n, dtype=np.int64)
    order = has[np.lexsort((rng.random(len(has)), at_least[has]))]
    sizes[order] = np.sort(model.draw(len(has), rng))
    return np.maximum(sizes, at_least)


def draw_children(
    model: Any,
    given: pd.DataFrame,
    present: np.ndarray,
    presence: Presence,
    sizes: np.ndarray,
    rng: np.random.Generator,
    forced_at: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """The child rows of the persons of ``given`` (a fitted child
    :class:`~synth.synthesizer.Synthesizer`): ``sizes[i]`` rows for person i (at least the
    values indicated), one row per indicated value, the others from the model given the
    person with no value among the m that is not indicated. Returns the rows (each person's
    together), their person, and counts of rows forced, free and dropped.

    ``given`` may list parent rows instead of persons (a deeper table: rows of ``given``
    are a person's encounters): then ``present[i]`` is the indicators of row i's person
    and ``forced_at`` (rows of ``given``, value indices) places each indicated value of a
    person on one of its parent rows."""
    person_f, value_f = np.nonzero(present) if forced_at is None else forced_at
    forced = _rows_with(model, given, person_f, value_f, presence, rng, repeat=ABSENT)
    per_row = np.bincount(person_f, minlength=len(given))
    free_n = np.maximum(0, np.asarray(sizes, dtype=np.int64) - per_row)
    has = np.flatnonzero(free_n > 0)
    free, p = model.sample_given(given.iloc[has], free_n[has], seed=int(rng.integers(2**31)))
    person = has[p]
    # each column of a group on its own: a code drawn with another code's description
    # names the chosen value too (the metric, a reader, counts it by either column)
    by_column = [
        {str(v[c]): j for j, v in reversed(list(enumerate(presence.values)))}
        for c in range(len(presence.columns))
    ]

    def banned(frame: pd.DataFrame, who: np.ndarray) -> np.ndarray:
        """A row naming a chosen value not indicated for the person, or one held first
        (not repeated), in any column of the group."""
        first = frame[presence.repeat].astype(str).to_numpy() != PRESENT
        out = np.zeros(len(frame), dtype=bool)
        for col, where in zip(presence.columns, by_column, strict=True):
            j = frame[col].astype(str).map(where).fillna(-1).to_numpy(dtype=np.int64)
            out |= (j >= 0) & (~present[who, np.maximum(j, 0)] | first)
        return out

    bad = banned(free, person) if len(free) else np.zeros(0, dtype=bool)
    for _ in range(FREE_ROUNDS):
        redo = np.flatnonzero(bad)
        if len(redo) == 0:
            break
        again, _ = model.sample_given(
            given.iloc[person[redo]],
            np.ones(len(redo), dtype=np.int64),
            seed=int(rng.integers(2**31)),
        )
        again.index = free.index[redo]
        free.loc[free.index[redo]] = again[free.columns]
        bad[redo] = banned(again, person[redo])
    # still unmatched: a second row of one of the person's values, or (none) dropped
    redo = np.flatnonzero(bad & present[person].any(axis=1))
    if len(redo):
        pick = np.array([rng.choice(np.flatnonzero(present[i])) for i in person[redo]])
        again = _rows_with(model, given, person[redo], pick, presence, rng, repeat=PRESENT)
        again.index = free.index[redo]
        free.loc[free.index[redo]] = again[free.columns]
        bad[redo] = False
    parts = [f for f in (forced, free[~bad]) if len(f)]
    frame = pd.concat(parts, ignore_index=True) if parts else forced
    who = np.concatenate([person_f, person[~bad]]).astype(np.int64)
    order = np.argsort(who, kind="stable")
    frame, who = frame.iloc[order].reset_index(drop=True), who[order]
    stats = {"forced_rows": len(forced), "free_rows": int((~bad).sum()), "dropped": int(bad.sum())}
    if len(frame) == 0:
        return frame, who, stats
    # one set of surrogates for the whole table (each draw above made its own)
    frame = model._assemble(frame, len(frame), int(rng.integers(2**31)), who)
    return frame, who, stats


def _rows_with(
    model: Any,
    given: pd.DataFrame,
    person: np.ndarray,
    value: np.ndarray,
    presence: Presence,
    rng: np.random.Generator,
    *,
    repeat: str,
) -> pd.DataFrame:
    """One row per (person, value index) pair, from the model given the person, the
    value (each of the group's columns) and whether it ``repeat``s one."""
    frame = given.iloc[person].reset_index(drop=True)
    for c, col in enumerate(presence.columns):
        frame[col] = [presence.values[j][c] for j in value]
    frame[presence.repeat] = repeat
    rows, _ = model.sample_given(
        frame, np.ones(len(person), dtype=np.int64), seed=int(rng.integers(2**31))
    )
    return rows


def prevalence(
    people: pd.Series, child: pd.DataFrame, link_column: str, presence: Presence
) -> np.ndarray:
    """Share of the persons of ``people`` holding each chosen value."""
    if len(people) == 0:
        return np.zeros(len(presence.values))
    return present_matrix(people, child, link_column, presence).mean(axis=0)


def noise_floor(parent: Any, presence: Mapping[str, Presence], rho_parent: float) -> dict:
    """What DP noise alone allows for the share of persons holding a value, from the
    person model's ledger: the noise σ of one count in its 1-way measurement over persons,
    as a share of the DP persons estimate (SD, and mean |error| √(2/π)·σ/n); and the σ had
    the whole of the person model's ρ measured only the m indicator counts (√(m/2ρ))."""
    sigma = (getattr(parent.engine, "training_report", None) or {}).get("sigma_1way")
    n = parent.persons.persons_estimate if parent.persons is not None else None
    m = sum(len(p.values) for p in presence.values())
    out: dict[str, Any] = {"persons_estimate": n, "indicators": m}
    if sigma is not None and n:
        out.update(
            sigma_count=round(float(sigma), 3),
            sd_share=round(float(sigma) / n, 4),
            mean_abs_share=round(math.sqrt(2 / math.pi) * float(sigma) / n, 4),
        )
    if m and n and rho_parent > 0:
        best = math.sqrt(m / (2.0 * rho_parent))
        out.update(
            sigma_whole_budget=round(best, 3),
            mean_abs_share_whole_budget=round(math.sqrt(2 / math.pi) * best / n, 4),
        )
    return out


__all__ = [
    "PRESENCE_VALUES",
    "Presence",
    "draw_children",
    "indicator_columns",
    "indicators",
    "measure_presence",
    "noise_floor",
    "presence_bound",
    "presence_column",
    "present_matrix",
    "prevalence",
    "repeat_column",
    "repeat_flags",
    "sizes_given",
]
