"""Counts per person: how far one person can move a histogram of counts, and counts in
which each person weighs the same however many rows it holds.

A table with several rows per person (k at most, after :func:`synth.persons.bound_mask`)
has two ways to count a value:

* **rows**: each row adds 1; one person moves a count by up to k and k counts in all, so
  the ledger charges a per-row mechanism k² times (:meth:`PrivacyLedger.bound_rows`);
* **persons** (:func:`person_counts`): each person adds at most 1 to each value it holds,
  with weights of L2 norm 1 over its values; a Gaussian mechanism over them is charged
  as is (sensitivity 1), and a partition-selection threshold needs ``1 + σ·Φ⁻¹(1 − δ/k)``.
  This is DP partition selection with bounded contributions (Gopi et al., "Differentially
  private set union", ICML 2020, the weighted Gaussian policy's uniform weights;
  Desfontaines et al., "Differentially private partition selection", PoPETs 2022).

Per value, a person with r rows weighs r/k of the noise under row counts and 1/√m ≥ 1/√k
(m distinct values) under person counts: at k = 4, a static column (one value per person)
gets 1/E[min(r, k)] · k ≈ 1.6× the signal-to-noise of row counts, a column that varies
by row (an ICD code per visit) ≈ 2.5×.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from synth.ledger import PrivacyLedger


@dataclass(frozen=True)
class Contribution:
    """How far one person (all of their rows) can move a histogram of counts: by at most
    ``per_bin`` in any one bin, in at most ``bins`` bins, by at most ``l2`` in L2 norm.

    Row counts with k rows per person: :meth:`rows` (k, k, k; the ledger multiplies a
    per-row charge by k²). Person counts (:func:`person_weights`, each person's weights
    over the bins it touches have L2 norm 1, each ≤ 1): :meth:`persons` (1, k, 1), charged
    per person at sensitivity 1: the setting of DP partition selection with bounded
    contributions (Gopi et al., "Differentially private set union", ICML 2020; Desfontaines
    et al., PoPETs 2022).
    """

    per_bin: float
    bins: int
    l2: float
    #: the counts are per person (charged as is) rather than per row (charged × k²)
    person_level: bool

    @classmethod
    def rows(cls, k: int) -> Contribution:
        return cls(float(k), k, float(k), False)

    @classmethod
    def persons(cls, k: int, l2: float = 1.0) -> Contribution:
        return cls(1.0, k, l2, True)

    def threshold(self, sigma: float, delta: float) -> float:
        """Partition-selection threshold ``per_bin + σ·Φ⁻¹(1 − δ/bins)``: a person alone in
        up to ``bins`` candidates adds at most ``per_bin`` to each, so the chance that one
        of them clears it is at most ``bins · Φ̄((τ − per_bin)/σ) = δ``.

        >>> round(Contribution.persons(4).threshold(1.0, 1e-6), 2)
        6.03
        >>> round(Contribution.rows(2).threshold(2.0, 1e-6), 2)  # as synth.domain.threshold_for
        11.78
        """
        return self.per_bin + sigma * float(norm.isf(delta / self.bins))

    def charge(
        self,
        ledger: PrivacyLedger,
        purpose: str,
        column: str,
        *,
        sigma: float,
        delta: float = 0.0,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Charge a Gaussian mechanism over counts of this kind to ``ledger``."""
        if not self.person_level:
            ledger.charge_gaussian(purpose, column, sigma=sigma, delta=delta, details=details)
            return
        ledger.charge_person_counts(
            purpose,
            column,
            sigma=sigma,
            l2=self.l2,
            delta=delta,
            details={**(details or {}), "counts": f"persons, ≤ 1 per bin, ≤ {self.bins} bins"},
        )


#: how a person's distinct values are weighted in person counts (:func:`person_counts`):
#: "l2" gives each of a person's m values 1/√m (L2 norm 1: noise as for one row), "distinct"
#: gives each 1 (L2 norm √k)
PERSON_WEIGHTING = "l2"


def person_contribution(k: int) -> Contribution:
    """The :class:`Contribution` of :func:`person_counts` for persons of at most k rows."""
    return Contribution.persons(k, 1.0 if PERSON_WEIGHTING == "l2" else math.sqrt(k))


def person_counts(pairs: pd.DataFrame) -> pd.Series:
    """Counts per key from (key, person) pairs, one pair or more per row: each person is
    counted once per distinct key it holds, with weight 1/√m over its m distinct keys
    (:data:`PERSON_WEIGHTING` "l2": the person's vector has L2 norm 1 and no entry above 1)
    or 1 ("distinct": L2 norm √m ≤ √k). The pairs must hold every row of each person
    (over the whole table, not a partition), else a person split over two partitions
    would count twice.

    >>> p = pd.DataFrame({"key": ["a", "a", "b", "a"], "person": [1, 1, 1, 2]})
    >>> person_counts(p).round(3).to_dict()
    {'a': 1.707, 'b': 0.707}
    """
    pairs = pairs.drop_duplicates()
    if PERSON_WEIGHTING == "l2":
        m = pairs.groupby("person", sort=False)["key"].transform("size").to_numpy(dtype=float)
        w = 1.0 / np.sqrt(m)
    else:
        w = np.ones(len(pairs))
    return pd.Series(w, index=pairs.index).groupby(pairs["key"].to_numpy(), sort=False).sum()
