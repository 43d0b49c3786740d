"""The unit of privacy the leakage gate reasons about: persons, or rows.

When the schema declares ``dataset.privacy_unit`` (a column identifying the person; a
person may have several rows), the train/holdout split puts all of a person's rows on one
side (:func:`synth.releasing.split_holdout`). The gate's null hypothesis is then "the
synthetic data does not depend on *which persons* were in training": given the pooled
real rows, the labels are a random split of the **persons**, every row carrying its
person's label. Each metric follows from that:

* the near-copy test relabels persons, not rows (:mod:`privacy.leakage.near_copies`);
* the fair share ``p0`` of a statistic that scores rows by their label is the persons'
  training share ``P_train / (P_train + P_holdout)``: under a random split of the persons
  every row is a training row with that probability, whatever its person's row count (the
  rows' training share differs from it when the persons on one side happen to have more
  rows);
* the attacks take one random row per attacked person, singling-out counts distinct
  persons, and the exact-match interval treats persons as the independent units.

Without a unit every row is its own person and every figure is the row-level one.

A person found in both the training and the holdout table (a split not made per person)
is counted as two groups, one per side, and the result warns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.schema.model import Schema


@dataclass(frozen=True)
class Units:
    """Person codes of the training rows (``0…n_train−1``) and of the holdout rows
    (``0…n_holdout−1``, their own numbering)."""

    column: str
    train: np.ndarray
    holdout: np.ndarray
    n_train: int
    n_holdout: int
    #: some person has rows on both sides (each side's rows are then one group)
    overlap: bool = False

    def pooled(self) -> np.ndarray:
        """Person of every pooled real row (training rows first, then holdout rows), holdout
        persons numbered after the training persons."""
        return np.concatenate([self.train, self.holdout + self.n_train])

    @property
    def share(self) -> float:
        """The persons' training share: the chance a random split makes a row training."""
        return self.n_train / (self.n_train + self.n_holdout)


def unit_column(schema: Schema | None) -> str | None:
    return None if schema is None else schema.dataset.privacy_unit


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    # as the split does (synth.releasing.split_holdout): text form, missing values one person
    codes, uniques = pd.factorize(values.astype(str))
    return codes.astype(np.int64), pd.Index(uniques)


def units_of(train: pd.DataFrame, holdout: pd.DataFrame, schema: Schema | None) -> Units | None:
    """The persons of the training and holdout rows, or None when the schema declares no
    ``privacy_unit``; raises :class:`InputError` when a real table lacks that column."""
    name = unit_column(schema)
    if name is None:
        return None
    for frame, df in (("train", train), ("holdout", holdout)):
        if name not in df.columns:
            raise InputError(
                f"{frame} table lacks the privacy unit column '{name}' the schema declares: "
                "the gate needs it to compare persons, not rows"
            )
    (tr, u_tr), (ho, u_ho) = _codes(train[name]), _codes(holdout[name])
    return Units(name, tr, ho, len(u_tr), len(u_ho), bool(len(u_tr.intersection(u_ho))))


def merge_unit_chunks(name: str, sides: Iterable[Iterable[tuple[np.ndarray, Any]]]) -> Units:
    """:func:`units_of` from per-chunk ``(codes, uniques)`` of :func:`_codes` (training
    chunks, then holdout chunks): the same codes as over the whole tables."""
    merged: list[tuple[np.ndarray, dict[str, int]]] = []
    for chunks in sides:
        table: dict[str, int] = {}
        parts = []
        for local, uniq in chunks:
            glob = np.array([table.setdefault(v, len(table)) for v in uniq], np.int64)
            parts.append(glob[local] if len(local) else local.astype(np.int64))
        merged.append((np.concatenate(parts) if parts else np.zeros(0, np.int64), table))
    (tr, t_tr), (ho, t_ho) = merged
    return Units(name, tr, ho, len(t_tr), len(t_ho), not set(t_tr).isdisjoint(t_ho))


def unit_chunk_task(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One chunk's person codes and their text values (first-appearance order)."""
    if name not in df.columns:
        raise InputError(
            f"a real table lacks the privacy unit column '{name}' the schema declares: the "
            "gate needs it to compare persons, not rows"
        )
    codes, uniq = _codes(df[name])
    return codes, np.asarray(uniq, dtype=object)


def unit_summary(units: Units | None) -> dict[str, Any]:
    """The ``unit`` entry of the gate's JSON: which column, and whether persons or rows."""
    if units is None:
        return {"column": None, "kind": "row"}
    return {"column": units.column, "kind": "person"}


def one_row_each(
    codes: np.ndarray, n_persons: int, persons: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One uniformly random row of each of ``persons`` (row indices, sorted)."""
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n_persons)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = starts[persons] + (rng.random(len(persons)) * counts[persons]).astype(np.int64)
    return np.sort(order[pick])


def rows_of(codes: np.ndarray, persons: np.ndarray, n_persons: int) -> np.ndarray:
    """Every row of ``persons``, ordered by person (code order), then row."""
    keep = np.zeros(n_persons, dtype=bool)
    keep[persons] = True
    rows = np.flatnonzero(keep[codes])
    return rows[np.argsort(codes[rows], kind="stable")]


def effective_persons(
    matched: np.ndarray, syn_hash: np.ndarray, real_hash: np.ndarray, person: np.ndarray
) -> float:
    """The effective number of persons the ``matched`` synthetic rows copy.

    A synthetic row identical to ``m`` real rows scores ``k / m`` (``k`` of them training
    rows), so the mean score over the ``N`` matched rows is ``Σ_p w_p · label_p`` with
    ``w_p = (1/N) Σ_rows (rows of person p among the row's m) / m``, ``Σ w_p = 1``. Under a
    random split of the persons its variance is ``q(1 − q) Σ w_p²``, that of a share over
    ``1 / Σ w_p²`` independent units (Kish's effective sample size): every row copying one
    person counts once, a row identical to rows of many persons counts for them all.
    ``syn_hash`` / ``real_hash`` are the row hashes (:func:`~privacy.leakage.distance.
    row_hashes`) of the synthetic and pooled real rows, ``person`` the pooled real rows'
    persons (:meth:`Units.pooled`)."""
    n = int(matched.sum())
    if n == 0:
        return 0.0
    copies = pd.Series(syn_hash[matched]).value_counts()  # synthetic rows per row value
    real = pd.DataFrame({"h": real_hash, "p": person})
    real = real[real["h"].isin(copies.index)]
    per = real.groupby(["h", "p"], sort=False).size()  # rows of person p with value h
    total = per.groupby(level="h").transform("sum")  # real rows with value h
    hashes = per.index.get_level_values("h")
    share = per.to_numpy(float) / total.to_numpy(float) * copies.reindex(hashes).to_numpy(float)
    w = pd.Series(share / n).groupby(per.index.get_level_values("p")).sum().to_numpy()
    return float(1.0 / np.square(w).sum())
