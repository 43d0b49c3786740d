"""The randomness of a fit: secret by default, seeded only behind a test-only switch.

Every random draw that touches real rows — the holdout split, the per-person row bound,
partition selection, noisy bounds and precision, exponential-mechanism choices, marginal
measurements, DP-SGD's batches and noise — comes from one :class:`Randomness`.

* :meth:`Randomness.secret` (the default everywhere): a numpy generator seeded from fresh
  OS entropy (``SeedSequence()``: 128 bits), never stored, never printed. The noise of
  every measurement whose *values* reach the model (marginal counts) is drawn by OpenDP's
  exact discrete Gaussian sampler (Canonne, Kamath & Steinke 2020) from the operating
  system's CSPRNG: integer noise on integer counts, so the released value carries no
  floating-point trace of the count (Mironov 2012) and no published seed can replay it.
  Its zCDP cost is ρ = Δ²/(2σ²), as for the continuous Gaussian; OpenDP's own privacy map
  is checked against the ledger's charge on every call.
* :meth:`Randomness.insecure` (tests and benchmarks only): every draw from a numpy
  generator seeded with the given integer, measurement noise rounded to integers from the
  same generator. Fits become reproducible, and therefore **not private**: anyone with
  the seed can subtract the noise. The model, ledger, report and ``release.json`` say so.

Draws whose outcome is a decision (keep a category or not, a bin index, one candidate of
the exponential mechanism, a row in a batch) use the numpy generator: only the decision
leaves the process, so floating point leaks nothing there beyond relative errors of
~2⁻⁵³ in the probabilities.

>>> r = Randomness.insecure(7)
>>> r.private, r.describe()["fit"]
(False, 'seeded (test only): NOT PRIVATE')
>>> noisy = r.gaussian_counts(np.array([10.0, 0.0, 3.0]), sigma=2.0)
>>> bool(np.all(noisy == np.round(noisy)))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from synth.errors import StewardError

#: what the model, ledger and report say about a fit's randomness
SECRET = "fresh OS entropy, never stored; measurement noise: OpenDP exact discrete Gaussian"
INSECURE = "seeded (test only): NOT PRIVATE"


@dataclass(frozen=True)
class Randomness:
    """Where a fit's random draws come from (see the module doc)."""

    rng: np.random.Generator
    private: bool

    @classmethod
    def secret(cls) -> Randomness:
        """Fresh OS entropy; the default of every fit, split and scan."""
        return cls(np.random.Generator(np.random.PCG64(np.random.SeedSequence())), True)

    @classmethod
    def insecure(cls, seed: int) -> Randomness:
        """Reproducible draws from ``seed``: for tests only, the fit is NOT private."""
        return cls(np.random.default_rng(int(seed)), False)

    @classmethod
    def create(cls, insecure_seed: int | None = None) -> Randomness:
        return cls.secret() if insecure_seed is None else cls.insecure(insecure_seed)

    # -- draws ------------------------------------------------------------------------------
    def gaussian_counts(self, counts: np.ndarray, sigma: float) -> np.ndarray:
        """``counts`` (whole numbers, any shape) plus integer Gaussian noise of scale σ.

        The caller charges ρ = Δ²/(2σ²) for the counts' L2 sensitivity Δ; this checks
        OpenDP's map agrees for Δ = 1 before drawing.
        """
        exact = np.asarray(counts, dtype=float)
        if exact.size and not np.array_equal(exact, np.round(exact)):
            raise ValueError("the discrete Gaussian mechanism needs whole-number counts")
        if not (math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"noise scale must be positive, got {sigma}")
        if exact.size == 0:
            return exact.copy()
        if not self.private:
            return exact + np.rint(self.rng.normal(0.0, sigma, exact.shape))
        flat = exact.ravel().astype(np.int64)
        noisy = np.asarray(_discrete_gaussian(sigma)(flat), dtype=np.int64)
        return noisy.astype(float).reshape(exact.shape)

    def spawn(self) -> np.random.Generator:
        """An independent generator for a sub-process (a sampler, a split)."""
        return self.rng.spawn(1)[0]

    def torch_seed(self) -> int:
        """63 bits for a torch generator (DP-SGD's noise)."""
        return int(self.rng.integers(2**63 - 1))

    def describe(self) -> dict[str, Any]:
        return {"fit": SECRET if self.private else INSECURE, "private": self.private}


@lru_cache(maxsize=64)
def _discrete_gaussian(sigma: float) -> Any:
    """OpenDP's exact discrete Gaussian over int64 vectors at scale σ (checked map)."""
    try:
        import opendp.prelude as dp
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise StewardError(
            "OpenDP is needed for the secret measurement noise; reinstall the project"
        ) from exc
    dp.enable_features("contrib")
    meas = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T="i64"), scale=float(sigma)
    )
    rho = float(meas.map(1))
    if not math.isclose(rho, 1.0 / (2.0 * sigma * sigma), rel_tol=1e-9):
        raise RuntimeError(f"OpenDP charges ρ={rho} at σ={sigma}, the ledger 1/(2σ²)")
    return meas
