"""The privacy unit as persons: how many rows each person keeps, and synthetic persons.

A table may hold several rows per person (encounters of a patient). The fit protects
the person (the schema's ``privacy_unit``):

1. :func:`measure_rows_per_person` takes one Gaussian measurement of the histogram of
   rows per person (a person adds 1 to one bin: sensitivity 1, charged per person). It
   chooses the bound k when the schema says ``max_rows_per_unit: auto`` (the smallest k
   covering :data:`AUTO_COVER` of the persons by the noisy histogram, at most
   :data:`AUTO_MAX`, or fewer where :func:`expected_error` says a marginal's noise costs
   more than the rows dropped), and it is the model of how many rows a synthetic person
   has.
2. :func:`bound_mask` keeps at most k random rows per person; from then on the ledger
   multiplies every per-row mechanism's cost by k² (:meth:`PrivacyLedger.bound_rows`). The
   domain counts (category sets, bounds, precision, heavy values) count persons instead,
   charged per person (:mod:`synth.contributions`).
3. At sampling, :func:`person_sizes` draws the number of rows of each synthetic person
   from the noisy histogram (truncated at k, unless the person's size is modelled:
   :mod:`synth.person_size`) and :func:`assemble_persons` gives the rows
   of a person equal static columns (``static: true``) by drawing them from the model
   given the person's first row (rejection on the static tokens: exact).

Every figure kept (the noisy histogram, the persons estimate, the share of persons above
the bound) is DP; the exact counts never leave the fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from synth.errors import InputError
from synth.ledger import PrivacyLedger, zcdp_rho_for
from synth.person_size import size_groups, size_shares, worth_modelling
from synth.schema.model import MAX_ROWS_PER_UNIT

#: share of the budget (zCDP ρ) spent on the rows-per-person histogram
ROWS_SHARE = 0.03
#: ``auto`` bounds persons to the fewest rows that cover this share of them, at most ...
AUTO_COVER = 0.9
#: ... but never more rows than this (noise grows with k: a marginal's L2 sensitivity is k)
AUTO_MAX = 10
#: ... or fewer rows when that lowers the expected error (:func:`expected_error`): cells of
#: the reference marginal whose noise the rule weighs against the rows a bound drops
AUTO_CELLS = 80
#: rounds of model draws looking for rows that match a person's static columns ...
MATCH_ROUNDS = 20
#: ... ended after this many rounds in a row matched no request (then fewer columns):
#: pools of twice the open requests that match none say the rest of the rounds would
#: match next to none (linked sampling, Synthea ×5: 748 of 1,111 rounds matched no row,
#: 87 % of the sample's time was this rejection)
MISS_ROUNDS = 2


@dataclass(frozen=True)
class RowsPerPerson:
    """The DP rows-per-person model: bound ``k`` (declared or chosen), the share of
    synthetic persons with 1..k rows, the persons estimate and the share of persons whose
    rows were cut to k (all from one noisy histogram)."""

    k: int
    chosen: str
    shares: tuple[float, ...]
    persons_estimate: int
    above_bound_share: float
    sigma: float
    #: shares of persons with 1 … top rows and "more" (top + 1), and the size groups the
    #: engine models (:mod:`synth.person_size`); empty when the size is not modelled
    sizes: tuple[float, ...] = ()
    groups: tuple[int, ...] = ()

    @property
    def models_size(self) -> bool:
        return bool(self.groups)

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RowsPerPerson:
        k = int(state["k"])
        shares = tuple(float(x) for x in state["shares"])
        if not 1 <= k <= MAX_ROWS_PER_UNIT or len(shares) != k:
            raise ValueError("rows-per-person model: bound and shares disagree")
        sizes = tuple(float(x) for x in state.get("sizes", ()))
        groups = tuple(int(x) for x in state.get("groups", ()))
        if len(sizes) > MAX_ROWS_PER_UNIT + 2 or (groups and not sizes):
            raise ValueError("rows-per-person model: sizes and groups disagree")
        if groups and (groups[0] != 1 or list(groups) != sorted(set(groups))):
            raise ValueError("rows-per-person model: size groups are not increasing from 1")
        return cls(
            k=k,
            chosen=str(state["chosen"]),
            shares=shares,
            persons_estimate=int(state["persons_estimate"]),
            above_bound_share=float(state["above_bound_share"]),
            sigma=float(state["sigma"]),
            sizes=sizes,
            groups=groups,
        )

    def narrowed(self) -> RowsPerPerson:
        """The same measurement read for a bound of one row (DP-SGD clips rows).

        >>> RowsPerPerson(2, "auto", (0.75, 0.25), 100, 0.2, 1.0).narrowed().above_bound_share
        0.4
        """
        one = self.shares[0] * (1.0 - self.above_bound_share)
        return RowsPerPerson(
            k=1,
            chosen=f"{self.chosen}, then 1 for DP-SGD",
            shares=(1.0,),
            persons_estimate=self.persons_estimate,
            above_bound_share=round(1.0 - one, 12),
            sigma=self.sigma,
            sizes=self.sizes,
            groups=self.groups,  # the rows' group tokens were made with the first k
        )

    def draw(self, m: int, rng: np.random.Generator) -> np.ndarray:
        """Rows of ``m`` synthetic persons, each from the DP shares (1..k)."""
        return 1 + rng.choice(self.k, size=m, p=self.shares)

    @property
    def mean_rows(self) -> float:
        return float(np.dot(np.arange(1, self.k + 1), self.shares))

    def draw_sizes(self, m: int, rng: np.random.Generator) -> np.ndarray:
        """Rows of ``m`` synthetic persons as the output gives them: from the whole DP
        histogram when the size is modelled (not cut at k), else :meth:`draw`."""
        if not self.models_size:
            return self.draw(m, rng)
        return 1 + rng.choice(len(self.sizes), size=m, p=self.sizes)

    @property
    def mean_size(self) -> float:
        if not self.models_size:
            return self.mean_rows
        return float(np.dot(np.arange(1, len(self.sizes) + 1), self.sizes))

    @property
    def rows_ratio(self) -> float:
        """All rows per kept row, E[m] / E[min(m, k)] from the DP size shares: scales the
        engine's estimate of the kept rows (its many measurements make it steadier than
        the histogram's own total: ±9 % at 1,200 persons, ε = 1) to the whole table's.

        >>> RowsPerPerson(1, "auto", (1.0,), 10, 0.5, 1.0, (0.5, 0.5), (1, 2)).rows_ratio
        1.5
        """
        if not self.models_size:
            return 1.0
        m = np.arange(1, len(self.sizes) + 1)
        kept = float(np.dot(np.minimum(m, self.k), self.sizes))
        return self.mean_size / max(kept, 1e-12)

    def describe(self) -> dict[str, Any]:
        return {
            "rows_per_person_bound": self.k,
            "bound_chosen": self.chosen,
            "persons_estimate": self.persons_estimate,
            "above_bound_share": round(self.above_bound_share, 4),
            "rows_per_person_shares": [round(s, 4) for s in self.shares],
            "mean_rows_per_person": round(self.mean_rows, 3),
            "sigma": round(self.sigma, 3),
            "size_modelled": self.models_size,
            **(
                {
                    "size_groups": list(self.groups),
                    "synthetic_size_shares": [round(s, 4) for s in self.sizes],
                    "mean_synthetic_size": round(self.mean_size, 3),
                }
                if self.models_size
                else {}
            ),
        }


def check_units(units: pd.Series, column: str) -> None:
    """A missing person id would merge unrelated rows into one 'person' (or split one):
    refuse it, without quoting a value or a count."""
    if units.isna().any():
        raise InputError(
            f"privacy unit column '{column}' has missing values: every row must name its "
            "person; fill them, drop those rows, or choose another privacy_unit"
        )


def rows_per_person_counts(units: pd.Series) -> np.ndarray:
    """Rows of each person (exact: stays inside the fit)."""
    return units.astype(str).value_counts(sort=False).to_numpy(dtype=np.int64)


def noisy_rows_histogram(
    counts: np.ndarray,
    top: int,
    *,
    first: int,
    ledger: PrivacyLedger,
    rho: float,
    rng: np.random.Generator,
    purpose: str,
    target: str,
    details: dict[str, Any] | None = None,
) -> tuple[np.ndarray, float]:
    """One Gaussian measurement of a histogram of rows per person (``counts``: exact, one
    per person; they stay here): bins ``first`` … ``top`` and "more". A person adds 1 to
    one bin (L2 sensitivity 1), charged per person to ``ledger`` at ``rho``. Returns the
    noisy bins and their noise s.d.

    >>> led = PrivacyLedger(100, 1e-6)
    >>> y, s = noisy_rows_histogram(np.array([1, 1, 3]), 2, first=0, ledger=led, rho=10.0,
    ...     rng=np.random.default_rng(0), purpose="p", target="t")
    >>> y.round().tolist(), round(s, 3)
    ([0.0, 2.0, 0.0, 1.0], 0.224)
    """
    hist = np.bincount(np.minimum(counts, top + 1), minlength=top + 2)[first:].astype(float)
    sigma = math.sqrt(1.0 / (2.0 * rho))
    ledger.charge_gaussian(
        purpose,
        target,
        sigma=sigma,
        per_person=True,
        details={"bins": f"{first}-{top} rows, more", **(details or {})},
    )
    return hist + rng.normal(0.0, sigma, size=len(hist)), sigma


def expected_error(noisy: np.ndarray, columns: int, rho: float) -> np.ndarray:
    """Expected error of a bound of k = 1 … len(noisy) − 1 rows per person, from the noisy
    histogram of persons with 1 … top rows and "more" (``noisy``): the noise a marginal
    of :data:`AUTO_CELLS` cells gets at k plus the share of rows the bound drops.

    A per-row marginal's noise s.d. is ∝ k (L2 sensitivity k) while its signal is
    N_k = Σ_persons min(r, k) rows: its expected TVD is ``AUTO_CELLS·√(2/π)/2 · k·σ₁/N_k``
    with σ₁ = √(columns/(2ρ)), the whole budget ρ spread over one marginal per modelled
    column. The rows beyond k, a share 1 − N_k/N, are dropped; they move a marginal by at
    most that share (when they differ from every kept row; the bias term). Signal-to-noise
    is largest at k = 1 and the bias smallest at large k.

    Measured (benchmarks/clinical_bench.py, 1 + Poisson(1.5) visits, ε = 1, 13 columns, mean
    2-way TVD, person domain counts; BENCHMARKS "persons"): at 1,200 patients k = 1, 2, 3, 4
    gave 0.61-0.70, 0.51-0.58, 0.50-0.54, 0.55-0.64 (this rule: 3); at 6,000 patients 0.20-0.23,
    0.20-0.22, 0.18-0.20, 0.18-0.20 (this rule: 4). On diabetes130 (71,518 patients, 1.42
    rows each) it gives 5, above the 90 % cover's 2, and one row each had scored better
    than two there (0.080 against 0.090): the bias term is an upper bound, so ``auto`` takes
    the rule's k only below the cover's (:func:`measure_rows_per_person`).

    >>> h = np.array([223.0, 335.0, 251.0, 126.0, 47.0, 18.0])  # 1 + Poisson(1.5) rows
    >>> [1 + int(np.argmin(expected_error(h * n, 13, 0.0174))) for n in (1.2, 6)]
    [3, 4]
    """
    top = len(noisy) - 1
    bins = np.clip(np.asarray(noisy, dtype=float), 0.0, None)
    rows_of = np.arange(1, top + 2, dtype=float)  # "more" counted as top + 1 rows
    rows_of[-1] = top + 1
    ks = np.arange(1, top + 1, dtype=float)
    kept = np.array([float(np.dot(np.minimum(rows_of, k), bins)) for k in ks])
    every = max(float(np.dot(rows_of, bins)), 1.0)
    sigma1 = math.sqrt(max(1, columns) / (2.0 * rho))
    noise = AUTO_CELLS * math.sqrt(2.0 / math.pi) / 2.0 * ks * sigma1 / np.maximum(kept, 1.0)
    return noise + (1.0 - kept / every)


def measure_rows_per_person(
    units: pd.Series,
    declared: int | str,
    ledger: PrivacyLedger,
    rng: np.random.Generator,
    column: str,
    columns: int = 1,
) -> RowsPerPerson:
    """One Gaussian measurement of the rows-per-person histogram; the bound k from it.

    ``auto``: the smallest k covering :data:`AUTO_COVER` of the persons, or a smaller k
    when :func:`expected_error` (``columns`` modelled columns at the whole budget) is lower
    there: on small tables fewer rows each but less noise per row."""
    check_units(units, column)
    auto = declared == "auto"
    # bins 1..top and 'more'; k ≤ top. A declared k keeps bins 1..k: the persons
    # estimate sums every bin's noise (a linked release's patients, declared one row each,
    # would sum 12 bins instead of 2), so the size (synth.person_size) is modelled under
    # 'auto' only
    top = AUTO_MAX if auto else int(declared)
    rho = ROWS_SHARE * zcdp_rho_for(ledger.epsilon, ledger.conversion_delta)
    noisy, sigma = noisy_rows_histogram(
        rows_per_person_counts(units),
        top,
        first=1,  # bins 1..top and "more than top"
        ledger=ledger,
        rho=rho,
        rng=rng,
        purpose="rows per person (histogram)",
        target=column,
        details={"bound": "auto" if auto else top},
    )
    # sums of the unclipped noisy bins are unbiased; clipping each of ~100 bins at 0
    # first would add ~0.4σ of phantom persons per empty bin
    total = float(noisy.sum())
    if total < 1.0:  # nothing measurable: one row each
        noisy, total = np.eye(1, len(noisy)).ravel(), 1.0
    k = top
    if auto:
        cover = np.cumsum(noisy) / total
        k = int(min(top, 1 + int(np.searchsorted(cover, AUTO_COVER))))
        rule = expected_error(noisy, columns, zcdp_rho_for(ledger.epsilon, ledger.conversion_delta))
        k = min(k, 1 + int(np.argmin(rule)))
    tail = max(0.0, float(noisy[k:].sum()))
    within = np.clip(noisy[:k], 0.0, None)
    within[k - 1] += tail  # a person with more rows keeps k
    if within.sum() <= 0:
        within[0] = 1.0
    shares = within / within.sum()
    # the size is modelled when sizes beyond k were measured and enough persons hold them
    groups = size_groups(k, top) if top > k else ()
    sizes = size_shares(noisy, k, sigma, groups) if groups else ()
    sized = bool(groups) and worth_modelling(sizes, k)
    return RowsPerPerson(
        k=k,
        chosen="auto" if auto else "declared",
        shares=tuple(float(s) for s in shares),
        persons_estimate=max(1, round(total)),
        above_bound_share=min(1.0, tail / total),
        sigma=sigma,
        sizes=sizes if sized else (),
        groups=groups if sized else (),
    )


def bound_mask(units: pd.Series, k: int, rng: np.random.Generator) -> np.ndarray:
    """Rows kept so that each person has at most ``k`` (a random choice among more).

    >>> m = bound_mask(pd.Series(["a", "a", "a", "b"]), 2, np.random.default_rng(0))
    >>> int(m[:3].sum()), bool(m[3])
    (2, True)
    """
    order = rng.permutation(len(units))
    shuffled = units.iloc[order].astype(str)
    rank = shuffled.groupby(shuffled.to_numpy(), sort=False).cumcount().to_numpy()
    keep = np.zeros(len(units), dtype=bool)
    keep[order[rank < k]] = True
    return keep


def person_sizes(rows: int, model: RowsPerPerson, rng: np.random.Generator) -> np.ndarray:
    """Rows of each synthetic person, from the DP shares (the whole histogram when the
    size is modelled, else 1..k), adding up to ``rows``.

    >>> m = RowsPerPerson(2, "declared", (0.5, 0.5), 10, 0.0, 1.0)
    >>> int(person_sizes(101, m, np.random.default_rng(0)).sum())
    101
    >>> m = RowsPerPerson(2, "auto", (0.5, 0.5), 10, 0.5, 1.0, (0.5, 0.0, 0.5), (1, 2, 3))
    >>> sorted(set(person_sizes(100, m, np.random.default_rng(0))[:-1].tolist()))
    [1, 3]
    """
    sizes: list[np.ndarray] = []
    have = 0
    while have < rows:
        draw = model.draw_sizes(max(16, int((rows - have) / model.mean_size) + 16), rng)
        sizes.append(draw)
        have += int(draw.sum())
    out = np.concatenate(sizes)
    ends = np.cumsum(out)
    last = int(np.searchsorted(ends, rows))
    out = out[: last + 1].copy()
    out[-1] -= int(ends[last] - rows)
    return out


def assemble_persons(
    sizes: np.ndarray,
    static: list[int],
    draw: Callable[[int], np.ndarray],
    rng: np.random.Generator,
    heads: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Token rows of the synthetic persons, person after person: each person's first row
    from the model (or ``heads``), and its other rows from the model given the first
    row's ``static`` tokens (:func:`rows_given`). Returns the rows and the share of
    further rows not matched on every static column.
    """
    n, persons = int(sizes.sum()), len(sizes)
    if heads is None:
        heads = draw(persons)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    owner = np.repeat(np.arange(persons), sizes - 1)  # the person of each further row
    if len(owner) == 0:
        return heads, 0.0
    if static:
        further, missing = rows_given(heads[owner][:, static], static, draw, rng)
    else:
        further, missing = draw(len(owner)), 0.0
    rows = np.empty((n, heads.shape[1]), dtype=heads.dtype)
    rows[starts] = heads
    rows[np.setdiff1d(np.arange(n), starts)] = further
    return rows, missing


def rows_given(
    wanted: np.ndarray,
    static: list[int],
    draw: Callable[[int], np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, float]:
    """One model row per row of ``wanted`` (tokens of the ``static`` columns), drawn from
    the model given them: pools of model draws, each request taking a draw whose static
    tokens equal its own (rejection, exact).

    Requests still open after :data:`MATCH_ROUNDS` pools are matched on fewer columns,
    dropping the static column with the most distinct wanted tokens first (a birth year
    before sex), and take the rest of their tokens as set; the last resort is a random
    draw. Returns the rows and the share of rows not matched on every static column.
    """
    found = np.full(len(wanted), -1, dtype=np.int64)
    pools: list[np.ndarray] = []
    exact = 0.0
    order = sorted(range(len(static)), key=lambda j: len(np.unique(wanted[:, j])))
    for level in range(len(static), 0, -1):
        cols = order[:level]
        want = _keys(wanted[:, cols])
        rounds = MATCH_ROUNDS if level == len(static) else max(2, MATCH_ROUNDS // 4)
        misses = 0
        for _ in range(rounds):
            pending = np.flatnonzero(found < 0)
            if len(pending) == 0 or misses >= MISS_ROUNDS:
                break
            pool = draw(max(1000, 2 * len(pending)))
            hit_rows, pool_idx = _match(want[pending], _keys(pool[:, [static[j] for j in cols]]))
            found[pending[hit_rows]] = sum(len(p) for p in pools) + pool_idx
            pools.append(pool)
            misses = 0 if len(hit_rows) else misses + 1
        if level == len(static):
            exact = float((found >= 0).mean()) if len(found) else 1.0
    pooled = np.vstack(pools) if pools else draw(max(1, len(wanted)))
    missing = found < 0
    if missing.any():
        found[missing] = rng.integers(0, len(pooled), size=int(missing.sum()))
    out = pooled[found]
    out[:, static] = wanted  # equal on the columns matched; set on the rest
    return out, 1.0 - exact


def _keys(block: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of token columns."""
    return pd.util.hash_pandas_object(pd.DataFrame(block), index=False).to_numpy()


def _match(want: np.ndarray, have: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) with ``want[i] == have[j]``, each i and j used at most once: the r-th
    row wanting a key gets the r-th pool row holding it."""
    w = pd.DataFrame({"key": want, "i": np.arange(len(want))})
    h = pd.DataFrame({"key": have, "j": np.arange(len(have))})
    w["r"] = w.groupby("key", sort=False).cumcount()
    h["r"] = h.groupby("key", sort=False).cumcount()
    pairs = w.merge(h, on=["key", "r"], how="inner")
    return pairs["i"].to_numpy(), pairs["j"].to_numpy()
