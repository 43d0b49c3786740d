"""Poisson subsampling for DP-SGD by global row index, wherever the rows live.

DP-SGD's accounting (the ledger's and Opacus' RDP accountant) assumes each step's batch is
a *Poisson* sample: every row joins independently with probability ``q``. That sampling
needs no look at the rows, only their number ``n``, so the driver draws each batch as a
set of global row indices (:func:`poisson_batch`) and the rows are fetched from wherever
the tokens are: the in-memory matrix, or the token partitions on a cluster's workers
(:meth:`synth.statistics.PartitionedTokens.take`, one pass per group of steps). The same
sampler and the same seed give the same batches, hence the same model, on any runner.

Why a Binomial size and then a uniform subset is exactly Poisson sampling
--------------------------------------------------------------------------
Let ``S ⊆ {0, …, n-1}`` be the batch of independent Bernoulli(q) inclusions. For any
fixed subset ``s`` of size ``b``::

    P(S = s) = q^b (1 - q)^(n - b)

which depends on ``s`` only through ``b``. Hence

* ``|S| ~ Binomial(n, q)``: summing over the ``C(n, b)`` subsets of size ``b`` gives
  ``P(|S| = b) = C(n, b) q^b (1 - q)^(n - b)``;
* given ``|S| = b``, ``S`` is uniform over the size-``b`` subsets:
  ``P(S = s | |S| = b) = q^b (1 - q)^(n - b) / P(|S| = b) = 1 / C(n, b)``.

Drawing ``B ~ Binomial(n, q)`` and then a uniformly random ``B``-subset therefore gives
``P(S = s) = P(B = b) / C(n, b) = q^b (1 - q)^(n - b)`` for every ``s``: the same law as
the independent per-row coins, for every ``n`` and ``q`` (including the empty batch,
probability ``(1 - q)^n``, which is still a step). It costs O(B) per step instead of
O(n) coins. ``tests/unit/test_poisson_sampler.py`` checks the batch-size law, the law of
every subset of a small table and the per-row inclusion rate with fixed seeds.

What the accountant must be told
--------------------------------
Opacus' ``make_private(..., poisson_sampling=False)`` leaves the loader alone and derives
``sample_rate = 1 / len(loader)`` and ``expected_batch_size = int(len(dataset) *
sample_rate)``. :class:`PoissonSampler` has ``len = round(1 / q)`` steps per epoch, and
:func:`validate_loader` refuses any loader whose ``1 / len`` is not the accounted ``q``
(so ``1 / q`` must be an integer), any other sampler (weighted samplers and fixed-size
batches change the privacy amplification, and the reported ε would be wrong) and a
sampler over another number of rows. Opacus floors the expected batch size; the engine
sets it to ``q · n̂``, with n̂ a DP estimate of n (n itself stays inside the fit), and
:func:`validate_optimizer` checks it, so the DP optimizer divides the noisy clipped sum
by the expected batch size, as with Opacus' own Poisson loader.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

#: expected rows fetched per pass over the token partitions (bounds the driver's memory:
#: one group of batches, about FETCH_ROWS × columns × 8 bytes, is held at a time)
FETCH_ROWS = 500_000


class RowSource(Protocol):
    """Token rows addressed by global row index (an array or partitions on a cluster)."""

    shape: tuple[int, ...]

    def __len__(self) -> int: ...

    def take(self, index: np.ndarray) -> np.ndarray:
        """Rows ``index`` (any order, repeats allowed), as a matrix in that order."""
        ...


class ArrayRows:
    """A token matrix in this process as a :class:`RowSource`."""

    def __init__(self, tokens: np.ndarray) -> None:
        self.tokens = tokens
        self.shape = tokens.shape

    def __len__(self) -> int:
        return len(self.tokens)

    def take(self, index: np.ndarray) -> np.ndarray:
        return self.tokens[index]


def row_source(tokens: Any) -> RowSource:
    """``tokens`` as a :class:`RowSource`: arrays are wrapped, partitions used as they are."""
    if isinstance(tokens, np.ndarray):
        return ArrayRows(tokens)
    if callable(getattr(tokens, "take", None)) and hasattr(tokens, "shape"):
        return tokens  # type: ignore[no-any-return]
    raise TypeError(f"cannot fetch rows from {type(tokens).__name__}")


def poisson_batch(n: int, q: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted global indices of one Poisson(q) batch of ``range(n)`` (see the module doc).

    Each index is in the batch independently with probability ``q``.
    """
    if n < 0 or not 0.0 <= q <= 1.0:
        raise ValueError(f"need n >= 0 and 0 <= q <= 1, got n={n}, q={q}")
    size = int(rng.binomial(n, q))
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    # a uniform size-subset; the order inside the batch is fixed by sorting
    index = rng.choice(n, size=size, replace=False, shuffle=False).astype(np.int64)
    index.sort()
    return index


class PoissonSampler:
    """Batches of global row indices, every row in every batch independently w.p. ``q``.

    One iteration is an epoch of ``round(1 / q)`` batches, drawn one at a time from
    ``rng`` as they are consumed.
    """

    def __init__(self, n: int, sample_rate: float, rng: np.random.Generator) -> None:
        if n <= 0:
            raise ValueError(f"Poisson sampling needs rows, got n={n}")
        if not 0.0 < sample_rate <= 1.0:
            raise ValueError(f"sample rate must be in (0, 1], got {sample_rate}")
        self.n = int(n)
        self.sample_rate = float(sample_rate)
        self.rng = rng

    def __len__(self) -> int:
        return max(1, round(1.0 / self.sample_rate))

    @property
    def expected_batch_size(self) -> float:
        return self.sample_rate * self.n

    def __iter__(self) -> Iterator[np.ndarray]:
        for _ in range(len(self)):
            yield poisson_batch(self.n, self.sample_rate, self.rng)


class TokenRows(Dataset):
    """A :class:`RowSource` as a torch dataset (its length is what Opacus reads)."""

    def __init__(self, rows: RowSource) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.as_tensor(self.rows.take(np.asarray([i], dtype=np.int64))[0])

    def take(self, index: np.ndarray) -> np.ndarray:
        return self.rows.take(index)


class PoissonLoader(DataLoader):
    """Batches of token rows (``torch.long``, rows × columns) drawn by a
    :class:`PoissonSampler`; empty batches are yielded as ``0 × columns`` tensors.

    The rows of a group of consecutive steps (about ``fetch_rows`` rows) are fetched in
    one :meth:`RowSource.take`, so on a cluster there is one pass over the partitions per
    group, and the driver holds one group of batches at a time. Grouping changes nothing
    in the batches: they are drawn one step after another from the sampler's generator.
    """

    def __init__(
        self, rows: RowSource, sampler: PoissonSampler, *, fetch_rows: int = FETCH_ROWS
    ) -> None:
        super().__init__(TokenRows(rows), batch_sampler=sampler)
        self.fetch_rows = int(fetch_rows)
        self.columns = int(rows.shape[1])

    def steps_per_fetch(self) -> int:
        sampler = self.batch_sampler
        assert isinstance(sampler, PoissonSampler)
        per_step = max(1, math.ceil(sampler.expected_batch_size))
        return max(1, min(len(sampler), self.fetch_rows // per_step))

    def __iter__(self) -> Iterator[torch.Tensor]:  # type: ignore[override]
        sampler = self.batch_sampler
        assert isinstance(sampler, PoissonSampler)
        draws = iter(sampler)
        left = len(sampler)
        group = self.steps_per_fetch()
        while left > 0:
            k = min(group, left)
            batches = [next(draws) for _ in range(k)]
            index = np.concatenate(batches)
            rows = (
                self.dataset.take(index)  # type: ignore[attr-defined]
                if len(index)
                else np.zeros((0, self.columns), dtype=np.int64)
            )
            cuts = np.cumsum([len(b) for b in batches])[:-1]
            for block in np.split(rows, cuts):
                yield torch.as_tensor(block, dtype=torch.long)
            left -= k


def validate_loader(loader: Any, q: float, n: int) -> None:
    """Refuse a loader whose sampling is not Poisson at the accounted rate ``q`` over
    ``n`` rows, as Opacus will read it (``sample_rate = 1 / len(loader)``)."""
    if not isinstance(loader, PoissonLoader):
        raise RuntimeError(
            f"DP-SGD needs the Poisson row sampler, got a {type(loader).__name__}: weighted "
            "samplers or fixed-size batches change the privacy amplification and the "
            "reported ε would be wrong"
        )
    sampler = loader.batch_sampler
    if type(sampler) is not PoissonSampler:
        raise RuntimeError(
            f"DP-SGD needs a PoissonSampler batch sampler, got {type(sampler).__name__}"
        )
    if not math.isclose(sampler.sample_rate, q, rel_tol=1e-12, abs_tol=0.0):
        raise RuntimeError(f"sampler rate {sampler.sample_rate} differs from accounted rate {q}")
    if not math.isclose(1.0 / len(loader), q, rel_tol=1e-12, abs_tol=0.0):
        raise RuntimeError(
            f"Opacus would account rate 1/{len(loader)} = {1.0 / len(loader):.6g}, not the "
            f"ledger's {q}: the accounted rate must be 1/integer"
        )
    if not (sampler.n == len(loader.dataset) == n):  # type: ignore[arg-type]
        raise RuntimeError(
            f"sampler draws from {sampler.n} rows, the data has "
            f"{len(loader.dataset)} and the accountant {n}"  # type: ignore[arg-type]
        )


def validate_optimizer(optimizer: Any, expected_batch: float) -> None:
    """The DP optimizer must average by the expected Poisson batch ``q · n̂`` (n̂ a DP
    estimate of the rows: the exact n never sets anything the fit releases)."""
    expected = getattr(optimizer, "expected_batch_size", None)
    if expected is None or not math.isclose(float(expected), expected_batch, rel_tol=1e-12):
        raise RuntimeError(
            f"DP optimizer averages over {expected} rows, not the expected batch "
            f"q·n̂ = {expected_batch}"
        )
    if getattr(optimizer, "loss_reduction", None) != "mean":
        raise RuntimeError("DP optimizer must use loss_reduction='mean'")
